package dev.gort.sched;

import dev.gort.internal.GoContinuation;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A goroutine that keeps its carrier: blocking calls (Go's entersyscall/exitsyscall), parks and
 * yields of a goroutine that cannot leave its carrier (pinned by a native frame or a monitor, or
 * locked to its thread), the agent's monitor pins, and Go.lockOSThread. In each case the carrier
 * blocks with the goroutine mounted, so its P is lent to another M first ({@link Idle#handoffp})
 * and the carrier takes a P again before the goroutine runs on ({@link Idle#acquirePWait}).
 *
 * <h2>Blocking calls ({@link #blocking})</h2>
 * Go's entersyscall/exitsyscall, with the hand-off done at once: the P goes to another M (or the
 * idle list), the call runs on the carrier, and on return the goroutine takes any idle P; with
 * none, it yields with {@link G#YIELD_NO_P}, its carrier puts it on the global queue and parks.
 * A locked goroutine cannot yield: its carrier waits for a P instead.
 *
 * <h2>Pinned and locked parks ({@link #parkBlocking})</h2>
 * The goroutine commits its wait with {@link G#blockedThread} set, hands its P off, and parks the
 * thread; a waker unparks that thread instead of queuing the goroutine
 * ({@code Scheduler.makeRunnable}), and on wake-up the carrier waits for a P.
 *
 * <h2>Who writes what</h2>
 * <ul>
 *   <li>{@link #nmsys}: incremented by a carrier before it blocks (a blocking call, or a
 *       pinned/locked park), decremented when it comes back; read by sysmon's idle check and
 *       deadlock detection.</li>
 *   <li>{@link #parkedLocked}: see there (the parking carrier counts in, the waker counts out).</li>
 *   <li>{@link #lockedGoroutines}: reserved by CAS in lockOSThread, released by unlockOSThread
 *       and by a locked goroutine's end ({@link #lockedGoroutineEnded}).</li>
 *   <li>{@code G.Extra.lockDepth} and {@code monitorPins}: the goroutine's own.</li>
 * </ul>
 */
final class Syscalls {
    private final Scheduler s;

    /** Ms inside Go.blocking, or blocked in a pinned/locked park. */
    final AtomicInteger nmsys = new AtomicInteger();
    /**
     * Of those, the Ms whose pinned/locked goroutine is still asleep (WAITING): to deadlock
     * detection they are asleep goroutines, not blocking calls (Go counts a locked goroutine's
     * park like any other). The parking carrier counts its goroutine in (parkBlocking); the
     * waker that moves it out of WAITING counts it out (makeRunnable), at once after its CAS, so
     * the goroutine stops counting as asleep before its carrier is even unparked. The two may
     * come in either order (the waker can win the race with the carrier's increment): the count
     * may dip below its true value for a moment, which only makes the runtime look busier
     * (nmsys - parkedLocked > 0), never asleep.
     */
    final AtomicInteger parkedLocked = new AtomicInteger();
    /** Goroutines locked to their carrier now (see lockOSThread). */
    private final AtomicInteger lockedGoroutines = new AtomicInteger();
    /** Metrics: Go.blocking calls that handed their P off; parks that blocked their carrier. */
    final AtomicLong blockingCalls = new AtomicLong(), pinnedParks = new AtomicLong();

    Syscalls(Scheduler s) {
        this.s = s;
    }

    /** Go's entersyscall / exitsyscall around {@code call}. */
    <T> T blocking(Callable<T> call) throws Exception {
        if (call == null) throw new NullPointerException("call");
        G g = Scheduler.currentG();
        if (g == null || g.m.p == null) {
            return call.call();
        }
        blockingCalls.incrementAndGet();
        M m = g.m;
        Preemption.clear(g);
        P p = Idle.releasep(m);
        g.setStatus(G.SYSCALL);
        nmsys.incrementAndGet();
        Object jfr = Scheduler.JFR ? dev.gort.sched.jfr.Jfr.blockingBegin(g.id) : null; // dev.gort.BlockingCall
        s.idle.handoffp(p);
        long timed = s.stats.blockingStart(g); // 0: this call is not timed
        try {
            return call.call();
        } finally {
            if (timed != 0) s.stats.blockingEnd(timed);
            nmsys.decrementAndGet();
            exitsyscall(g, m);
            if (jfr != null) dev.gort.sched.jfr.Jfr.blockingEnd(jfr); // holding a P again
        }
    }

    private void exitsyscall(G g, M m) {
        Idle idle = s.idle;
        P p = idle.pidleget();
        if (p != null) {
            idle.acquirep(m, p);
            g.setStatus(G.RUNNING);
            return;
        }
        if (!g.locked()) {
            g.yieldKind = G.YIELD_NO_P;
            if (GoContinuation.yieldNow()) {
                return; // resumed by execute() on some carrier holding a P
            }
            g.yieldKind = G.YIELD_NONE;
        }
        idle.acquirePWait(m);
        g.setStatus(G.RUNNING);
    }

    /** Park of a goroutine that cannot leave its carrier: block the carrier, lend out the P. */
    void parkBlocking(G g, ParkCommit commit) {
        pinnedParks.incrementAndGet();
        M m = g.m;
        Thread self = m.thread; // not Thread.currentThread(): see CarrierLookup
        G.Extra x = g.extra();
        x.blockedThread = self;
        Bubble bubble = Bubble.active() ? x.bubble : null;
        int parkSeq = bubble != null ? bubble.beginPark(g) : 0;
        s.stats.leftRunning(g); // published with the status, as execute's park does
        g.setStatus(G.WAITING);
        if (commit != null && !commit.afterUnmount(g)) {
            x.blockedThread = null;
            Scheduler.backFromWaiting(g, G.RUNNING);
            if (SchedStats.timed(g)) s.stats.mounted(m.p, g);
            return;
        }
        int s0 = g.status();
        if (s0 == G.WAITING || s0 == G.DUMPING) { // DUMPING: Go.dump() is reading the stack; still waiting
            Idle idle = s.idle;
            P p = Idle.releasep(m);
            nmsys.incrementAndGet();
            parkedLocked.incrementAndGet(); // asleep; the waker counts it out (see parkedLocked)
            idle.handoffp(p);
            if (bubble != null) bubble.parked(g, parkSeq); // a test bubble's member blocked here is blocked for it too
            boolean interrupted = false;
            int st;
            while ((st = g.status()) == G.WAITING || st == G.DUMPING) {
                LockSupport.park(this);
                if (Thread.interrupted()) interrupted = true; // the carrier's flag, not ours to consume
            }
            nmsys.decrementAndGet();
            x.blockedThread = null;
            idle.acquirePWait(m);
            if (interrupted) self.interrupt();
        } else {
            // Woken between the commit and the check above: the waker has counted g out of
            // parkedLocked already (makeRunnable saw blockedThread set); balance it.
            parkedLocked.incrementAndGet();
            x.blockedThread = null;
        }
        if (SchedStats.timed(g)) s.stats.mounted(m.p, g); // runnable since the waker's CAS, running now
        g.setStatus(G.RUNNING);
    }

    /** Yield of a goroutine that cannot leave its carrier: lend the P out, then wait for one. */
    void yieldBlocking(G g) {
        M m = g.m;
        Idle idle = s.idle;
        s.stats.leftRunning(g); // runnable from here (its own carrier's field: no hand-off)
        idle.handoffp(Idle.releasep(m));
        idle.acquirePWait(m);
        if (SchedStats.timed(g)) s.stats.mounted(m.p, g);
    }

    // =====================================================================================
    // Monitors (the safepoint agent)

    /**
     * Before a {@code monitorenter}, and at the start of a {@code synchronized} method, in code the
     * safepoint agent instrumented: pins the calling goroutine's continuation until the matching
     * {@link #monitorExit}. On JDK 25 a held monitor does not pin a continuation (JEP 491 taught
     * the VM to freeze frames that hold monitors, for virtual threads; nothing keeps the
     * exclusion for a plain continuation): a goroutine that yielded inside {@code synchronized}
     * would make the next goroutine that enters the monitor on its carrier block that carrier, and
     * once a spare P ran the holder, goroutines would meet inside the block (docs/DESIGN.md,
     * "The safepoint agent"). Pinned, a preemption poll does not yield and a park blocks
     * the carrier (its P handed off), as for a native frame.
     * Counted per goroutine (the continuation is pinned once, while the count is above zero), so
     * that an exit without its enter can never unpin below zero, which would throw from inside
     * javac's handler that releases the monitor. Nothing on platform threads and virtual threads.
     */
    static void monitorEnter() {
        G g = Scheduler.currentG();
        if (g == null) return;
        G.Extra x = g.extra();
        int n = x.monitorPins;
        // The pin before the count: a StackOverflowError thrown on the way into a call (the
        // only place it can be) leaves both as they were, never a count without its pin.
        if (n == 0) GoContinuation.pinCurrent();
        x.monitorPins = n + 1;
    }

    /** Before a {@code monitorexit} and at the exits of a {@code synchronized} method: see {@link #monitorEnter}. */
    static void monitorExit() {
        G g = Scheduler.currentG();
        if (g == null) return;
        G.Extra x = g.extra();
        int n = x.monitorPins;
        if (n == 0) return;
        if (n == 1) GoContinuation.unpinCurrent(); // before the count, as in monitorEnter
        x.monitorPins = n - 1;
    }

    // =====================================================================================
    // Thread locking

    /**
     * Go.lockOSThread. A locked goroutine keeps its carrier for itself until it unlocks or ends
     * (its waits block that carrier), so at most {@code gort.maxthreads - maxProcs} goroutines
     * may be locked at a time: the other {@code maxProcs} carriers stay for every other goroutine
     * and for the timers. Beyond that, the runtime could only hang with its processors idle and
     * work queued (every carrier held by a locked goroutine asleep, none left to run the timers
     * that would wake them); Go dies instead ("program exceeds 10000-thread limit"). Here the
     * call that would lock one goroutine too many throws, naming the property, and changes
     * nothing. Nested locks of a goroutine already locked always succeed.
     *
     * @throws IllegalStateException if the limit is reached
     */
    void lockOSThread() {
        G g = Scheduler.currentG();
        if (g == null) return;
        G.Extra x = g.extra();
        if (x.lockDepth == 0) {
            // A reservation by CAS, so that concurrent lockers never pass the limit together.
            // nprocs is read racily: setMaxProcs may move the limit meanwhile; raising maxProcs
            // past it later leaves the locked goroutines locked, and still at least the maxProcs
            // of the moment of each lock free carriers, one or more.
            int maxThreads = s.config.maxThreads();
            for (;;) {
                int n = lockedGoroutines.get();
                int nprocs = s.procs.nprocs();
                int limit = maxThreads - nprocs;
                if (n >= limit) {
                    throw new IllegalStateException("gort: Go.lockOSThread: " + n + " goroutines are locked to their"
                        + " carriers already, the most that gort.maxthreads=" + maxThreads + " allows with maxProcs="
                        + nprocs + " (that many carriers stay for the other goroutines); raise -Dgort.maxthreads");
                }
                if (lockedGoroutines.compareAndSet(n, n + 1)) break;
            }
        }
        x.lockDepth++;
    }

    void unlockOSThread() {
        G g = Scheduler.currentG();
        if (g == null || !g.locked()) return;
        if (--g.extra().lockDepth == 0) lockedGoroutines.decrementAndGet();
    }

    /** goexit: g ended; if it ended locked, its carrier goes back to the others. */
    void lockedGoroutineEnded(G g) {
        if (g.locked()) {
            g.extra().lockDepth = 0;
            lockedGoroutines.decrementAndGet();
        }
    }
}
