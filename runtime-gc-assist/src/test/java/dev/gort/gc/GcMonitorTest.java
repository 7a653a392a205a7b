package dev.gort.gc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gort.Go;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import javax.management.ObjectName;
import org.junit.jupiter.api.Test;

class GcMonitorTest {
    /** Waits for done, for 30 s at most (also MemoryLimitTest's). */
    static void await(String what, BooleanSupplier done) {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("not within 30 s: " + what);
            LockSupport.parkNanos(1_000_000);
        }
    }

    @Test
    void classifiesTheCollectorsReports() {
        // The (name, action) pairs the JDK's collectors send (JDK 25).
        assertEquals(GcMonitor.Kind.COLLECTION, GcMonitor.classify("G1 Young Generation", "end of minor GC"));
        assertEquals(GcMonitor.Kind.COLLECTION, GcMonitor.classify("G1 Old Generation", "end of major GC"));
        assertEquals(GcMonitor.Kind.PAUSE, GcMonitor.classify("G1 Concurrent GC", "end of concurrent GC pause"));
        assertEquals(GcMonitor.Kind.COLLECTION, GcMonitor.classify("Copy", "end of minor GC"));
        assertEquals(GcMonitor.Kind.COLLECTION, GcMonitor.classify("MarkSweepCompact", "end of major GC"));
        assertEquals(GcMonitor.Kind.COLLECTION, GcMonitor.classify("PS Scavenge", "end of minor GC"));
        assertEquals(GcMonitor.Kind.COLLECTION, GcMonitor.classify("PS MarkSweep", "end of major GC"));
        assertEquals(GcMonitor.Kind.PAUSE, GcMonitor.classify("ZGC Major Pauses", "end of GC pause"));
        assertEquals(GcMonitor.Kind.CYCLE, GcMonitor.classify("ZGC Major Cycles", "end of GC cycle"));
        assertEquals(GcMonitor.Kind.CYCLE, GcMonitor.classify("ZGC Minor Cycles", "end of GC cycle"));
        assertEquals(GcMonitor.Kind.PAUSE, GcMonitor.classify("Shenandoah Pauses", "end of GC pause"));
        assertEquals(GcMonitor.Kind.CYCLE, GcMonitor.classify("Shenandoah Cycles", "end of GC cycle"));
    }

    @Test
    void systemGcIsAPauseOfPlausibleLength() {
        GcMonitor m = GcMonitor.get();
        GcMetrics before = m.metrics();
        long t0 = System.nanoTime();
        System.gc();
        long wall = System.nanoTime() - t0;
        await("System.gc() notified", () -> m.metrics().cycles() > before.cycles());
        GcMetrics after = m.metrics();
        assertTrue(after.pauses() > before.pauses(), after.toString());
        // The collection stopped the world within the call: it took at most the call's time
        // (the JVM counts whole milliseconds: one more for the rounding).
        assertTrue(after.pauseMaxNanos() <= Math.max(before.pauseMaxNanos(), wall + 1_000_000), after + " wall " + wall);
        assertTrue(after.pauseTotalNanos() > before.pauseTotalNanos() || wall < 2_000_000,
            "a full collection of " + wall / 1_000_000 + " ms counted in the collectors' pause time: " + after);
        long max = Runtime.getRuntime().maxMemory();
        assertTrue(after.heapAfterLastGc() > 0 && after.heapAfterLastGc() <= max, after.toString());
    }

    /** Where the churn's arrays go (each overwritten soon: garbage for the next young collection). */
    private static final Object[] CHURN = new Object[16];

    @Test
    void youngChurnIsCountedAsPauses() {
        GcMonitor m = GcMonitor.get();
        GcMetrics before = m.metrics();
        long t0 = System.nanoTime();
        long sink = 0;
        // Short-lived garbage until a few young collections are reported; stored, so that the
        // compiler cannot drop the allocations.
        while (m.metrics().cycles() < before.cycles() + 3) {
            for (int i = 0; i < 10_000; i++) {
                byte[] b = new byte[1024];
                CHURN[i & (CHURN.length - 1)] = b;
                sink += b.length;
            }
            if (System.nanoTime() - t0 > 60_000_000_000L) throw new AssertionError("no collection in 60 s");
        }
        long wall = System.nanoTime() - t0;
        GcMetrics after = m.metrics();
        assertTrue(sink > 0);
        assertTrue(after.pauses() >= before.pauses() + 3, after.toString());
        // A young collection of short-lived garbage is short: well under the time it took to make it.
        assertTrue(after.pauseP50Nanos() < Math.max(wall, 1_000_000_000L), after + " wall " + wall);
        assertTrue(after.pauseMaxNanos() >= after.pauseP99Nanos() && after.pauseP99Nanos() >= after.pauseP50Nanos(), after.toString());
    }

    @Test
    void concurrentCycleIsNotAPause() throws Exception {
        Child.Result r = Child.run(List.of("-XX:+UseZGC", "-Xmx256m"), ZgcCycleProgram.class);
        assertEquals(0, r.exit(), r.toString());
        long cycleMax = Child.value(r.stdout(), "cycleMax"), pauseMax = Child.value(r.stdout(), "pauseMax");
        assertTrue(Child.value(r.stdout(), "cycles") >= 1, r.toString());
        assertTrue(Child.value(r.stdout(), "pauses") >= 1, r.toString()); // ZGC's own pauses are pauses
        // The cycle ran concurrently for cycleMax ms; no pause of that length was recorded.
        assertTrue(cycleMax > pauseMax, r.toString());
        assertTrue(pauseMax <= 1, "ZGC pauses are sub-millisecond: " + r);
    }

    /**
     * A goroutine whose time slice is mostly GC pauses, each too short for sysmon's oversleep
     * guess, is neither preempted nor taken as blocked: sysmon takes the pauses off its slice.
     * Without the hook's pause time it is preempted and its carrier taken as blocked (its slice
     * lasts two and a half time slices or more by the clock). Attempts in which the goroutine ran (or waited
     * for a CPU) 8 ms or more outside the pauses, on a loaded machine, say nothing and are not
     * counted; the child runs again (at most 8 times) until 2 attempts counted, and at least one
     * must have (on a machine too loaded for any, the test fails saying so).
     */
    @Test
    void sysmonDoesNotPreemptForPauses() throws Exception {
        int counted = 0;
        StringBuilder seen = new StringBuilder();
        for (int run = 0; run < 8 && counted < 2; run++) {
            Child.Result r = Child.run(List.of("-XX:+UseSerialGC", "-Xmx32m", "-Dgort.maxprocs=2"),
                PauseSliceProgram.class, "100", "8", "8", "40000");
            assertEquals(0, r.exit(), r.toString());
            seen.append(r.stdout()).append('\n');
            for (String line : r.stdout().split("\n")) {
                if (!line.startsWith("wall=")) continue;
                long wall = Child.value(line, "wall"), paused = Child.value(line, "paused");
                if (wall < 25 || wall - paused >= 8) continue;
                counted++;
                assertEquals(0, Child.value(line, "preempted"), "preempted for pauses: " + line + "\n" + r);
                assertEquals(0, Child.value(line, "stuck"), "carrier taken as blocked for pauses: " + line + "\n" + r);
            }
        }
        assertTrue(counted >= 1, "no attempt was a slice of mostly pauses (each ran 8 ms or more outside the pauses: "
            + "a loaded machine?):\n" + seen);
    }

    @Test
    void schedtraceDumpAndMBeanWhileTheRuntimeRuns() throws Exception {
        Go.run(() -> { });
        ObjectName name = new ObjectName(GcMXBean.NAME);
        var server = ManagementFactory.getPlatformMBeanServer();
        await("dev.gort:type=GC registered", () -> server.isRegistered(name));
        System.gc();
        GcMonitor m = GcMonitor.get();
        await("the collection notified", () -> m.cycles() > 0);
        assertTrue((Long) server.getAttribute(name, "Cycles") >= 1);
        assertTrue((Long) server.getAttribute(name, "HeapAfterLastGc") > 0);
        String dump = Go.dump();
        assertTrue(dump.matches("(?s).*\ngc: \\d+ cycles, \\d+ pauses \\(p50 \\d+ms, p99 \\d+ms, max \\d+ms, total \\d+ms\\), heap after the last collection \\d+ MiB \\[.*\\]\n.*"), dump);
        String trace = (String) server.invoke(new ObjectName("dev.gort:type=Scheduler"), "schedtrace", null, null);
        assertTrue(trace.matches(".* gc=\\d+ pause_p99=\\d+ms"), trace);
        assertTrue(Go.shutdown(java.time.Duration.ofSeconds(10)));
        assertTrue(!server.isRegistered(name), "dev.gort:type=GC unregistered at shutdown");
    }
}
