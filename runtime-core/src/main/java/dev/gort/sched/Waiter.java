package dev.gort.sched;

import java.util.concurrent.locks.LockSupport;

/**
 * One waiter on a wait queue (Go's {@code sudog}): either a parked goroutine or a parked
 * platform thread, so that every Gort primitive works from both.
 *
 * <p>Protocol, the one every wait of a goroutine on a {@link WaitQueue} follows: the waiter is
 * linked into a queue while the queue's {@link SpinLock} is held; whoever unlinks it under that
 * lock owns the right to {@link #wake()} it, exactly once, and wakes it after releasing the lock.
 * A goroutine waiter parks with {@link Scheduler#park(WaitReason, ParkCommit)} passing that lock
 * as the commit, which the carrier releases only after the goroutine has unmounted, so the wake
 * never races with the park. A platform-thread waiter ({@link ThreadWaiter}) releases the lock
 * and parks on its {@code woken} flag.
 *
 * <p>An unbuffered channel's wait may spin before it parks ({@code -Dgort.spinnanos}, off by
 * default; see {@link #await(WaitReason, SpinLock, boolean)}): a step in front of the protocol,
 * not a second one. The spinning goroutine releases the lock and watches {@link #parkState};
 * a waker that unlinks it meanwhile finds {@link #SPINNING} there and stores {@link #SPIN_WOKEN}
 * instead of readying it. If the spin ends first, the goroutine takes the lock again: still
 * linked, it parks as above (lock as commit); unlinked, its waker is between its unlock and its
 * wake, and the goroutine waits for the SPIN_WOKEN that follows.
 */
public sealed class Waiter implements InterruptibleWait permits Waiter.ThreadWaiter {
    /** The waiting goroutine, or null for a platform thread. */
    public final G g;
    /** Free for the owning structure (the value a channel hands over, ...). Guarded by its lock. */
    public Object item;
    /**
     * Set by the waker before {@link #wake()}: true when the wait was satisfied (a value handed
     * over), false when it ended otherwise (the channel closed). Read by the waiter after waking.
     */
    public boolean success;
    /** Queue links; guarded by the owning structure's lock. */
    public Waiter next;
    public Waiter prev;
    /** The {@link WaitQueue} this waiter is linked in, or null; written only under its lock. */
    WaitQueue queue;
    /**
     * Goroutine waiters: how the wait ended when it was not woken by the structure: the ordinal
     * of {@link Result#TIMED_OUT} or {@link Result#INTERRUPTED} (0, {@link Result#WOKEN}'s:
     * woken). A byte, not the enum, so that the waiter every goroutine keeps is 40 bytes, not 48
     * (W6). Written by the canceller under the queue's lock before it wakes the goroutine; read
     * by the goroutine after it resumes.
     */
    private byte cancelled;
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
    /**
     * Goroutine waiters that spin before parking (see the class comment): {@link #SPINNING} from
     * before the spinning goroutine releases the lock (so a waker, which unlinks it under that
     * lock, reads it) until the waker stores {@link #SPIN_WOKEN} or the goroutine, holding the
     * lock again and still linked, stores {@link #NOT_SPINNING} to park. Any value but SPINNING
     * tells a waker to ready the goroutine, so a wait that does not spin never writes it.
     * Memory ordering: the waker writes item and success before its volatile store of SPIN_WOKEN;
     * the goroutine reads them after its volatile read of SPIN_WOKEN.
     */
    private volatile byte parkState;
    static final byte NOT_SPINNING = 0, SPINNING = 1, SPIN_WOKEN = 2;

    /** {@link Result} by ordinal, for {@link #cancelled}. */
    private static final Result[] RESULTS = Result.values();

    /** How a wait ended (see {@link #awaitUntil}). */
    public enum Result {
        /** Woken by the structure (a value handed over, a permit, a close...). */
        WOKEN,
        /** The deadline passed first. */
        TIMED_OUT,
        /** The waiter was interrupted first (status cleared). */
        INTERRUPTED
    }

    private Waiter(G g) {
        this.g = g;
    }

    /**
     * A platform thread's waiter (its {@link #g} is null), and every select case's: the fields
     * only a parked thread needs, kept out of the plain waiter every goroutine keeps (W6 parks a
     * million of those).
     */
    public static sealed class ThreadWaiter extends Waiter permits SelectCase {
        /** The waiting platform thread, or null for a goroutine's select case. */
        final Thread thread;
        /** Set (release) by the waker before unpark; read (acquire) by the waiting thread. */
        volatile boolean woken;

