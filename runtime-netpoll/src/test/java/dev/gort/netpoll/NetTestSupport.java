package dev.gort.netpoll;

import dev.gort.Go;
import dev.gort.sched.Scheduler;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** Helpers for the netpoll tests (the same checks as runtime-core's GoTestSupport). */
final class NetTestSupport {
    private NetTestSupport() {}

    interface ThrowingRunnable {
        void run() throws Exception;
    }

    static void runMain(ThrowingRunnable body) {
        Go.run(() -> {
            try {
                body.run();
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
    }

    static void awaitTrue(String what, long timeoutMs, BooleanSupplier cond) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("timed out waiting for: " + what + "\n" + Go.dump());
            Thread.sleep(1);
        }
    }

    /** The runtime settles back to rest: every P idle, nothing queued or spinning, no timer armed, nobody waiting for I/O. */
    static void assertAtRest() throws InterruptedException {
        awaitTrue("scheduler at rest", 10_000, () -> {
            var m = Go.metrics();
            return m.spinningThreads() == 0 && m.idleProcs() == m.processors() && m.processors() == m.maxProcs()
                && m.globalRunQueue() == 0 && m.localRunQueues() == 0 && Scheduler.get().pendingTimers() == 0
                && !Scheduler.get().netpollDriver().hasWaiters();
        });
    }

    /** Open file descriptors of this process. */
    static int openFds() {
        String[] names = new java.io.File("/proc/self/fd").list();
        return names == null ? -1 : names.length;
    }

    /** The driver the suite runs with (surefire runs it once per driver: -Dgort.netpoll=...). */
    static String expectedDriver() {
        return System.getProperty("gort.netpoll", "");
    }
}
