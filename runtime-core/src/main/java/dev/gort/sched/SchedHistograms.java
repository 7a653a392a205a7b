package dev.gort.sched;

import dev.gort.Distribution;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.HdrHistogram.SingleWriterRecorder;

/**
 * The HdrHistogram side of {@link SchedStats}: each P's recorders ({@link PerP}), the shared
 * recorders of the wakers that hold no P, and the cumulative histograms they are merged into on
 * read. Loaded only when HdrHistogram is on the class or module path ({@link SchedStats#AVAILABLE}):
 * runtime-core runs without it, with the distributions off.
 *
 * <h2>Writers and readers</h2>
 * Only the thread whose carrier holds a P records into that P's {@link SingleWriterRecorder}s:
 * the mounting carrier, and a waker running on a carrier that holds the P (a goroutine, or the
 * carrier itself running timers or a poll). Successive holders are ordered by the P's hand-off
 * (acquirep and releasep under {@link Idle#lock}, or the hand-off to a started M), so a
 * recorder sees one writer at a time, which is {@code SingleWriterRecorder}'s contract. A
 * waker that holds no P (a platform thread, a goroutine inside {@code Go.blocking}, sysmon's
 * poll, the timer sleeper) records into a shared, multi-writer {@link Recorder}.
 *
 * <p>A reader ({@link #read}) takes each recorder's interval histogram, which HdrHistogram's
 * {@code WriterReaderPhaser} makes safe against the writers: a writer's critical section opens
 * and closes with an atomic increment of the phaser's epochs; the reader swaps the active
 * histogram, then exchanges the start epoch (atomically) and waits until the end epoch shows
 * that every writer that entered the old phase has left it. So every recorded value is in
 * exactly one interval, and the interval is read only after its last write. The intervals are
 * added to the cumulative histograms here, under this object's monitor, so that the
 * distributions count everything since the runtime started.
 *
 * <p>No scheduler thread ever waits for that monitor: a reader may hold it for a while (a
 * flip waits for the writers in flight, and the reader may be descheduled), and a carrier or
 * sysmon blocked on it while holding {@link Idle#lock} would stall every carrier, and look
 * to sysmon like a blocked carrier. So a P that retires (under {@link Idle#lock}, after its
 * last holder released it: nothing records into it afterwards) is only pushed on
 * {@link #retiredHead}, a lock-free stack through {@link PerP#nextRetired} (a CAS, no
 * allocation), and the next {@link #read} drains it there, once more, and drops it.
 *
 * <p>Every histogram auto-resizes, with two significant digits (a value is within 1% of the
 * duration it stands for): a reason never used costs a few kilobytes per P, and a recording that
 * needs a larger histogram allocates on the recording thread, once.
 */
final class SchedHistograms {
    private static final int DIGITS = 2;

    private final Recorder[] sharedWaits = new Recorder[SchedStats.SLOTS];
    // cumulative totals, under this object's monitor
    private final Histogram latencyTotal = new Histogram(DIGITS);
    private final Histogram[] waitTotals = new Histogram[SchedStats.SLOTS];
    private final Histogram scratch = new Histogram(DIGITS);
    /**
     * Retired Ps' recorders not drained since their retirement: pushed by {@link #retired}
     * (CAS, release), taken whole by {@link #read} (getAndSet, acquire: the P's last records,
     * which happened before its retirement, are visible to the drain).
     */
    private final AtomicReference<PerP> retiredHead = new AtomicReference<>();

    SchedHistograms() {
        for (int i = 1; i < SchedStats.SLOTS; i++) {
            sharedWaits[i] = new Recorder(DIGITS);
            waitTotals[i] = new Histogram(DIGITS);
        }
    }

    /** A processor's recorders: written only by the thread whose carrier holds the P. */
    static final class PerP {
        private final SingleWriterRecorder latency = new SingleWriterRecorder(DIGITS);
        /** By {@link SchedStats}' slot: a wait reason's ordinal (NONE's is unused), then the blocking call. */
        private final SingleWriterRecorder[] waits = new SingleWriterRecorder[SchedStats.SLOTS];
        /** The link of {@link #retiredHead}: written by the retiring thread before its push, read by the reader after its take. */
        private PerP nextRetired;

        PerP() {
            for (int i = 1; i < SchedStats.SLOTS; i++) waits[i] = new SingleWriterRecorder(DIGITS);
        }

        void recordLatency(long nanos) {
            latency.recordValue(nanos);
        }

        void recordWait(int slot, long nanos) {
            waits[slot].recordValue(nanos);
        }
    }

    /** A waker without a P. */
    void recordSharedWait(int slot, long nanos) {
        sharedWaits[slot].recordValue(nanos);
    }

    /** Drains the recorders of {@code ps} and the shared ones into the totals, and summarises them. */
    synchronized SchedStats.Snapshot read(P[] ps) {
        for (PerP r = retiredHead.getAndSet(null); r != null; ) {
            drainLocked(r); // a retired P may be in ps too (an older allp): draining twice is harmless
            PerP next = r.nextRetired;
            r.nextRetired = null;
            r = next;
        }
        for (P p : ps) drainLocked(p.histograms);
        for (int i = 1; i < SchedStats.SLOTS; i++) {
            sharedWaits[i].getIntervalHistogramInto(scratch);
            waitTotals[i].add(scratch);
        }
        Map<String, Distribution> waits = new LinkedHashMap<>();
        for (int i = 1; i < SchedStats.SLOTS; i++) waits.put(SchedStats.slotKey(i), distribution(waitTotals[i]));
        return new SchedStats.Snapshot(distribution(latencyTotal), Collections.unmodifiableMap(waits));
    }

    /** Holding Idle.lock: p leaves allp; the next read drains what it recorded. Never blocks, allocates nothing. */
    void retired(P p) {
        PerP r = p.histograms;
        PerP head;
        do {
            head = retiredHead.get();
            r.nextRetired = head;
        } while (!retiredHead.compareAndSet(head, r));
    }

    private void drainLocked(PerP r) {
        r.latency.getIntervalHistogramInto(scratch);
        latencyTotal.add(scratch);
        for (int i = 1; i < SchedStats.SLOTS; i++) {
            r.waits[i].getIntervalHistogramInto(scratch);
            waitTotals[i].add(scratch);
        }
    }

    /** The summary of h, its percentiles clamped to be in order (each is its bucket's highest equivalent value). */
    static Distribution distribution(Histogram h) {
        long count = h.getTotalCount();
        if (count == 0) return Distribution.EMPTY;
        long max = h.getMaxValue();
        long p999 = Math.min(h.getValueAtPercentile(99.9), max);
        long p99 = Math.min(h.getValueAtPercentile(99), p999);
        long p90 = Math.min(h.getValueAtPercentile(90), p99);
        long p50 = Math.min(h.getValueAtPercentile(50), p90);
        long total = Math.round(h.getMean() * count);
        return new Distribution(count, total, p50, p90, p99, p999, max);
    }
}
