package dev.gort.examples;

import dev.gort.Chan;
import dev.gort.Go;
import dev.gort.Goroutine;
import java.util.ArrayList;
import java.util.List;

/**
 * Go's concurrent prime sieve: a chain of filter goroutines over unbuffered channels. Go leaves
 * the chain blocked when main returns; here main interrupts it, so that every goroutine ends
 * (each is parked in a send or receive, whose InterruptedException ends it quietly) and the
 * runtime can stop ({@code Go.shutdown()} in {@link Main}).
 */
public final class Sieve {
    public static void main(String[] args) {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 100;
        Go.run(() -> {
            List<Goroutine> chain = new ArrayList<>();
            Chan<Integer> ch = Chan.make();
            Chan<Integer> source = ch;
            chain.add(Go.spawn(() -> generate(source)));
            StringBuilder out = new StringBuilder();
            for (int i = 0; i < n; i++) {
                int prime = ch.receive();
                out.append(prime).append(i + 1 < n ? " " : "\n");
                Chan<Integer> next = Chan.make(), in = ch;
                chain.add(Go.spawn(() -> filter(in, next, prime)));
                ch = next;
            }
            System.out.print("the first " + n + " primes: " + out);
            for (Goroutine g : chain) g.interrupt();
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
