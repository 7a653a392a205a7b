package dev.gort;

import java.util.function.BooleanSupplier;

/** GoTestSupport for tests in other packages. */
public final class GoTestSupportAccess {
    private GoTestSupportAccess() {}

    public static void awaitWaiting(Goroutine g) throws InterruptedException {
        GoTestSupport.awaitTrue("goroutine waiting", 10_000, () -> g.state() == Goroutine.State.WAITING);
    }

    public static void awaitTrue(BooleanSupplier cond) throws InterruptedException {
        GoTestSupport.awaitTrue("condition", 10_000, cond);
    }

    public static void awaitTrueFor(long timeoutMs, BooleanSupplier cond) throws InterruptedException {
        GoTestSupport.awaitTrue("condition", timeoutMs, cond);
    }

    public static void assertSchedulerAtRest() throws InterruptedException {
        GoTestSupport.assertSchedulerAtRest();
    }
}
