package dev.gort.sched;

import static dev.gort.GoTestSupport.assertSchedulerAndTimersAtRest;
import static dev.gort.GoTestSupport.awaitTrue;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.gort.Go;
import dev.gort.Goroutine;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Go.setMaxProcs: processors added and retired while goroutines run. */
class MaxProcsTest {
    @AfterEach
    void schedulerAtRest() throws InterruptedException {
        assertSchedulerAndTimersAtRest();
    }

    @Test
    void setMaxProcsChangesTheProcessorsAtRunTime() throws Exception {
        int old = Go.maxProcs();
        try {
            assertEquals(old, Go.setMaxProcs(3));
            assertEquals(3, Go.maxProcs());
            // Three goroutines that spin until all three are running at once need three Ps.
            AtomicInteger arrived = new AtomicInteger();
            List<Goroutine> gs = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                gs.add(Go.spawn(() -> {
                    arrived.incrementAndGet();
                    long deadline = System.nanoTime() + 10_000_000_000L;
                    while (arrived.get() < 3 && System.nanoTime() < deadline) Thread.onSpinWait();
                }));
            }
            for (Goroutine g : gs) g.join();
            assertEquals(3, arrived.get());
            Go.setMaxProcs(1);
            assertEquals(1, Go.maxProcs());
            // Ps retire as their carriers look for work: drive some scheduling.
            awaitTrue("processors retired", 10_000, () -> {
                for (int i = 0; i < 10; i++) Go.spawn(() -> { });
                return Go.metrics().processors() == 1;
            });
        } finally {
            Go.setMaxProcs(old);
        }
        assertEquals(old, Go.maxProcs());
    }
}