        private ThreadWaiter(G g, Thread thread) {
            super(g);
            this.thread = thread;
        }
    }

    /**
     * The waiter of one case of a blocked select: one of a {@link SelectGroup}, of which only the
     * first claimed completes (see {@link #claim()}). A subclass, so that the plain waiter every
     * goroutine keeps (W6 parks a million) carries no select fields.
     */
    public static final class SelectCase extends ThreadWaiter {
        /** The group of this select's waiters (one per case). */
        public final SelectGroup group;
        /** Which case this waiter stands for. */
        public final int caseIndex;

        private SelectCase(G g, Thread thread, SelectGroup group, int caseIndex) {
            super(g, thread);
            this.group = group;
            this.caseIndex = caseIndex;
        }
    }

    /** This platform thread's (or select case's) waiter: every {@code woken} access is on one. */
    private ThreadWaiter onThread() {
        return (ThreadWaiter) this;
    }

    /** A waiter of the calling goroutine or thread for case {@code caseIndex} of a select. */
    public static SelectCase forSelect(SelectGroup group, int caseIndex) {
        G g = Scheduler.currentG();
        return new SelectCase(g, g != null ? null : Thread.currentThread(), group, caseIndex);
    }

    /**
     * Whoever dequeues a waiter must call this before using it: a select's waiters sit on several
     * queues and only the first to claim one of them may complete it; the others drop theirs.
     */
    public final boolean claim() {
        return !(this instanceof SelectCase c) || c.group.claim(c);
    }

    /** A waiter that is never woken: for structures that need a marker node. */
    static Waiter sentinel() {
        return new Waiter(null);
    }

    /** A select waiter that is never woken: for {@link SelectGroup#CANCELLED}. */
    static SelectCase selectSentinel() {
        return new SelectCase(null, null, null, -1);
    }

