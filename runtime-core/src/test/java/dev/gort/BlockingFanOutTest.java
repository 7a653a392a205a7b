package dev.gort;

import static dev.gort.GoTestSupport.assertSchedulerAndTimersAtRest;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gort.usercode.BlockingFanOut;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Goroutines that block their carriers in JDK calls Gort is not told about keep their
 * concurrency, as threads would: sysmon hands a blocked carrier's processor to another carrier
 * within a few of its rounds. Measured as the peak number of tasks inside their blocking call at
 * once, not as time. (The same fan-outs under the safepoint agent: SafepointAgentTest.)
 */
class BlockingFanOutTest {
    /** More tasks than processors, so that the hand-off is what lets them all block at once. */
    private static final int N = Math.max(8, 2 * Go.maxProcs());

    @AfterEach
    void atRest() throws InterruptedException {
        assertSchedulerAndTimersAtRest();
    }

    @Test
    void anExecutorOfNRunsNTasksThatSleepInTheJdkAtOnce() throws Exception {
        assertEquals(N, BlockingFanOut.sleepPeak(N, 3), "tasks in Thread.sleep at once");
    }

    @Test
    void anExecutorOfNRunsNTasksBlockedInSocketReadsAtOnce() throws Exception {
        assertEquals(N, BlockingFanOut.socketPeak(N, 3), "tasks in a blocking socket read at once");
    }

    @Test
    void anExecutorOfNRunsNJdbcQueriesToADatabaseServerAtOnce() throws Exception {
        assertEquals(N, BlockingFanOut.jdbcPeak(N, 3), "tasks in a JDBC query over TCP at once");
    }

    /**
     * The hand-off is bounded by gort.maxthreads: in a child JVM with 4 carriers at most, the
     * fan-outs of 8 still complete (blocked tasks come back and free their carriers), never more
     * than 4 tasks block at once, and the runtime says once that it reached the limit.
     */
    @Test
    void theHandOffStopsAtTheThreadLimitAndTheFanOutsStillComplete() throws Exception {
        ChildJvm.Result r = ChildJvm.withTestClassPath(List.of("-Dgort.maxprocs=2", "-Dgort.maxthreads=4", "-Dfanout.n=8"),
            BlockingFanOut.class);
        String out = r.toString();
        assertEquals(0, r.exit(), out);
        var m = java.util.regex.Pattern.compile("n=8 sleep=(\\d+) socket=(\\d+) jdbc=(\\d+)").matcher(out);
        assertTrue(m.find(), out);
        for (int i = 1; i <= 3; i++) {
            int peak = Integer.parseInt(m.group(i));
            assertTrue(peak >= 2 && peak <= 4, "peak " + peak + " with 4 carriers: " + out);
        }
        assertTrue(out.contains("gort.maxthreads=4"), "no word of the thread limit: " + out);
    }

    /**
     * A thousand goroutines block their carriers at once (each in a JDK wait that only the test
     * ends), and meanwhile other goroutines still run: a ping-pong over a channel and a goroutine
     * that sleeps 1 ms at a time, both finishing while every blocker is still blocked. Their
     * worst scheduling delay is printed; the latency target is measured by the benchmarks.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void othersRunWhileAThousandGoroutinesBlockTheirCarriers() throws Exception {
        int blockers = 1_000;
        CountDownLatch entered = new CountDownLatch(blockers);
        CountDownLatch release = new CountDownLatch(1);
        List<Goroutine> gs = new ArrayList<>();
        for (int i = 0; i < blockers; i++) {
            gs.add(Go.spawn(() -> {
                entered.countDown();
                try {
                    release.await(); // blocks the carrier: Gort is not told
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            }));
        }
        entered.await(); // all of them blocked at once: 1,000 carriers

        AtomicLong worstLateNanos = new AtomicLong();
        Chan<Integer> ping = Chan.make(), pong = Chan.make();
        Goroutine echo = Go.spawn(() -> {
            try {
                for (int i = 0; i < 100; i++) pong.send(ping.receive());
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        });
        Goroutine sleeper = Go.spawn(() -> {
            try {
                for (int i = 0; i < 20; i++) {
                    long t0 = System.nanoTime();
                    Go.sleep(Duration.ofMillis(1));
                    worstLateNanos.accumulateAndGet(System.nanoTime() - t0 - 1_000_000, Math::max);
                    for (int k = 0; k < 5; k++) {
                        ping.send(k);
                        assertEquals(k, pong.receive());
                    }
                }
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        });
        sleeper.join();
        echo.join();
        for (Goroutine g : gs) assertTrue(g.isAlive(), "a blocker ended before it was released");
        System.out.println("1,000 blocked carriers: the sleeper's worst lateness " + worstLateNanos.get() / 1_000 + " us");
        release.countDown();
        for (Goroutine g : gs) g.join();
    }
}
