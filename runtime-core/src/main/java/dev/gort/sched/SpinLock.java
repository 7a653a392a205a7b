package dev.gort.sched;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A short mutual-exclusion lock for the runtime's wait structures (Go's runtime {@code mutex}).
 *
 * <p>Held for a few field writes, never while waiting for another goroutine, with one
 * exception that is the point of it: a goroutine about to park may yield while holding it, and
 * its carrier releases it after the unmount ({@link Scheduler#park}'s commit step), exactly as
 * Go's {@code gopark(unlockf)}. So the lock has no owner thread: any thread may unlock.
 *
 * <p>Acquire is a CAS (full fence); release is a release store: writes made while holding it
 * happen-before the next acquire.
 *
 * <p>Errors: {@link #lock()} reserves stack first ({@link StackReserve}), so a StackOverflowError
 * strikes before the lock is taken, never while it is held. An OutOfMemoryError can strike
 * wherever a holder allocates: holders allocate before locking, or release in a handler
 * ({@link #unlock()} allocates nothing and needs one shallow frame, within the reserve).
 */
public class SpinLock implements ParkCommit {
    private volatile int locked;
    private static final VarHandle LOCKED;

    static {
        try {
            LOCKED = MethodHandles.lookup().findVarHandle(SpinLock.class, "locked", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Locks, after reserving stack for the critical section (see {@link StackReserve}). */
    public final void lock() {
        StackReserve.reserve();
        if (!LOCKED.compareAndSet(this, 0, 1)) {
            lockSlow();
        }
    }

    /**
     * Locks without reserving stack: for a lock taken again inside an operation whose first
     * {@link #lock()} reserved it (a waiter re-locking after its wait, the further locks of a
     * select), at most a few frames deeper. A fresh check there could fail where the first one
     * passed, and leave the operation half done.
     */
    public final void lockWithinReserve() {
        if (!LOCKED.compareAndSet(this, 0, 1)) {
            lockSlow();
        }
    }

    private void lockSlow() {
        int spins = 0;
        for (;;) {
            if (locked == 0 && LOCKED.compareAndSet(this, 0, 1)) {
                return;
            }
            if (++spins < 100) {
                Thread.onSpinWait();
            } else {
                // The holder was descheduled by the OS (or is a platform thread); let it run.
                Thread.yield();
            }
        }
    }

    public final boolean tryLock() {
        StackReserve.reserve();
        return locked == 0 && LOCKED.compareAndSet(this, 0, 1);
    }

    public final void unlock() {
        LOCKED.setRelease(this, 0);
    }

    /** As a park commit: releases the lock once the parking goroutine is off its carrier. */
    @Override
    public final boolean afterUnmount(G g) {
        unlock();
        return true;
    }

    public final boolean isLocked() {
        return locked != 0;
    }
}
