package dev.gort.sched;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The set of Ps (Go's {@code allp} and {@code procresize}): how many there are, GOMAXPROCS, the
 * spare Ps added for stuck carriers, and the retirement of Ps no longer wanted.
 *
 * <h2>Stuck carriers</h2>
 * A goroutine may block its carrier without telling the scheduler ({@code Thread.sleep}, a JDK
 * lock or wait, blocking JDK I/O, a JDBC driver). sysmon sees the carrier blocked within a few of
 * its rounds (Sysmon.watchCarrier: tens of microseconds while the runtime is busy), marks the P
 * {@link P#stuck} and adds a <em>spare</em> P ({@link #markStuck}) that takes over the stuck P's
 * queued goroutines and timers, so that {@code maxProcs} Ps keep running goroutines (Go hands off
 * a P in a system call within one sysmon tick). The stuck P is not taken from its M (its owner
 * may touch its run queue at any moment, so a transfer would need a handshake on every runtime
 * call); what it queues later, others steal as usual. Spares are bounded by the carriers: a
 * stuck P has its own M, and no spare is added once {@code gort.maxthreads} carriers exist and
 * none is idle. The stuck goroutine is asked to yield when its P is marked, so that once its
 * call returns it comes back to the scheduler at its next safepoint (Go's exitsyscall); then
 * the flag is cleared ({@link #unstick}) and one P is retired ({@link #excess}): an idle one at
 * once, else the next M that looks for work with an empty ring ({@link #tryRetire}). A P with
 * a spare pending retirement that gets stuck with nothing queued and no timer keeps that P
 * instead of adding one. {@link #setMaxProcs} shrinks the same way: idle Ps retire at once,
 * busy ones when their M next looks for work with nothing queued.
 *
 * <h2>Retirement</h2>
 * A retired P is marked DEAD and leaves allp; its queued goroutines go to the global queue, its
 * timers to a surviving P (both heaps locked: see {@link #retireAllLocked}), and its goroutine
 * count to {@link #retiredBalance}. A P is never reused: a grown set gets new Ps.
 *
 * <h2>Who writes what</h2>
 * {@link #allp}, {@link #nprocs}, {@link #excess} and {@link #nextPid} are written only under
 * {@link Idle#lock}. allp is replaced, never changed in place (copy-on-write), and read without the
 * lock everywhere (a volatile read: a reader sees a whole array, old or new, and re-checks a P's
 * status where a DEAD one matters, as addTimer does under the heap lock). excess and nprocs are
 * read without the lock as hints (findRunnable's fast check; lockOSThread's limit); every decision
 * on them is taken again under the lock.
 */
final class Procs {
    private final Scheduler s;

    /** Every live P. Copy-on-write under Idle.lock; read anywhere. */
    private volatile P[] allp;
    /** GOMAXPROCS. Written under Idle.lock. */
    private volatile int nprocs;
    /** Ps to retire: set by setMaxProcs (shrink) and when a stuck P comes back. Written under Idle.lock. */
    private volatile int excess;
    /** The next P's id. Under Idle.lock (or the constructor). */
    private int nextPid;
    /** The spawned-minus-ended balance of retired Ps (see Scheduler.numGoroutine). */
    final AtomicLong retiredBalance = new AtomicLong();
    /** Spare Ps added for stuck carriers (a metric). */
    final AtomicLong stuckRetakes = new AtomicLong();
    /** Tests: runs in retireAllLocked with both heaps locked, before a retired P's timers move (null: nothing). */
    static volatile Runnable timerMoveHookForTests;

    Procs(Scheduler s, int procs) {
        this.s = s;
        P[] ps = new P[procs];
        for (int i = 0; i < procs; i++) {
            ps[i] = new P(nextPid++);
        }
        allp = ps;
        nprocs = procs;
    }

    P[] allp() {
        return allp;
    }

    int nprocs() {
        return nprocs;
    }

    /** Some live P has goroutines in its ring (findRunnable's re-check; wake-up and deadlock checks). */
    boolean anyLocalWork() {
        for (P q : allp) {
            if (q.status != P.DEAD && !q.steal.isEmpty()) return true;
        }
        return false;
    }

    /** findRunnable's fast check: Ps are to be retired (a racy read; {@link #tryRetire} decides). */
    boolean retiring() {
        return excess > 0;
    }

    /**
     * Sets GOMAXPROCS; shrinking retires Ps as their Ms next look for work (idle ones at once).
     * Linear in the number of Ps, under the scheduler lock.
     *
     * @return the old value
     * @throws IllegalArgumentException if n is not in 1..min(MAX_PROCS, gort.maxthreads)
     */
    int setMaxProcs(int n) {
        if (n < 1 || n > Scheduler.MAX_PROCS) {
            throw new IllegalArgumentException("maxProcs must be in 1.." + Scheduler.MAX_PROCS + ", got " + n);
        }
        int maxThreads = s.config.maxThreads();
        if (n > maxThreads) {
            throw new IllegalArgumentException("maxProcs " + n + " is above gort.maxthreads=" + maxThreads);
        }
        Idle idle = s.idle;
        int old;
        synchronized (idle.lock) {
            old = nprocs;
            int add = n - old;
            if (add > 0) {
                int cancel = Math.min(excess, add);
                excess -= cancel;
                add -= cancel;
                P[] ps = Arrays.copyOf(allp, allp.length + add);
                for (int i = 0; i < add; i++) {
                    P p = new P(nextPid++);
                    ps[ps.length - add + i] = p;
                }
                allp = ps;
                for (int i = 0; i < add; i++) idle.pidleputLocked(ps[ps.length - add + i]);
            } else if (add < 0) {
                excess += -add;
                // Idle Ps retire at once, in one batch; busy ones when their M next looks for work.
                int k = 0;
                P[] gone = new P[Math.min(excess, idle.npidle.get())];
                P p;
                while (k < gone.length && (p = idle.pidlegetLocked()) != null) {
                    gone[k++] = p;
                }
                excess -= k;
                retireAllLocked(gone, k);
            }
            nprocs = n;
        }
        if (!s.global.isEmpty() || anyLocalWork()) s.wake.wakep();
        return old;
    }

    /**
     * At the top of findRunnable when Ps must be retired: retire m's own P, once its ring is
     * empty. @return false if none is to go now
     */
    boolean tryRetire(M m) {
        Idle idle = s.idle;
        synchronized (idle.lock) {
            // A P with goroutines queued runs them first: retiring it would move them to the
            // global queue's tail, behind everything queued there (under a blocking fan-out, the
            // retirements that follow stuck goroutines coming back would keep sending readied
            // goroutines to the back of the line). Its ring empties, and it retires then.
            if (excess <= 0 || !m.p.runq.isEmpty()) return false;
            idle.stopSpinningLocked(m); // or retireAllLocked's watchTimer and the wakep below see m as a spinner
            retireLockedIfExcess(Idle.releasep(m));
        }
        s.wake.wakep();
        return true;
    }

    /**
     * Holding Idle.lock: if a P is to retire, p does (leaves allp; its goroutines go to the global
     * queue). p's M has let it go or is looking for work, so no goroutine of p's blocks a carrier
     * now: a stuck p is unstuck first (its spare becomes one P too many), or the spare would
     * outlive it with nothing left to retire it. That happens when sysmon's verdict lands after
     * the goroutine came back (it judged the carrier blocked, then marked the P just after
     * execute looked at the flag) and the M's next look for work retires its P for another
     * P's pending retirement.
     *
     * <p>Invariant (under Idle.lock): live Ps = nprocs + stuck Ps + excess. A spare adds a P and a
     * stuck one; keeping a retiring P for a stuck one trades an excess for a stuck P; unsticking
     * trades back; a retirement takes a P and an excess. A stuck P retired without unsticking
     * would take a P and an excess and a stuck P: one spare never retired.
     */
    boolean retireLockedIfExcess(P p) {
        if (p.stuck) unstuckLocked(p);
        if (excess <= 0) return false;
        excess--;
        retireAllLocked(new P[] {p}, 1);
        return true;
    }

    /**
     * Holding Idle.lock: the first n of {@code gone} (taken off the idle list, or released by their
     * M, and counted out of {@link #excess} by the caller) leave allp; their queued goroutines
     * go to the global queue, their timers to one surviving P. Linear in allp plus the moved
     * timers: one new allp for the whole batch, each timer moved once (one retirement at a time
     * would build an array per P and could hand the same timers on from P to P: O(P^2) under
     * this lock, which every carrier that goes idle or retires waits for).
     */
    private void retireAllLocked(P[] gone, int n) {
        if (n == 0) return;
        for (int i = 0; i < n; i++) {
            P p = gone[i];
            p.status = P.DEAD; // before taking its timers: addTimer re-checks it under the heap lock
            p.runq.drainTo(s.global);
            retiredBalance.addAndGet(p.balance());
            s.stats.retired(p); // its distributions stay in the runtime's totals
            p.m = null;
            if (Scheduler.JFR) dev.gort.sched.jfr.Jfr.processorRetired(p.id, allp.length - n);
        }
        // allp holds no DEAD P but those just marked (a P leaves allp when it is marked, here),
        // so the status is the filter: no per-P search.
        P[] ps = allp;
        P[] next = new P[ps.length - n];
        int j = 0;
        for (P q : ps) if (q.status != P.DEAD) next[j++] = q;
        allp = next;
        // Their timers go to a live P (Go's moveTimers), both heaps locked so that a concurrent
        // deleteTimer never finds a timer in neither (TimerHeap.moveAllTo). Only one retirement
        // runs at a time (under the scheduler lock) and nothing else holds two heap locks, so the
        // order from-then-to cannot deadlock. A carrier that computed earliestTimer() between the
        // new allp and the move saw them in neither heap and may sleep past them: the move then
        // pokes the timed sleeper (or wakes an M), as addTimer does.
        TimerHeap to = next[0].timers;
        long first = Long.MAX_VALUE;
        for (int i = 0; i < n; i++) {
            TimerHeap from = gone[i].timers;
            from.lock.lock();
            to.lock.lock();
            Runnable hook = timerMoveHookForTests;
            if (hook != null) hook.run();
            long w = from.next;
            if (from.size() > 0 && (first == Long.MAX_VALUE || w - first < 0)) first = w;
            from.moveAllTo(to);
            to.lock.unlock();
            from.lock.unlock();
        }
        if (first != Long.MAX_VALUE) s.timers.watchTimer(first, true);
    }

    /**
     * sysmon: p's goroutine blocks its carrier; a spare P takes over what waits on p, so that
     * maxProcs Ps keep running goroutines. Go's handoffp gives the blocked P itself, with its
     * queue and timers, to another M; here p stays with its M (see "Stuck carriers"), so its
     * queued goroutines and its timers move to the spare before the spare is published: the
     * goroutine the blocked one had just readied, or whose timer is due, runs on the next carrier
     * at once instead of waiting behind the global queue for a thief. No spare is added while the
     * carriers are at {@code gort.maxthreads} with none idle: nobody could run it.
     *
     * @return false if nothing changed (p already stuck or no longer running, or the thread limit)
     */
    boolean markStuck(P p) {
        Idle idle = s.idle;
        long firstTimer = Long.MAX_VALUE;
        P handoff = null;
        synchronized (idle.lock) {
            // p.m: a P its M has just released (releasep, outside this lock, before a hand-off of
            // its own) is not stuck, it is on its way to another M.
            M stuckM = p.m;
            if (p.stuck || p.status != P.RUNNING || stuckM == null) return false;
            if (excess > 0 && p.steal.isEmpty() && p.timers.next == Long.MAX_VALUE) {
                excess--; // a retirement was pending and nothing waits on p: keep that P instead of adding one
            } else {
                if (idle.mcount >= s.config.maxThreads() && idle.nmidle == 0) {
                    warnThreadLimit();
                    return false;
                }
                // Allocations first: an OutOfMemoryError here changes nothing, and sysmon's
                // next round tries again (p is not yet stuck).
                P spare = new P(nextPid);
                P[] ps = Arrays.copyOf(allp, allp.length + 1);
                ps[ps.length - 1] = spare;
                nextPid++;
                // Until allp and the idle list publish it (both under this lock, which the M
                // that acquires it takes), sysmon is the spare's only user, so it may put into
                // its ring as the owner; p's ring it reaches as any thief does (its owner may
                // come back at any moment). The loop stops once the spare's ring is half full, so
                // the next steal (at most half a ring) always fits, as stealInto requires; an
                // owner that keeps queueing meanwhile is running again, and keeps the rest.
                // runnext stays runnext: the goroutine readied last (a timer's, a channel
                // partner's) runs first on the spare's carrier, as it would have on p's.
                G next = p.steal.takeRunnext();
                G g;
                while (spare.runq.size() < RunQueue.CAPACITY / 2 && (g = p.steal.stealInto(spare.runq, false, false)) != null) {
                    spare.runq.put(g, false, s.global);
                }
                if (next != null) spare.runq.put(next, true, s.global);
                // Both heaps locked, as in retireAllLocked (only one of the two runs at a time,
                // under this lock, and nothing else holds two heap locks).
                TimerHeap from = p.timers, to = spare.timers;
                from.lock.lock();
                try {
                    to.lock.lock();
                    try {
                        if (from.size() > 0) firstTimer = from.next;
                        from.moveAllTo(to);
                    } finally {
                        to.lock.unlock();
                    }
                } finally {
                    from.lock.unlock();
                }
                allp = ps; // IDLE, and on no list until handoffp below: no M takes it meanwhile
                handoff = spare;
            }
            p.stuck = true;
            p.stuckG = p.m != null ? p.m.curgAcquire() : null;
            stuckRetakes.incrementAndGet();
            if (Scheduler.JFR) dev.gort.sched.jfr.Jfr.stuckCarrier(p.id, handoff != null ? handoff.id : -1, p.stuckG, stuckM.thread);
        }
        if (handoff != null) {
            // Go's handoffp: an M for the spare at once if it has work (a spare left idle with a
            // filled ring would keep it from everyone: thieves skip idle Ps), else the idle list
            // with its timers watched.
            idle.handoffp(handoff);
            if (firstTimer != Long.MAX_VALUE) s.timers.watchTimer(firstTimer, true);
        } else {
            s.wake.wakep();
        }
        return true;
    }

    /** Under Idle.lock (its only caller holds it). */
    private boolean threadLimitWarned;

    private void warnThreadLimit() {
        if (threadLimitWarned) return;
        threadLimitWarned = true;
        System.err.println("gort: thread limit reached (gort.maxthreads=" + s.config.maxThreads()
            + "); goroutines blocked in calls keep their carriers, the others wait for one to come back");
    }

    /** Holding Idle.lock: p is stuck no more; one P (this one, if it is going idle) is to retire. */
    void unstuckLocked(P p) {
        if (Scheduler.JFR) dev.gort.sched.jfr.Jfr.stuckCarrierReturned(p.id);
        p.stuck = false;
        p.stuckG = null;
        excess++;
    }

    /**
     * The stuck goroutine came back to the scheduler (execute), or sysmon saw the stuck P leave
     * it (handed off by a pinned park or Go.blocking, or idle): one P too many now. An idle one
     * retires at once (nobody may look for work soon: a runtime at rest keeps exactly maxProcs
     * Ps); otherwise the next M that looks for work retires its own.
     */
    void unstick(P p) {
        Idle idle = s.idle;
        synchronized (idle.lock) {
            if (!p.stuck) return;
            unstuckLocked(p);
            P q = idle.pidlegetLocked();
            if (q != null) {
                excess--;
                retireAllLocked(new P[] {q}, 1);
            }
        }
    }
}
