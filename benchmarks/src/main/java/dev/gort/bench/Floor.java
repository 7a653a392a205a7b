package dev.gort.bench;

import java.util.List;
import jdk.internal.vm.Continuation;
import jdk.internal.vm.ContinuationScope;

/**
 * floor: what this machine and JDK charge for the two ways a W2 round trip can be done, with no
 * runtime at all, so that W2's figures (and its target) can be read against the hardware.
 *
 * <ul>
 *   <li>{@code floor-switch}: two bare {@link Continuation}s run alternately on one platform
 *       thread, each yielding at once from two frames down: one round trip is two yields and two
 *       resumptions (freeze and thaw), which is what a ping-pong between two goroutines on one P
 *       costs before any channel or scheduler work. Unit: ns per round trip.</li>
 *   <li>{@code floor-handoff}: two platform threads pass a counter back and forth through two
 *       volatile fields, spinning: one round trip is two cache-line transfers between two CPUs,
 *       the least a ping-pong between two goroutines on two Ps can cost. Needs two free CPUs.
 *       Unit: ns per round trip.</li>
 * </ul>
 * The only implementation is {@code jdk} (Go has no counterpart in the anchors): run.sh runs it
 * on the JVM only, and the table shows the two values with no ratio.
 */
final class Floor implements Workload {
    private static final ContinuationScope SCOPE = new ContinuationScope("floor");

    @Override
    public String name() {
        return "floor";
    }

    @Override
    public List<Metric> metrics() {
        return List.of(new Metric("floor-switch", "ns/roundtrip"), new Metric("floor-handoff", "ns/roundtrip"));
    }

    @Override
    public List<Impl> impls() {
        return List.of(new Impl("jdk", Driver.PLATFORM, () -> new double[] {switches(), handoffs()}));
    }

    static double switches() {
        int n = Harness.size(10_000_000);
        long[] count = new long[2];
        Continuation a = new Continuation(SCOPE, () -> bounce(count, 0));
        Continuation b = new Continuation(SCOPE, () -> bounce(count, 1));
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            a.run();
            b.run();
        }
        long el = System.nanoTime() - t0;
        if (count[0] != n || count[1] != n) throw new AssertionError("floor: " + count[0] + ", " + count[1] + " yields, expected " + n);
        return (double) el / n;
    }

    /** Never returns: the continuation is dropped, unfinished, when the measurement ends. */
    private static void bounce(long[] count, int i) {
        for (;;) {
            count[i]++;
            yieldFrom(2);
        }
    }

    /** Yields from {@code depth} frames further down (a channel wait yields from a few frames down, too). */
    private static void yieldFrom(int depth) {
        if (depth == 0) {
            Continuation.yield(SCOPE);
        } else {
            yieldFrom(depth - 1);
        }
    }

    private static volatile int ping, pong;

    static double handoffs() throws InterruptedException {
        int n = Harness.size(10_000_000);
        ping = 0;
        pong = 0;
        Thread echo = Thread.ofPlatform().name("floor-echo").start(() -> {
            for (int i = 1; i <= n; i++) {
                while (ping != i) Thread.onSpinWait();
                pong = i;
            }
        });
        long t0 = System.nanoTime();
        for (int i = 1; i <= n; i++) {
            ping = i;
            while (pong != i) Thread.onSpinWait();
        }
        long el = System.nanoTime() - t0;
        echo.join();
        return (double) el / n;
    }
}
