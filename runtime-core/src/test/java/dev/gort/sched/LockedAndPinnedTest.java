package dev.gort.sched;

import static dev.gort.GoTestSupport.assertSchedulerAndTimersAtRest;
import static dev.gort.GoTestSupport.await;
import static dev.gort.GoTestSupport.awaitTrue;
import static dev.gort.GoTestSupport.echo;
import static dev.gort.GoTestSupport.joinAllSucceeded;
import static dev.gort.GoTestSupport.roundTrip;
import static dev.gort.GoTestSupport.runMain;
import static dev.gort.GoTestSupport.whileRepeating;
import static dev.gort.GoTestSupport.withMaxProcs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gort.Chan;
import dev.gort.Go;
import dev.gort.Goroutine;
import dev.gort.internal.GoContinuation;
import dev.gort.sync.WaitGroup;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Goroutines that cannot leave their carrier: locked to it (Go.lockOSThread) or pinned (a native
 * frame or monitor on the stack). Their waits block the carrier and lend its P to another.
 */
class LockedAndPinnedTest {
    @AfterEach
    void schedulerAtRest() throws InterruptedException {
        assertSchedulerAndTimersAtRest();
    }

    @Test
    void lockedGoroutineStaysOnItsCarrier() throws Exception {
        AtomicBoolean sameThread = new AtomicBoolean(true);
        AtomicInteger othersRan = new AtomicInteger();
        Go.run(() -> {
            Goroutine locked = Go.spawn(() -> {
                Go.lockOSThread();
                Thread mine = Thread.currentThread();
                for (int i = 0; i < 200; i++) {
                    Go.yield();
                    if (i % 20 == 0) {
                        Goroutine other = Go.spawn(othersRan::incrementAndGet);
                        try {
                            other.join(); // parks: blocks this carrier, lends the P
                        } catch (InterruptedException e) {
                            throw new AssertionError(e);
                        }
                    }
                    if (Thread.currentThread() != mine) sameThread.set(false);
                }
                Go.unlockOSThread();
            });
            for (int i = 0; i < 1000; i++) Go.spawn(othersRan::incrementAndGet);
            try {
                locked.join();
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        });
        assertTrue(sameThread.get(), "a locked goroutine moved to another carrier");
        awaitTrue("others ran", 10_000, () -> othersRan.get() == 1010);
    }

    /** A pinned goroutine that waits blocks its carrier but lends its P: the waker still runs on one P. */
    @Test
    void pinnedGoroutineWaitsWithoutDeadlockOnOneProcessor() throws Exception {
        withMaxProcs(1, () -> {
            AtomicInteger order = new AtomicInteger();
            Go.run(() -> {
                WaitGroup gate = new WaitGroup();
                gate.add(1);
                Goroutine pinned = Go.spawn(() -> {
                    GoContinuation.pinCurrent();
                    try {
                        await(gate); // cannot unmount: blocks the carrier
                        order.compareAndSet(1, 2);
                    } finally {
                        GoContinuation.unpinCurrent();
                    }
                });
                Go.spawn(() -> {
                    // runs on the P the pinned goroutine handed off
                    awaitState(pinned, Goroutine.State.WAITING);
                    order.compareAndSet(0, 1);
                    gate.done();
                });
                try {
                    pinned.join();
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            });
            assertEquals(2, order.get());
        });
    }

    private static void awaitState(Goroutine g, Goroutine.State s) {
        while (g.state() != s) Go.yield();
    }

    /**
     * Goroutines locked to their carrier, woken over and over by goroutines that are not, while
     * a platform thread unparks their carriers all the time (spurious wake-ups, which
     * LockSupport.park allows). Each locked goroutine ping-pongs with a partner and joins
     * short-lived goroutines. The waker reads the parked goroutine's blocked carrier before
     * making it runnable: after that, a carrier that woke spuriously may already have seen the
     * new status, run on and cleared the field, and a waker that read it then would queue the
     * goroutine while it still runs on its own carrier (a second carrier would mount the same
     * continuation: "Mounted!!!!", a fatal error).
     */
    @Test
    void lockedGoroutinesWokenByOthersRunOnce() throws Exception {
        int locked = 4, rounds = 20_000;
        AtomicLong total = new AtomicLong();
        List<Thread> carriers = new java.util.concurrent.CopyOnWriteArrayList<>();
        whileRepeating(() -> carriers.forEach(java.util.concurrent.locks.LockSupport::unpark), () ->
            runMain(() -> {
                List<Goroutine> all = new ArrayList<>();
                for (int k = 0; k < locked; k++) {
                    Chan<Integer> ping = Chan.make(), pong = Chan.make();
                    all.add(echo(ping, pong));
                    all.add(Go.spawn(() -> {
                        Go.lockOSThread();
                        carriers.add(Thread.currentThread()); // locked: its carrier for good
                        try {
                            for (int i = 0; i < rounds; i++) {
                                if (i % 4 == 0) {
                                    Go.spawn(total::incrementAndGet).join();
                                } else {
                                    roundTrip(ping, pong, i);
                                    total.incrementAndGet();
                                }
                            }
                            ping.close();
                        } catch (InterruptedException e) {
                            throw new RuntimeException(e);
                        } finally {
                            Go.unlockOSThread();
                        }
                    }));
                }
                joinAllSucceeded(all);
            }));
        assertEquals((long) locked * rounds, total.get());
    }
}
