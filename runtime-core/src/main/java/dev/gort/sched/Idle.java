package dev.gort.sched;

import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The scheduler lock and what it guards (Go's {@code sched.lock} with {@code pidle}, {@code midle},
 * {@code nmspinning}; Tokio's {@code idle.rs}): which Ps and Ms are idle, which Ms wait for a P,
 * how many carriers exist; and the named transitions that move a P or an M between running and
 * idle. Nothing else moves them.
 *
 * <h2>Transitions</h2>
 * <ul>
 *   <li>{@link #acquirep} / {@link #releasep}: an M takes or drops its P (the M's own act).</li>
 *   <li>{@link #pidleputLocked}: a released P goes to the first P-waiter, or retires (when
 *       {@link Procs#excess} asks for it), or goes idle. {@link #pidlegetLocked}: takes an idle P.</li>
 *   <li>{@link #startm}: an idle P (or a given one) is handed to an idle M, or a new one, which is
 *       woken (Go's startm).</li>
 *   <li>{@link #stopm}: an M without a P sleeps on the idle M list until startm or a P-waiter
 *       hand-off gives it a P (Go's stopm). The timer sleeper's variant is {@link Timers}'s.</li>
 *   <li>{@link #handoffp}: an M about to block gives its P away: to a P-waiter, to an M of its
 *       own when it has work, to a spinner when nobody spins, else to the idle list (Go's handoffp).</li>
 *   <li>{@link #acquirePWait}: an M with a goroutine mounted (pinned, locked, back from a blocking
 *       call) takes an idle P or waits, first in line, for the next released one.</li>
 *   <li>{@link #giveToWaiter}: at a scheduling point, an M gives its P to such a waiter.</li>
 *   <li>{@link #retireIdleCarriers}: sysmon ends idle Ms after a long idleness; the runtime's
 *       stop (Scheduler.shutdown) ends them all. Either wakes an M with no P, which ends its
 *       thread ({@link #takeHandedP}).</li>
 * </ul>
 *
 * <h2>Locks</h2>
 * {@link #lock} is a monitor, never held across a park or a thread start. It guards the idle
 * lists, the P-waiters, the thread count, and, for {@link Procs}, allp changes and
 * {@code excess}. Lock order: a wait structure's {@link SpinLock} (a waker that ends up in
 * startm holds it), then {@code lock}, then a {@link TimerHeap}'s lock (a retirement moves timers
 * while holding {@code lock}); nothing that holds a heap lock takes {@code lock}, and nothing
 * that holds {@code lock} takes a SpinLock.
 *
 * <h2>Who writes what</h2>
 * <ul>
 *   <li>{@link #pidle}, {@link #midle}, {@link #nmidle}, {@link #mcount}, {@link #pWaiters}: under
 *       {@code lock} only (Diagnostics reads the two counts under it).</li>
 *   <li>{@link #npidle}: changed under {@code lock} by pidleput/pidleget; read without it (wakep,
 *       handoffp, sysmon, deadlock detection), so an atomic.</li>
 *   <li>{@link #nmspinning}: incremented by an M that starts spinning (findRunnable, or the CAS
 *       from 0 in wakep and handoffp that elects one), decremented by that M when it stops;
 *       atomic read-modify-writes, which are the full fences of "Spinning and wake-ups"
 *       ({@link WakePolicy}). An M that gives its P away stops counting first, under the lock
 *       ({@link #stopSpinningLocked}).</li>
 *   <li>{@link #pWaiterCount}: the size of pWaiters, written under {@code lock}, read without it
 *       (volatile) by the fast paths of findRunnable and handoffp; a stale 0 only delays a
 *       waiter to the next scheduling point or release.</li>
 *   <li>{@link #allm}: appended under {@code lock}, read by the dump without it.</li>
 * </ul>
 * The P hand-off to a sleeping M is published by {@code M.wakeup()} (a volatile store of the
 * wake token) and its partner, the woken M's CAS on that token in {@code M.sleep()}: the M reads
 * {@code m.nextP} only after it.
 */
final class Idle {
    private final Scheduler s;

    final Object lock = new Object();
    /** The idle P list (linked by {@link P#idleNext}). Guarded by lock. */
    private P pidle;
    /** Ps on the idle list. Changed under lock; read anywhere. */
    final AtomicInteger npidle = new AtomicInteger();
    /** The idle M list (linked by {@link M#idleNext}). Guarded by lock. */
    private M midle;
    /** Ms on the idle list; carriers alive (started, not retired). Guarded by lock. */
    int nmidle, mcount;
    /** The next carrier's id: ids are never reused, so thread names stay unique. Guarded by lock. */
    private int nextMid;
    /** The thread-limit warning was printed. Guarded by lock. */
    private boolean maxThreadsWarned;
    /** Ms spinning: looking for work without having found any (see "Who writes what"). */
    final AtomicInteger nmspinning = new AtomicInteger();
    /** Ms holding a mounted goroutine (pinned, locked, back from a blocking call) that need a P. Guarded by lock. */
    private final ArrayDeque<M> pWaiters = new ArrayDeque<>();
    /** pWaiters.size(), readable without the lock. */
    private volatile int pWaiterCount;
    /** Every carrier started, less retired ones whose thread has ended (for the dump, and the stop's joins). */
    final List<M> allm = new CopyOnWriteArrayList<>();
    /** Carriers retired after a long idleness ({@link #retireIdleCarriers}; a metric). Guarded by lock. */
    long retiredCarriers;
    /** Carriers started or woken by startm (each a thread start or an unpark; a metric). */
    final AtomicLong carrierWakeups = new AtomicLong();

    Idle(Scheduler s) {
        this.s = s;
    }

    /** Start-up: every P begins idle, the first one on top of the list. */
    void putAllIdle(P[] ps) {
        synchronized (lock) {
            for (int i = ps.length - 1; i >= 0; i--) {
                pidleputLocked(ps[i]);
            }
        }
    }

    /** Go's startm: runs p (an idle P if null) on an idle or new M; a spinning one if {@code spinning} (already counted). */
    void startm(P p, boolean spinning) {
        M m;
        boolean fresh = false;
        synchronized (lock) {
            if (p == null) {
                p = pidlegetLocked();
                if (p == null) {
                    if (spinning && nmspinning.decrementAndGet() < 0) throw new IllegalStateException("gort: negative nmspinning");
                    return;
                }
            }
            m = midle;
            if (m != null) {
                midle = m.idleNext;
                m.idleNext = null;
                nmidle--;
            } else if (mcount >= s.config.maxThreads()) {
                if (!maxThreadsWarned) {
                    maxThreadsWarned = true;
                    System.err.println("gort: thread limit reached (gort.maxthreads=" + s.config.maxThreads()
                        + "); goroutines wait for a carrier to come back");
                }
                p.runq.drainTo(s.global); // p has no owner: its queue must not wait on the idle list
                pidleputLocked(p);
                if (spinning) nmspinning.decrementAndGet();
                return;
            } else {
                if (retiredCarriers != 0) allm.removeIf(x -> x.retired && !x.thread.isAlive() && (x.spacer == null || !x.spacer.isAlive())); // rare: after retirements
                m = new M(nextMid++, s);
                mcount++;
                allm.add(m);
                fresh = true;
            }
            m.nextP = p;
            m.spinning = spinning;
        }
        carrierWakeups.incrementAndGet();
        if (fresh) CarrierSpacer.startCarrier(m, s.config.carrierSpacers()); else m.wakeup();
    }

    /** Go's stopm: parks m until startm (or a P hand-off) gives it a P. */
    void stopm(M m) {
        putIdleM(m);
        m.sleep();
        takeHandedP(m);
    }

    /**
     * After a wake-up: m takes the P it was handed. None handed over means the runtime has
     * stopped (Scheduler.release wakes every carrier so, having taken every P off the idle list,
     * so no other waker can reach m), or m was retired ({@link #retireIdleCarriers}, which took
     * it off the idle list first): m's thread ends. The wake-up token's CAS in
     * {@link M#sleep()} is the partner of the stopper's {@code M.wakeup()}, which follows its
     * write of STOPPED; so the check below sees it. Costs the wake-up path one null check.
     *
     * @throws CarrierExit when the runtime has stopped
     */
    void takeHandedP(M m) {
        P p = m.nextP;
        if (p == null && (m.retired || s.state == Scheduler.STOPPED)) throw CarrierExit.INSTANCE;
        m.nextP = null;
        acquirep(m, p);
    }

    /** m goes on the idle M list, where startm finds it. */
    void putIdleM(M m) {
        synchronized (lock) {
            m.idleNext = midle;
            midle = m;
            nmidle++;
        }
    }

    /**
     * sysmon, once the runtime has been idle for {@link Sysmon#CARRIER_KEEP_ALIVE_NANOS}: every
     * idle carrier but a timer sleeper that watches something ends its thread (the JDK's ForkJoinPool retires its
     * workers likewise after keepAlive; Go keeps its Ms). Each is taken off the idle list under
     * the lock, so no startm can hand it a P afterwards, marked {@link M#retired}, and woken
     * with no P: {@link #takeHandedP} ends it (the mark is written before the wake-up token, and
     * read after the token's CAS). The work that comes next starts fresh threads (startm).
     *
     * <p>Why the timer sleeper stays: it watches the armed timers (or goroutines waiting for
     * I/O), and an M on the idle list that holds the role claimed it before it went on the list
     * ({@code claimSleeper} precedes {@code putIdleM}), so the read of the role under the lock
     * sees it. A sleeper that watches nothing (every timer it saw was stopped or run by another
     * M before it read them: {@link Timers#sleeperWatches}) is retired too; it hands on anything
     * armed since ({@code Timers.retiredSleeper}).
     *
     * <p>Cost: none on the scheduler's paths. Carriers park untimed as before; only sysmon's
     * idle sleep is timed, and takeHandedP reads the mark only when no P was handed over.
     *
     * @return how many carriers were retired
     */
    int retireIdleCarriers() {
        List<M> gone = new java.util.ArrayList<>();
        synchronized (lock) {
            M sleeper = s.timers.sleeperWatches() ? s.timers.sleeper() : null; // one that watches nothing goes too
            M prev = null;
            for (M x = midle; x != null; ) {
                M next = x.idleNext;
                if (x == sleeper) {
                    prev = x;
                } else {
                    if (prev == null) midle = next; else prev.idleNext = next;
                    x.idleNext = null;
                    x.retired = true;
                    nmidle--;
                    mcount--;
                    gone.add(x);
                }
                x = next;
            }
            retiredCarriers += gone.size();
        }
        for (M m : gone) m.wakeup();
        return gone.size();
    }

    /** Takes m off the idle M list if it is there. @return false if startm took it off first (its wake-up is on the way) */
    boolean removeIdleM(M m) {
        synchronized (lock) {
            M prev = null;
            for (M x = midle; x != null; prev = x, x = x.idleNext) {
                if (x == m) {
                    if (prev == null) midle = x.idleNext; else prev.idleNext = x.idleNext;
                    x.idleNext = null;
                    nmidle--;
                    return true;
                }
            }
            return false;
        }
    }

    /** Go's handoffp: p was released by an M that is about to block. */
    void handoffp(P p) {
        if (pWaiterCount > 0) {
            synchronized (lock) {
                if (!pWaiters.isEmpty()) {
                    pidleputLocked(p); // hands it to the first waiter
                    return;
                }
            }
        }
        if (!p.runq.isEmpty() || !s.global.isEmpty()) {
            startm(p, false);
            return;
        }
        if (nmspinning.get() + npidle.get() == 0 && nmspinning.compareAndSet(0, 1)) {
            startm(p, true);
            return;
        }
        // p's timers were watched by p itself (addTimer from a goroutine relies on its P's next
        // scheduling point); p now goes idle (or retires, handing them to some other P, maybe idle)
        // without passing through findRunnable, which would have made its M the timer sleeper.
        // Without a watcher they would never fire (a locked goroutine's Go.sleep, or a timer armed
        // just before Go.blocking, with every P idle). As Go's handoffp: wake the sleeper or an M
        // for them. (Read before the put: a retired P's heap is drained.)
        long when = p.timers.next;
        synchronized (lock) {
            if (!s.procs.retireLockedIfExcess(p)) pidleputLocked(p);
        }
        if (!s.global.isEmpty()) s.wake.wakep();
        else if (when != Long.MAX_VALUE) s.timers.watchTimer(when, true);
    }

    /** An M with a goroutine mounted (it cannot move) waits for a P of its own. */
    void acquirePWait(M m) {
        synchronized (lock) {
            P p = pidlegetLocked();
            if (p != null) {
                acquirep(m, p);
                return;
            }
            pWaiters.addLast(m);
            pWaiterCount = pWaiters.size();
        }
        m.sleep();
        takeHandedP(m);
    }

    /** Ms with a mounted goroutine wait for a P (a racy look; {@link #giveToWaiter} decides under the lock). */
    boolean hasPWaiters() {
        return pWaiterCount > 0;
    }

    /** At a scheduling point: if Ms with a mounted goroutine wait for a P, give them ours. */
    boolean giveToWaiter(M m) {
        synchronized (lock) {
            if (pWaiters.isEmpty()) return false;
            stopSpinningLocked(m); // before the waiter can have the P: see there
            P p = releasep(m);
            pidleputLocked(p);
        }
        return true;
    }

    /**
     * findRunnable's M gives its P away (to a P-waiter, or retiring it) and will stop without
     * looking for work: it stops counting as spinning here, holding the lock, <em>before</em> the
     * P can reach anyone.
     *
     * <p>Why before: handoffp and wakep start nobody while {@code nmspinning != 0}, trusting the
     * spinner to find the work, or to go idle through findRunnable's re-check and take the
     * timer-sleeper role. An M that has given its P away does neither. Were it still counted, the
     * P-waiter (a locked goroutine's carrier) could wake with the P, run its goroutine, sleep and
     * hand the P off while the count still held the old spinner: handoffp and its watchTimer's
     * wakep would see "someone spins" and leave the P idle, the old spinner would go to stopm,
     * and the P's due timers would never run (one P, locked sleepers: every goroutine asleep
     * for good; ProcessorTimersTest.lockedSleepersSharingOneProcessorAllWake).
     *
     * <p>Ordering: the decrement (an atomic read-modify-write) happens under the lock before
     * pidleputLocked's {@code wakeup()} (a volatile store of the token), and the waiter reads
     * anything only after consuming that token (CAS); so every read of {@code nmspinning} made
     * by the P's next owner happens-after the decrement. A retired P's timers are moved, and
     * watched (Procs.retireAllLocked's watchTimer), after it in program order.
     */
    void stopSpinningLocked(M m) {
        if (!m.spinning) return;
        m.spinning = false;
        if (nmspinning.decrementAndGet() < 0) throw new IllegalStateException("gort: negative nmspinning");
    }

    /** m takes p, which must be free or already m's. */
    void acquirep(M m, P p) {
        if (p == null || p.m != null && p.m != m) {
            throw new IllegalStateException("gort: acquirep of " + (p == null ? "null P" : "P" + p.id + " held by M" + p.m.id));
        }
        p.m = m;
        p.status = P.RUNNING;
        m.p = p;
        // A busy P needs sysmon (preemption, stuck carriers). Every P taken from the idle list
        // decremented npidle first, the other half of sysmon's sleep check.
        s.sysmon.wake();
    }

    /** m drops its P, which the caller then hands on. */
    static P releasep(M m) {
        P p = m.p;
        if (p == null) throw new IllegalStateException("gort: releasep without a P");
        p.m = null;
        m.p = null;
        return p;
    }

    /** Holding lock: p goes to the first P-waiter, or is retired, or goes idle. */
    void pidleputLocked(P p) {
        M w = pWaiters.pollFirst();
        if (w != null) {
            pWaiterCount = pWaiters.size();
            p.m = null;
            w.nextP = p;
            w.wakeup();
            return;
        }
        // A stuck P whose M let it go (a pinned park or Go.blocking handed it off, or its M found
        // nothing to do) has done its time: retireLockedIfExcess unsticks it, its spare is one P
        // too many, and this one retires in its place (here because an idle runtime has no
        // sysmon rounds to notice it).
        if (s.procs.retireLockedIfExcess(p)) return;
        p.status = P.IDLE;
        p.m = null;
        p.idleNext = pidle;
        pidle = p;
        npidle.incrementAndGet();
    }

    /** Holding lock: an idle P, or null. */
    P pidlegetLocked() {
        P p = pidle;
        if (p != null) {
            pidle = p.idleNext;
            p.idleNext = null;
            npidle.decrementAndGet();
        }
        return p;
    }

    /** Takes the lock for one pidlegetLocked. */
    P pidleget() {
        synchronized (lock) {
            return pidlegetLocked();
        }
    }
}
