package dev.gort.sched;

/**
 * A FIFO of {@link Waiter}s (Go's {@code waitq}): the parked senders or receivers of a channel,
 * the waiters of a lock. Not thread-safe: guarded by the owning structure's {@link SpinLock},
 * which the queue knows ({@link #lock}) so that a goroutine's interrupt or a timed wait's timer
 * can find the lock under which to take a waiter out (see {@link Waiter#cancel}).
 *
 * <p>A wait queue is also a {@link SpinLock}, which a structure may use as its lock ({@link
 * #WaitQueue()}: a channel locks its receive queue, and its send queue names that one as its
 * lock): the lock word fits in the queue object's padding, so the structure saves a lock object
 * (16 B). W6 parks a million goroutines on a million channels; every byte of a channel counts.
 *
 * <p>Invariant: {@code w.queue == this} exactly while w is linked here; the field is written only
 * under {@link #lock}, so a reader holding that lock that sees {@code w.queue == this} knows w
 * is linked here now (an unlink from here happened-before the read, a link to another queue
 * is under another lock and can only make the read see that other queue or null).
 */
public final class WaitQueue extends SpinLock {
    /** The lock that guards this queue (immutable): this queue itself, or another structure's. */
    final SpinLock lock;
    private Waiter head, tail;

    /** A queue guarded by {@code lock}: every operation must hold it. */
    public WaitQueue(SpinLock lock) {
        this.lock = java.util.Objects.requireNonNull(lock, "lock");
    }

    /** A queue guarded by its own lock ({@link #lock()} / {@link #unlock()} on it). */
    public WaitQueue() {
        this.lock = this;
    }

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
        w.queue = this;
    }

    /** Queues w first (a woken waiter that lost the race goes back to the front, as in Go's Mutex). */
    public void pushFront(Waiter w) {
        w.prev = null;
        w.next = head;
        if (head == null) tail = w; else head.prev = w;
        head = w;
        w.queue = this;
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

    /**
     * Unlinks every waiter and returns them as a chain linked by {@link Waiter#next} in FIFO
     * order (for {@link Waiter#wakeChain} after the lock is released), or null.
     */
    public Waiter drain() {
        Waiter first = head;
        for (Waiter w = first; w != null; w = w.next) {
            w.prev = null;
            w.queue = null;
        }
        head = tail = null;
        return first;
    }

    /**
     * Unlinks w if it is still queued here (a waiter that gave up: interrupted, timed out; or
     * one already taken out by its canceller, see {@link Waiter#cancel}).
     */
    public boolean remove(Waiter w) {
        if (w.queue != this) return false;
        unlink(w);
        return true;
    }

    private void unlink(Waiter w) {
        Waiter p = w.prev, n = w.next;
        if (p == null) head = n; else p.next = n;
        if (n == null) tail = p; else n.prev = p;
        w.prev = w.next = null;
        w.queue = null;
    }
}
