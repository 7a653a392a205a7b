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

    /** Runs body with maxProcs set to n, restoring the previous value after. */
    static void withMaxProcs(int n, ThrowingRunnable body) throws Exception {
        int old = Go.setMaxProcs(n);
        try {
            body.run();
        } finally {
            Go.setMaxProcs(old);
        }
    }

    interface ThrowingRunnable {
        void run() throws Exception;
    }
}
