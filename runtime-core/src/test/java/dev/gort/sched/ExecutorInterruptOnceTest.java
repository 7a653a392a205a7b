package dev.gort.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gort.Go;
import dev.gort.GoExecutorService;
import dev.gort.GoTestSupport;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * An executor task's interrupt (cancel(true)) is delivered once: to the goroutine's status and,
 * while it is mounted, to its carrier's flag as a mirror, and consuming it (InterruptedException
 * from a Gort wait, Go.interrupted()) clears both for good. With 3 processors and two platform
 * threads cancelling thousands of tasks a run, each of these ways to see one interrupt twice
 * fails the test in every run (a carrier's flag still set after a task, a status still set, or
 * the next sleep interrupted):
 * <ul>
 *   <li>The interrupter readies a task parked in Go.sleep, which runs on another carrier, throws
 *       and clears status and flag before the interrupter reaches its carrier step: that step
 *       must not set the flag after it.</li>
 *   <li>A carrier found with its flag set at unmount must not take the mirror for the task's
 *       own Thread.currentThread().interrupt() and interrupt the goroutine again after
 *       requeueing it, by which time it may have consumed the interrupt on another carrier.</li>
 *   <li>Go.interrupted() takes the flag before it reads the status: the other way round, an
 *       interrupt between the two would have its mirror consumed (true returned) and its status
 *       left set.</li>
 * </ul>
 * The carrier's flag is read with {@link CarrierLookup#carrierInterrupted}, never inlined: a
 * compiled task may reuse a read of Thread.currentThread() from before its park, another
 * goroutine's carrier by then.
 */
class ExecutorInterruptOnceTest {
    @AfterEach
    void atRest() throws InterruptedException {
        GoTestSupport.assertSchedulerAtRest();
    }

    @Test
    void aCancelInterruptsATaskOnce() throws Exception {
        long seed = Long.getLong("gort.test.seed", System.nanoTime());
        int rounds = 15_000;
        int old = Go.setMaxProcs(3);
        try (GoExecutorService exec = new GoExecutorService()) {
            AtomicInteger seen = new AtomicInteger(), flagAfter = new AtomicInteger(), statusAfter = new AtomicInteger(),
                    nextSleepInterrupted = new AtomicInteger();
            List<Thread> cancellers = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                SplittableRandom rnd = new SplittableRandom(seed + t);
                Thread th = new Thread(() -> {
                    for (int i = 0; i < rounds; i++) {
                        int kind = rnd.nextInt(3);
                        Future<?> f = exec.submit(() -> {
                            try {
                                switch (kind) {
                                    case 0 -> { // parked: the interrupter readies it, then mirrors
                                        Go.sleep(Duration.ofSeconds(60));
                                        return null; // not interrupted: nothing to check
                                    }
                                    case 1 -> { // running: the status is seen, then consumed by a wait
                                        while (!Go.current().isInterrupted()) Go.yield();
                                        Go.sleep(Duration.ofSeconds(60));
                                    }
                                    default -> { // running: consumed by Go.interrupted()
                                        while (!Go.interrupted()) Go.yield();
                                    }
                                }
                            } catch (InterruptedException e) {
                                // the one delivery
                            }
                            seen.incrementAndGet();
                            if (CarrierLookup.carrierInterrupted(false)) flagAfter.incrementAndGet();
                            if (Go.current().isInterrupted()) statusAfter.incrementAndGet();
                            try {
                                Go.sleep(Duration.ofNanos(1_000));
                            } catch (InterruptedException e) {
                                nextSleepInterrupted.incrementAndGet();
                            }
                            return null;
                        });
                        int spin = rnd.nextInt(3_000);
                        for (int k = 0; k < spin; k++) Thread.onSpinWait();
                        f.cancel(true);
                    }
                }, "canceller-" + t);
                th.start();
                cancellers.add(th);
            }
            for (Thread th : cancellers) th.join();
            GoTestSupport.awaitTrue("no task running", 20_000, () -> exec.toString().contains("running tasks = 0"));
            String counts = "seed " + seed + ": " + seen + " interrupted tasks; carrier flag still set after "
                    + flagAfter + ", status still set after " + statusAfter + ", next sleep interrupted in " + nextSleepInterrupted;
            assertTrue(seen.get() > 0, counts);
            assertEquals(0, flagAfter.get() + statusAfter.get() + nextSleepInterrupted.get(), counts);
        } finally {
            Go.setMaxProcs(old);
        }
    }
}
