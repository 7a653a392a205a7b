package dev.gort.bench;

import dev.gort.Chan;
import dev.gort.sync.WaitGroup;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * W5 ring (thread-ring of the benchmarks game): 503 goroutines in a ring of unbuffered channels;
 * the driver sends a token of 10,000,000 into the first channel, each member passes it on
 * decremented, the member that receives 0 signals the driver. Unit: ns per hop (elapsed time
 * from the first send to the signal, / hops). The members are started before the timing; after
 * it a shutdown wave (-503, -502, ..., not timed) ends them and the driver waits for all.
 *
 * <ul>
 *   <li>{@code gort}: {@link Chan#make()} per member; the signal is a send on an unbuffered
 *       {@code done} channel the driver receives from, and the driver waits for the members on a
 *       {@link WaitGroup}, as the Go anchor does.</li>
 *   <li>{@code jvm-sq}, {@code jvm-jox}: the anchor's body (anchors/jvm/Ring.java) unchanged:
 *       {@code SynchronousQueue} / jox rendezvous channels through {@link Ch}, virtual threads,
 *       the signal a {@code CountDownLatch}, the members joined.</li>
 * </ul>
 */
final class Ring implements Workload {
    static final int RING = 503;

    @Override
    public String name() {
        return "ring";
    }

    @Override
    public List<Metric> metrics() {
        return List.of(new Metric("ring", "ns/hop"));
    }

    @Override
    public List<Impl> impls() {
        List<Impl> impls = new java.util.ArrayList<>(List.of(
            new Impl("gort", Driver.GOROUTINE, () -> new double[] {gort()}),
            new Impl("jvm-sq", Driver.VIRTUAL_THREAD, () -> new double[] {jdk("sq")}),
            new Impl("jvm-jox", Driver.VIRTUAL_THREAD, () -> new double[] {jdk("jox")})));
        if (Tasks.SCHED_STATS_VARIANT) {
            impls.add(1, new Impl("gort-nostats", Driver.GOROUTINE, () -> Tasks.withoutSchedStats(() -> new double[] {gort()})));
        }
        return impls;
    }

    static double gort() throws InterruptedException {
        int hops = Harness.size(10_000_000);
        @SuppressWarnings("unchecked")
        Chan<Integer>[] chs = new Chan[RING];
        for (int i = 0; i < RING; i++) chs[i] = Chan.make();
        Chan<Boolean> done = Chan.make();
        WaitGroup wg = new WaitGroup();
        wg.add(RING);
        for (int i = 0; i < RING; i++) {
            Chan<Integer> in = chs[i], out = chs[(i + 1) % RING];
            Tasks.go(() -> {
                for (;;) {
                    int v = in.receive();
                    if (v < 0) { // shutdown wave (not timed): -k means k members left to stop
                        if (v < -1) out.send(v + 1);
                        wg.done();
                        return;
                    }
                    if (v == 0) {
                        done.send(Boolean.TRUE);
                        continue;
                    }
                    out.send(v - 1);
                }
            });
        }
        long t0 = System.nanoTime();
        chs[0].send(hops);
        done.receive();
        long el = System.nanoTime() - t0;
        chs[0].send(-RING);
        wg.await();
        return (double) el / hops;
    }

    /** The anchor's body. */
    static double jdk(String impl) throws InterruptedException {
        int hops = Harness.size(10_000_000);
        Ch[] chs = new Ch[RING];
        for (int i = 0; i < RING; i++) chs[i] = Ch.rendezvous(impl);
        CountDownLatch done = new CountDownLatch(1);
        Thread[] members = new Thread[RING];
        for (int i = 0; i < RING; i++) {
            Ch in = chs[i], out = chs[(i + 1) % RING];
            members[i] = Tasks.vt(() -> {
                for (;;) {
                    int v = in.recv();
                    if (v < 0) { // shutdown wave (not timed): -k means k members left to stop
                        if (v < -1) out.send(v + 1);
                        return;
                    }
                    if (v == 0) {
                        done.countDown();
                        continue;
                    }
                    out.send(v - 1);
                }
            });
        }
        long t0 = System.nanoTime();
        chs[0].send(hops);
        done.await();
        long el = System.nanoTime() - t0;
        chs[0].send(-RING);
        for (Thread t : members) t.join();
        return (double) el / hops;
    }
}
