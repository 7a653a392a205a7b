package dev.gort.sched;

/**
 * A FIFO of {@link Waiter}s (Go's {@code waitq}): the parked senders or receivers of a channel,
 * the waiters of a lock. Not thread-safe: guarded by the owning structure's {@link SpinLock},
 * which the queue knows ({@link #guard()}) so that a goroutine's interrupt or a timed wait's
 * timer can find the lock under which to take a waiter out (see {@link Waiter#cancel}).
 *
 * <p>A wait queue is also a {@link SpinLock}, which a structure may use as its lock ({@link
 * #WaitQueue()}: a channel locks its receive queue, and its send queue names that one as its
 * lock, {@link #guardedBy}): the lock word fits in the queue object's padding, so the structure
 * saves a lock object (16 B), and a queue that is its own lock needs no field to name it (8 B).
 * W6 parks a million goroutines on a million channels; every byte of a channel counts.
 *
 * <p>Invariant: {@code w.queue == this} exactly while w is linked here; the field is written only
 * under {@link #guard()}, so a reader holding that lock that sees {@code w.queue == this} knows w
 * is linked here now (an unlink from here happened-before the read, a link to another queue
 * is under another lock and can only make the read see that other queue or null).
 */
public sealed class WaitQueue extends SpinLock permits WaitQueue.Guarded {
    private Waiter head, tail;

    /** A queue guarded by its own lock ({@link #lock()} / {@link #unlock()} on it). */
    public WaitQueue() {}

    /** A queue guarded by {@code lock}: every operation must hold it. */
    public static WaitQueue guardedBy(SpinLock lock) {
        return new Guarded(lock);
    }

    /** A queue guarded by another structure's lock. */
    static final class Guarded extends WaitQueue {
        private final SpinLock guard;

        Guarded(SpinLock guard) {
            this.guard = java.util.Objects.requireNonNull(guard, "lock");
        }

        @Override
        SpinLock guard() {
            return guard;
        }
    }

    /** The lock that guards this queue (immutable): this queue itself, or another structure's. */
    SpinLock guard() {
        return this;
    }

    public final boolean isEmpty() {
        return head == null;
    }

    /** Waiters queued (walks the queue: for tests and diagnostics). */
    public final int size() {
        int n = 0;
        for (Waiter w = head; w != null; w = w.next) n++;
        return n;
    }

    public final void enqueue(Waiter w) {
        w.next = null;
        w.prev = tail;
        if (tail == null) head = w; else tail.next = w;
        tail = w;
        w.queue = this;
    }

    /** Queues w first (a woken waiter that lost the race goes back to the front, as in Go's Mutex). */
    public final void pushFront(Waiter w) {
        w.prev = null;
        w.next = head;
        if (head == null) tail = w; else head.prev = w;
        head = w;
        w.queue = this;
    }

    /** The longest waiter, unlinked, or null. */
    public final Waiter dequeue() {
        Waiter w = head;
        if (w != null) unlink(w);
        return w;
    }

    /** The longest waiter, unlinked, if it satisfies {@code test}; else null (nothing changes). */
    public final Waiter dequeueIf(java.util.function.Predicate<Waiter> test) {
        Waiter w = head;
        if (w == null || !test.test(w)) return null;
        unlink(w);
        return w;
    }

    /**
     * Unlinks every waiter and returns them as a chain linked by {@link Waiter#next} in FIFO
     * order (for {@link Waiter#wakeChain} after the lock is released), or null.
     */
    public final Waiter drain() {
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
    public final boolean remove(Waiter w) {
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
