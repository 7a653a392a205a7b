package dev.gort.bench;

import dev.gort.Go;
import dev.gort.GoExecutorService;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;

/**
 * exec-block: 1,000 tasks submitted at once to an unbounded executor, each blocking its thread
 * 50 ms in a JDK wait ({@code LockSupport.parkNanos}, which Gort is not told about and the
 * safepoint agent leaves alone), while a prober sleeps 1 ms at a time and records how late it
 * wakes (HdrHistogram): the scheduling latency the other goroutines see while the carriers
 * block. Metrics: ms per fan-out (first submit to last get; ideal a little over 50 ms), and the
 * prober's p99 and worst lateness in microseconds.
 *
 * <ul>
 *   <li>{@code gort}: {@code new GoExecutorService()} and a prober goroutine: each blocked carrier's
 *       processor is handed to another carrier by sysmon.</li>
 *   <li>{@code jvm-vt}: {@code Executors.newVirtualThreadPerTaskExecutor()} and a prober virtual
 *       thread: a parked virtual thread unmounts, the floor for this shape.</li>
 * </ul>
 */
final class ExecBlock implements Workload {
    private static final long BLOCK_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    @Override
    public String name() {
        return "exec-block";
    }

    @Override
    public List<Metric> metrics() {
        return List.of(new Metric("exec-block", "ms/fan-out"), new Metric("exec-block-p99", "us-late"),
            new Metric("exec-block-max", "us-late"));
    }

    @Override
    public List<Impl> impls() {
        return List.of(
            new Impl("gort", Driver.GOROUTINE, () -> run(new GoExecutorService(), prober -> Go.spawn(prober),
                () -> Go.sleep(Duration.ofMillis(1)))),
            new Impl("jvm-vt", Driver.VIRTUAL_THREAD, () -> run(Executors.newVirtualThreadPerTaskExecutor(),
                prober -> Thread.ofVirtual().start(prober), () -> Thread.sleep(1))));
    }

    interface Sleep {
        void oneMilli() throws InterruptedException;
    }

    interface Starter {
        Object start(Runnable r);
    }

    static double[] run(ExecutorService exec, Starter starter, Sleep sleep) throws Exception {
        int n = Harness.size(1_000);
        Histogram late = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
        AtomicBoolean stop = new AtomicBoolean();
        // The driver waits for the prober with the implementation's own sleep: a JDK latch would
        // block a Gort driver's carrier.
        AtomicBoolean proberDone = new AtomicBoolean(), proberSleeping = new AtomicBoolean();
        starter.start(() -> {
            try {
                while (!stop.get()) {
                    long t0 = System.nanoTime();
                    sleep.oneMilli();
                    late.recordValue(Math.max(0, System.nanoTime() - t0 - 1_000_000L));
                    proberSleeping.set(true);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                proberDone.set(true);
            }
        });
        while (!proberSleeping.get()) sleep.oneMilli(); // the prober is in its loop (a timer, not a queue) when the fan-out starts
        late.reset();
        @SuppressWarnings("unchecked")
        Future<Integer>[] fs = new Future[n];
        long sum = 0;
        double ms;
        try (exec) {
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                fs[i] = exec.submit(() -> {
                    long end = System.nanoTime() + BLOCK_NANOS;
                    for (long left; (left = end - System.nanoTime()) > 0; ) LockSupport.parkNanos(left);
                    return 1;
                });
            }
            for (int i = 0; i < n; i++) sum += fs[i].get();
            ms = (System.nanoTime() - t0) / 1e6;
        } finally {
            stop.set(true);
        }
        while (!proberDone.get()) sleep.oneMilli();
        if (sum != n) throw new AssertionError("exec-block: bad sum " + sum);
        return new double[] {ms, late.getValueAtPercentile(99) / 1e3, late.getMaxValue() / 1e3};
    }
}
