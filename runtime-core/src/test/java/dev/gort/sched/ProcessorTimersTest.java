package dev.gort.sched;

import static dev.gort.GoTestSupport.assertSchedulerAndTimersAtRest;
import static dev.gort.GoTestSupport.awaitTrue;
import static dev.gort.GoTestSupport.withMaxProcs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gort.Go;
import dev.gort.Goroutine;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A P's timers when the P changes hands: handed off by a carrier that blocks (a locked
 * goroutine's wait, Go.blocking) or retired by setMaxProcs, its timers still fire, once.
 */
class ProcessorTimersTest {
    @AfterEach
    void schedulerAtRest() throws InterruptedException {
        assertSchedulerAndTimersAtRest();
    }

    /**
     * A timer armed on a P that is then handed off without its carrier looking for work: a
     * locked goroutine's Go.sleep (its park blocks the carrier, the P is lent out) and a timer
     * armed just before Go.blocking. handoffp must leave such a P to a carrier that watches its
     * timers: put on the idle list while the other P is idle too and its carrier parked without
     * the timer-sleeper role, the P's timer would never run (every P idle, "timers armed: 1, next
     * in -5000 ms").
     */
    @Test
    void timersOfAProcessorHandedOffStillFire() throws Exception {
        for (int procs = 2; procs <= 4; procs++) {
            withMaxProcs(procs, () -> {
                for (int round = 0; round < 20; round++) {
                    int r = round;
                    Goroutine locked = Go.spawn(() -> {
                        Go.lockOSThread();
                        try {
                            long t0 = System.nanoTime();
                            Go.sleep(java.time.Duration.ofMillis(1));
                            assertTrue(System.nanoTime() - t0 >= 1_000_000L, "woke early");
                        } catch (InterruptedException e) {
                            throw new AssertionError(e);
                        } finally {
                            Go.unlockOSThread();
                        }
                    });
                    awaitTrue("locked goroutine's sleep, round " + r + ", " + Go.maxProcs() + " Ps", 5_000,
                        () -> !locked.isAlive());
                    java.util.concurrent.CountDownLatch fired = new java.util.concurrent.CountDownLatch(1);
                    AtomicBoolean ok = new AtomicBoolean();
                    Goroutine blocker = Go.spawn(() -> {
                        dev.gort.time.Timer.afterFunc(java.time.Duration.ofMillis(1), fired::countDown);
                        try {
                            ok.set(Go.blocking(() -> fired.await(5, java.util.concurrent.TimeUnit.SECONDS)));
                        } catch (Exception e) {
                            throw new AssertionError(e);
                        }
                    });
                    blocker.join();
                    assertTrue(ok.get(), "round " + r + ", " + Go.maxProcs() + " Ps: the timer did not fire during a blocking call\n" + Go.dump());
                }
            });
        }
    }

    /**
     * One P, a few goroutines sleeping 100 us at a time, half of them locked to their carriers.
     * A spinning carrier that gives its P to a locked goroutine's carrier waiting for one
     * (findRunnable's giveToWaiter) stops counting as spinning before it lets go of the P.
     * Otherwise the locked goroutine runs on that P, sleeps and hands the P off (handoffp), sees
     * the stale spinner, starts nobody and leaves the P idle, trusting the spinner to look at the
     * timers; the spinner goes idle without the timer-sleeper role, and every goroutine sleeps
     * for good beside an idle P ("timers armed: 4, next in -59883 ms"; mostly in the first round).
     */
    @Test
    void lockedSleepersSharingOneProcessorAllWake() throws Exception {
        long seed = 20_260_801L;
        java.util.Random rnd = new java.util.Random(seed);
        withMaxProcs(1, () -> {
            for (int round = 0; round < 30; round++) {
                int n = 3 + rnd.nextInt(4);
                java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(n);
                AtomicLong sink = new AtomicLong();
                for (int i = 0; i < n; i++) {
                    boolean lock = i % 2 == 0;
                    int spin = 10_000 + rnd.nextInt(20_000);
                    Go.spawn(() -> {
                        if (lock) Go.lockOSThread();
                        try {
                            for (int k = 0; k < 100; k++) {
                                long x = 1;
                                for (int j = 0; j < spin; j++) x = x * 31 + j;
                                sink.addAndGet(x);
                                Go.sleep(java.time.Duration.ofNanos(100_000));
                            }
                        } catch (InterruptedException e) {
                            throw new AssertionError(e);
                        } finally {
                            if (lock) Go.unlockOSThread();
                            done.countDown();
                        }
                    });
                }
                assertTrue(done.await(10, java.util.concurrent.TimeUnit.SECONDS),
                    "seed " + seed + ", round " + round + ", " + n + " goroutines: sleepers never woke\n" + Go.dump());
            }
        });
    }

    /**
     * Timers of a processor that setMaxProcs retires move to a live one while other threads may
     * be deleting them. A delete that comes during the move waits for it and then finds the timer
     * in its new heap: were the timer in no heap for a moment (drained under one heap's lock,
     * added under the other's), the delete would answer "not armed" and the timer would stay
     * armed in its new heap (Timer.stop() false, and the timer fires anyway). The seam runs in
     * the move; a platform thread deletes every timer meanwhile.
     */
    @Test
    void timersDeletedWhileTheirProcessorRetiresAreDeleted() throws Exception {
        Scheduler s = Scheduler.get();
        int procs = Go.maxProcs();
        List<TimerEntry> timers = java.util.Collections.synchronizedList(new ArrayList<>());
        AtomicInteger fired = new AtomicInteger();
        try {
            Go.setMaxProcs(4);
            // arm timers from goroutines on every processor (each arms on the P it runs on)
            List<Goroutine> gs = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                gs.add(Go.spawn(() -> {
                    TimerEntry t = new TimerEntry(fired::incrementAndGet);
                    s.addTimer(t, System.nanoTime() + 60_000_000_000L);
                    timers.add(t);
                }));
            }
            for (Goroutine g : gs) g.join();
            int before = s.pendingTimers();
            assertTrue(before >= 40, "armed " + before);
            AtomicInteger notArmed = new AtomicInteger();
            List<Thread> deleters = new ArrayList<>();
            java.util.concurrent.atomic.AtomicBoolean first = new java.util.concurrent.atomic.AtomicBoolean();
            Procs.timerMoveHookForTests = () -> {
                if (!first.compareAndSet(false, true)) return; // the first move: every timer is still armed
                Thread d = Thread.ofPlatform().start(() -> {
                    List<TimerEntry> copy;
                    synchronized (timers) {
                        copy = new ArrayList<>(timers);
                    }
                    for (TimerEntry t : copy) {
                        if (!s.deleteTimer(t)) notArmed.incrementAndGet();
                    }
                });
                deleters.add(d);
                try {
                    d.join(200); // it waits for the heap locks the move holds: let it
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            };
            try {
                Go.setMaxProcs(1);
            } finally {
                Procs.timerMoveHookForTests = null;
            }
            for (Thread d : deleters) d.join(10_000);
            assertTrue(!deleters.isEmpty(), "no processor retired with timers to move");
            assertEquals(0, notArmed.get(), "deletes that found an armed timer in no heap");
            assertEquals(0, s.pendingTimers(), "timers left armed");
            assertEquals(0, fired.get());
        } finally {
            Procs.timerMoveHookForTests = null;
            synchronized (timers) {
                for (TimerEntry t : timers) s.deleteTimer(t);
            }
            Go.setMaxProcs(procs);
        }
    }
}
