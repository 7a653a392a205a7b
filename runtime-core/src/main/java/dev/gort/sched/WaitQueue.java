package dev.gort.sched;

/**
 * A FIFO of {@link Waiter}s (Go's {@code waitq}): the parked senders or receivers of a channel,
 * the waiters of a lock. Not thread-safe: guarded by the owning structure's {@link SpinLock}.
 *
 * <p>A wait queue is also a {@link SpinLock}, free for its owner to use as the structure's lock
 * (a channel locks its receive queue and leaves its send queue's lock unused): the lock word
 * fits in the queue object's padding, so a structure saves a lock object (16 B) and a field.
 * W6 parks a million goroutines on a million channels; every byte of a channel counts there.
 */
public final class WaitQueue extends SpinLock {
    private Waiter head, tail;

    public boolean isEmpty() {
        return head == null;
    }

    /** Waiters queued (walks the queue: for tests and diagnostics). */
    public int size() {
        int n = 0;
        for (Waiter w = head; w != null; w = w.next) n++;
        return n;
    }

    public void enqueue(Waiter w) {
        w.next = null;
        w.prev = tail;
        if (tail == null) head = w; else tail.next = w;
        tail = w;
    }

    /** Queues w first (a woken waiter that lost the race goes back to the front, as in Go's Mutex). */
    public void pushFront(Waiter w) {
        w.prev = null;
        w.next = head;
        if (head == null) tail = w; else head.prev = w;
        head = w;
    }

    /** The longest waiter, unlinked, or null. */
    public Waiter dequeue() {
        Waiter w = head;
        if (w != null) unlink(w);
        return w;
    }

    /** The longest waiter, unlinked, if it satisfies {@code test}; else null (nothing changes). */
    public Waiter dequeueIf(java.util.function.Predicate<Waiter> test) {
        Waiter w = head;
        if (w == null || !test.test(w)) return null;
        unlink(w);
        return w;
    }

    /** Unlinks w if it is still queued (a waiter that gave up: interrupted, timed out). */
    public boolean remove(Waiter w) {
        if (w.prev == null && head != w) return false;
        unlink(w);
        return true;
    }

    private void unlink(Waiter w) {
        Waiter p = w.prev, n = w.next;
        if (p == null) head = n; else p.next = n;
        if (n == null) tail = p; else n.prev = p;
        w.prev = w.next = null;
    }
}
