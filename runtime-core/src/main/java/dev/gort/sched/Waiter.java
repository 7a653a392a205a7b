package dev.gort.sched;

import java.util.concurrent.locks.LockSupport;

/**
 * One waiter on a wait queue (Go's {@code sudog}): either a parked goroutine or a parked
 * platform thread, so that every Gort primitive works from both.
 *
 * <p>Protocol: the waiter is linked into a queue while the queue's {@link SpinLock} is held;
 * whoever unlinks it under that lock owns the right to {@link #wake()} it, exactly once.
 * A goroutine waiter parks with {@link Scheduler#park(WaitReason, ParkCommit)} passing that lock,
 * which the carrier releases only after the goroutine has unmounted, so the wake never races
 * with the park. A platform-thread waiter releases the lock and parks on {@link #woken}.
 */
public final class Waiter implements InterruptibleWait, ParkCommit {
    /** The waiting goroutine, or null for a platform thread. */
    public final G g;
    /** The waiting platform thread, or null for a goroutine. */
    public final Thread thread;
    /** Platform threads only: set (release) by the waker before unpark; read (acquire) by the waiter. */
    private volatile boolean woken;
    /** Free for the owning structure (the value a channel hands over, ...). Guarded by its lock. */
    public Object item;
    /**
     * Set by the waker before {@link #wake()}: true when the wait was satisfied (a value handed
     * over), false when it ended otherwise (the channel closed). Read by the waiter after waking.
     */
    public boolean success;
    /** For a select: the group of this select's waiters (one per case), else null. */
    public final SelectGroup group;
    /** For a select: which case this waiter stands for. */
    public final int caseIndex;
    /** Queue links; guarded by the owning structure's lock. */
    public Waiter next;
    public Waiter prev;
    /** The {@link WaitQueue} this waiter is linked in, or null; written only under its lock. */
    WaitQueue queue;
    /**
     * Goroutine waiters: how the wait ended when it was not woken by the structure:
     * {@link #TIMED_OUT} or {@link #INTERRUPTED} (0: woken). Written by the canceller under the
     * queue's lock before it readies the goroutine; read by the goroutine after it resumes.
     */
    private int cancelled;
    /**
     * Goroutine waiters: true while the current wait may be cancelled by an interrupt. Reset by
     * {@link #current()} (before the waiter is queued), set by {@link #await} under the queue's
     * lock, so a canceller holding that lock reads this wait's value.
     */
    private boolean interruptible;
    /**
     * Goroutine waiters: the number of the current wait (the waiter is reused). A timed wait's
     * timer cancels only the wait it was armed for. Bumped by {@link #current()} before queueing.
     */
    private int waitSeq;

    /*
     * Spin-then-park (goroutine waiters of awaitSpinning only): the waiter is linked and the
     * structure's lock released BEFORE the goroutine unmounts, so the lock cannot order the wake
     * after the park as it does for await(). parkState does instead; it moves
     *
     *   SPINNING --(waiter: spin over)--> PARKING --(carrier, after unmount)--> PARKED
     *       \                                 \
     *        +--(waker)--> SPIN_WOKEN          +--(waker)--> SPIN_WOKEN
     *
     * by CAS, so exactly one of the two sides moves it out of SPINNING and out of PARKING:
     * - waker wins SPINNING->SPIN_WOKEN: the goroutine never parked; it sees SPIN_WOKEN and goes on
     *   without a context switch (the point of spinning: no park, no ready, no futex);
     * - waker wins PARKING->SPIN_WOKEN: the commit (afterUnmount) fails and the carrier puts the
     *   goroutine straight back on its run queue;
     * - the commit wins PARKING->PARKED: the goroutine is WAITING and unmounted (its status was
     *   set before the commit runs), so the waker, seeing PARKED, readies it as usual.
     * Memory ordering: the waker writes item/success before its CAS (under the structure's lock,
     * then a volatile CAS), and the waiter reads them after reading SPIN_WOKEN (volatile) or after
     * being readied (run-queue hand-off): every outcome publishes the result.
     * Waiters of the other await methods never leave NORMAL, and wake() readies them directly.
     */
    static final int NORMAL = 0, SPINNING = 1, PARKING = 2, PARKED = 3, SPIN_WOKEN = 4;
    private volatile int parkState;
    private static final java.lang.invoke.VarHandle PARK_STATE;

