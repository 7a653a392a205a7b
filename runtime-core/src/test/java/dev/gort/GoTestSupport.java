package dev.gort;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** Helpers shared by the runtime's tests. */
final class GoTestSupport {
    private GoTestSupport() {}

    /** Waits (polling, platform thread) until the condition holds; fails after timeoutMs. */
    static void awaitTrue(String what, long timeoutMs, BooleanSupplier cond) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("timed out waiting for: " + what + "\n" + Go.dump());
            Thread.sleep(1);
        }
    }

    /** Runs body as the main goroutine of a Go.run, turning checked exceptions into failures. */
    static void runMain(ThrowingRunnable body) {
        Go.run(() -> {
            try {
                body.run();
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
    }

    /** Runs body with maxProcs set to n, restoring the previous value after. */
    static void withMaxProcs(int n, ThrowingRunnable body) throws Exception {
        int old = Go.setMaxProcs(n);
        // Busy Ps retire when their carrier next looks for work: wait until only n are left.
        awaitTrue("processors down to " + n, 10_000, () -> Go.metrics().processors() == n);
        try {
            body.run();
        } finally {
            Go.setMaxProcs(old);
        }
    }

    /**
     * After a test: the runtime must settle back to rest, every processor idle and no M left
     * counted as spinning (a leaked count stops wake-ups and deadlock detection).
     */
    static void assertSchedulerAtRest() throws InterruptedException {
        awaitTrue("scheduler at rest", 10_000, () -> {
            var m = Go.metrics();
            return m.spinningThreads() == 0 && m.idleProcs() == m.processors() && m.processors() == m.maxProcs()
                && m.globalRunQueue() == 0 && m.localRunQueues() == 0;
        });
    }

    interface ThrowingRunnable {
        void run() throws Exception;
    }
}
