package dev.gort.bench;

import dev.gort.Go;
import dev.gort.GoExecutorService;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.Future;

/**
 * exec-sleep (the ExecutorService comparisons): a fan-out of 10,000 tasks that each block 1 ms, submitted at once, then
 * every future's {@code get}. Gort's tasks block in {@code Go.sleep} (the goroutine parks), the
 * JDK executors' in {@code Thread.sleep} (a virtual thread unmounts; a ForkJoinPool worker
 * blocks). Unit: ms per fan-out (first submit to last get). 10,000 ms of sleeping in all, so
 * the ideal is a little over 1 ms.
 *
 * <ul>
 *   <li>{@code gort}: {@code new GoExecutorService()} from the driver goroutine.</li>
 *   <li>{@code jvm-vt}: {@code Executors.newVirtualThreadPerTaskExecutor()}, driver virtual thread.</li>
 *   <li>{@code jvm-fj}: {@code new ForkJoinPool(parallelism)}, driver virtual thread: at most
 *       parallelism sleeps at a time, so ~10,000 / parallelism ms.</li>
 * </ul>
 */
final class ExecSleep implements Workload {
    @Override
    public String name() {
        return "exec-sleep";
    }

    @Override
    public List<Metric> metrics() {
        return List.of(new Metric("exec-sleep", "ms/fan-out"));
    }

    @Override
    public List<Impl> impls() {
        return List.of(
            new Impl("gort", Driver.GOROUTINE, () -> new double[] {run(new GoExecutorService(), () -> {
                Go.sleep(Duration.ofMillis(1));
                return 1;
            })}),
            new Impl("jvm-vt", Driver.VIRTUAL_THREAD, () -> new double[] {run(Executors.newVirtualThreadPerTaskExecutor(), () -> {
                Thread.sleep(1);
                return 1;
            })}),
            new Impl("jvm-fj", Driver.VIRTUAL_THREAD, () -> new double[] {run(new ForkJoinPool(ExecSubmit.parallelism()), () -> {
                Thread.sleep(1);
                return 1;
            })}));
    }

    static double run(ExecutorService exec, Callable<Integer> task) throws Exception {
        int n = Harness.size(10_000);
        @SuppressWarnings("unchecked")
        Future<Integer>[] fs = new Future[n];
        long sum = 0;
        try (exec) {
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) fs[i] = exec.submit(task);
            for (int i = 0; i < n; i++) sum += fs[i].get();
            long el = System.nanoTime() - t0;
            if (sum != n) throw new AssertionError("exec-sleep: bad sum " + sum);
            return el / 1e6;
        }
    }
}
