package dev.gort.gcassist;

import dev.gort.gc.MemoryLimit;
import dev.gort.gc.MemoryLimitMetrics;
import dev.gort.sched.SchedulerHooks;
import dev.gort.sched.SchedulerHooks.MemoryGate;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The policy of the soft memory limit ({@link MemoryLimit}, one per JVM): the scheduler's memory
 * gate (its {@code Admission}) closes by itself when it samples the heap above the limit; this
 * class decides when it opens again, when to ask the JVM for a collection, and how much futile
 * pacing a second may hold. It runs on its own daemon thread, {@code gort-memlimit}, which the
 * gate's closing wakes ({@link #wake()}, from {@link SchedulerHooks#memoryLimitExceeded}) and
 * which otherwise sleeps. The thread starts with the runtime, before its first goroutine
 * ({@link #attach}, from the hook's {@code memoryLimit()}), and ends with it ({@link #detach}).
 *
 * <h2>While the gate is closed (a round every {@link #TICK_NANOS})</h2>
 * <ol>
 *   <li><b>Open</b> when a sample of the heap is at or under the limit
 *       ({@link SchedulerHooks#admitHeld}): a collection has made room.</li>
 *   <li><b>Ask for a collection</b> ({@code System.gc()}, on this thread) while goroutines are
 *       held and none has ended for {@link #gcWait} when either some goroutines have ended since
 *       the last one (what they held is garbage now), or the runtime is idle and none ended
 *       since the gate closed (everyone waits, so nothing allocates and no collection would
 *       come by itself). {@code gcWait} is {@link #GC_WAIT_MIN_NANOS}, or four times the last
 *       requested collection's duration if longer: collecting costs at most about a fifth of
 *       the time.</li>
 *   <li><b>Let the oldest held goroutine go</b>, the gate staying closed, when the runtime is
 *       idle and no goroutine has ended for {@link #STALL_NANOS}: the goroutines that hold the
 *       memory wait, perhaps for a held one (a worker queued behind the burst, the next stage
 *       of a pipeline). One per stall ({@link SchedulerHooks#admitOldest}).</li>
 *   <li><b>Spend the pacing budget</b> (Go's GC CPU limiter: at most half of the time): a
 *       collection <em>recovers</em> memory when it leaves the heap at a new low for this
 *       closing, by {@link #RECOVERED_MIN_BYTES} at least (its first collection always does);
 *       once {@link #FAILED_COLLECTIONS_FUTILE} collections in a row have not (counted in
 *       collections, not time, so that a slow machine is not mistaken for a leak), pacing is
 *       futile until the next recovery: the heap above the
 *       limit is live data that the goroutines ending do not release (a leak, or live data
 *       larger than the limit). When the futile time reaches {@link #MAX_FUTILE_NANOS} of the
 *       last {@link #WINDOW_NANOS}, the pacer <em>suspends</em> the limit: the scheduler's
 *       limit is set to 0, which opens the gate, until the last second's futile share falls
 *       under half. A program whose live data outgrows the heap then runs into
 *       {@code OutOfMemoryError}, as it would without the limit, within about a second of
 *       pacing, instead of crawling. Holding back while collections still recover memory (a
 *       burst larger than the heap, draining) is not futile, and is not limited.</li>
 * </ol>
 * The futile time is kept in {@link #SLOTS} slots of {@link #SLOT_NANOS}: each round adds the
 * time since the previous round, if the gate was closed and futile throughout, to the current
 * slot.
 *
 * <h2>Threads and state</h2>
 * {@link #limit}, {@link #suspended}, {@link #attached} and {@link #thread} are volatile,
 * written under this object's lock ({@link #setLimit}, {@link #attach}, {@link #detach},
 * {@link #resume}) and by nothing else, read by the pacer thread after each park and by the
 * metrics. Everything under "the pacer thread's own" is that thread's. The counters are atomics
 * read by the metrics. The JVM's GC notification thread calls {@link #cycleEnded} for each
 * cycle.
 */
public final class MemoryPacer implements Runnable {
    /** The window over which at most half of the time may be futile pacing. */
    static final long WINDOW_NANOS = 1_000_000_000L;
    static final long MAX_FUTILE_NANOS = WINDOW_NANOS / 2;
    static final long SLOT_NANOS = 10_000_000L;
    static final int SLOTS = (int) (WINDOW_NANOS / SLOT_NANOS);
    /** The pacer's round while the gate is closed or the limit suspended. */
    static final long TICK_NANOS = 1_000_000L;
    /** The shortest wait between two collections the pacer asks for. */
    static final long GC_WAIT_MIN_NANOS = 20_000_000L;
    /** The runtime idle and no goroutine ended for this long: the oldest held goroutine is let go. */
    static final long STALL_NANOS = 20_000_000L;
    /** A collection recovers memory when it leaves the heap this much under the closing's lowest so far. */
    static final long RECOVERED_MIN_BYTES = 1L << 20;
    /** Pacing is futile once this many collections in a row have not recovered memory. */
    static final int FAILED_COLLECTIONS_FUTILE = 2;

    private static final MemoryPacer INSTANCE = new MemoryPacer(configuredLimit());

    /** The JVM's pacer. */
    public static MemoryPacer get() {
        return INSTANCE;
    }

    /** {@code -Dgort.memlimit}, or 0; an unreadable value is said on standard error and ignored. */
    private static long configuredLimit() {
        String v = System.getProperty(MemoryLimit.PROPERTY);
        if (v == null) return 0;
        try {
            return MemoryLimit.parse(v);
        } catch (IllegalArgumentException e) {
            System.err.println("gort: " + MemoryLimit.PROPERTY + "=" + v + " ignored: " + e.getMessage());
            return 0;
        }
    }

    private volatile long limit;
    /** The limit is suspended: the pacing budget is spent (see the class comment). */
    private volatile boolean suspended;
    private volatile boolean attached;
    private volatile Thread thread;

    private final AtomicLong cyclesAboveLimit = new AtomicLong();
    private final AtomicLong gcRequests = new AtomicLong();
    private final AtomicLong limiterEngagements = new AtomicLong();
    private final AtomicLong trickled = new AtomicLong();

    // ---- the pacer thread's own
    private final long[] slotFutile = new long[SLOTS];
    private final long[] slotIndex = new long[SLOTS];
    private long lastRound;
    /** The gate's closings when the pacer last looked (a new closing starts a new interval). */
    private long closingsSeen = -1;
    /**
     * The heap in use at the last look (a smaller sample means a collection ended: only a
     * collection makes it shrink; the pacer needs no management bean for it), when the last
     * collection ended or was asked for, and the wait before asking again.
     */
    private long usedSeen, lastGcAt, gcWait = GC_WAIT_MIN_NANOS;
    /** Goroutines ended ({@link MemoryGate#ended()}) at the last collection (or the closing), and at the last round. */
    private long endedAtGc, endedSeen;
    /** When a round last saw goroutines end (or the closing, or the last let-go). */
    private long lastProgressAt;
    /** The lowest heap in use after a collection in this closing (MAX_VALUE: none yet). */
    private long lowestAfterGc;
    /** Collections in a row, in this closing, that did not recover memory. */
    private int failedCollections;
    private GcEvents.Pacing event;
    /** Goroutines held before the event's interval began ({@link #beginPacing}). */
    private long heldBefore;

    private MemoryPacer(long limit) {
        this.limit = limit;
    }

    public long limit() {
        return limit;
    }

    /** The limit for the running runtime and the next ones (0: none). */
    public void setLimit(long bytes) {
        synchronized (this) {
            limit = bytes;
            if (!suspended) SchedulerHooks.setMemoryLimit(bytes);
            if (attached && bytes > 0) startThread();
        }
        wake();
    }

    /**
     * A runtime is being built (its hook's {@code memoryLimit()}, before any goroutine runs): the
     * pacer serves it, and its thread starts now if there is a limit.
     *
     * @return the limit the runtime starts with
     */
    synchronized long attach() {
        attached = true;
        suspended = false;
        if (limit > 0) startThread();
        return limit;
    }

    /** The runtime has stopped: the pacer thread ends. */
    void detach() {
        Thread t;
        synchronized (this) {
            attached = false;
            t = thread;
            thread = null;
        }
        if (t != null) {
            LockSupport.unpark(t);
            boolean interrupted = false;
            for (;;) {
                try {
                    t.join();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) Thread.currentThread().interrupt();
        }
    }

    private void startThread() {
        if (thread != null) return;
        Thread t = new Thread(null, this, "gort-memlimit", 0, false);
        t.setDaemon(true);
        thread = t;
        t.start();
    }

    /** The gate has closed (SchedulerHooks.memoryLimitExceeded, on a carrier or sysmon): cheap. */
    void wake() {
        Thread t = thread;
        if (t != null) LockSupport.unpark(t);
    }

    /** A collection ended (the GC notification thread) and left heapAfter bytes in use (-1: unknown). */
    public void cycleEnded(long heapAfter) {
        long lim = limit;
        if (lim > 0 && heapAfter > lim) cyclesAboveLimit.incrementAndGet();
    }

    public MemoryLimitMetrics metrics() {
        MemoryGate g = SchedulerHooks.memoryGate();
        return new MemoryLimitMetrics(limit, g != null && g.closed(), g != null ? g.held() : 0, g != null ? g.heldTotal() : 0,
            g != null ? g.closedNanos() : 0, g != null ? g.closings() : 0,
            cyclesAboveLimit.get(), gcRequests.get(), limiterEngagements.get(), trickled.get());
    }

    @Override
    public void run() {
        while (attached && Thread.currentThread() == thread) {
            try {
                round();
            } catch (Throwable t) {
                System.err.println("gort: memory limit: " + t + "; going on");
                LockSupport.parkNanos(this, SLOT_NANOS);
            }
        }
        if (event != null) endPacing("runtime stopped");
    }

    /** One round: see the class comment. Parks before it returns. */
    private void round() {
        long lim = limit;
        MemoryGate g = SchedulerHooks.memoryGate(); // null while the runtime is still being built
        long now = System.nanoTime();
        long sinceLast = now - lastRound;
        lastRound = now;
        if (g == null || lim == 0) {
            if (event != null) endPacing("limit removed");
            if (suspended && lim == 0) resume();
            LockSupport.park(this);
            return;
        }
        if (suspended) {
            if (futileInWindow(now) < MAX_FUTILE_NANOS) resume();
            else LockSupport.parkNanos(this, SLOT_NANOS);
            return;
        }
        if (!g.closed()) {
            if (event != null) endPacing("heap under the limit");
            LockSupport.park(this); // until the gate closes (wake) or the limit changes
            return;
        }
        long used = SchedulerHooks.heapUsed();
        long ended = g.ended();
        if (g.closings() != closingsSeen) { // a new closing
            closingsSeen = g.closings();
            usedSeen = used;
            lastGcAt = now;
            lastProgressAt = now;
            endedSeen = ended;
            endedAtGc = ended;
            lowestAfterGc = Long.MAX_VALUE;
            failedCollections = 0;
            if (event == null) beginPacing(lim, g);
        } else if (failedCollections >= FAILED_COLLECTIONS_FUTILE) {
            addFutile(now, Math.min(sinceLast, 10 * TICK_NANOS));
        }
        if (ended > endedSeen) lastProgressAt = now; // some goroutines ended
        endedSeen = ended;
        if (used <= lim) {
            SchedulerHooks.admitHeld();
            endPacing("heap under the limit");
            return;
        }
        if (futileInWindow(now) >= MAX_FUTILE_NANOS) {
            synchronized (this) {
                suspended = true;
                SchedulerHooks.setMemoryLimit(0); // opens the gate; resume() sets the limit again
            }
            limiterEngagements.incrementAndGet();
            endPacing("pacing budget spent");
            return;
        }
        boolean collected = used < usedSeen; // only a collection makes the heap in use shrink
        usedSeen = used;
        if (collected) { // a collection ended by itself, and the heap is still above the limit
            lastGcAt = now;
            endedAtGc = ended;
            collectionEnded(used);
        } else if (g.held() > 0 && now - lastGcAt >= gcWait
                   && (ended > endedAtGc || (g.runtimeIdle() && lowestAfterGc == Long.MAX_VALUE))) {
            gcRequests.incrementAndGet();
            if (event != null) event.gcRequests++;
            System.gc();
            long end = System.nanoTime();
            gcWait = Math.max(GC_WAIT_MIN_NANOS, 4 * (end - now));
            lastGcAt = end;
            endedAtGc = ended;
            usedSeen = SchedulerHooks.heapUsed();
            collectionEnded(usedSeen);
            return; // look at the heap again at once
        }
        if (g.runtimeIdle() && g.held() > 0 && now - lastProgressAt >= STALL_NANOS && SchedulerHooks.admitOldest()) {
            lastProgressAt = now; // the next one after another stall
            trickled.incrementAndGet();
            if (event != null) event.trickled++;
        }
        LockSupport.parkNanos(this, TICK_NANOS);
    }

    /**
     * A collection in this closing left {@code after} bytes in use, above the limit: a recovery
     * if that is a new low of the closing by at least {@link #RECOVERED_MIN_BYTES} (the
     * closing's first collection always is), a failure otherwise.
     */
    private void collectionEnded(long after) {
        if (after < lowestAfterGc - RECOVERED_MIN_BYTES) {
            lowestAfterGc = after;
            failedCollections = 0;
        } else {
            failedCollections++;
        }
    }

    private synchronized void resume() {
        suspended = false;
        SchedulerHooks.setMemoryLimit(limit);
    }

    /** Adds futile pacing time to the current slot. */
    private void addFutile(long now, long nanos) {
        long index = now / SLOT_NANOS;
        int i = (int) (index % SLOTS);
        if (slotIndex[i] != index) {
            slotIndex[i] = index;
            slotFutile[i] = 0;
        }
        slotFutile[i] += nanos;
    }

    /** The futile pacing time recorded in the last {@link #WINDOW_NANOS}. */
    private long futileInWindow(long now) {
        long index = now / SLOT_NANOS;
        long sum = 0;
        for (int i = 0; i < SLOTS; i++) {
            if (index - slotIndex[i] < SLOTS) sum += slotFutile[i];
        }
        return sum;
    }

    /**
     * Begins the interval's event. The gate drains every held goroutine when it opens, so those
     * held now were held in this closing: the ones held before it are {@code heldTotal - held}.
     */
    private void beginPacing(long lim, MemoryGate g) {
        GcEvents.Pacing e = new GcEvents.Pacing();
        e.begin();
        e.limit = lim;
        e.heapAtStart = SchedulerHooks.heapUsed();
        heldBefore = g.heldTotal() - g.held();
        event = e;
    }

    private void endPacing(String reason) {
        GcEvents.Pacing e = event;
        event = null;
        if (e == null) return;
        e.end();
        if (e.shouldCommit()) {
            MemoryGate g = SchedulerHooks.memoryGate();
            e.held = g != null ? g.heldTotal() - heldBefore : 0;
            e.heapAtEnd = SchedulerHooks.heapUsed();
            e.outcome = reason;
            e.commit();
        }
    }
}
