package dev.gort.bench;

import dev.gort.Chan;
import dev.gort.sync.WaitGroup;
import java.util.List;

/**
 * W2 pingpong: two goroutines exchange an int over two unbuffered channels, 1,000,000 round
 * trips (an echo and an initiator; the initiator sends i on ping and adds what comes back on
 * pong; the sum is checked). Unit: ns per round trip (elapsed time from before the two are
 * started until both have ended, / n).
 *
 * <ul>
 *   <li>{@code gort}: {@link Chan#make()} twice, two goroutines, the driver goroutine waits on a
 *       {@link WaitGroup} (as the Go anchor does).</li>
 *   <li>{@code jvm-sq}, {@code jvm-jox}: the anchor's body (anchors/jvm/PingPong.java) unchanged:
 *       {@code SynchronousQueue} / jox {@code Channel.newRendezvousChannel()} through {@link Ch},
 *       two virtual threads, joined.</li>
 * </ul>
 */
final class PingPong implements Workload {
    @Override
    public String name() {
        return "pingpong";
    }

    @Override
    public List<Metric> metrics() {
        return List.of(new Metric("pingpong", "ns/roundtrip"));
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
        int n = Harness.size(1_000_000);
        Chan<Integer> ping = Chan.make(), pong = Chan.make();
        WaitGroup wg = new WaitGroup();
        wg.add(2);
        long[] sum = new long[1];
        long t0 = System.nanoTime();
        Tasks.go(() -> { // echo
            for (int i = 0; i < n; i++) {
                Integer v = ping.receive();
                pong.send(v);
            }
            wg.done();
        });
        Tasks.go(() -> { // initiator
            long s = 0;
            for (int i = 0; i < n; i++) {
                ping.send(i);
                s += pong.receive();
            }
            sum[0] = s;
            wg.done();
        });
        wg.await();
        long el = System.nanoTime() - t0;
        if (sum[0] != (long) n * (n - 1) / 2) throw new AssertionError("pingpong: bad checksum " + sum[0]);
        return (double) el / n;
    }

    /** The anchor's body. */
    static double jdk(String impl) throws InterruptedException {
        int n = Harness.size(1_000_000);
        Ch ping = Ch.rendezvous(impl), pong = Ch.rendezvous(impl);
        long[] sum = new long[1];
        long t0 = System.nanoTime();
        Thread echo = Tasks.vt(() -> {
            for (int i = 0; i < n; i++) {
                Integer v = ping.recv();
                pong.send(v);
            }
        });
        Thread initiator = Tasks.vt(() -> {
            long s = 0;
            for (int i = 0; i < n; i++) {
                ping.send(i);
                s += pong.recv();
            }
            sum[0] = s;
        });
        echo.join();
        initiator.join();
        long el = System.nanoTime() - t0;
        if (sum[0] != (long) n * (n - 1) / 2) throw new AssertionError("pingpong: bad checksum " + sum[0]);
        return (double) el / n;
    }
}
