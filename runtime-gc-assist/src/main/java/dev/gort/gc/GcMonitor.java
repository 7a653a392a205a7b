package dev.gort.gc;

import com.sun.management.GarbageCollectionNotificationInfo;
import com.sun.management.GcInfo;
import dev.gort.gcassist.MemoryPacer;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import javax.management.Notification;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;
import org.HdrHistogram.Histogram;

/**
 * The JVM's collector as Gort sees it (one per JVM, {@link #get()}): it subscribes to every
 * {@link GarbageCollectorMXBean}'s notifications
 * ({@link GarbageCollectionNotificationInfo}), tells the stop-the-world pauses from the
 * concurrent cycles, records the pauses in an HdrHistogram, counts the collections and keeps the
 * heap in use after the last one. The scheduler reads it through this module's
 * {@code SchedulerHooks}: sysmon takes pauses off the goroutines' time slices
 * ({@link #pauseTotalNanos()}), and schedtrace ({@code gc=N pause_p99=...}) and the goroutine
 * dump's header show it.
 *
 * <h2>Pauses and cycles</h2>
 * Each notification is classified by the collector's action ({@link #classify}):
 * <ul>
 *   <li>"end of minor GC", "end of major GC" (G1's Young and Old Generation, Parallel, Serial):
 *       a stop-the-world collection, a pause and a cycle;</li>
 *   <li>"end of GC pause" (ZGC's and Shenandoah's Pauses collectors): a pause within a
 *       concurrent cycle, not a cycle;</li>
 *   <li>"end of concurrent GC pause" ({@code G1 Concurrent GC}): G1's Remark and Cleanup, the
 *       pauses of its concurrent marking, which the JVM reports as such (the marking itself has
 *       no notification): pauses, not cycles (the collections come as young ones);</li>
 *   <li>"end of GC cycle" (ZGC's and Shenandoah's Cycles collectors): a concurrent cycle,
 *       which lasts as long as it takes while the program runs: a cycle, never a pause.</li>
 * </ul>
 *
 * <h2>Threads</h2>
 * The JVM delivers the notifications on one thread of its own ({@link #onNotification}), some
 * milliseconds after the collection; that thread alone writes the counts and the histogram,
 * under this object's lock, which {@link #metrics()} takes to read them. {@link #pauseTotalNanos()}
 * reads the collectors' accumulated pause time instead, which the collector updates before the
 * world restarts: sysmon needs the pause before its next round, not tens of milliseconds later.
 */
public final class GcMonitor {
    /** What a notification reports (see "Pauses and cycles"). */
    enum Kind {
        /** A stop-the-world collection: a pause and a cycle. */
        COLLECTION(true, true),
        /** A pause within a concurrent cycle. */
        PAUSE(true, false),
        /** A concurrent cycle: not a pause. */
        CYCLE(false, true);

        final boolean pause, cycle;

        Kind(boolean pause, boolean cycle) {
            this.pause = pause;
            this.cycle = cycle;
        }
    }

    private static volatile GcMonitor instance;

    // ---- immutable state
    /** The collectors whose accumulated time is pause time (all but the concurrent cycles'). */
    private final GarbageCollectorMXBean[] pauseCollectors;
    private final String collectorNames;

    // ---- mutable state, under this object's lock (written by the notification thread)
    /** Every pause, in microseconds (the JVM's milliseconds times 1000), up to an hour, 2 digits. */
    private final Histogram pauseMicros = new Histogram(3_600_000_000L, 2);
    private long cycles, pauses;
    private long heapAfterLastGc = -1;
    /** Cycles notified: also read without the lock (volatile) as a cheap "has a GC happened" test. */
    private final AtomicLong cycleCount = new AtomicLong();
    /** What each cycle rotates (pools), held weakly: an unused pool is collected with its objects. */
    private final List<WeakReference<CycleListener>> listeners = new ArrayList<>();

    /** Told of each completed cycle, on the notification thread. */
    interface CycleListener {
        void cycleEnded();
    }

    private GcMonitor() {
        List<GarbageCollectorMXBean> beans = ManagementFactory.getGarbageCollectorMXBeans();
        List<GarbageCollectorMXBean> pausing = new ArrayList<>();
        StringBuilder names = new StringBuilder();
        for (GarbageCollectorMXBean b : beans) {
            if (!b.getName().contains("Cycles")) pausing.add(b);
            if (!names.isEmpty()) names.append(", ");
            names.append(b.getName());
        }
        this.pauseCollectors = pausing.toArray(new GarbageCollectorMXBean[0]);
        this.collectorNames = names.toString();
        NotificationListener l = (n, handback) -> onNotification(n);
        for (GarbageCollectorMXBean b : beans) {
            if (b instanceof NotificationEmitter e) {
                e.addNotificationListener(l, null, null);
            }
        }
    }

    /**
     * The JVM's monitor, subscribed at the first call (which takes some milliseconds on a cold
     * JVM: the management beans start).
     */
    public static GcMonitor get() {
        GcMonitor m = instance;
        if (m != null) return m;
        synchronized (GcMonitor.class) {
            if (instance == null) instance = new GcMonitor();
            return instance;
        }
    }

    /** The monitor if some caller has started it, else null (starts nothing). */
    static GcMonitor ifStarted() {
        return instance;
    }

    /** The JVM's collectors, by their MXBean names ("G1 Young Generation, G1 Concurrent GC, G1 Old Generation"). */
    public String collectors() {
        return collectorNames;
    }

