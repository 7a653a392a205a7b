package dev.gort.bench;

import dev.gort.Go;
import dev.gort.agent.SafepointAgent;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * W7 fairness (anchors/jvm/Fairness.java, anchors/go fairness): two goroutines spin in a pure CPU
 * loop (no calls, no allocation) for about 3 s on 2 processors while a third sleeps 1 ms in a
 * loop and records how late each wake-up is. Metrics, in ms: the largest and the 99th-percentile
 * lateness of the wake-ups whose sleep overlapped the spinning window. A runtime that cannot
 * preempt the spinners makes the sleeper wait for the whole window.
 *
 * <ul>
 *   <li>{@code gort}: goroutines; the sleeper uses {@link Go#sleep}. The spin loop has no
 *       runtime call: only the safepoint agent ({@code -javaagent:benchmarks.jar}, which
 *       benchmarks/run.sh passes for this workload) can preempt it, by its poll at the loop's
 *       back-edge. Without the agent a WARNING says so (sysmon then lends a spinner's processor
 *       to a spare carrier after 20 ms, and the operating system shares the two CPUs among three
 *       threads).</li>
 *   <li>{@code jvm-vt}: the anchor's body: virtual threads, {@code Thread.sleep(1)}.</li>
 * </ul>
 * Each implementation calibrates its own spin count at its first repetition (preempted
 * spinners and the agent's poll change the rate), as the anchors do: a single run to estimate the rate,
 * then a concurrent pair run, adjusted to make the pair take about 3 s. {@code -Dfairness.ms=N}
 * changes the window (smoke tests).
 */
final class Fairness implements Workload {
    private static final long WINDOW_NANOS = Long.getLong("fairness.ms", 3000) * 1_000_000L;
    private static final Map<String, Long> SPIN_N = new HashMap<>();
    static final long[] SINK = new long[3];

    @Override
    public String name() {
        return "fairness";
    }

    @Override
    public List<Metric> metrics() {
        return List.of(new Metric("fairness-max", "ms"), new Metric("fairness-p99", "ms"));
    }

    @Override
    public List<Impl> impls() {
        return List.of(
            new Impl("gort", Driver.GOROUTINE, () -> run("gort", new GortSide())),
            new Impl("jvm-vt", Driver.VIRTUAL_THREAD, () -> run("jvm-vt", new VirtualThreadSide())));
    }

    /** Pure CPU loop: no calls, no allocation (the anchors' loop). */
    static long spin(long n) {
        long x = 1;
        for (long i = 0; i < n; i++) x = x * 6364136223846793005L + 1442695040888963407L;
        return x;
    }

    /** How one implementation starts the three parties. */
    interface Side {
        /** Starts a party running body; returns something to join. */
        Object start(Runnable body);

        void join(Object party) throws InterruptedException;

        /** A 1 ms sleep. */
        void sleep1ms() throws InterruptedException;
    }

    static final class GortSide implements Side {
        @Override
        public Object start(Runnable body) {
            return Go.spawn(body);
        }

        @Override
        public void join(Object party) throws InterruptedException {
            ((dev.gort.Goroutine) party).join();
        }

        @Override
        public void sleep1ms() throws InterruptedException {
            Go.sleep(Duration.ofMillis(1));
        }
    }

    static final class VirtualThreadSide implements Side {
        @Override
        public Object start(Runnable body) {
            return Thread.ofVirtual().start(body);
        }

        @Override
        public void join(Object party) throws InterruptedException {
            ((Thread) party).join();
        }

        @Override
        public void sleep1ms() throws InterruptedException {
            Thread.sleep(1);
        }
    }

    static double[] run(String impl, Side side) throws InterruptedException {
        if (impl.equals("gort") && !SafepointAgent.isInstalled()) {
            System.out.println("WARNING fairness gort: no safepoint agent (-javaagent:benchmarks.jar): the spinners cannot be preempted");
        }
        Long n = SPIN_N.get(impl);
        if (n == null) {
            SPIN_N.put(impl, n = calibrate(impl, side));
        }
        return measure(side, n);
    }

    private static long calibrate(String impl, Side side) throws InterruptedException {
        for (int k = 0; k < 5; k++) SINK[2] += spin(50_000_000L); // compile spin
        long t0 = System.nanoTime();
        SINK[2] += spin(200_000_000L);
        long n = (long) (200e6 * WINDOW_NANOS / (System.nanoTime() - t0));
        long s = System.nanoTime();
        long e = spinners(side, n, new long[2], null);
        n = (long) (n * (double) WINDOW_NANOS / (e - s));
        System.out.printf(Locale.ROOT, "INFO fairness %s spin calibration: %d iterations per spinner (pair run took %.3f s before adjusting)%n",
            impl, n, (e - s) / 1e9);
        return n;
    }

    /** Runs the two spinners to the end; returns when the last one ended (System.nanoTime). */
    private static long spinners(Side side, long n, long[] ends, AtomicInteger done) throws InterruptedException {
        Object[] sp = new Object[2];
        for (int j = 0; j < 2; j++) {
            int jj = j;
            sp[j] = side.start(() -> {
                SINK[jj] = spin(n);
                ends[jj] = System.nanoTime();
                if (done != null) done.incrementAndGet();
            });
        }
        side.join(sp[0]);
        side.join(sp[1]);
        return Math.max(ends[0], ends[1]);
    }

    private static double[] measure(Side side, long n) throws InterruptedException {
        int cap = 100_000;
        long[] t0s = new long[cap], t1s = new long[cap];
        AtomicInteger count = new AtomicInteger(), spinnersDone = new AtomicInteger();
        Throwable[] failure = new Throwable[1];
        Object sleeper = side.start(() -> {
            try {
                for (int k = 0; k < cap; k++) {
                    long a = System.nanoTime();
                    side.sleep1ms();
                    long b = System.nanoTime();
                    t0s[k] = a;
                    t1s[k] = b;
                    count.set(k + 1); // publishes t0s[k], t1s[k]
                    if (k > 20 && spinnersDone.get() == 2) break;
                }
            } catch (InterruptedException e) {
                failure[0] = e;
                count.set(-1);
            }
        });
        // Wait for 20 wake-ups before the spinners start (the anchors' "ready"), sleeping as the
        // side does: a JDK latch would block a goroutine's carrier.
        while (count.get() >= 0 && count.get() <= 20) side.sleep1ms();
        long start = System.nanoTime();
        long end = spinners(side, n, new long[2], spinnersDone);
        side.join(sleeper);
        if (failure[0] != null) throw new IllegalStateException("fairness: the sleeper failed", failure[0]);
        int c = count.get();
        double[] late = new double[c];
        int m = 0;
        for (int k = 0; k < c; k++) {
            if (t1s[k] > start && t0s[k] < end) late[m++] = (t1s[k] - t0s[k]) / 1e6 - 1.0;
        }
        late = Arrays.copyOf(late, m);
        System.out.printf(Locale.ROOT, "INFO fairness rep: spin window %.3f s, %d wake-ups in window%n", (end - start) / 1e9, m);
        return new double[] {percentile(late, 1.0), percentile(late, 0.99)};
    }

    static double percentile(double[] xs, double p) {
        double[] s = xs.clone();
        Arrays.sort(s);
        if (s.length == 0) return Double.NaN;
        int i = (int) Math.ceil(p * s.length) - 1;
        return s[Math.max(i, 0)];
    }
}
