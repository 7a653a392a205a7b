package dev.gort.sync;

import dev.gort.sched.SpinLock;
import dev.gort.sched.StackReserve;
import dev.gort.sched.WaitQueue;
import dev.gort.sched.WaitReason;
import dev.gort.sched.Waiter;

/**
 * Waits for a collection of goroutines to finish (Go's {@code sync.WaitGroup}): {@link #add}
 * the number to wait for, each calls {@link #done()}, {@link #await()} parks until the counter
 * is zero. Works from goroutines (parks the goroutine) and platform threads (parks the thread).
 *
 * <p>Invariants: the counter never goes negative (that throws); waiters are only queued while it
 * is positive, and all are woken, once each, when it reaches zero. The counter is changed under
 * the lock only when it reaches zero or a waiter is involved; otherwise by a CAS, so that the
 * common {@code done()} costs one atomic instruction.
 */
public final class WaitGroup {
    private final java.util.concurrent.atomic.AtomicLong state = new java.util.concurrent.atomic.AtomicLong();
    private final SpinLock lock = new SpinLock();
    /** Waiters; guarded by lock. */
    private final WaitQueue waiters = WaitQueue.guardedBy(lock);

    /** Adds delta (may be negative) to the counter; at zero every waiter is released. */
    public void add(int delta) {
        // Before the counter changes: releasing the waiters then cannot fail for want of stack.
        StackReserve.reserve();
        long v = state.addAndGet(delta);
        if (v < 0) {
            state.addAndGet(-delta);
            throw new IllegalStateException("sync: negative WaitGroup counter");
        }
        if (v == 0) {
            releaseAll();
        }
    }

    /** {@code add(-1)}. */
    public void done() {
        add(-1);
    }

    /** The counter now. */
    public long count() {
        return state.get();
    }

    private void releaseAll() {
        lock.lockWithinReserve();
        Waiter w = waiters.drain(); // every waiter queued before the counter reached zero
        lock.unlock();
        Waiter.wakeChain(w);
    }

    /**
     * Waits until the counter is zero.
     *
     * @throws InterruptedException if the calling goroutine or platform thread is interrupted
     *         while waiting, or would wait with its interrupt status set (status cleared)
     */
    public void await() throws InterruptedException {
        if (state.get() == 0) return;
        lock.lock();
        if (state.get() == 0) {
            lock.unlock();
            return;
        }
        Waiter w = Waiter.current(lock);
        waiters.enqueue(w);
        if (!w.await(WaitReason.WAIT_GROUP, lock)) {
            waiters.remove(w); // interrupted (a goroutine's interrupter may have unlinked it already)
            lock.unlock();
            throw new InterruptedException();
        }
    }
}
