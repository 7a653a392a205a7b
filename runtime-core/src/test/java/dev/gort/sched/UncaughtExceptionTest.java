package dev.gort.sched;

import static dev.gort.GoTestSupport.assertSchedulerAndTimersAtRest;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.gort.Go;
import dev.gort.Goroutine;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A goroutine that throws: the uncaught-exception handler hears of it once, and its carrier lives on. */
class UncaughtExceptionTest {
    @AfterEach
    void schedulerAtRest() throws InterruptedException {
        assertSchedulerAndTimersAtRest();
    }

    @Test
    void exceptionsAreReportedOnceAndCarriersSurvive() throws Exception {
        List<String> reports = Collections.synchronizedList(new ArrayList<>());
        Go.setUncaughtExceptionHandler((g, e) -> reports.add(g.name() + ":" + e.getMessage()));
        try {
            Goroutine bad = Go.spawn("bad", () -> {
                throw new IllegalArgumentException("oops");
            });
            assertThrows(IllegalArgumentException.class, bad::join); // join rethrows it too
            assertEquals(List.of("bad:oops"), reports);
            assertEquals("oops", bad.failure().getMessage());
            // every carrier still works
            AtomicInteger ok = new AtomicInteger();
            List<Goroutine> gs = new ArrayList<>();
            for (int i = 0; i < 1000; i++) gs.add(Go.spawn(ok::incrementAndGet));
            for (Goroutine g : gs) g.join();
            assertEquals(1000, ok.get());
        } finally {
            Go.setUncaughtExceptionHandler(null);
        }
    }
}
