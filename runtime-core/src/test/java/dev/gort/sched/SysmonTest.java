package dev.gort.sched;

import static dev.gort.GoTestSupport.assertSchedulerAndTimersAtRest;
import static dev.gort.GoTestSupport.assertSchedulerAtRest;
import static dev.gort.GoTestSupport.awaitTrue;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gort.Go;
import dev.gort.Goroutine;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Sysmon's own schedule: it sleeps while the runtime is idle and comes back with work. */
class SysmonTest {
    @AfterEach
    void schedulerAtRest() throws InterruptedException {
        assertSchedulerAndTimersAtRest();
    }

    /** An idle runtime sleeps: sysmon parks until a processor gets busy, it does not poll. */
    @Test
    void sysmonSleepsWhileIdleAndWakesForWork() throws Exception {
        Go.spawn(() -> { }).join();
        assertSchedulerAtRest();
        var sched = Scheduler.get();
        Thread.sleep(50); // let sysmon finish the round in which it saw the runtime go idle
        long before = sched.sysmonRounds();
        Thread.sleep(300);
        long rounds = sched.sysmonRounds() - before;
        assertTrue(rounds <= 1, "sysmon ran " + rounds + " rounds in 300 ms of idleness");
        // ... and wakes up when there is work again: preemption still works afterwards.
        long preemptions = Go.metrics().preemptions();
        AtomicBoolean stop = new AtomicBoolean();
        Goroutine spinner = Go.spawn(() -> {
            while (!stop.get()) Go.safepoint();
        });
        awaitTrue("preemption after an idle period", 10_000, () -> Go.metrics().preemptions() > preemptions);
        stop.set(true);
        spinner.join();
    }
}
