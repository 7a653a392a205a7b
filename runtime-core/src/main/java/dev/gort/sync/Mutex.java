package dev.gort.sync;

import dev.gort.sched.SpinLock;
import dev.gort.sched.StackReserve;
import dev.gort.sched.WaitQueue;
import dev.gort.sched.WaitReason;
import dev.gort.sched.Waiter;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A mutual-exclusion lock (Go's {@code sync.Mutex}). A goroutine that waits for it parks (its
 * carrier runs others); a platform thread parks itself. Not reentrant, and not owned: any
 * goroutine or thread may unlock it, as in Go. {@link #lock()} is not interruptible.
 *
 * <h2>Normal and starvation mode (Go's design)</h2>
 * In normal mode waiters queue FIFO, but a woken waiter competes with newly arriving lockers,
 * which usually win (they are already running): good throughput. A waiter that fails to get the
 * lock for more than 1 ms switches the mutex to starvation mode: unlock then hands the lock
 * directly to the first waiter, and new arrivals queue at the tail without trying. The mode ends
 * when a waiter that got the lock waited less than 1 ms, or was the last one.
 *
 * <h2>For maintainers: state and invariants</h2>
 * {@link #state} holds LOCKED, STARVING and WAITERS bits. Without waiters, lock and unlock are
 * one CAS each. {@link #queueLock} guards the queue; WAITERS is set (by CAS, so that it cannot
 * race with the unlock fast path) only while holding it, before a waiter is queued, and cleared
 * only while holding it, when the queue becomes empty. So an unlock whose fast path CAS
 * (LOCKED to 0) succeeds saw no waiter, and every queued waiter is seen by the slow path.
 * While LOCKED is set, only the owner changes LOCKED/STARVING; others may only add WAITERS.
 */
public final class Mutex {
    private static final int LOCKED = 1, STARVING = 2, WAITERS = 4;
    private static final long STARVATION_NANOS = 1_000_000L;

    private volatile int state;
    private final SpinLock queueLock = new SpinLock();
    private final WaitQueue queue = WaitQueue.guardedBy(queueLock);

    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(Mutex.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private boolean cas(int expect, int update) {
        return STATE.compareAndSet(this, expect, update);
    }

    /**
     * Locks, waiting as long as it takes. Reserves stack first, also when it need not wait, for
     * the {@link #unlock()} that follows at about the same depth (see {@link StackReserve}).
     */
    public void lock() {
        StackReserve.reserve();
        if (!cas(0, LOCKED)) lockSlow();
    }

    /** Locks if that needs no waiting (not while the mutex is starving: waiters go first). */
    public boolean tryLock() {
        StackReserve.reserve(); // for the unlock, as lock()
        int s = state;
        return (s & (LOCKED | STARVING)) == 0 && cas(s, s | LOCKED);
    }

    private void lockSlow() {
        long start = 0;
        boolean woken = false;
        for (;;) {
            int s = state;
            if ((s & (LOCKED | STARVING)) == 0) {
                if (cas(s, s | LOCKED)) return; // normal mode: compete
                continue;
            }
            queueLock.lock();
            s = state;
            if ((s & (LOCKED | STARVING)) == 0) { // freed meanwhile
                queueLock.unlock();
                continue;
            }
            long now = System.nanoTime();
            if (start == 0) start = now;
            int update = s | WAITERS;
            if (woken && now - start > STARVATION_NANOS) update |= STARVING;
            if (!cas(s, update)) {
                queueLock.unlock();
                continue;
            }
            Waiter w = Waiter.current(queueLock);
            if (woken) queue.pushFront(w); else queue.enqueue(w);
            w.awaitUninterruptibly(WaitReason.MUTEX, queueLock);
            if (w.success) {
                // Handed over in starvation mode: we hold it. Leave the mode if we did not starve.
                if (System.nanoTime() - start < STARVATION_NANOS) {
                    int x;
                    do {
                        x = state;
                    } while ((x & STARVING) != 0 && !cas(x, x & ~STARVING));
                }
                return;
            }
            woken = true; // normal mode: compete again, from the front of the queue
        }
    }

    /**
     * Unlocks.
     *
     * @throws IllegalStateException if the mutex is not locked
     */
    public void unlock() {
        if (cas(LOCKED, 0)) return;
        unlockSlow();
    }

    private void unlockSlow() {
        // Within the stack its lock() reserved: an unlock must not fail for want of stack,
        // nor overflow holding queueLock.
        queueLock.lockWithinReserve();
        int s = state;
        if ((s & LOCKED) == 0) {
            queueLock.unlock();
            throw new IllegalStateException("sync: unlock of unlocked mutex");
        }
        Waiter w = queue.dequeue();
        boolean empty = queue.isEmpty();
        int update;
        if (w == null) {
            update = s & ~(LOCKED | STARVING | WAITERS);
        } else if ((s & STARVING) != 0) {
            w.success = true; // hand-off: stays LOCKED, now owned by w
            update = empty ? s & ~(STARVING | WAITERS) : s;
        } else {
            w.success = false; // wake it to compete
            update = empty ? s & ~(LOCKED | WAITERS) : s & ~LOCKED;
        }
        // Holding queueLock with LOCKED set, nobody else changes the state (see the class comment).
        if (!cas(s, update)) {
            queueLock.unlock();
            throw new IllegalStateException("gort: Mutex state changed under its owner: " + s + " -> " + state);
        }
        queueLock.unlock();
        if (w != null) w.wake();
    }

    /** True while locked (a snapshot, for diagnostics and tests). */
    public boolean isLocked() {
        return (state & LOCKED) != 0;
    }

    boolean isStarving() {
        return (state & STARVING) != 0;
    }
}
