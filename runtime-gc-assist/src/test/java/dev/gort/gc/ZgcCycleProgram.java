package dev.gort.gc;

import com.sun.management.GarbageCollectionNotificationInfo;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.concurrent.atomic.AtomicLong;
import javax.management.NotificationEmitter;
import javax.management.openmbean.CompositeData;

/**
 * The child of {@link GcMonitorTest#concurrentCycleIsNotAPause} (run with ZGC): a System.gc()
 * runs one concurrent cycle. Prints the longest cycle the JVM reported and the monitor's view:
 * {@code cycleMax= cycles= pauses= pauseMax=} (millis and counts).
 */
public final class ZgcCycleProgram {
    public static void main(String[] args) throws Exception {
        GcMonitor m = GcMonitor.get();
        AtomicLong cycleMax = new AtomicLong(-1);
        for (GarbageCollectorMXBean b : ManagementFactory.getGarbageCollectorMXBeans()) {
            ((NotificationEmitter) b).addNotificationListener((n, h) -> {
                var i = GarbageCollectionNotificationInfo.from((CompositeData) n.getUserData());
                if (i.getGcAction().contains("cycle")) cycleMax.accumulateAndGet(i.getGcInfo().getDuration(), Math::max);
            }, null, null);
        }
        // Live data to mark, so that the cycle takes a while.
        Object[] keep = new Object[200_000];
        for (int i = 0; i < keep.length; i++) keep[i] = new long[16];
        System.gc();
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (m.cycles() == 0 || cycleMax.get() < 0) {
            if (System.nanoTime() > deadline) throw new AssertionError("no cycle notified");
            Thread.sleep(5);
        }
        GcMetrics g = m.metrics();
        System.out.println("cycleMax=" + cycleMax.get() + " cycles=" + g.cycles() + " pauses=" + g.pauses()
            + " pauseMax=" + g.pauseMaxNanos() / 1_000_000 + " kept=" + keep.length);
    }
}
