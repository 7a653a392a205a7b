package dev.gort;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Java's interrupt idiom, {@code catch (InterruptedException e) { Thread.currentThread().interrupt(); }},
 * inside a plain goroutine: it sets the carrier thread's flag, which follows the goroutine. It
 * becomes the goroutine's own status when the goroutine leaves the carrier, so the goroutine's
 * next wait throws, as a thread's would, and no other goroutine on that carrier ever sees it.
 * Everything runs on one processor, so the goroutines share their carriers one after another.
 * (A goroutine reads {@code Thread.currentThread()} only before its first park or yield, or
 * where any carrier's answer would do: with one processor no other goroutine runs meanwhile.)
 */
class InterruptIdiomTest {
    /** A wait long enough that a test fails on a wait that was not interrupted, not on a timeout of its own. */
    private static final Duration LONG = Duration.ofSeconds(2);

    @AfterEach
    void atRest() throws InterruptedException {
        GoTestSupport.assertSchedulerAtRest();
        GoTestSupport.awaitTrue("no timer left armed", 10_000, () -> dev.gort.sched.Scheduler.get().pendingTimers() == 0);
    }

    /**
     * The calling goroutine is interrupted, its wait throws, and the catch block restores the
     * interrupt with Java's idiom. @return the carrier whose flag the idiom set
     */
    private static Thread interruptedWaitThenIdiom() {
        Go.current().interrupt();
        try {
            Go.sleep(LONG); // the status is set: throws at once, status cleared, no park
            throw new AssertionError("a wait with the status set did not throw");
        } catch (InterruptedException e) {
            Thread carrier = Thread.currentThread();
            carrier.interrupt(); // the idiom
            return carrier;
        }
    }

    /**
     * Goroutine A uses the idiom and then ends, yields or parks in a Gort wait; goroutines B
     * spawned after it (queued behind it, or once it has used the idiom) must not see an
     * interrupt: neither JDK code reading the carrier's flag (a counted-down latch's await
     * throws if it is set) nor a Gort wait. Repeated over carrier reuse.
     */
    @Test
    void theIdiomNeverReachesTheNextGoroutinesOnTheCarrier() throws Exception {
        GoTestSupport.withMaxProcs(1, () -> {
            int rounds = 300, bs = 4;
            CountDownLatch open = new CountDownLatch(0);
            AtomicInteger sameCarrier = new AtomicInteger();
            List<String> leaks = Collections.synchronizedList(new ArrayList<>());
            for (int round = 0; round < rounds; round++) {
                int then = round % 3; // 0: A ends, 1: A yields, 2: A parks in Go.sleep
                boolean queuedBehind = (round / 3) % 2 == 0;
                AtomicReference<Thread> aCarrier = new AtomicReference<>();
                CountDownLatch idiomUsed = new CountDownLatch(1);
                List<Goroutine> gs = new ArrayList<>();
                gs.add(Go.spawn(() -> {
                    aCarrier.set(interruptedWaitThenIdiom());
                    idiomUsed.countDown();
                    if (then == 1) {
                        Go.yield();
                    } else if (then == 2) {
                        try {
                            Go.sleep(Duration.ofMillis(1));
                        } catch (InterruptedException e) {
                            // the idiom's status (theIdiomsNextWaitThrowsLikeAThreads)
                        }
                    }
                }));
                if (!queuedBehind) assertTrue(idiomUsed.await(10, java.util.concurrent.TimeUnit.SECONDS));
                int r = round;
                for (int b = 0; b < bs; b++) {
                    int id = b;
                    gs.add(Go.spawn(() -> {
                        if (Thread.currentThread() == aCarrier.get()) sameCarrier.incrementAndGet();
                        try {
                            open.await(); // JDK: throws if the carrier's flag is set
                        } catch (InterruptedException e) {
                            leaks.add("round " + r + " (A then " + then + "): B" + id + "'s latch await threw");
                        }
                        try {
                            Go.sleep(Duration.ofNanos(1_000)); // Gort: throws if this goroutine's status is set
                        } catch (InterruptedException e) {
                            leaks.add("round " + r + " (A then " + then + "): B" + id + "'s Go.sleep threw");
                        }
                    }));
                }
                for (Goroutine g : gs) g.join();
            }
            assertEquals(List.of(), leaks.subList(0, Math.min(leaks.size(), 10)), leaks.size() + " leaks");
            assertTrue(sameCarrier.get() > 0, "no B ever ran on its A's carrier: the test tried nothing");
        });
    }

    /** How each of A's ways to wait after the idiom ended. */
    private record Ending(String how, Object thrown, boolean statusAfter, boolean carrierFlagAfter) {}

    /**
     * After the idiom, the goroutine's next interruptible wait throws InterruptedException and
     * clears the status, whether it parks at once (Go.sleep, a select with a timeout) or first
     * yields; after the yield the interrupt is the goroutine's status
     * (Go.current().isInterrupted() true) and no longer its carrier's flag
     * (Thread.currentThread().isInterrupted() false: the carrier's, see Goroutine#interrupt()).
     */
    @Test
    void theIdiomsNextWaitThrowsLikeAThreads() throws Exception {
        GoTestSupport.withMaxProcs(1, () -> {
            Chan<Integer> never = Chan.make();
            for (int round = 0; round < 100; round++) {
                for (int how = 0; how < 3; how++) {
                    int h = how;
                    AtomicReference<Ending> out = new AtomicReference<>();
                    AtomicReference<String> afterYield = new AtomicReference<>("not reached");
                    Go.spawn(() -> {
                        interruptedWaitThenIdiom();
                        Object thrown = null;
                        try {
                            switch (h) {
                                case 0 -> Go.sleep(LONG);
                                case 1 -> new Select().recv(never, v -> {}).after(LONG, () -> {}).run();
                                default -> {
                                    Go.yield();
                                    afterYield.set(Go.current().isInterrupted() + " " + Thread.currentThread().isInterrupted());
                                    Go.sleep(LONG);
                                }
                            }
                        } catch (Throwable t) {
                            thrown = t;
                        }
                        out.set(new Ending(String.valueOf(h), thrown == null ? "nothing" : thrown.getClass().getSimpleName(),
                                Go.current().isInterrupted(), Thread.currentThread().isInterrupted()));
                    }).join();
                    assertEquals(new Ending(String.valueOf(h), "InterruptedException", false, false), out.get(), "round " + round);
                    if (h == 2) assertEquals("true false", afterYield.get(), "status, carrier flag after the yield; round " + round);
                }
            }
        });
    }

    /** Go.interrupted() counts the idiom's flag at once, while the goroutine is still mounted, and clears it. */
    @Test
    void goInterruptedConsumesTheIdiomAtOnce() throws Exception {
        GoTestSupport.withMaxProcs(1, () -> {
            AtomicReference<String> seen = new AtomicReference<>();
            Go.spawn(() -> {
                interruptedWaitThenIdiom();
                boolean first = Go.interrupted();
                boolean second = Go.interrupted();
                Go.yield(); // nothing left to carry over
                seen.set(first + " " + second + " " + Go.current().isInterrupted());
            }).join();
            assertEquals("true false false", seen.get());
        });
    }
}
