package dev.gort.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gort.Go;
import dev.gort.Goroutine;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Timers of a processor that setMaxProcs retires move to a live one while other threads may be
 * deleting them. The move once went through a null heap reference (drained under one heap's
 * lock, added under the other's): a deleteTimer in between answered "not armed", and the timer
 * stayed armed in its new heap (a Timer.stop() said false and the timer fired anyway; seen as a
 * goroutine join's 30 s timer left armed, SpawnTest beside two CPU burners). The seam runs in
 * the move; a platform thread deletes every timer meanwhile. Before the fix, the deletes of the
 * moving timers returned false (most runs); now each delete waits for the move and succeeds.
 */
class TimerMoveTest {
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
                    d.join(200); // with the fix it waits for the heap locks we hold: let it
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
