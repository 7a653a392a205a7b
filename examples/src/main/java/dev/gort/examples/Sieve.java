package dev.gort.examples;

import dev.gort.Chan;
import dev.gort.Go;

/** Go's concurrent prime sieve: a chain of filter goroutines over unbuffered channels. */
public final class Sieve {
    public static void main(String[] args) {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 100;
        Go.run(() -> {
            try {
                Chan<Integer> source = Chan.make();
                Go.spawn(() -> generate(source));
                Chan<Integer> ch = source;
                StringBuilder out = new StringBuilder();
                for (int i = 0; i < n; i++) {
                    int prime = ch.receive();
                    out.append(prime).append(i + 1 < n ? " " : "\n");
                    Chan<Integer> next = Chan.make();
                    Chan<Integer> in = ch;
                    Go.spawn(() -> filter(in, next, prime));
                    ch = next;
                }
                System.out.print("the first " + n + " primes: " + out);
            } catch (InterruptedException e) {
                throw new RuntimeException(e);
            }
        });
    }

    private static void generate(Chan<Integer> ch) {
        try {
            for (int i = 2; ; i++) ch.send(i);
        } catch (InterruptedException e) {
            throw new RuntimeException(e);
        }
    }

    private static void filter(Chan<Integer> in, Chan<Integer> out, int prime) {
        try {
            for (;;) {
                int v = in.receive();
                if (v % prime != 0) out.send(v);
            }
        } catch (InterruptedException e) {
            throw new RuntimeException(e);
        }
    }
}
