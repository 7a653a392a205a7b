package dev.gort.bench;

import dev.gort.Chan;
import java.util.List;

/**
 * W4 sieve: Go's classic concurrent prime sieve (golang.org/doc/play/sieve.go): a generator
 * sends 2, 3, 4, ... on an unbuffered channel; the driver receives the next prime from the end
 * of the chain and appends a filter for it (a goroutine that forwards what the prime does not
 * divide, over a new unbuffered channel). The first 3,000 primes, printing nothing. Unit: ms
 * for the whole run (the 3000th prime, 27449, is checked).
 *
 * <p>As in both anchors, the pipeline of a finished run is not stopped: the generator and the
 * filters keep going until every one of them is blocked on a send nobody receives, and stay
 * blocked forever (Go's original and anchors/go leak the goroutines, anchors/jvm/Sieve.java the
 * virtual threads). The harness's settle (a GC, then a wait for < 5 ms CPU in 100 ms) lets that
 * pipeline drain before the next repetition, outside the timing. So each repetition leaves 3,001
 * goroutines (or virtual threads) parked for the rest of the process.
 *
 * <ul>
 *   <li>{@code gort}: {@link Chan#make()} and {@link dev.gort.Go#spawn}, the driver is a
 *       goroutine.</li>
 *   <li>{@code jvm-sq}, {@code jvm-jox}: the anchor's body (anchors/jvm/Sieve.java) unchanged:
 *       {@code SynchronousQueue} / jox rendezvous channels through {@link Ch}, virtual threads.</li>
 * </ul>
 */
final class Sieve implements Workload {
    @Override
    public String name() {
        return "sieve";
    }

    @Override
    public List<Metric> metrics() {
        return List.of(new Metric("sieve", "ms"));
    }

    @Override
    public List<Impl> impls() {
        return List.of(
            new Impl("gort", Driver.GOROUTINE, () -> new double[] {gort()}),
            new Impl("jvm-sq", Driver.VIRTUAL_THREAD, () -> new double[] {jdk("sq")}),
            new Impl("jvm-jox", Driver.VIRTUAL_THREAD, () -> new double[] {jdk("jox")}));
    }

    // ---- gort

    static void generate(Chan<Integer> ch) throws InterruptedException {
        for (int i = 2; ; i++) ch.send(i);
    }

    static void filter(Chan<Integer> in, Chan<Integer> out, int prime) throws InterruptedException {
        for (;;) {
            int i = in.receive();
            if (i % prime != 0) out.send(i);
        }
    }

    static double gort() throws InterruptedException {
        int n = Harness.size(3000);
        long t0 = System.nanoTime();
        Chan<Integer> ch = Chan.make();
        Chan<Integer> gen = ch;
        Tasks.go(() -> generate(gen));
        int prime = 0;
        for (int i = 0; i < n; i++) {
            prime = ch.receive();
            Chan<Integer> in = ch, out = Chan.make();
            int p = prime;
            Tasks.go(() -> filter(in, out, p));
            ch = out;
        }
        long el = System.nanoTime() - t0;
        if (n == 3000 && prime != 27449) throw new AssertionError("sieve: wrong 3000th prime " + prime);
        return el / 1e6;
    }

    // ---- the anchor's body

    static void generate(Ch ch) throws InterruptedException {
        for (int i = 2; ; i++) ch.send(i);
    }

    static void filter(Ch in, Ch out, int prime) throws InterruptedException {
        for (;;) {
            int i = in.recv();
            if (i % prime != 0) out.send(i);
        }
    }

    static double jdk(String impl) throws InterruptedException {
        int n = Harness.size(3000);
        long t0 = System.nanoTime();
        Ch ch = Ch.rendezvous(impl);
        Ch gen = ch;
        Tasks.vt(() -> generate(gen));
        int prime = 0;
        for (int i = 0; i < n; i++) {
            prime = ch.recv();
            Ch in = ch, out = Ch.rendezvous(impl);
            int p = prime;
            Tasks.vt(() -> filter(in, out, p));
            ch = out;
        }
        long el = System.nanoTime() - t0;
        if (n == 3000 && prime != 27449) throw new AssertionError("sieve: wrong 3000th prime " + prime);
        return el / 1e6;
    }
}
