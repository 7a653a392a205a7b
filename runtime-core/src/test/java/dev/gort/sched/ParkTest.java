package dev.gort.sched;

import static dev.gort.GoTestSupport.assertSchedulerAndTimersAtRest;
import static dev.gort.GoTestSupport.await;
import static dev.gort.GoTestSupport.awaitTrue;
import static dev.gort.GoTestSupport.withMaxProcs;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gort.Go;
import dev.gort.sync.WaitGroup;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Parking: a waiting goroutine gives its carrier back. */
class ParkTest {
    @AfterEach
    void schedulerAtRest() throws InterruptedException {
        assertSchedulerAndTimersAtRest();
    }

    /** Ten thousand goroutines parked on one P hold a handful of carriers, not one each. */
    @Test
    void parkedGoroutinesHoldNoCarrier() throws Exception {
        withMaxProcs(1, () -> {
            WaitGroup gate = new WaitGroup();
            gate.add(1);
            WaitGroup finished = new WaitGroup();
            int n = 10_000;
            finished.add(n);
            for (int i = 0; i < n; i++) {
                Go.spawn(() -> {
                    await(gate);
                    finished.done();
                });
            }
            awaitTrue("all parked", 10_000, () -> Go.metrics().globalRunQueue() == 0 && Go.metrics().localRunQueues() == 0);
            int threads = Go.metrics().threads();
            assertTrue(threads < 50, n + " parked goroutines hold " + threads + " carriers");
            Go.spawn(gate::done);
            finished.await();
        });
    }
}
