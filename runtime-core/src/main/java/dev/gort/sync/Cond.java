package dev.gort.sync;

import dev.gort.sched.SpinLock;
import dev.gort.sched.WaitQueue;
import dev.gort.sched.WaitReason;
import dev.gort.sched.Waiter;

/**
 * A condition variable (Go's {@code sync.Cond}) over a {@link Mutex}: {@link #await()} atomically
 * unlocks it and waits for {@link #signal()} or {@link #broadcast()}, then locks it again.
 * As in Go, wake-ups come only from signal/broadcast, but callers should still wait in a loop on
 * their condition.
 *
 * <p>For maintainers: the waiter is queued before the mutex is released, so a signal after the
 * release always finds it; the queue's lock is held from queueing to the park's commit.
 */
public final class Cond {
    private final Mutex mutex;
    private final SpinLock lock = new SpinLock();
    private final WaitQueue queue = WaitQueue.guardedBy(lock);

    public Cond(Mutex mutex) {
        this.mutex = java.util.Objects.requireNonNull(mutex, "mutex");
    }

    public Mutex mutex() {
        return mutex;
    }

    /** Unlocks the mutex, waits for a signal, locks the mutex again. The caller must hold the mutex. */
    public void await() {
        Waiter w = Waiter.current();
        lock.lock();
        queue.enqueue(w);
        try {
            mutex.unlock(); // never waits: safe under the spin lock
        } catch (RuntimeException e) { // not locked: leave the Cond as it was
            queue.remove(w);
            lock.unlock();
            throw e;
        }
        w.awaitUninterruptibly(WaitReason.COND, lock);
        mutex.lock();
    }

    /** Wakes one waiter, if any. */
    public void signal() {
        lock.lock();
        Waiter w = queue.dequeue();
        lock.unlock();
        if (w != null) w.wake();
    }

    /** Wakes every waiter. */
    public void broadcast() {
        lock.lock();
        Waiter all = null, w;
        while ((w = queue.dequeue()) != null) {
            w.next = all;
            all = w;
        }
        lock.unlock();
        Waiter.wakeChain(all);
    }
}
