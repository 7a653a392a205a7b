package dev.gort.sched;

import java.util.PriorityQueue;

/**
 * The memory gate: the scheduler's half of the soft memory limit ({@code gort.memlimit}, Go's
 * GOMEMLIMIT). runtime-gc-assist decides the policy (the limit, when the gate opens, when to ask
 * the JVM for a collection, how much pacing a second may hold) through {@link SchedulerHooks};
 * this class is the mechanism, and runs the same with any policy.
 *
 * <h2>What a closed gate does</h2>
 * While the heap in use is above the limit the gate is closed, and goroutines that would add to
 * the heap wait instead of running:
 * <ul>
 *   <li><b>admission</b>: a goroutine that has never run is held at its first mount
 *       ({@link #holdNew}; {@code Schedule.execute}) instead of running: in a server each new
 *       request's goroutine is where memory growth starts, and the executor's new tasks wait
 *       behind the ones already running, which go on and release what they hold;</li>
 *   <li><b>the heaviest allocators</b>: a goroutine whose carrier allocated at least
 *       {@link #YIELD_ALLOCATION_BYTES} between two sysmon rounds while the gate was closed is
 *       preempted ({@link #sysmonRound}): at its next safepoint it goes to the back of the
 *       global queue, behind the goroutines that may release memory (Go's GC assist makes the
 *       allocating goroutine pay the same way). It is not held: a goroutine that has started
 *       holds memory (the buffer it just allocated), and holding it until the heap is under the
 *       limit would wait for itself;</li>
 *   <li><b>spawners</b>: {@code Go.spawn} from a goroutine yields first
 *       ({@link Scheduler#spawn}), so that goroutines already queued run before more arrive.</li>
 * </ul>
 * Held goroutines stay RUNNABLE (they are not waiting for anything but memory) and in the
 * goroutine count, and have never run, so they hold no memory but their closures; in a queue
 * here ordered by age (goroutine id: the first spawned first);
 * {@link #open} puts them all back on the global queue, oldest first. Oldest first, not first
 * held: a program's long-lived goroutines (a pool of workers, the stages of a pipeline) are
 * spawned before the burst of short ones that fills the heap, and the burst can only drain
 * through them; a worker queued behind the burst (a run queue's overflow to the global queue)
 * is held after some of it. Goroutines that are running or parked are left alone: they finish their
 * work and drop what they hold, which is how the heap comes down.
 *
 * <h2>Who closes and who opens</h2>
 * The gate closes here, on a carrier or on sysmon, when a sample of the heap in use
 * ({@link #heapUsed}) is above {@link #limit}: a carrier samples at every fourth first mount it
 * makes ({@code M.admissionChecks}; a sample is two JNI calls, about 55 ns), sysmon once a round.
 * Closing tells the hooks ({@link SchedulerHooks#memoryLimitExceeded}), and only the policy opens
 * it again ({@link SchedulerHooks#admitHeld}), after a collection brought the heap under the
 * limit or when its pacing budget is spent; while the runtime is idle and no goroutine ends, the
 * policy lets the oldest held goroutine go, one at a time ({@link #openOne}): the goroutines that
 * hold the memory may be waiting for a held one. With no limit ({@link #limit} 0) the gate never
 * closes, and the hot path pays one volatile read per goroutine's first mount.
 *
 * <h2>Memory ordering</h2>
 * {@link #closed}, {@link #held} and the counts change only under {@link #lock}. A holder reads
 * {@code closed} without the lock first (the fast path: open, nothing to do), then again under
 * the lock before it adds a goroutine, and the opener sets {@code closed = false} and drains the
 * FIFO under the same lock: so a goroutine is either drained by an opener that came after it, or
 * not held at all (it saw the gate open under the lock). None is left behind an open gate. The
 * held goroutine's fields, written by the carrier that held it, are published to the carrier
 * that runs it next by the lock and then the global queue.
 */
final class Admission {
    /** Between two sysmon rounds with the gate closed, a goroutine whose carrier allocated this much is preempted. */
    static final long YIELD_ALLOCATION_BYTES = 1L << 20;

    private final Scheduler s;
    private final Object lock = new Object();
    /** The heap in use above which the gate closes, in bytes; 0: no limit. Written by the policy. */
    private volatile long limit;
    /** The gate is closed (see "Memory ordering": written under {@link #lock}, read anywhere). */
    private volatile boolean closed;

    // ---- under lock
    /** Held goroutines, oldest (smallest id: spawned first) at the head. */
    private final PriorityQueue<G> held = new PriorityQueue<>((a, b) -> Long.compare(a.id, b.id));
    /** When the gate closed last (System.nanoTime). */
    private long closedAt;
    /** Time the gate was closed, intervals that ended. */
    private long closedNanos;
    /** Closings since the start, and goroutines held since the start. */
    private long closings, heldTotal;

    Admission(Scheduler s) {
        this.s = s;
    }

