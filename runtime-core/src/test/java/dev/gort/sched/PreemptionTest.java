package dev.gort.sched;

import static dev.gort.GoTestSupport.assertSchedulerAndTimersAtRest;
import static dev.gort.GoTestSupport.await;
import static dev.gort.GoTestSupport.withMaxProcs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gort.Go;
import dev.gort.Goroutine;
import dev.gort.sync.WaitGroup;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Taking turns on a P: Go.yield, sysmon's time-slice preemption, and where a preemption may not act. */
class PreemptionTest {
    @AfterEach
    void schedulerAtRest() throws InterruptedException {
        assertSchedulerAndTimersAtRest();
    }

    @Test
    void yieldingGoroutinesTakeTurnsOnOneProcessor() throws Exception {
        withMaxProcs(1, () -> {
            List<String> trace = Collections.synchronizedList(new ArrayList<>());
            Go.run(() -> {
                WaitGroup wg = new WaitGroup();
                wg.add(2);
                for (String name : new String[] {"a", "b"}) {
                    Go.spawn(() -> {
                        for (int i = 0; i < 50; i++) {
                            trace.add(name);
                            Go.yield();
                        }
                        wg.done();
                    });
                }
                await(wg);
            });
            assertEquals(100, trace.size());
            // They alternate, except that the 61-tick fairness check of the global queue (where
            // Go.yield puts a goroutine, as Go's Gosched) may let one run twice in a row.
            int firstDone = Math.min(trace.lastIndexOf("a"), trace.lastIndexOf("b"));
            int run = 1;
            for (int i = 1; i <= firstDone; i++) {
                run = trace.get(i).equals(trace.get(i - 1)) ? run + 1 : 1;
                assertTrue(run <= 2, "no interleaving at " + i + ": " + trace);
            }
        });
    }

    /**
     * A goroutine that loops on safepoints is preempted by sysmon's time slice, so another
     * goroutine runs on the single P; and it is preemption that does it, not the stuck-carrier
     * spare P (which would also let the other one run). On a loaded machine sysmon may also take
     * a carrier as blocked for a moment (its thread read sleeping twice: a brief wait on a JVM
     * lock whose holder lost its CPU), and a spare P then says nothing about the time slice: such
     * an attempt is not counted and the test runs again, at most 5 times. It fails if no attempt
     * was free of spares, or if one was and its goroutine was not preempted for its time slice.
     */
    @Test
    void safepointLoopIsPreemptedOnOneProcessor() throws Exception {
        withMaxProcs(1, () -> {
            StringBuilder spoiled = new StringBuilder();
            for (int attempt = 0; attempt < 5; attempt++) {
                long sliceBefore = timeSlicePreemptions();
                long retakesBefore = Go.metrics().stuckRetakes();
                long latencyMs = otherGoroutineLatencyBehindASpinner();
                long retakes = Go.metrics().stuckRetakes() - retakesBefore;
                System.out.println("preemption: the other goroutine ran " + latencyMs + " ms after the spinner started"
                    + (retakes > 0 ? " (" + retakes + " spare P: attempt not counted)" : ""));
                if (retakes > 0) {
                    spoiled.append(latencyMs).append(" ms with ").append(retakes).append(" spare P; ");
                    continue;
                }
                assertTrue(timeSlicePreemptions() > sliceBefore, "no time-slice preemption recorded");
                assertTrue(latencyMs < 2_000, "other goroutine waited " + latencyMs + " ms");
                return;
            }
            throw new AssertionError("every attempt had a spare P for a carrier taken as blocked: " + spoiled);
        });
    }

    /** A spinner on the only P spawns another goroutine, then spins until it runs: how long it waited, in ms. */
    private static long otherGoroutineLatencyBehindASpinner() {
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong spinnerStart = new AtomicLong();
        AtomicLong otherRan = new AtomicLong();
        Go.run(() -> {
            Goroutine spinner = Go.spawn(() -> {
                spinnerStart.set(System.nanoTime());
                // queued behind the spinner on the only P: runs only if the spinner yields
                Go.spawn(() -> {
                    otherRan.set(System.nanoTime());
                    stop.set(true);
                });
                while (!stop.get()) Go.safepoint();
            });
            try {
                spinner.join();
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        });
        return (otherRan.get() - spinnerStart.get()) / 1_000_000;
    }

    private static long timeSlicePreemptions() {
        return Go.metrics().preemptionsByCause().getOrDefault(Preemption.CAUSES[Preemption.TIME_SLICE], 0L);
    }

    /**
     * A preemption request that reaches a goroutine inside Go.blocking (sysmon read it as its P's
     * current goroutine just before blocking() cleared the request) is not honoured there: the
     * goroutine has handed its P off and must come back through exitsyscall on the same carrier.
     * With the safepoint agent every loop in a blocking call polls, so this is common.
     */
    @Test
    void aSafepointInsideABlockingCallDoesNotYield() throws Exception {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        for (int i = 0; i < 200; i++) {
            int round = i;
            Go.run(() -> {
                try {
                    G g = Scheduler.currentG();
                    Thread[] carriers = new Thread[2];
                    int v = Go.blocking(() -> {
                        carriers[0] = carrier();
                        Preemption.request(g, Preemption.TIME_SLICE); // as sysmon would, racing blocking()'s Preemption.clear
                        Go.safepoint();
                        carriers[1] = carrier();
                        return 42;
                    });
                    assertEquals(42, v);
                    assertSame(carriers[0], carriers[1], "the blocking call moved to another carrier");
                    Go.safepoint(); // the request, kept, is honoured once g runs on a P again
                    Go.yield();
                } catch (Throwable t) {
                    failure.compareAndSet(null, new AssertionError("round " + round + ": " + t, t));
                }
            });
            if (failure.get() != null) throw (AssertionError) failure.get();
        }
    }

    /** The carrier, read out of line (see CarrierLookup). */
    private static Thread carrier() {
        M m = CarrierLookup.currentM();
        return m != null ? m.thread : null;
    }
}