    /**
     * The time the collectors have stopped the world since the JVM started, in nanoseconds (their
     * accumulated pause time, in whole milliseconds): a few counter reads, no allocation, no lock.
     * sysmon reads it every round.
     */
    public long pauseTotalNanos() {
        long ms = 0;
        for (GarbageCollectorMXBean b : pauseCollectors) {
            long t = b.getCollectionTime();
            if (t > 0) ms += t;
        }
        return ms * 1_000_000L;
    }

    /** Cycles completed since the monitor started (see {@link GcMetrics#cycles()}); a volatile read. */
    public long cycles() {
        return cycleCount.get();
    }

    /** The counts, the pause percentiles and the heap after the last collection, now. */
    public synchronized GcMetrics metrics() {
        boolean any = pauseMicros.getTotalCount() > 0;
        return new GcMetrics(cycles, pauses,
            any ? pauseMicros.getValueAtPercentile(50) * 1000 : 0,
            any ? pauseMicros.getValueAtPercentile(99) * 1000 : 0,
            any ? pauseMicros.getMaxValue() * 1000 : 0,
            pauseTotalNanos(), heapAfterLastGc);
    }

    /** How a collector's notification counts (see "Pauses and cycles"). */
    static Kind classify(String gcName, String gcAction) {
        String action = gcAction == null ? "" : gcAction.toLowerCase(Locale.ROOT);
        if (action.contains("cycle") || (gcName != null && gcName.contains("Cycles"))) return Kind.CYCLE;
        if (action.contains("pause") || (gcName != null && gcName.contains("Pauses"))) return Kind.PAUSE;
        return Kind.COLLECTION;
    }

    /** The JVM's notification thread: records one collector's report. */
    private void onNotification(Notification n) {
        if (!GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(n.getType())) return;
        GarbageCollectionNotificationInfo info = GarbageCollectionNotificationInfo.from((CompositeData) n.getUserData());
        GcInfo gc = info.getGcInfo();
        record(classify(info.getGcName(), info.getGcAction()), gc.getDuration(), heapUsed(gc));
    }

    /** Records one report: a pause of durationMillis and/or a cycle that left heapAfter bytes in use (-1: unknown). */
    void record(Kind kind, long durationMillis, long heapAfter) {
        synchronized (this) {
            if (kind.pause) {
                pauses++;
                pauseMicros.recordValue(Math.max(0, Math.min(durationMillis, 3_600_000L)) * 1000);
            }
            if (kind.cycle) {
                cycles++;
                if (heapAfter >= 0) heapAfterLastGc = heapAfter;
            }
        }
        if (kind.cycle) {
            cycleCount.incrementAndGet();
            MemoryPacer.get().cycleEnded(heapAfter);
            cycleEnded();
        }
    }

    /** The heap in use after the collection: the sum over the heap's pools, or -1. */
    private static long heapUsed(GcInfo gc) {
        long sum = 0;
        boolean any = false;
        for (var e : gc.getMemoryUsageAfterGc().entrySet()) {
            if (!isHeapPool(e.getKey())) continue;
            MemoryUsage u = e.getValue();
            sum += u.getUsed();
            any = true;
        }
        return any ? sum : -1;
    }

    private static final java.util.Set<String> HEAP_POOLS = heapPools();

    private static java.util.Set<String> heapPools() {
        java.util.Set<String> names = new java.util.HashSet<>();
        for (var p : ManagementFactory.getMemoryPoolMXBeans()) {
            if (p.getType() == java.lang.management.MemoryType.HEAP) names.add(p.getName());
        }
        return names;
    }

    private static boolean isHeapPool(String name) {
        return HEAP_POOLS.contains(name);
    }

    /** Adds l, held weakly, to what each cycle's end tells. */
    void addCycleListener(CycleListener l) {
        synchronized (listeners) {
            listeners.add(new WeakReference<>(l));
        }
    }

    private void cycleEnded() {
        List<CycleListener> live = new ArrayList<>();
        synchronized (listeners) {
            listeners.removeIf(r -> {
                CycleListener l = r.get();
                if (l == null) return true;
                live.add(l);
                return false;
            });
        }
        for (CycleListener l : live) {
            try {
                l.cycleEnded();
            } catch (Throwable t) {
                System.err.println("gort: GC cycle listener failed: " + t);
            }
        }
    }

    /** {@code " gc=N pause_p99=Xms"}: schedtrace's fields. */
    public void appendSchedtrace(StringBuilder line) {
        GcMetrics m = metrics();
        line.append(" gc=").append(m.cycles()).append(" pause_p99=");
        millis(line, m.pauseP99Nanos());
    }

    /** The goroutine dump's header line about the collector. */
    public void appendDumpHeader(StringBuilder header) {
        GcMetrics m = metrics();
        header.append("gc: ").append(m.cycles()).append(" cycles, ").append(m.pauses()).append(" pauses (p50 ");
        millis(header, m.pauseP50Nanos());
        header.append(", p99 ");
        millis(header, m.pauseP99Nanos());
        header.append(", max ");
        millis(header, m.pauseMaxNanos());
        header.append(", total ");
        millis(header, m.pauseTotalNanos());
        header.append("), heap after the last collection ");
        if (m.heapAfterLastGc() < 0) header.append("unknown");
        else header.append(m.heapAfterLastGc() >> 20).append(" MiB");
        header.append(" [").append(collectorNames).append("]\n");
    }

    private static void millis(StringBuilder sb, long nanos) {
        sb.append(nanos / 1_000_000L).append("ms");
    }
}
