package dev.gort.sched;

import static dev.gort.GoTestSupport.assertSchedulerAndTimersAtRest;
import static dev.gort.GoTestSupport.assertSchedulerAtRest;
import static dev.gort.GoTestSupport.awaitTrue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.gort.Go;
import dev.gort.Goroutine;
import dev.gort.sync.WaitGroup;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A carrier blocked in a call does not stop the other goroutines: told (Go.blocking hands its P
 * off) or not (sysmon gives a spare P to a carrier stuck past the retake delay).
 */
class BlockedCarrierTest {
    @AfterEach
    void schedulerAtRest() throws InterruptedException {
        assertSchedulerAndTimersAtRest();
    }

    /** Go.blocking on every P at once: the Ps go to other carriers, short goroutines still run. */
    @Test
    void blockingCallsOnEveryProcessorDoNotStopOthers() throws Exception {
        int procs = Go.maxProcs();
        long before = Go.metrics().blockingCalls();
        WaitGroup entered = new WaitGroup();
        entered.add(procs);
        List<Goroutine> sleepers = new ArrayList<>();
        for (int i = 0; i < procs; i++) {
            sleepers.add(Go.spawn(() -> {
                try {
                    Go.blocking(() -> {
                        entered.done();
                        Thread.sleep(500);
                        return null;
                    });
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            }));
        }
        entered.await();
        assertOthersRunWhile(sleepers);
        assertEquals(before + procs, Go.metrics().blockingCalls());
        for (Goroutine g : sleepers) g.join();
    }

    /** A plain Thread.sleep in goroutines on every P: sysmon adds spare Ps after the retake delay. */
    @Test
    void plainBlockingOnEveryProcessorIsRetaken() throws Exception {
        int procs = Go.maxProcs();
        long retakesBefore = Go.metrics().stuckRetakes();
        CountDown entered = new CountDown(procs);
        List<Goroutine> sleepers = new ArrayList<>();
        for (int i = 0; i < procs; i++) {
            sleepers.add(Go.spawn(() -> {
                entered.down();
                try {
                    Thread.sleep(1_000); // blocks the carrier; Gort is not told
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            }));
        }
        awaitTrue("sleepers started", 10_000, () -> entered.left() == 0);
        assertOthersRunWhile(sleepers);
        assertTrue(Go.metrics().stuckRetakes() >= retakesBefore + 1, "no retake recorded");
        for (Goroutine g : sleepers) g.join();
    }

    /**
     * sysmon's verdict can land after the goroutine came back: the P is marked stuck while its M
     * is between goroutines, and that M's next look for work retires its P for a retirement
     * another P owes. The spare added for the stuck P must retire too, or the runtime keeps
     * maxProcs + 1 Ps at rest for good. Staged without timing: stand-in Ms (threads never
     * started) hold every P as carriers between two goroutines do, the stuck verdict is sysmon's
     * own call, and setMaxProcs owes the other retirement.
     */
    @Test
    void aStuckProcessorRetiredForAnotherRetirementTakesItsSpareAlong() throws InterruptedException {
        Scheduler s = Scheduler.get();
        int procs = s.maxProcs();
        assumeTrue(procs >= 2, "needs two Ps to owe a retirement");
        List<M> holders = new ArrayList<>();
        try {
            // A carrier between two looks for work may hold a P for a moment: wait it out.
            awaitTrue("every P held by a stand-in", 10_000, () -> holdIdleProcessors(s, holders) == procs);
            M first = holders.get(0);
            assertTrue(s.procs.markStuck(first.p), "sysmon's call refused");
            // The spare has nothing to run: a spinning carrier takes it (no P was idle) and
            // finds nothing. Hold it too, so that no P is idle when setMaxProcs asks for one
            // fewer and the retirement stays owed.
            awaitTrue("the spare held by a stand-in", 10_000, () -> holdIdleProcessors(s, holders) == procs + 1);
            assertEquals(procs + 1, s.procs.allp().length);
            s.setMaxProcs(procs - 1);
            assertEquals(procs + 1, s.procs.allp().length, "a P retired with none idle");
            assertTrue(s.procs.tryRetire(first), "the owed retirement was not taken");
            holders.remove(first);
        } finally {
            for (M m : holders) {
                synchronized (s.idle.lock) {
                    s.idle.pidleputLocked(Idle.releasep(m));
                }
            }
            s.setMaxProcs(procs);
        }
        assertEquals(procs, s.procs.allp().length, "Ps left at rest: " + s.schedtrace());
        assertSchedulerAtRest();
    }

    /** Stand-in Ms (threads never started) take every idle P; returns how many they hold. */
    private static int holdIdleProcessors(Scheduler s, List<M> holders) {
        P p;
        while ((p = s.idle.pidleget()) != null) {
            M m = new M(-1 - holders.size(), s);
            s.idle.acquirep(m, p);
            holders.add(m);
        }
        return holders.size();
    }

    private static void assertOthersRunWhile(List<Goroutine> sleepers) throws InterruptedException {
        AtomicInteger ran = new AtomicInteger();
        List<Goroutine> shorts = new ArrayList<>();
        for (int i = 0; i < 100; i++) shorts.add(Go.spawn(ran::incrementAndGet));
        for (Goroutine g : shorts) g.join();
        assertEquals(100, ran.get());
        for (Goroutine s : sleepers) {
            assertTrue(s.isAlive(), "the short goroutines only ran after a sleeper finished");
        }
    }

    /** A countdown for platform-thread polling in tests. */
    static final class CountDown {
        private final AtomicInteger left;

        CountDown(int n) {
            left = new AtomicInteger(n);
        }

        void down() {
            left.decrementAndGet();
        }

        int left() {
            return left.get();
        }
    }
}