    static {
        try {
            PARK_STATE = java.lang.invoke.MethodHandles.lookup().findVarHandle(Waiter.class, "parkState", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private Waiter(G g, Thread thread) {
        this(g, thread, null, -1);
    }

    private Waiter(G g, Thread thread, SelectGroup group, int caseIndex) {
        this.g = g;
        this.thread = thread;
        this.group = group;
        this.caseIndex = caseIndex;
    }

    /** A waiter of the calling goroutine or thread for case {@code caseIndex} of a select. */
    public static Waiter forSelect(SelectGroup group, int caseIndex) {
        G g = Scheduler.currentG();
        return g != null ? new Waiter(g, null, group, caseIndex) : new Waiter(null, Thread.currentThread(), group, caseIndex);
    }

    /**
     * Whoever dequeues a waiter must call this before using it: a select's waiters sit on several
     * queues and only the first to claim one of them may complete it; the others drop theirs.
     */
    public boolean claim() {
        return group == null || group.claim(this);
    }

    /** A waiter that is never woken: for structures that need a marker node. */
    static Waiter sentinel() {
        return new Waiter(null, null);
    }

    /**
     * Platform threads, waiters on lock-free structures: parks until {@link #wake()}, the
     * deadline (System.nanoTime; 0 for none) or an interrupt.
     *
     * @return true when woken; false on timeout (interrupt status untouched) or interrupt
     *         (interrupt status left set, for the caller to clear and report)
     */
    boolean awaitWoken(long deadline) {
        while (!woken) {
            if (Thread.currentThread().isInterrupted()) return woken;
            if (deadline == 0L) {
                LockSupport.park(this);
            } else {
                long left = deadline - System.nanoTime();
                if (left <= 0) return woken;
                LockSupport.parkNanos(this, left);
            }
        }
        return true;
    }

    /**
     * A waiter for the calling goroutine (its reusable one: see {@code G.waiter}) or, outside
     * goroutines, a new one for the calling thread. Wakers must not touch a waiter after
     * {@link #wake()}: the goroutine may already be using it for its next wait.
     */
    public static Waiter current() {
        G g = Scheduler.currentG();
        if (g == null) return new Waiter(null, Thread.currentThread());
        Waiter w = g.waiter;
        if (w == null) {
            g.waiter = w = new Waiter(g, null);
        } else {
            w.item = null;
            w.success = false;
            w.next = w.prev = null;
            w.cancelled = 0;
            w.interruptible = false;
            PARK_STATE.set(w, NORMAL); // plain: published with the waiter by the queue's lock
        }
        w.waitSeq++;
        return w;
    }

    /**
     * {@link #current()} for a caller holding {@code lock} (which it is about to wait on): if
     * that runs out of memory (a platform thread's waiter, a goroutine's first), the lock is
     * released before the error propagates, so it never stays held.
     */
    public static Waiter current(SpinLock lock) {
        try {
            return current();
        } catch (Throwable e) {
            lock.unlock();
            throw e;
        }
    }

    /** Makes the waiter runnable again; called once, by whoever unlinked it. */
    public void wake() {
        if (g != null) {
            for (;;) {
                int s = parkState;
                if (s != SPINNING && s != PARKING) break; // NORMAL or PARKED: a parked goroutine
                if (PARK_STATE.compareAndSet(this, s, SPIN_WOKEN)) return; // it has not parked: no ready
            }
            Scheduler.get().ready(g);
        } else {
            woken = true;
            LockSupport.unpark(thread);
        }
    }

    /**
     * Wakes every waiter of a chain linked by {@link #next} (unlinked by the caller under its
     * lock; a grouped waiter must already have been claimed by the caller).
     */
    public static void wakeChain(Waiter w) {
        while (w != null) {
            Waiter next = w.next;
            w.next = null; // before the wake: the goroutine may reuse its waiter at once
            w.wake();
            w = next;
        }
    }

    public boolean isWoken() {
        return woken;
    }

    /**
     * Parks until {@link #wake()}: an interruptible wait. The caller holds {@code lock}, which
     * guards the {@link WaitQueue} it has linked this waiter into; the lock is released before
     * waiting (after the unmount, for a goroutine).
     *
     * <p>A goroutine's wait ends early when it is interrupted ({@link G#interrupt()}), and does
     * not start when its interrupt status is already set: see {@link #cancel}.
     *
     * @return true when woken; false when the waiter was interrupted first (a platform thread's
     *         or goroutine's interrupt, status cleared): the lock is then held again, and the
     *         waiter may still be linked (a platform thread's) or already unlinked (a
     *         goroutine's): the caller calls {@link WaitQueue#remove}, which handles both, then
     *         unlocks and throws InterruptedException
     */
    public boolean await(WaitReason reason, SpinLock lock) {
        if (g != null) {
            interruptible = true; // under lock: see the field
            if (!g.beginInterruptibleWait(this)) {
                g.clearInterruptForThrow();
                return false; // lock still held, waiter still linked
            }
            Scheduler.get().park(g, reason, lock);
            if (cancelled == 0) return true;
            lock.lockWithinReserve(); // within the operation's reserve (see SpinLock)
            g.clearInterruptForThrow();
            return false;
        }
        lock.unlock();
        boolean interrupted = false;
        while (!woken) {
            LockSupport.park(this);
            if (Thread.interrupted()) {
                interrupted = true;
                if (woken) break;
                lock.lockWithinReserve(); // within the operation's reserve (see SpinLock)
                if (queue != null) return false; // still linked: the interrupt wins (lock held)
                // Unlinked: a waker took this waiter (and may have handed it a value or a permit)
                // and wakes it right after its unlock: the wake wins; keep the interrupt.
                lock.unlock();
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
        return true;
    }

    /**
     * Goroutines only: like {@link #await}, but the lock is released at once and, when the
     * scheduler deems it worthwhile ({@link WakePolicy#spinBeforePark}: another P is running,
     * possibly the partner, and this P has nothing else to run), the goroutine spins a short,
     * bounded time for its wake before parking. A hand-off between goroutines running on two Ps
     * then completes without a park, a ready, or a futex wake of another carrier. See the
     * parkState protocol above. Interruptible exactly as {@link #await}, with the same result.
     */
    public boolean awaitSpinning(WaitReason reason, SpinLock lock, boolean maySpin) {
        interruptible = true; // under lock: see the field
        if (!g.beginInterruptibleWait(this)) {
            g.clearInterruptForThrow();
            return false; // lock still held, waiter still linked
        }
        Scheduler s = Scheduler.get();
        P p = !maySpin ? null : spinSkip > 0 ? skipSpin() : s.wake.spinBeforePark(g);
        boolean parked = true;
        if (p == null) {
            PARK_STATE.set(this, PARKING); // published by the unlock
            lock.unlock();
        } else {
            PARK_STATE.set(this, SPINNING);
            lock.unlock();
            boolean won = spin();
            if (p.offersRunnext) p.offersRunnext = false;
            if (won) {
                spinPenalty = 0;
                parked = false;
            } else {
                spinSkip = spinPenalty = Math.min(spinPenalty * 2 + 1, MAX_SPIN_PENALTY);
                // false: woken (or cancelled) just now, between the spin's last look and here
                parked = PARK_STATE.compareAndSet(this, SPINNING, PARKING);
            }
        }
        if (parked) s.park(g, reason, this);
        // Woken by the structure, or cancelled by an interrupt (cancel() wakes through wake()).
        if (cancelled == 0) return true;
        lock.lockWithinReserve(); // within the operation's reserve (see SpinLock)
        g.clearInterruptForThrow();
        return false;
    }

    /*
     * The goroutine's spin history (its cached waiter lives as long as it does): after a spin
     * that ended in a park, the next spinPenalty waits park at once; the penalty doubles with
     * each lost spin and resets with a won one. A goroutine whose waits are long (a ring where
     * the token comes back after hundreds of hops, a worker waiting for rare jobs) soon stops
     * burning its P; a ping-pong partner keeps spinning. Owned by the goroutine.
     */
    private static final int MAX_SPIN_PENALTY = 4095;
    private int spinPenalty, spinSkip;

    private P skipSpin() {
        spinSkip--;
        return null;
    }

    /** Spins until SPIN_WOKEN or {@code WakePolicy.spinNanos()} have passed; true when woken. */
    private boolean spin() {
        long deadline = 0L;
        for (int i = 1; ; i++) {
            if (parkState == SPIN_WOKEN) return true;
            Thread.onSpinWait();
            if ((i & 31) == 0) {
                long now = System.nanoTime();
                if (deadline == 0L) {
                    deadline = now + Scheduler.get().wake.spinNanos();
                } else if (now - deadline > 0) {
                    return parkState == SPIN_WOKEN;
                }
            }
        }
    }

    /** The park commit of {@link #awaitSpinning}: stays parked unless the waker came first. */
    @Override
    public boolean afterUnmount(G g) {
        return PARK_STATE.compareAndSet(this, PARKING, PARKED);
    }

    /**
     * Like {@link #await} for waits that cannot be interrupted (Go's Mutex, ...): a platform
     * thread's interrupt is remembered and restored after the wait; a goroutine's interrupt
     * status is left set for its next interruptible wait.
     */
    public void awaitUninterruptibly(WaitReason reason, SpinLock lock) {
        if (g != null) {
            Scheduler.get().park(g, reason, lock); // interruptible stays false: cancel leaves it queued
            return;
        }
        boolean interrupted = false;
        while (!await(reason, lock)) {
            interrupted = true; // lock held again, still queued: wait again
        }
        if (interrupted) Thread.currentThread().interrupt();
    }

    /**
     * The canceller's side of a goroutine's wait (an interrupt, or a timed wait's timer): takes
     * the waiter out of its queue and readies the goroutine, if and only if it is still queued
     * in the same wait.
     *
     * <p>Exactly-once: every waker unlinks the waiter under the queue's lock before waking it;
     * so does this, after checking {@code queue} under that lock (see {@link WaitQueue}'s
     * invariant). A waiter already unlinked (woken, a value handed over) is left alone. A
     * goroutine found still linked is parked (await: it holds the lock until its park commit,
     * after the unmount) or spinning/parking (awaitSpinning: the parkState protocol), and
     * {@link #wake()} handles both. {@code queue} is read first without the lock
     * to find which lock to take; a stale read only makes the check under the lock fail.
     *
     * @param why {@link #INTERRUPTED} or {@link #TIMED_OUT}
     * @param seq the wait to cancel ({@link #waitSeq}), or -1 for whatever interruptible wait
     *        the goroutine is in
     */
    void cancel(int why, int seq) {
        WaitQueue q = queue;
        if (q == null) return;
        SpinLock l = q.lock;
        l.lock();
        // An interrupt (seq -1) ends the wait only while its status is still set: the waiter is
        // reused, and an interrupter that read it from interruptState may come here late, after
        // the goroutine already threw for this interrupt (status cleared, under this lock) and
        // queued the same waiter again for its next wait, which this interrupt must not end.
        boolean mine = queue == q && (seq == -1 ? interruptible && g.isInterrupted() : waitSeq == seq);
        if (mine) {
            q.remove(this);
            cancelled = why;
        }
        l.unlock();
        if (mine) wake(); // the goroutine may still be spinning or parking (awaitSpinning): wake() knows
    }

    @Override
    public void interruptWait(G target) {
        cancel(INTERRUPTED, -1);
    }

    /** Results of {@link #awaitUntil}. */
    public static final int WOKEN = 0, TIMED_OUT = 1, INTERRUPTED = 2;

    /**
     * Like {@link #await}, giving up at {@code deadline} (System.nanoTime; 0: no deadline, the
     * same as {@link #await}, which callers with an optional timeout need not spell out). A goroutine's timeout
     * is a runtime timer, armed after the unmount, that cancels this wait (see {@link #cancel});
     * it is disarmed when the wait ends otherwise, so no timer outlives the wait.
     *
     * @return {@link #WOKEN}; or {@link #TIMED_OUT} / {@link #INTERRUPTED} with {@code lock} held
     *         again, the waiter possibly still linked, for the caller to {@link WaitQueue#remove}
     *         (interrupt status cleared)
     */
    public int awaitUntil(WaitReason reason, SpinLock lock, long deadline) {
        if (deadline == 0L) return await(reason, lock) ? WOKEN : INTERRUPTED;
        if (g != null) return awaitUntilGoroutine(reason, lock, deadline);
        lock.unlock();
        while (!woken) {
            long left = deadline - System.nanoTime();
            boolean interrupted = Thread.interrupted();
            if (left <= 0 || interrupted) {
                lock.lockWithinReserve(); // within the operation's reserve (see SpinLock)
                if (queue != null) return interrupted ? INTERRUPTED : TIMED_OUT; // still linked
                // Unlinked: a waker took this waiter and wakes it right after its unlock: the
                // wake wins (keep the interrupt).
                lock.unlock();
                while (!woken) LockSupport.park(this);
                if (interrupted) Thread.currentThread().interrupt();
                return WOKEN;
            }
            LockSupport.parkNanos(this, left);
        }
        return WOKEN;
    }

    private int awaitUntilGoroutine(WaitReason reason, SpinLock lock, long deadline) {
        interruptible = true;
        if (!g.beginInterruptibleWait(this)) {
            g.clearInterruptForThrow();
            return INTERRUPTED;
        }
        if (deadline - System.nanoTime() <= 0) return TIMED_OUT; // lock held, still linked
        int seq = waitSeq;
        Scheduler s = Scheduler.get();
        TimerEntry t = new TimerEntry(() -> cancel(TIMED_OUT, seq));
        // Armed in the commit, after the unmount, before the lock is released: a canceller needs
        // the lock, so it cannot ready the goroutine before it is parked.
        s.park(reason, x -> {
            try {
                s.addTimer(t, deadline);
            } catch (Throwable e) {
                // Out of memory arming the timer: the wait goes on without its deadline (the
                // lock must be released, and the goroutine is parked already).
            }
            lock.unlock();
            return true;
        });
        s.deleteTimer(t); // woken or interrupted first: the timer must not outlive the wait
        int c = cancelled;
        if (c == 0) return WOKEN;
        lock.lockWithinReserve(); // within the operation's reserve (see SpinLock)
        if (c == INTERRUPTED) g.clearInterruptForThrow();
        return c;
    }
}
