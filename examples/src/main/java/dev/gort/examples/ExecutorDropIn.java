package dev.gort.examples;

import dev.gort.Go;
import dev.gort.GoExecutorService;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Thread-pool code, unchanged but for the line that creates the executor: blocking tasks through
 * invokeAll, a CompletableFuture chain, and a cancel(true) that interrupts a task sleeping in
 * Thread.sleep.
 *
 * <p>What does change: a JDK blocking call in a task ({@code Thread.sleep}, blocking I/O) blocks
 * the goroutine's carrier thread, and there are only maxProcs of them, so short blocking calls
 * run about maxProcs at a time (sysmon lends a spare processor only to a carrier blocked for
 * more than 20 ms). The same tasks waiting with {@code Go.sleep} (or a channel, or a future) park
 * and all wait at once. The example times both. Run with the safepoint agent
 * ({@code java -javaagent:examples/target/examples.jar -jar examples/target/examples.jar executor})
 * and the {@code Thread.sleep} tasks park too: the agent rewrites the call.
 */
public final class ExecutorDropIn {
    public static void main(String[] args) throws Exception {
        // Was: Executors.newFixedThreadPool(200) or Executors.newVirtualThreadPerTaskExecutor()
        try (ExecutorService pool = new GoExecutorService()) {
            for (boolean gortSleep : new boolean[] {false, true}) {
                List<Callable<Integer>> tasks = new ArrayList<>();
                for (int i = 0; i < 2_000; i++) {
                    int n = i;
                    tasks.add(() -> {
                        if (gortSleep) Go.sleep(Duration.ofMillis(1)); else Thread.sleep(1);
                        return n % 7;
                    });
                }
                long t0 = System.nanoTime();
                long sum = 0;
                for (Future<Integer> f : pool.invokeAll(tasks)) sum += f.get();
                System.out.printf("invokeAll of 2,000 tasks sleeping 1 ms in %s: sum %d in %d ms%n",
                    gortSleep ? "Go.sleep (parks)"
                        : dev.gort.agent.SafepointAgent.isInstalled() ? "Thread.sleep (the agent makes it park; first round: cold)"
                        : "Thread.sleep (blocks a carrier)", sum, (System.nanoTime() - t0) / 1_000_000);
            }

            int answer = CompletableFuture.supplyAsync(() -> 20, pool)
                .thenApplyAsync(x -> x * 2, pool)
                .thenCombine(CompletableFuture.supplyAsync(() -> 2, pool), Integer::sum)
                .get(10, TimeUnit.SECONDS);
            System.out.println("CompletableFuture chain on goroutines: " + answer);

            Future<String> slow = pool.submit(() -> {
                try {
                    Thread.sleep(60_000);
                    return "overslept";
                } catch (InterruptedException e) {
                    return "interrupted";
                }
            });
            Thread.sleep(50);
            slow.cancel(true);
            System.out.println("cancel(true) of a task in Thread.sleep: cancelled=" + slow.isCancelled());
        } // close(): waits for every task
        System.out.println("executor closed");
    }
}
