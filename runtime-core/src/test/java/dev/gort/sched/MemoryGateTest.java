package dev.gort.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gort.Go;
import dev.gort.GoTestSupport;
import dev.gort.Goroutine;
import dev.gort.sync.WaitGroup;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The scheduler's memory gate ({@link Admission}), without a policy: runtime-core's tests have no
 * runtime-gc-assist, so the gate closes when it samples the heap above the limit and opens only
 * when the test says so. A limit of one byte is always exceeded.
 */
class MemoryGateTest {
    @org.junit.jupiter.api.BeforeEach
    void startTheRuntime() {
        Go.metrics(); // the limit is set on the running runtime
    }

    @AfterEach
    void removeTheLimit() {
        SchedulerHooks.setMemoryLimit(0);
    }

    /** GoTestSupport.awaitTrue with 10 s, for lambdas that may not throw InterruptedException. */
    private static void await(String what, BooleanSupplier done) {
        try {
            GoTestSupport.awaitTrue(what, 10_000, done);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    private static SchedulerHooks.MemoryGate gate() {
        return SchedulerHooks.memoryGate();
    }

    @Test
    void newGoroutinesWaitAtTheClosedGateAndStartOldestFirstWhenItOpens() throws Exception {
        int old = Go.setMaxProcs(1); // one carrier: the start order is the order of the global queue
        try {
            SchedulerHooks.setMemoryLimit(1);
            AtomicInteger started = new AtomicInteger();
            List<Long> order = new ArrayList<>();
            WaitGroup wg = new WaitGroup();
            List<Goroutine> gs = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                wg.add(1);
                gs.add(Go.spawn(() -> {
                    synchronized (order) {
                        order.add(Go.current().id());
                    }
                    started.incrementAndGet();
                    wg.done();
                }));
            }
            // The carrier samples the heap at every fourth first mount: at most three start before it closes.
            await("the gate closed with the rest held", () -> gate().closed() && gate().held() + started.get() == 40);
            int before = started.get();
            assertTrue(before <= 3, "started before the gate closed: " + before);
            assertEquals(40 - before, gate().held());
            SchedulerHooks.setMemoryLimit(0); // opens the gate for good (admitHeld would find the heap above one byte again at once)
            wg.await();
            assertEquals(40, started.get());
            List<Long> held;
            synchronized (order) {
                held = new ArrayList<>(order.subList(before, order.size()));
            }
            List<Long> sorted = new ArrayList<>(held);
            sorted.sort(null);
            assertEquals(sorted, held, "held goroutines started oldest first");
            assertFalse(gate().closed());
            assertEquals(0, gate().held());
        } finally {
            SchedulerHooks.setMemoryLimit(0);
            Go.setMaxProcs(old);
        }
    }

    @Test
    void removingTheLimitLetsEveryHeldGoroutineGo() throws Exception {
        SchedulerHooks.setMemoryLimit(1);
        WaitGroup wg = new WaitGroup();
        for (int i = 0; i < 100; i++) {
            wg.add(1);
            Go.spawn(wg::done);
        }
        await("some held", () -> gate().held() > 0);
        SchedulerHooks.setMemoryLimit(0);
        wg.await();
        assertFalse(gate().closed());
        assertEquals(0, gate().held());
    }

    @Test
    void aGoroutineHeldAtTheGateIsNotADeadlock() {
        // Go.run's main waits for a goroutine that the closed gate holds: every P idle, every
        // queue empty, nothing armed. Not a deadlock: the gate's policy (here, the test) opens it.
        SchedulerHooks.setMemoryLimit(1);
        AtomicInteger ran = new AtomicInteger();
        Thread opener = Thread.ofPlatform().start(() -> {
            await("held", () -> gate() != null && gate().held() > 0);
            long until = System.nanoTime() + 4 * Deadlock.CONFIRM_NANOS; // longer than a deadlock takes to confirm
            while (System.nanoTime() < until) Thread.onSpinWait();
            SchedulerHooks.setMemoryLimit(0);
        });
        Go.run(() -> {
            WaitGroup wg = new WaitGroup();
            for (int i = 0; i < 8; i++) { // more than the three a carrier may start before it samples
                wg.add(1);
                Go.spawn(() -> {
                    ran.incrementAndGet();
                    wg.done();
                });
            }
            try {
                wg.await();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        assertEquals(8, ran.get());
        try {
            opener.join();
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void theOldestHeldGoroutineCanBeLetGoAlone() throws Exception {
        int old = Go.setMaxProcs(1);
        try {
            SchedulerHooks.setMemoryLimit(1);
            AtomicInteger started = new AtomicInteger();
            WaitGroup wg = new WaitGroup();
            for (int i = 0; i < 20; i++) {
                wg.add(1);
                Go.spawn(() -> {
                    started.incrementAndGet();
                    wg.done();
                });
            }
            await("the rest held", () -> gate().closed() && gate().held() + started.get() == 20);
            int before = started.get();
            assertTrue(SchedulerHooks.admitOldest());
            await("one more started", () -> started.get() == before + 1);
            assertTrue(gate().closed());
            assertEquals(20 - before - 1, gate().held());
            SchedulerHooks.setMemoryLimit(0);
            wg.await();
        } finally {
            SchedulerHooks.setMemoryLimit(0);
            Go.setMaxProcs(old);
        }
    }
}
