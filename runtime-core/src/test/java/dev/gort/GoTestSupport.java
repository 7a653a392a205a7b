package dev.gort;

import dev.gort.sync.WaitGroup;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

/** Helpers shared by the runtime's tests, in every package. */
public final class GoTestSupport {
    private GoTestSupport() {}

    /** Waits (polling, platform thread) until the condition holds; fails after timeoutMs. */
    public static void awaitTrue(String what, long timeoutMs, BooleanSupplier cond) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("timed out waiting for: " + what + "\n" + Go.dump());
            Thread.sleep(1);
        }
    }

    /** Waits (polling, platform thread) until g is parked. */
    public static void awaitWaiting(Goroutine g) throws InterruptedException {
        awaitTrue("goroutine waiting", 10_000, () -> g.state() == Goroutine.State.WAITING);
    }

    /** wg.await() in a goroutine body, where an interrupt is a test failure. */
    public static void await(WaitGroup wg) {
        try {
            wg.await();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    /** Runs body as the main goroutine of a Go.run, turning checked exceptions into failures. */
    public static void runMain(ThrowingRunnable body) {
        Go.run(() -> {
            try {
                body.run();
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
    }

    /** Runs body with maxProcs set to n, restoring the previous value after. */
    public static void withMaxProcs(int n, ThrowingRunnable body) throws Exception {
        int old = Go.setMaxProcs(n);
        // Busy Ps retire when their carrier next looks for work: wait until only n are left.
        awaitTrue("processors down to " + n, 10_000, () -> Go.metrics().processors() == n);
        try {
            body.run();
        } finally {
            Go.setMaxProcs(old);
        }
    }

    /** Runs body while a daemon platform thread repeats step; stops and joins that thread after. */
    public static void whileRepeating(Runnable step, ThrowingRunnable body) throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        Thread t = Thread.ofPlatform().daemon().start(() -> {
            while (!stop.get()) {
                step.run();
                Thread.onSpinWait();
            }
        });
        try {
            body.run();
        } finally {
            stop.set(true);
            t.join();
        }
    }

    /** The echo half of a ping-pong pair: answers each v on ping with v + 1 on pong, until ping closes. */
    public static Goroutine echo(Chan<Integer> ping, Chan<Integer> pong) {
        return Go.spawn(() -> {
            try {
                for (Integer v : ping) pong.send(v + 1);
            } catch (InterruptedException e) {
                throw new RuntimeException(e);
            }
        });
    }

    /** One round trip with an {@link #echo}. */
    public static void roundTrip(Chan<Integer> ping, Chan<Integer> pong, int i) throws InterruptedException {
        ping.send(i);
        if (pong.receive() != i + 1) throw new AssertionError("pong " + i);
    }

    /** Joins every goroutine, then asserts that none failed. */
    public static void joinAllSucceeded(List<Goroutine> all) throws InterruptedException {
        for (Goroutine g : all) g.join();
        for (Goroutine g : all) {
            if (g.failure() != null) throw new AssertionError(g + " failed", g.failure());
        }
    }

    /**
     * After a test: the runtime must settle back to rest, every processor idle and no M left
     * counted as spinning (a leaked count stops wake-ups and deadlock detection).
     */
    public static void assertSchedulerAtRest() throws InterruptedException {
        awaitTrue("scheduler at rest", 10_000, () -> {
            var m = Go.metrics();
            return m.spinningThreads() == 0 && m.idleProcs() == m.processors() && m.processors() == m.maxProcs()
                && m.globalRunQueue() == 0 && m.localRunQueues() == 0;
        });
    }

    /** assertSchedulerAtRest, and no timer left armed. */
    public static void assertSchedulerAndTimersAtRest() throws InterruptedException {
        assertSchedulerAtRest();
        awaitTrue("no timer left armed", 10_000, () -> dev.gort.sched.Scheduler.get().pendingTimers() == 0);
    }

    public interface ThrowingRunnable {
        void run() throws Exception;
    }
}
