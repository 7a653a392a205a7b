package dev.gort.bench;

import dev.gort.GoExecutorService;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.Future;

/**
 * exec-submit (issue 4): 1,000,000 {@code submit} + {@code get} of a trivial task (returns its
 * index) through an ExecutorService, from the driver, with up to {@link #WINDOW} tasks in flight
 * (submit a window, then get each of its futures in order). Unit: ns per task (elapsed from the
 * first submit to the last get, / n; the executor is created before and closed after the timing).
 *
 * <ul>
 *   <li>{@code gort}: {@code new GoExecutorService()} from the driver goroutine.</li>
 *   <li>{@code jvm-vt}: {@code Executors.newVirtualThreadPerTaskExecutor()} from the driver
 *       virtual thread.</li>
 *   <li>{@code jvm-fj}: {@code new ForkJoinPool(parallelism)} (the virtual-thread scheduler's
 *       parallelism, i.e. MAXPROCS) from the driver virtual thread.</li>
 * </ul>
 */
final class ExecSubmit implements Workload {
    static final int WINDOW = 1_000;

    @Override
    public String name() {
        return "exec-submit";
    }

    @Override
    public List<Metric> metrics() {
        return List.of(new Metric("exec-submit", "ns/task"));
    }

    @Override
    public List<Impl> impls() {
        return List.of(
            new Impl("gort", Driver.GOROUTINE, () -> new double[] {run(new GoExecutorService())}),
            new Impl("jvm-vt", Driver.VIRTUAL_THREAD, () -> new double[] {run(Executors.newVirtualThreadPerTaskExecutor())}),
            new Impl("jvm-fj", Driver.VIRTUAL_THREAD, () -> new double[] {run(new ForkJoinPool(parallelism()))}));
    }

    static int parallelism() {
        return Integer.getInteger("jdk.virtualThreadScheduler.parallelism", Runtime.getRuntime().availableProcessors());
    }

    static double run(ExecutorService exec) throws Exception {
        int n = Harness.size(1_000_000);
        @SuppressWarnings("unchecked")
        Future<Integer>[] window = new Future[WINDOW];
        long sum = 0;
        try (exec) {
            long t0 = System.nanoTime();
            for (int base = 0; base < n; base += WINDOW) {
                int k = Math.min(WINDOW, n - base);
                for (int i = 0; i < k; i++) {
                    int v = base + i;
                    window[i] = exec.submit(() -> v);
                }
                for (int i = 0; i < k; i++) sum += window[i].get();
            }
            long el = System.nanoTime() - t0;
            if (sum != (long) n * (n - 1) / 2) throw new AssertionError("exec-submit: bad sum " + sum);
            return (double) el / n;
        }
    }
}
