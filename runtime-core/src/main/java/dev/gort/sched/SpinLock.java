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

    public final void lock() {
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
