package dev.gort.gc;

import dev.gort.Go;
import java.lang.management.ManagementFactory;
import java.util.concurrent.locks.LockSupport;
import javax.management.ObjectName;

/**
 * The child of {@link GcMonitorTest#sysmonDoesNotPreemptForPauses}: one goroutine computes in
 * short stretches ({@code stretchMicros} outside GC pauses, calling Go.safepoint() all along), and
 * after each stops the world with a full collection (System.gc() under the Serial collector on a
 * small heap with some live data: three or four milliseconds, too short for sysmon's oversleep guess, which needs five
 * more than its round). By the clock its slice lasts several time slices; outside the pauses,
 * less than one.
 *
 * <p>Prints, per attempt, {@code wall= paused= preempted= stuck=} (millis and counts):
 * {@code paused} is the collectors' pause time during the goroutine's run.
 */
public final class PauseSliceProgram {
    /** Live data, so that each full collection takes a few milliseconds. */
    static Object[] live;

    public static void main(String[] args) throws Exception {
        long stretchNanos = Long.parseLong(args[0]) * 1_000L;
        int collections = Integer.parseInt(args[1]);
        int attempts = Integer.parseInt(args[2]);
        live = new Object[Integer.parseInt(args[3])];
        for (int i = 0; i < live.length; i++) live[i] = new long[2];
        Go.run(() -> { }); // starts the runtime; its hooks start on the gort-jmx thread
        ObjectName gcBean = new ObjectName(GcMXBean.NAME);
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!ManagementFactory.getPlatformMBeanServer().isRegistered(gcBean)) {
            if (System.nanoTime() > deadline) throw new AssertionError("dev.gort:type=GC never registered");
            LockSupport.parkNanos(1_000_000);
        }
        GcMonitor m = GcMonitor.get();
        Go.run(() -> spin(m, 20 * stretchNanos)); // warm-up: compiles the loop
        for (int a = 0; a < attempts; a++) {
            long[] r = new long[2];
            long preempt0 = Go.metrics().preemptions(), stuck0 = Go.metrics().stuckRetakes();
            Go.run(() -> {
                long w0 = System.nanoTime(), p0 = m.pauseTotalNanos();
                for (int i = 0; i < collections; i++) {
                    spin(m, stretchNanos);
                    System.gc();
                }
                spin(m, stretchNanos);
                r[0] = System.nanoTime() - w0;
                r[1] = m.pauseTotalNanos() - p0;
            });
            System.out.println("wall=" + r[0] / 1_000_000 + " paused=" + r[1] / 1_000_000
                + " preempted=" + (Go.metrics().preemptions() - preempt0) + " stuck=" + (Go.metrics().stuckRetakes() - stuck0));
        }
        Go.shutdown();
    }

    /** Computes until runNanos have passed outside the collectors' pauses, polling the safepoint. */
    private static void spin(GcMonitor m, long runNanos) {
        long w0 = System.nanoTime(), p0 = m.pauseTotalNanos();
        long x = 0;
        do {
            for (int i = 0; i < 1000; i++) {
                x += i ^ (x >>> 3);
                Go.safepoint();
            }
        } while ((System.nanoTime() - w0) - (m.pauseTotalNanos() - p0) < runNanos);
        if (x == 42) System.out.print("");
    }
}