    /** Sets the limit (bytes; 0: none, which also opens the gate). */
    void setLimit(long bytes) {
        if (bytes < 0) throw new IllegalArgumentException("memory limit " + bytes + " < 0");
        limit = bytes;
        if (bytes == 0) open();
    }

    long limit() {
        return limit;
    }

    boolean closed() {
        return closed;
    }

    /** The heap in use now: what the collectors report as used, garbage included (about 55 ns, no allocation). */
    static long heapUsed() {
        Runtime r = Runtime.getRuntime();
        return r.totalMemory() - r.freeMemory();
    }

    /**
     * A goroutine's first mount on m (carrier only): true if it was held (the carrier must not
     * run it), false to run it. Samples the heap at every fourth first mount on this carrier while
     * the gate is open.
     */
    boolean holdNew(M m, G g) {
        long lim = limit;
        if (lim == 0) return false;
        if (!closed) {
            if ((++m.admissionChecks & 3) != 0 || heapUsed() <= lim) return false;
            close();
        }
        return hold(g);
    }

    /** sysmon, every round: closes the gate when the heap is above the limit; while closed, asks the heavy allocators to yield. */
    void sysmonRound() {
        long lim = limit;
        if (lim == 0) return;
        if (!closed) {
            if (heapUsed() <= lim) return;
            close();
        }
        for (P p : s.procs.allp()) {
            M m = p.m;
            G g = m != null && p.status == P.RUNNING ? m.curgAcquire() : null;
            if (g == null) {
                p.memG = null;
                continue;
            }
            long bytes = AllocCounter.threadAllocatedBytes(m.thread);
            if (p.memG == g && bytes >= 0 && p.memAllocated >= 0 && bytes - p.memAllocated >= YIELD_ALLOCATION_BYTES) {
                Preemption.request(g, Preemption.MEMORY_GATE); // to the back of the global queue at its next safepoint
            }
            p.memG = g;
            p.memAllocated = bytes;
        }
    }

    /** Closes the gate (if open) and tells the hooks. */
    private void close() {
        synchronized (lock) {
            if (closed || limit == 0) return;
            closed = true;
            closedAt = System.nanoTime();
            closings++;
        }
        s.eachHook("memory limit", SchedulerHooks::memoryLimitExceeded);
    }

    /**
     * Holds g (RUNNABLE, in no queue) until the gate opens: false, and g untouched, if the gate
     * is open (the caller runs or queues it).
     */
    boolean hold(G g) {
        synchronized (lock) {
            if (!closed) return false;
            held.add(g);
            heldTotal++;
            return true;
        }
    }

    /** Opens the gate: every held goroutine goes to the global queue, oldest first, and carriers are woken for them. */
    void open() {
        G[] batch;
        synchronized (lock) {
            if (!closed) return;
            closed = false;
            closedNanos += System.nanoTime() - closedAt;
            batch = new G[held.size()];
            for (int i = 0; i < batch.length; i++) batch[i] = held.poll();
        }
        if (batch.length == 0) return;
        for (G g : batch) s.global.put(g); // one by one: every P's next look at the global queue shares them
        for (int i = Math.min(batch.length, s.procs.nprocs()); i > 0; i--) s.wake.wakep();
    }

    /**
     * Lets the oldest held goroutine go, leaving the gate closed: the policy's way forward when
     * the runtime is idle ({@link #runtimeIdle}) and no goroutine has ended for a while. Every running goroutine then waits for something, perhaps for a held one (a worker
     * spawned late, the next stage of a pipeline), and only a held goroutine can move the
     * program on. False if none was held.
     */
    boolean openOne() {
        G g;
        synchronized (lock) {
            g = held.poll();
            if (g == null) return false;
            g.yieldKind = G.YIELD_NONE; // admitted: its first mount runs it, gate closed or not (published by the queue)
        }
        s.global.put(g);
        s.wake.wakep();
        return true;
    }

    /**
     * Nothing runs and nothing waits for a P: every P idle, no carrier spinning or in a blocking
     * call, the queues empty (a racy look: the policy looks again at its next round).
     */
    boolean runtimeIdle() {
        Idle idle = s.idle;
        return idle.npidle.get() == s.procs.allp().length && idle.nmspinning.get() == 0
            && s.syscalls.nmsys.get() == 0 && s.global.isEmpty() && !s.procs.anyLocalWork();
    }

    /** Goroutines that ended on the current Ps (a racy sum; it drops when a P retires). */
    private long ended() {
        long n = 0;
        for (P p : s.procs.allp()) n += p.exitedOpaque();
        return n;
    }

    /** Goroutines held now (for deadlock detection: a held goroutine is runnable). */
    int heldNow() {
        synchronized (lock) {
            return held.size();
        }
    }

    /** A snapshot for the policy and the metrics. */
    SchedulerHooks.MemoryGate snapshot() {
        synchronized (lock) {
            long now = System.nanoTime();
            return new SchedulerHooks.MemoryGate(limit, closed, held.size(), heldTotal, closings,
                closedNanos + (closed ? now - closedAt : 0), runtimeIdle(), s.numGoroutine(), ended());
        }
    }
}
