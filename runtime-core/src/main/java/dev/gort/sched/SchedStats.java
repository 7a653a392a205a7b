package dev.gort.sched;

import dev.gort.Distribution;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The scheduler's sampled distributions (Go's {@code /sched/latencies:seconds} and its wait-time
 * metrics): the <em>scheduling latency</em>, from the moment a goroutine is made runnable
 * (spawned, readied by a waker, preempted or yielding) to the moment a carrier mounts it; the
 * <em>wait time</em> of each {@link WaitReason}, from the park to the moment a waker makes the
 * goroutine runnable; and {@code Go.blocking}'s time in the call. Read by {@code Go.metrics()},
 * the MBean and schedtrace. The histograms are HdrHistogram's, per P, merged on read
 * ({@link SchedHistograms}, which states their writers and ordering).
 *
 * <h2>Sampling (Go's {@code gTrackingPeriod})</h2>
 * A goroutine's cycles are timed one in {@code period} (64 by default, where Go's is 8: see
 * {@link SchedulerConfig#SCHED_STATS_SAMPLE_DEFAULT}; {@code -Dgort.schedstats.sample};
 * {@code -Dgort.schedstats=false}: never). The decision is a
 * per-goroutine counter, {@link G#statSeq}, incremented each time the goroutine leaves RUNNING
 * (a park, a yield or preemption, a blocking call), and started from the goroutine's id at spawn
 * so that goroutines that move in step are not all timed at once. A timed cycle keeps a
 * timestamp in {@link G#statStamp}, odd ({@link #now} sets the low bit; {@link #timed}); an
 * even stamp is an untimed cycle's (while WAITING, the park's coarse time, which the dump
 * shows as "waiting since"):
 * <pre>
 *   spawned, id % period == 0   stamp = now                             the spawner
 *   leaves RUNNING, timed       stamp = now                             its carrier
 *   readied, stamp odd          wait = now - stamp; stamp = now         the waker (makeRunnable)
 *   mounted, stamp odd          latency = now - stamp; stamp made even  the mounting carrier
 * </pre>
 * An untimed cycle reads no clock: it costs the counter's increment when it leaves RUNNING and a
 * test of the stamp at the ready and at the mount, fields of the goroutine that its carrier and
 * its waker touch anyway; nothing is written to a shared location. A timed one reads the clock
 * three times and records twice (two atomic increments each, on the recorder's own P).
 *
 * <h2>Who writes the stamp, and the ordering</h2>
 * {@link G#statStamp} is a plain field owned like the goroutine's other fields (see {@link G}):
 * its carrier writes it before the hand-off that passes the goroutine on (the WAITING release
 * store, then the park commit's lock release; a run queue's put); the waker reads and rewrites
 * it after claiming the goroutine (under the wait's lock, after the commit) and before its
 * status CAS and run-queue put; the mounting carrier reads it and makes it even after taking the
 * goroutine from a run queue (a pinned goroutine's carrier: after reading RUNNABLE, which the
 * waker's CAS wrote after the stamp). Each pair is ordered by that hand-off, so no access races.
 * A park whose commit fails keeps its park stamp: the goroutine is runnable at once, its latency
 * counts from the park, and no wait is recorded.
 *
 * <h2>Without HdrHistogram</h2>
 * HdrHistogram is runtime-core's one library, and optional at run time: when it is not on the
 * path (or, on the module path, not resolved), {@link #AVAILABLE} is false, the sampling is off
 * and every distribution is {@link Distribution#EMPTY}. {@link SchedHistograms} is loaded only
 * when it is there.
 */
final class SchedStats {
    /** HdrHistogram can be loaded and read by this module. */
    static final boolean AVAILABLE = probe();

    /** The key of {@code Go.blocking}'s time in the wait times. */
    static final String BLOCKING_CALL = "blocking call";
    private static final WaitReason[] REASONS = WaitReason.values();
    /** Slots of the wait recorders: one per wait reason's ordinal (NONE's is unused), then {@link #BLOCKING_SLOT}. */
    static final int SLOTS = REASONS.length + 1;
    static final int BLOCKING_SLOT = REASONS.length;

    // ---- configuration: written at start-up, and by tests and benchmarks (setSampling) at any time
    /**
     * Sampling on ({@code gort.schedstats}, and HdrHistogram available). Volatile so that a
     * switch at run time reaches carriers whose loops the JIT compiled (a plain load on x86 and
     * ARM's load-acquire; no write on the hot path); written after {@link #mask}, read before it.
     */
    private volatile boolean on;
    /** period - 1: a cycle is timed when the goroutine's counter has these bits clear. */
    private int mask;

    /** The histograms, or null without HdrHistogram. */
    private final SchedHistograms histograms;
    /** The steals of retired Ps (added to under Idle.lock, lock-free: see SchedHistograms on why nothing there may block). */
    private final java.util.concurrent.atomic.AtomicLong retiredSteals = new java.util.concurrent.atomic.AtomicLong();

    SchedStats(boolean on, int period) {
        this.histograms = AVAILABLE ? new SchedHistograms() : null;
        setSampling(on, period);
    }

    private static boolean probe() {
        try {
            Class<?> c = Class.forName("org.HdrHistogram.SingleWriterRecorder", false, SchedStats.class.getClassLoader());
            return SchedStats.class.getModule().canRead(c.getModule());
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    /** A new P's recorders, or null without HdrHistogram. */
    static SchedHistograms.PerP newPerP() {
        return AVAILABLE ? new SchedHistograms.PerP() : null;
    }

    /** Tests and start-up: sampling on or off (off regardless without HdrHistogram), and the period. */
    void setSampling(boolean on, int period) {
        if (period < 1 || period > 128 || Integer.bitCount(period) != 1) {
            throw new IllegalArgumentException("gort.schedstats.sample must be a power of two in 1..128, got " + period);
        }
        this.mask = period - 1;
        this.on = on && AVAILABLE;
    }

    /** Sampling on (for schedtrace). */
    boolean on() {
        return on;
    }

    // =====================================================================================
    // The hooks (hot paths: an untimed cycle reads no clock)

    /** The clock, odd (an odd {@link G#statStamp} is a timed cycle's: {@link #timed}). */
    private static long now() {
        return System.nanoTime() | 1;
    }

    /** Whether g's current cycle is timed: its stamp is odd (see {@link G#statStamp}). */
    static boolean timed(G g) {
        return (g.statStamp & 1) != 0;
    }

    /** The spawner, before the first queuing: starts the counter; one spawn in a period times its first wait for a carrier. */
    void spawned(G g) {
        if (!on) return;
        g.statSeq = (byte) g.id;
        if ((g.id & mask) == 0) g.statStamp = now();
    }

    /** The carrier of g, which left RUNNING (park or yield), before the hand-off that passes g on. */
    void leftRunning(G g) {
        if (!on) return;
        byte seq = (byte) (g.statSeq + 1);
        g.statSeq = seq;
        if ((seq & mask) == 0) g.statStamp = now();
    }

    /**
     * The waker of a timed park ({@link #timed}), before its status CAS: the wait is over,
     * recorded into the waker's P (or the shared recorder without one); the stamp becomes the
     * runnable one.
     */
    void readying(G g) {
        long parkedAt = g.statStamp;
        long t = now();
        g.statStamp = t;
        recordWait(g.waitReason, t - parkedAt);
    }

    /** The carrier mounting a timed goroutine ({@link #timed}) on p, which it holds: the latency. */
    void mounted(P p, G g) {
        long since = g.statStamp;
        g.statStamp = since - 1; // even: recorded
        p.histograms.recordLatency(Math.max(0, now() - since));
    }

    /** Go.blocking's start: the clock if this call is timed, else 0. */
    long blockingStart(G g) {
        if (!on) return 0;
        byte seq = (byte) (g.statSeq + 1);
        g.statSeq = seq;
        return (seq & mask) == 0 ? now() : 0;
    }

    /** Go.blocking's end, for a timed call (start != 0). */
    void blockingEnd(long start) {
        recordWait(BLOCKING_SLOT, now() - start);
    }

    private void recordWait(int slot, long nanos) {
        if (nanos < 0) nanos = 0;
        P p = Scheduler.currentP();
        if (p != null) {
            p.histograms.recordWait(slot, nanos);
        } else {
            histograms.recordSharedWait(slot, nanos);
        }
    }

    // =====================================================================================
    // Reading

    /** The distributions, merged over every P, cumulative since start. */
    record Snapshot(Distribution latency, Map<String, Distribution> waits) {}

    private static final Snapshot EMPTY = new Snapshot(Distribution.EMPTY, emptyWaits());

    /** Every P's and the shared recorders drained into the totals, and summarised (all empty without HdrHistogram). */
    Snapshot read(P[] ps) {
        return histograms != null ? histograms.read(ps) : EMPTY;
    }

    /** Holding Idle.lock: p leaves allp; what it recorded stays in the totals. Never blocks. */
    void retired(P p) {
        if (histograms != null) histograms.retired(p);
        retiredSteals.addAndGet(p.stealsOpaque());
    }

    /** Successful steals over ps (the live Ps), and those of the retired Ps (a retiring P may count in both for a moment). */
    long steals(P[] ps) {
        long n = retiredSteals.get();
        for (P p : ps) n += p.stealsOpaque();
        return n;
    }

    /** The key of a wait slot: the reason's text as the dump shows it, or {@link #BLOCKING_CALL}. */
    static String slotKey(int slot) {
        return slot == BLOCKING_SLOT ? BLOCKING_CALL : REASONS[slot].toString();
    }

    private static Map<String, Distribution> emptyWaits() {
        Map<String, Distribution> m = new LinkedHashMap<>();
        for (int i = 1; i < SLOTS; i++) m.put(slotKey(i), Distribution.EMPTY);
        return Collections.unmodifiableMap(m);
    }

    // =====================================================================================
    // Text

    /** One line per distribution with something recorded: {@code key: count=.. p50=.. p90=.. p99=.. p99.9=.. max=..}. */
    static String summary(Map<String, Distribution> ds) {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, Distribution> e : ds.entrySet()) {
            Distribution d = e.getValue();
            if (d.count() == 0) continue;
            if (!sb.isEmpty()) sb.append('\n');
            sb.append(e.getKey()).append(": count=").append(d.count());
            appendDuration(sb.append(" p50="), d.p50Nanos());
            appendDuration(sb.append(" p90="), d.p90Nanos());
            appendDuration(sb.append(" p99="), d.p99Nanos());
            appendDuration(sb.append(" p99.9="), d.p999Nanos());
            appendDuration(sb.append(" max="), d.maxNanos());
        }
        return sb.toString();
    }

    /** nanos with the unit that keeps it short: {@code 850ns}, {@code 12us}, {@code 1.5ms}, {@code 41ms}, {@code 2.3s}. */
    static StringBuilder appendDuration(StringBuilder sb, long nanos) {
        if (nanos < 1_000) return sb.append(nanos).append("ns");
        if (nanos < 999_500) return appendScaled(sb, nanos, 1_000).append("us");
        if (nanos < 999_500_000) return appendScaled(sb, nanos, 1_000_000).append("ms");
        return appendScaled(sb, nanos, 1_000_000_000).append('s');
    }

    /** nanos / unit with one decimal below 10, none from 10 up. */
    private static StringBuilder appendScaled(StringBuilder sb, long nanos, long unit) {
        long tenths = (nanos + unit / 20) / (unit / 10);
        if (tenths >= 100) return sb.append((tenths + 5) / 10);
        return sb.append(tenths / 10).append('.').append(tenths % 10);
    }
}
