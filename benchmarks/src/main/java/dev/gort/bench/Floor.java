package dev.gort.bench;

import java.util.List;
import jdk.internal.vm.Continuation;
import jdk.internal.vm.ContinuationScope;

/**
 * floor: what this machine and JDK charge for the two ways a W2 round trip can be done, and for a
 * W5 hop, with no runtime at all, so that W2's and W5's figures (and their targets) can be read
 * against the hardware.
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
 *   <li>{@code floor-ring}: W5's shape with no runtime: 503 bare continuations (W5's ring size)
 *       resumed in turn by one platform thread, each yielding at once from two frames down. One
 *       hop is one yield and one resumption of a stack last run 503 hops earlier, which is what a
 *       W5 hop on one P costs before any channel or scheduler work. Unit: ns per hop.</li>
 *   <li>{@code floor-switch-chan}, {@code floor-ring-chan}: W2's and W5's shapes again, each
 *       switch now with the least a correct channel hand-off does around it ({@link
 *       MinimalHandoff}: a channel lock, the park's commit, the status CAS, runnext), and nothing
 *       else a runtime adds. Units: ns per round trip, ns per hop.</li>
 * </ul>
 * The only implementation is {@code jdk} (Go has no counterpart in the anchors): run.sh runs it
 * on the JVM only, and the table shows the values with no ratio.
 */
final class Floor implements Workload {
    private static final ContinuationScope SCOPE = new ContinuationScope("floor");

    @Override
    public String name() {
        return "floor";
    }

    @Override
    public List<Metric> metrics() {
        return List.of(
            new Metric("floor-switch", "ns/roundtrip"),
            new Metric("floor-handoff", "ns/roundtrip"),
            new Metric("floor-ring", "ns/hop"),
            new Metric("floor-switch-chan", "ns/roundtrip"),
            new Metric("floor-ring-chan", "ns/hop"));
    }

    @Override
    public List<Impl> impls() {
        return List.of(new Impl("jdk", Driver.PLATFORM, () -> new double[] {switches(), handoffs(), ring(),
            MinimalHandoff.ring(2, Harness.size(10_000_000)) * 2, MinimalHandoff.ring(Ring.RING, Harness.size(10_000_000))}));
    }

    static double switches() {
        return roundRobin(2, Harness.size(10_000_000)) * 2; // a round trip is two hops
    }

    static double ring() {
        return roundRobin(Ring.RING, Math.max(1, Harness.size(10_000_000) / Ring.RING)); // W5's 10,000,000 hops
    }

    /** {@code k} bare continuations resumed in turn, {@code rounds} times each: ns per resumption. */
    private static double roundRobin(int k, int rounds) {
        long[] count = new long[k];
        Continuation[] cs = new Continuation[k];
        for (int i = 0; i < k; i++) {
            int me = i;
            cs[i] = new Continuation(SCOPE, () -> bounce(count, me));
        }
        long t0 = System.nanoTime();
        for (int r = 0; r < rounds; r++) {
            for (Continuation c : cs) c.run();
        }
        long el = System.nanoTime() - t0;
        for (int i = 0; i < k; i++) {
            if (count[i] != rounds) throw new AssertionError("floor: " + count[i] + " yields of continuation " + i + ", expected " + rounds);
        }
        return (double) el / ((long) rounds * k);
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
