package dev.gort.sync;

import dev.gort.sched.SpinLock;
import dev.gort.sched.WaitQueue;
import dev.gort.sched.WaitReason;
import dev.gort.sched.Waiter;

/**
 * A reader/writer lock (Go's {@code sync.RWMutex}): any number of readers or one writer. A
 * writer that waits blocks new readers (so writers are not starved), and when a writer unlocks,
 * the readers that queued meanwhile go before the next writer (so readers are not starved
 * either). Waiting parks the goroutine (or platform thread); not interruptible, not reentrant.
 *
 * <p>For maintainers: all state is guarded by {@link #lock}; a waiter is granted the lock by
 * whoever wakes it (the counters are updated on its behalf before the wake), so a woken waiter
 * never competes again.
 */
public final class RWMutex {
    private final SpinLock lock = new SpinLock();
    private int readers;
    private boolean writer;
    private final WaitQueue readq = WaitQueue.guardedBy(lock);
    private final WaitQueue writeq = WaitQueue.guardedBy(lock);
    private int writersWaiting;

    public void rlock() {
        lock.lock();
        if (!writer && writersWaiting == 0) {
            readers++;
            lock.unlock();
            return;
        }
        Waiter w = Waiter.current(lock);
        readq.enqueue(w);
        w.awaitUninterruptibly(WaitReason.RW_MUTEX_READ, lock);
    }

    public boolean tryRLock() {
        lock.lock();
        boolean ok = !writer && writersWaiting == 0;
        if (ok) readers++;
        lock.unlock();
        return ok;
    }

    public void runlock() {
        lock.lockWithinReserve(); // within the stack its rlock() reserved: see Mutex.unlockSlow
        if (readers <= 0) {
            lock.unlock();
            throw new IllegalStateException("sync: RUnlock of unlocked RWMutex");
        }
        Waiter wake = null;
        if (--readers == 0 && writersWaiting > 0) {
            wake = grantWriter();
        }
        lock.unlock();
        if (wake != null) wake.wake();
    }

    public void lock() {
        lock.lock();
        if (!writer && readers == 0) {
            writer = true;
            lock.unlock();
            return;
        }
        Waiter w = Waiter.current(lock);
        writeq.enqueue(w);
        writersWaiting++;
        w.awaitUninterruptibly(WaitReason.RW_MUTEX_WRITE, lock);
    }

    public boolean tryLock() {
        lock.lock();
        boolean ok = !writer && readers == 0;
        if (ok) writer = true;
        lock.unlock();
        return ok;
    }

    public void unlock() {
        lock.lockWithinReserve(); // within the stack its lock() reserved: see Mutex.unlockSlow
        if (!writer) {
            lock.unlock();
            throw new IllegalStateException("sync: Unlock of unlocked RWMutex");
        }
        writer = false;
        Waiter wake;
        if (!readq.isEmpty()) {
            // Readers that arrived while we held it go first, all at once.
            Waiter w;
            wake = null;
            while ((w = readq.dequeue()) != null) {
                readers++;
                w.next = wake;
                wake = w;
            }
        } else if (writersWaiting > 0) {
            wake = grantWriter();
        } else {
            wake = null;
        }
        lock.unlock();
        Waiter.wakeChain(wake);
    }

    /** Holding the lock, no readers and no writer: the next writer gets it. */
    private Waiter grantWriter() {
        Waiter w = writeq.dequeue();
        writersWaiting--;
        writer = true;
        w.next = null;
        return w;
    }
}
