package dev.gort;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gort.sync.WaitGroup;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SpawnTest {
    @AfterEach
    void schedulerAtRest() throws InterruptedException {
        GoTestSupport.assertSchedulerAtRest();
        GoTestSupport.awaitTrue("no timer left armed", 10_000, () -> dev.gort.sched.Scheduler.get().pendingTimers() == 0);
    }

    private static final int N = 1_000_000;

    @Test
    void aMillionGoroutinesSpawnedFromAGoroutineAllRun() {
        AtomicLong count = new AtomicLong();
        Go.run(() -> {
            WaitGroup wg = new WaitGroup();
            wg.add(N);
            for (int i = 0; i < N; i++) {
                Go.spawn(() -> {
                    count.incrementAndGet();
                    wg.done();
                });
            }
            await(wg);
        });
        assertEquals(N, count.get());
    }

    @Test
    void aMillionGoroutinesSpawnedFromAPlatformThreadAllRun() throws InterruptedException {
        AtomicLong count = new AtomicLong();
        WaitGroup wg = new WaitGroup();
        wg.add(N);
        for (int i = 0; i < N; i++) {
            Go.spawn(() -> {
                count.incrementAndGet();
                wg.done();
            });
        }
        wg.await(); // parks this platform thread
        assertEquals(N, count.get());
    }

    @Test
    void treeOfSpawnsFromGoroutinesAllRun() {
        AtomicLong count = new AtomicLong();
        WaitGroup wg = new WaitGroup();
        Go.run(() -> {
            wg.add(1);
            tree(20, count, wg); // 2^20 - 1 goroutines spawning each other
            await(wg);
        });
        assertEquals((1 << 20) - 1, count.get());
    }

    private static void tree(int depth, AtomicLong count, WaitGroup wg) {
        Go.spawn(() -> {
            count.incrementAndGet();
            if (depth > 1) {
                wg.add(2);
                tree(depth - 1, count, wg);
                tree(depth - 1, count, wg);
            }
            wg.done();
        });
    }

    @Test
    void joinFromPlatformThreadAndGoroutine() throws Exception {
        Goroutine slow = Go.spawn(() -> {
            for (int i = 0; i < 100; i++) Go.yield();
        });
        Goroutine joiner = Go.spawn("joiner", () -> {
            try {
                slow.join();
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        });
        joiner.join();
        assertEquals(Goroutine.State.DEAD, slow.state());
        assertEquals(Goroutine.State.DEAD, joiner.state());
        assertEquals("joiner", joiner.name());
        assertNotEquals(slow.id(), joiner.id());
    }

    /**
     * A goroutine's timed join parks with a runtime timer: it gives up after the timeout, its
     * timer is gone after a join that ends either way, an
     * interrupt still ends it, and a second timed join sees the goroutine end.
     */
    @Test
    void goroutineJoinTimesOutAndIsInterruptible() throws Exception {
        WaitGroup gate = new WaitGroup();
        gate.add(1);
        Goroutine blocked = Go.spawn(() -> await(gate));
        java.util.concurrent.atomic.AtomicReference<String> result = new java.util.concurrent.atomic.AtomicReference<>();
        Goroutine joiner = Go.spawn(() -> {
            try {
                long t0 = System.nanoTime();
                boolean first = blocked.join(java.time.Duration.ofMillis(50));
                long waited = System.nanoTime() - t0;
                Go.current().interrupt();
                String second;
                try {
                    blocked.join(java.time.Duration.ofSeconds(30));
                    second = "no InterruptedException";
                } catch (InterruptedException e) {
                    second = Go.current().isInterrupted() ? "status left set" : "interrupted";
                }
                gate.done();
                boolean third = blocked.join(java.time.Duration.ofSeconds(30));
                result.set(first + " " + (waited >= 50_000_000L) + " " + second + " " + third);
            } catch (InterruptedException e) {
                result.set(e.toString());
            }
        });
        assertEquals(true, joiner.join(java.time.Duration.ofSeconds(30)), "the timed join never timed out");
        assertEquals("false true interrupted true", result.get());
        assertEquals(Goroutine.State.DEAD, blocked.state());
        GoTestSupport.awaitTrue("no timer left armed", 10_000, () -> dev.gort.sched.Scheduler.get().pendingTimers() == 0);
    }

    @Test
    void platformJoinTimesOutAndIsInterruptible() throws Exception {
        WaitGroup gate = new WaitGroup();
        gate.add(1);
        Goroutine blocked = Go.spawn(() -> await(gate));
        assertEquals(false, blocked.join(java.time.Duration.ofMillis(50)));
        Thread.currentThread().interrupt();
        assertThrows(InterruptedException.class, blocked::join);
        assertEquals(false, Thread.currentThread().isInterrupted(), "interrupt status cleared");
        gate.done();
        assertEquals(true, blocked.join(java.time.Duration.ofSeconds(30)));
        assertEquals(Goroutine.State.DEAD, blocked.state());
        blocked.join(); // returns at once when dead
    }

    @Test
    void manyJoinersOfOneGoroutineAllReturn() throws Exception {
        WaitGroup gate = new WaitGroup();
        gate.add(1);
        Goroutine target = Go.spawn(() -> await(gate));
        AtomicLong joined = new AtomicLong();
        java.util.List<Goroutine> joiners = new java.util.ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            joiners.add(Go.spawn(() -> {
                try {
                    target.join();
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
                joined.incrementAndGet();
            }));
        }
        gate.done();
        for (Goroutine j : joiners) j.join();
        assertEquals(1000, joined.get());
    }

    @Test
    void badInput() {
        assertThrows(NullPointerException.class, () -> Go.spawn(null));
        assertThrows(NullPointerException.class, () -> Go.run(null));
        assertThrows(NullPointerException.class, () -> Go.blocking(null));
        assertThrows(IllegalArgumentException.class, () -> Go.setMaxProcs(0));
    }

    @Test
    void goroutineCannotJoinItself() {
        Go.run(() -> {
            Goroutine self = Go.current();
            assertThrows(IllegalStateException.class, self::join);
        });
    }

    @Test
    void runRethrowsTheMainGoroutinesException() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Go.run(() -> {
            throw new IllegalStateException("boom");
        }));
        assertEquals("boom", e.getMessage());
    }

    @Test
    void numGoroutineCountsLiveOnes() throws Exception {
        WaitGroup hold = new WaitGroup();
        hold.add(1);
        int before = Go.numGoroutine();
        Goroutine[] gs = new Goroutine[100];
        for (int i = 0; i < gs.length; i++) gs[i] = Go.spawn(() -> await(hold));
        GoTestSupport.awaitTrue("100 goroutines parked", 10_000, () -> {
            for (Goroutine g : gs) if (g.state() != Goroutine.State.WAITING) return false;
            return true;
        });
        assertTrue(Go.numGoroutine() >= before + 100, "numGoroutine " + Go.numGoroutine());
        hold.done();
        for (Goroutine g : gs) g.join();
        GoTestSupport.awaitTrue("goroutines gone", 10_000, () -> Go.numGoroutine() <= before);
    }

    static void await(WaitGroup wg) {
        try {
            wg.await();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    /**
     * A spawning loop that yields moves between carriers while the JIT compiles it; every spawn
     * must still go to the P of the carrier it runs on at that moment (a stale carrier would make
     * two Ms push into one run queue, losing and duplicating goroutines: see CarrierLookup).
     */
    @Test
    void yieldingSpawnerMigratingBetweenCarriersLosesNothing() {
        for (int round = 0; round < 2; round++) { // the second round runs compiled code
            yieldingSpawnerRound();
        }
    }

    private static void yieldingSpawnerRound() {
        AtomicLong count = new AtomicLong();
        int n = 3_000_000;
        Go.run(() -> {
            WaitGroup wg = new WaitGroup();
            wg.add(n);
            Runnable task = () -> {
                count.incrementAndGet();
                wg.done();
            };
            for (int i = 0; i < n; i++) {
                Go.spawn(task);
                if ((i & 63) == 0) Go.yield();
            }
            await(wg);
        });
        assertEquals(n, count.get());
    }
}
