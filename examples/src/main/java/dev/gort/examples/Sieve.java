package dev.gort.examples;

import dev.gort.Chan;
import dev.gort.Go;
import dev.gort.Group;

/**
 * Go's concurrent prime sieve: a chain of filter goroutines over unbuffered channels. Go leaves
 * the chain blocked when main returns; here the chain is a {@link Group}, whose close() interrupts
 * it (each filter is parked in a send or receive, whose InterruptedException ends it quietly) and
 * waits for it, so that the runtime can stop ({@code Go.shutdown()} in {@link Main}).
 */
public final class Sieve {
    public static void main(String[] args) {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 100;
        Go.run(() -> {
            try (Group chain = new Group()) {
                Chan<Integer> ch = Chan.make(), first = ch;
                chain.go(() -> generate(first));
                StringBuilder out = new StringBuilder();
                for (int i = 0; i < n; i++) {
                    int prime = ch.receive();
                    out.append(prime).append(i + 1 < n ? " " : "\n");
                    Chan<Integer> next = Chan.make(), in = ch;
                    chain.go(() -> filter(in, next, prime));
                    ch = next;
                }
                System.out.print("the first " + n + " primes: " + out);
            }
        });
    }

    static void generate(Chan<Integer> ch) throws InterruptedException {
        for (int i = 2; ; i++) ch.send(i);
    }

    static void filter(Chan<Integer> in, Chan<Integer> out, int prime) throws InterruptedException {
        for (;;) {
            int i = in.receive();
            if (i % prime != 0) out.send(i);
        }
    }
}
