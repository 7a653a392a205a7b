package dev.gort.sync;

import dev.gort.sched.SpinLock;
import dev.gort.sched.WaitQueue;
import dev.gort.sched.WaitReason;
import dev.gort.sched.Waiter;

/**
 * A weighted semaphore (Go's {@code golang.org/x/sync/semaphore.Weighted}): {@link #acquire(long)}
 * waits (parking) until {@code n} permits are free; waiters are served in FIFO order, so a
 * large request is not starved by small ones. {@link #acquire(long)} throws
 * {@link InterruptedException} for an interrupted platform thread or goroutine, with nothing acquired.
 *
 * <p>For maintainers: guarded by {@link #lock}; release grants permits to queued waiters in
 * order (updating {@link #used} on their behalf) before waking them.
 */
public final class Semaphore {
    private final long size;
    private final SpinLock lock = new SpinLock();
    private long used;
    private final WaitQueue queue = WaitQueue.guardedBy(lock);

    public Semaphore(long permits) {
        if (permits < 0) throw new IllegalArgumentException("negative permits: " + permits);
        this.size = permits;
    }

    public void acquire() throws InterruptedException {
        acquire(1);
    }

    public void acquire(long n) throws InterruptedException {
        check(n);
        lock.lock();
        if (size - used >= n && queue.isEmpty()) {
            used += n;
            lock.unlock();
            return;
        }
        Waiter w = Waiter.current(lock); // unlocks if it runs out of memory
        try {
            w.item = n; // boxing may allocate
        } catch (Throwable e) { // out of memory: the lock must not stay held
            lock.unlock();
            throw e;
        }
        queue.enqueue(w);
        if (!w.await(WaitReason.SEMAPHORE, lock)) {
            // Interrupted platform thread, still queued (the lock is held): give up. If it was
            // first in line, those behind it may fit now.
            queue.remove(w);
            Waiter wake = grantLocked();
            lock.unlock();
            wakeAll(wake);
            throw new InterruptedException();
        }
    }

    public boolean tryAcquire(long n) {
        check(n);
        lock.lock();
        boolean ok = size - used >= n && queue.isEmpty();
        if (ok) used += n;
        lock.unlock();
        return ok;
    }

    public void release() {
        release(1);
    }

    public void release(long n) {
        check(n);
        lock.lockWithinReserve(); // within the stack its acquire reserved: see Mutex.unlockSlow
        if (used < n) {
            lock.unlock();
            throw new IllegalStateException("semaphore: released more than held");
        }
        used -= n;
        Waiter wake = grantLocked();
        lock.unlock();
        wakeAll(wake);
    }

    /** Permits free now (a snapshot). */
    public long available() {
        lock.lock();
        long a = size - used;
        lock.unlock();
        return a;
    }

    private void check(long n) {
        if (n < 0) throw new IllegalArgumentException("negative permits: " + n);
        if (n > size) throw new IllegalArgumentException("acquire of " + n + " permits from a semaphore of " + size);
    }

    /** Holding the lock: does waiter x's request fit now? (One object: nothing allocated under the lock.) */
    private final java.util.function.Predicate<Waiter> fits = this::fits;

    private boolean fits(Waiter x) {
        return size - used >= (long) x.item;
    }

    /** Holding the lock: grants waiters in FIFO order while they fit; returns them linked by next. */
    private Waiter grantLocked() {
        Waiter wake = null;
        for (;;) {
            Waiter w = queue.dequeueIf(fits);
            if (w == null) return wake;
            used += (long) w.item;
            w.next = wake;
            wake = w;
        }
    }

    private static void wakeAll(Waiter w) {
        Waiter.wakeChain(w);
    }
}