    /**
     * Platform threads, waiters on lock-free structures: parks until {@link #wake()}, the
     * deadline (System.nanoTime; 0 for none) or an interrupt.
     *
     * @return true when woken; false on timeout (interrupt status untouched) or interrupt
     *         (interrupt status left set, for the caller to clear and report)
     */
    boolean awaitWoken(long deadline) {
        ThreadWaiter t = onThread();
        while (!t.woken) {
            if (Thread.currentThread().isInterrupted()) return t.woken;
            if (deadline == 0L) {
                LockSupport.park(this);
            } else {
                long left = deadline - System.nanoTime();
                if (left <= 0) return t.woken;
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
        if (g == null) return new ThreadWaiter(null, Thread.currentThread());
        Waiter w = g.waiter;
        if (w == null) {
            g.waiter = w = new Waiter(g);
        } else {
            w.item = null;
            w.success = false;
            w.next = w.prev = null;
            w.cancelled = 0;
            w.interruptible = false;
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

    /**
     * Makes the waiter runnable again; called once, by whoever unlinked it (after releasing the
     * lock it unlinked it under). A goroutine that is still spinning (see the class comment) is
     * told so instead of being readied: it has not parked.
     */
    public void wake() {
        if (g != null) {
            // Stable here: only the goroutine changes SPINNING, and only while still linked.
            if (parkState == SPINNING) {
                parkState = SPIN_WOKEN; // volatile: publishes item and success to the spinner
                return;
            }
            Scheduler.get().ready(g);
        } else {
            ThreadWaiter t = onThread();
            t.woken = true;
            LockSupport.unpark(t.thread);
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

    /** A platform thread's waiter (or a select case's): whether its wake has come. */
    public boolean isWoken() {
        return onThread().woken;
    }

    /**
     * Parks until {@link #wake()}: an interruptible wait. The caller holds {@code lock}, which
     * guards the {@link WaitQueue} it has linked this waiter into; the lock is released before
     * waiting (by the park's commit, after the unmount, for a goroutine).
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
        return await(reason, lock, false);
    }

    /**
     * {@link #await(WaitReason, SpinLock)}, where a goroutine may first spin for its wake
     * ({@code maySpin}: an unbuffered channel's wait, whose partner may be running right now on
     * another P). It spins only when {@code -Dgort.spinnanos} is set and the scheduler deems it
     * worthwhile ({@link WakePolicy#spinBeforePark}); see the class comment for how the spin hands
     * over to the park. Same result as {@link #await(WaitReason, SpinLock)}.
     */
    public boolean await(WaitReason reason, SpinLock lock, boolean maySpin) {
        if (g == null) return awaitThread(lock);
        interruptible = true; // under lock: see the field
        if (!g.beginInterruptibleWait(this)) {
            g.clearInterruptForThrow();
            return false; // lock still held, waiter still linked
        }
        Scheduler s = Scheduler.get();
        // spinNanos is 0 unless -Dgort.spinnanos is set: the default path parks at once.
        if (!maySpin || s.wake.spinNanos() <= 0 || !spinUntilWoken(s, lock)) {
            s.park(g, reason, lock);
        }
        // Woken by the structure, or cancelled by an interrupt (cancel() wakes through wake()).
        if (cancelled == 0) return true;
        lock.lockWithinReserve(); // within the operation's reserve (see SpinLock)
        g.clearInterruptForThrow();
        return false;
    }

    /** A platform thread's {@link #await(WaitReason, SpinLock)}. */
    private boolean awaitThread(SpinLock lock) {
        ThreadWaiter t = onThread();
        lock.unlock();
        boolean interrupted = false;
        while (!t.woken) {
            LockSupport.park(this);
            if (Thread.interrupted()) {
                interrupted = true;
                if (t.woken) break;
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
     * The optional spin in front of a goroutine's park (see the class comment). Holding
     * {@code lock}, this waiter linked and its interruptible wait installed.
     *
     * @return true when the wait ended during the spin (woken, or cancelled: see
     *         {@link #cancelled}), the lock not held; false to park as usual: the lock held, the
     *         waiter still linked, {@link #parkState} not SPINNING
     */
    private boolean spinUntilWoken(Scheduler s, SpinLock lock) {
        G.Extra x;
        try {
            x = g.extra(); // a spinning goroutine's first spin allocates it
        } catch (OutOfMemoryError e) {
            return false; // park without spinning; the lock is still held, for the commit
        }
        if (x.spinSkip > 0) {
            x.spinSkip--;
            return false;
        }
        P p = s.wake.spinBeforePark(g);
        if (p == null) return false;
        parkState = SPINNING; // before the unlock: a waker unlinks this waiter under the lock
        lock.unlock();
        boolean won = spin(s.wake.spinNanos());
        if (p.offersRunnext) p.offersRunnext = false;
        if (won) {
            x.spinPenalty = 0;
            return true;
        }
        x.spinSkip = x.spinPenalty = Math.min(x.spinPenalty * 2 + 1, MAX_SPIN_PENALTY);
        lock.lockWithinReserve(); // within the operation's reserve (see SpinLock)
        if (queue != null) {
            parkState = NOT_SPINNING; // under the lock: the waker that unlinks it later readies it
            return false;
        }
        // Unlinked: the waker (or canceller) stores SPIN_WOKEN right after its unlock.
        lock.unlock();
        for (int i = 1; parkState != SPIN_WOKEN; i++) {
            if (i < 100) Thread.onSpinWait(); else Thread.yield(); // its carrier was descheduled
        }
        return true;
    }

    /** The most waits a goroutine parks at once, without spinning, after spins that ended in a park. */
    private static final int MAX_SPIN_PENALTY = 4095;

    /** Spins until SPIN_WOKEN or {@code nanos} have passed; true when woken. */
    private boolean spin(long nanos) {
        long deadline = 0L;
        for (int i = 1; ; i++) {
            if (parkState == SPIN_WOKEN) return true;
            Thread.onSpinWait();
            if ((i & 31) == 0) {
                long now = System.nanoTime();
                if (deadline == 0L) {
                    deadline = now + nanos;
                } else if (now - deadline > 0) {
                    return parkState == SPIN_WOKEN;
                }
            }
        }
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
        while (!awaitThread(lock)) {
            interrupted = true; // lock held again, still queued: wait again
        }
        if (interrupted) Thread.currentThread().interrupt();
    }

    /**
     * The canceller's side of a goroutine's wait (an interrupt, or a timed wait's timer): takes
     * the waiter out of its queue and wakes the goroutine, if and only if it is still queued in
     * the same wait.
     *
     * <p>Exactly-once: every waker unlinks the waiter under the queue's lock before waking it;
     * so does this, after checking {@code queue} under that lock (see {@link WaitQueue}'s
     * invariant). A waiter already unlinked (woken, a value handed over) is left alone. A
     * goroutine found still linked is parked (it held the lock until its park commit, after the
     * unmount) or spinning (see the class comment), and {@link #wake()} handles both.
     * {@code queue} is read first without the lock to find which lock to take; a stale read only
     * makes the check under the lock fail.
     *
     * @param why {@link Result#INTERRUPTED} or {@link Result#TIMED_OUT}
     * @param seq the wait to cancel ({@link #waitSeq}), or -1 for whatever interruptible wait
     *        the goroutine is in
     */
    void cancel(Result why, int seq) {
        WaitQueue q = queue;
        if (q == null) return;
        SpinLock l = q.guard();
        l.lock();
        // An interrupt (seq -1) ends the wait only while its status is still set: the waiter is
        // reused, and an interrupter that read it from interruptState may come here late, after
        // the goroutine already threw for this interrupt (status cleared, under this lock) and
        // queued the same waiter again for its next wait, which this interrupt must not end.
        boolean mine = queue == q && (seq == -1 ? interruptible && g.isInterrupted() : waitSeq == seq);
        if (mine) {
            q.remove(this);
            cancelled = (byte) why.ordinal();
        }
        l.unlock();
        if (mine) wake();
    }

    @Override
    public void interruptWait(G target) {
        cancel(Result.INTERRUPTED, -1);
    }

    /**
     * Like {@link #await}, giving up at {@code deadline} ({@link Bubble#nanoTime()}: System.nanoTime,
     * or a test bubble's clock; 0: no deadline, the
     * same as {@link #await}, which callers with an optional timeout need not spell out). A
     * goroutine's timeout is a runtime timer, armed after the unmount, that cancels this wait
     * (see {@link #cancel}); it is disarmed when the wait ends otherwise, so no timer outlives
     * the wait.
     *
     * @return {@link Result#WOKEN}; or {@link Result#TIMED_OUT} / {@link Result#INTERRUPTED}
     *         with {@code lock} held again, the waiter possibly still linked, for the caller to
     *         {@link WaitQueue#remove} (interrupt status cleared)
     */
    public Result awaitUntil(WaitReason reason, SpinLock lock, long deadline) {
        if (deadline == 0L) return await(reason, lock) ? Result.WOKEN : Result.INTERRUPTED;
        if (g != null) return awaitUntilGoroutine(reason, lock, deadline);
        ThreadWaiter tw = onThread();
        lock.unlock();
        while (!tw.woken) {
            long left = deadline - System.nanoTime();
            boolean interrupted = Thread.interrupted();
            if (left <= 0 || interrupted) {
                lock.lockWithinReserve(); // within the operation's reserve (see SpinLock)
                if (queue != null) return interrupted ? Result.INTERRUPTED : Result.TIMED_OUT; // still linked
                // Unlinked: a waker took this waiter and wakes it right after its unlock: the
                // wake wins (keep the interrupt).
                lock.unlock();
                while (!tw.woken) LockSupport.park(this);
                if (interrupted) Thread.currentThread().interrupt();
                return Result.WOKEN;
            }
            LockSupport.parkNanos(this, left);
        }
        return Result.WOKEN;
    }

    private Result awaitUntilGoroutine(WaitReason reason, SpinLock lock, long deadline) {
        interruptible = true;
        if (!g.beginInterruptibleWait(this)) {
            g.clearInterruptForThrow();
            return Result.INTERRUPTED;
        }
        if (deadline - Bubble.nanoTime() <= 0) return Result.TIMED_OUT; // lock held, still linked
        int seq = waitSeq;
        Scheduler s = Scheduler.get();
        TimerEntry t = new TimerEntry(() -> cancel(Result.TIMED_OUT, seq));
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
        Result c = RESULTS[cancelled];
        if (c == Result.WOKEN) return Result.WOKEN;
        lock.lockWithinReserve(); // within the operation's reserve (see SpinLock)
        if (c == Result.INTERRUPTED) g.clearInterruptForThrow();
        return c;
    }
}
