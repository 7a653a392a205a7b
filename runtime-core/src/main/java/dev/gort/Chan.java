package dev.gort;

import dev.gort.sched.Bubble;
import dev.gort.sched.SpinLock;
import dev.gort.sched.WaitQueue;
import dev.gort.sched.WaitReason;
import dev.gort.sched.Waiter;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * A channel (Go's {@code chan T}): unbuffered ({@link #make()}, a rendezvous) or buffered
 * ({@link #make(int)}). Works from goroutines, which park without blocking their carrier, and
 * from platform threads, which park themselves, so {@code main} and legacy code can talk to
 * goroutines.
 *
 * <p>Semantics follow Go's spec: FIFO for waiting senders and for waiting receivers; a send on a
 * closed channel, and a second close, throw {@link ChannelClosedException}; a receive from a
 * closed channel returns the values still buffered, then ends: {@link #receive()} throws,
 * {@link #receiveOrNull()} and {@link #tryReceive()} return null, iteration stops. Values must
 * not be null (as in {@code BlockingQueue}): null is how the non-throwing forms say "nothing".
 *
 * <p>Blocking operations declare {@link InterruptedException}: a platform thread or goroutine
 * ({@link Goroutine#interrupt()}) interrupted while waiting, or about to wait with its interrupt
 * status set, gives up (nothing sent or received) with its interrupt status cleared. An
 * interrupt that comes after a value was handed over does not undo the hand-off: the
 * operation completes and the status stays set.
 *
 * <h2>For maintainers</h2>
 * Go's {@code hchan} ({@code runtime/chan.go}). Invariants, all guarded by {@code recvq}'s lock
 * ("the lock"):
 * <ul>
 *   <li>at least one of {@code sendq} and {@code recvq} holds no live waiter: a sender that finds
 *       a waiting receiver hands over directly, and a receiver that finds a waiting sender takes
 *       directly (a select's waiter that another case won stays queued, dead, until its select
 *       unlinks it or an operation dequeues and drops it: {@code dequeueClaimed});</li>
 *   <li>{@code count > 0} implies {@code recvq} holds no live waiter; {@code count < buf.length}
 *       implies {@code sendq} holds none;</li>
 *   <li>{@code closed} implies {@code sendq} and {@code recvq} are empty (close wakes all).</li>
 * </ul>
 * One protocol for every wait ({@link Waiter}): a waiter is woken once, by whoever unlinked it
 * under the lock, after that party has written {@link Waiter#item} and {@link Waiter#success} and
 * released the lock. The {@code *Locked} operations below do the unlinking and return the waiter
 * to wake; their caller unlocks (every channel of a select), then wakes it. A goroutine waiter
 * parks with the lock as its commit, so it is off its carrier before anyone can unlink it; on an
 * unbuffered channel it may first spin for its partner ({@code -Dgort.spinnanos}, off by
 * default: see {@link Waiter}). A sender handing its value to a parked receiver readies that
 * receiver into its own processor's {@code runnext}, which is what makes ping-pong between two
 * goroutines cheap.
 */
public final class Chan<T> implements Iterable<T> {
    private static final java.util.concurrent.atomic.AtomicLong IDS = new java.util.concurrent.atomic.AtomicLong();
    /**
     * An unbuffered channel's buffer, shared and never written: empty and full at once, so the
     * buffered paths find no room and nothing to take without a test of their own.
     */
    private static final Ring NO_BUFFER = new Ring(0);

    // immutable state
    /**
     * Creation order: select locks its channels in this order, so two selects cannot deadlock.
     * Negative for a channel made in a test bubble: it then carries the bubble's number
     * ({@link Bubble#channelId}), which every operation from a goroutine checks.
     */
    final long id = Bubble.channelId(IDS.incrementAndGet());
    /** The buffer: {@link #NO_BUFFER} for an unbuffered channel. */
    private final Ring ring;
    // mutable state, guarded by the lock
    private boolean closed;
    /**
     * Waiting receivers, and also the channel's lock ("the lock" everywhere in this class): a
     * WaitQueue is a SpinLock (see there), and a separate lock would cost W6's million parked
     * channels 16 bytes each.
     */
    private final WaitQueue recvq = new WaitQueue();
    /**
     * Waiting senders, null until a sender first waits (many channels only ever have waiting
     * receivers: W6's million parked goroutines save 32 bytes each); guarded by the channel's
     * lock (recvq), which also orders its creation. See {@link #sendq()}.
     */
    private WaitQueue sendq;

    private Chan(int capacity) {
        this.ring = capacity > 0 ? new Ring(capacity) : NO_BUFFER;
    }

    /**
     * A buffered channel's values: a ring whose length is the capacity, guarded by the channel's
     * lock. Its own object, not fields of the channel: an unbuffered channel (W6 parks a million
     * goroutines on as many) would carry three unused ints, and is 40 bytes instead of 48.
     */
    private static final class Ring {
        final Object[] buf;
        int sendx, recvx, count;

        Ring(int capacity) {
            buf = new Object[capacity];
        }
    }

    /** An unbuffered channel: each send waits for a receiver. */
    public static <T> Chan<T> make() {
        return new Chan<>(0);
    }

    /**
     * The largest buffer {@link #make(int)} accepts: 2^24 (16,777,216) values. The buffer is
     * allocated whole when the channel is made (Go's makechan too, which panics with "size out
     * of range" beyond what it can allocate); a bound that is a clear error, rather than an
     * OutOfMemoryError or the JVM's array size limit, for a capacity meant as "unbounded".
     */
    public static final int MAX_CAPACITY = 1 << 24;

    /**
     * A channel with a buffer of {@code capacity} values (0: unbuffered).
     *
     * @throws IllegalArgumentException if {@code capacity} is negative or above {@link #MAX_CAPACITY}
     */
    public static <T> Chan<T> make(int capacity) {
        if (capacity < 0) throw new IllegalArgumentException("negative channel capacity: " + capacity);
        if (capacity > MAX_CAPACITY) {
            throw new IllegalArgumentException("channel capacity " + capacity + " above Chan.MAX_CAPACITY (" + MAX_CAPACITY + ")");
        }
        return new Chan<>(capacity);
    }

    // ---- send

    /**
     * Sends v, waiting for a receiver or for room in the buffer.
     *
     * @throws ChannelClosedException if the channel is closed (before or while waiting)
     * @throws InterruptedException if the calling goroutine or platform thread is interrupted while waiting
     */
    public void send(T v) throws InterruptedException {
        if (v == null) throw new NullPointerException("channel values must not be null");
        Go.safepoint();
        if (id < 0) Bubble.checkChannel(id);
        recvq.lock();
        if (sendNow(v)) return; // unlocked by sendNow
        Waiter me;
        try {
            me = Waiter.current(); // allocates for a platform thread, or a first wait
            sendq().enqueue(me);
        } catch (Throwable e) { // out of memory: the lock must not stay held
            recvq.unlock();
            throw e;
        }
        me.item = v;
        boolean outside = id >= 0 && Bubble.active(); // a bubble's goroutine waiting here is not durably blocked
        if (outside) Bubble.outsideWait(true);
        boolean woken = me.await(WaitReason.CHAN_SEND, recvq, ring == NO_BUFFER);
        if (outside) Bubble.outsideWait(false);
        if (!woken) {
            sendq.remove(me); // interrupted (goroutine or thread); the lock is held again
            recvq.unlock();
            me.item = null;
            throw new InterruptedException();
        }
        me.item = null; // taken by the receiver, or left by close: the reused waiter keeps no value
        if (!me.success) throw closedOnSend();
    }

    /**
     * Sends v if that needs no waiting (a receiver waits, or the buffer has room).
     *
     * @return false if the send would block
     * @throws ChannelClosedException if the channel is closed
     */
    public boolean trySend(T v) {
        if (v == null) throw new NullPointerException("channel values must not be null");
        Go.safepoint();
        if (id < 0) Bubble.checkChannel(id);
        recvq.lock();
        if (sendNow(v)) return true;
        recvq.unlock();
        return false;
    }

    /**
     * Holding the lock: completes a send that needs no waiting, unlocks and wakes the receiver
     * it handed v to; false (still locked) if the send must wait.
     *
     * @throws ChannelClosedException (unlocked) if the channel is closed
     */
    private boolean sendNow(T v) {
        if (closed) {
            recvq.unlock();
            throw closedOnSend();
        }
        Waiter r = sendLocked(v);
        if (r != null) {
            recvq.unlock();
            r.wake();
            return true;
        }
        if (bufferLocked(v)) {
            recvq.unlock();
            return true;
        }
        return false;
    }

    /**
     * Holding the lock (kept), the channel open: hands v to the longest-waiting receiver, if one
     * waits (Go's {@code send} to a {@code sudog}).
     *
     * @return that receiver, unlinked, for the caller to wake once it has released the lock; or
     *         null when no receiver waits (nothing done)
     */
    Waiter sendLocked(Object v) {
        Waiter r = dequeueClaimed(recvq);
        if (r != null) {
            r.item = v;
            r.success = true;
        }
        return r;
    }

    /** Holding the lock (kept), no receiver waiting: puts v in the buffer; false if it is full. */
    boolean bufferLocked(Object v) {
        Ring r = ring;
        Object[] b = r.buf;
        if (r.count == b.length) return false;
        b[r.sendx] = v;
        if (++r.sendx == b.length) r.sendx = 0;
        r.count++;
        return true;
    }

    /** Holding the lock. */
    boolean closedLocked() {
        return closed;
    }

    /** The longest waiter of q that is still live (a select's waiter may have been won elsewhere). */
    private static Waiter dequeueClaimed(WaitQueue q) {
        for (;;) {
            Waiter w = q.dequeue();
            if (w == null || w.claim()) return w;
        }
    }

    private static ChannelClosedException closedOnSend() {
        return new ChannelClosedException("send on closed channel");
    }

    // ---- receive

    /**
     * Receives a value, waiting for one.
     *
     * @throws ChannelClosedException if the channel is closed and drained
     * @throws InterruptedException if the calling goroutine or platform thread is interrupted while waiting
     */
    public T receive() throws InterruptedException {
        T v = receiveOrNull();
        if (v == null) throw new ChannelClosedException("receive from closed channel");
        return v;
    }

    /**
     * Receives a value, waiting for one; null once the channel is closed and drained (Go's
     * {@code v, ok := <-ch} with {@code ok == false}).
     */
    @SuppressWarnings("unchecked")
    public T receiveOrNull() throws InterruptedException {
        Go.safepoint();
        if (id < 0) Bubble.checkChannel(id);
        recvq.lock();
        Object v = receiveNow();
        if (v != null) return (T) v;
        if (closed) {
            recvq.unlock();
            return null;
        }
        Waiter me = Waiter.current(recvq); // unlocks if it runs out of memory
        recvq.enqueue(me);
        boolean outside = id >= 0 && Bubble.active(); // a bubble's goroutine waiting here is not durably blocked
        if (outside) Bubble.outsideWait(true);
        boolean woken = me.await(WaitReason.CHAN_RECEIVE, recvq, ring == NO_BUFFER);
        if (outside) Bubble.outsideWait(false);
        if (!woken) {
            recvq.remove(me);
            recvq.unlock();
            throw new InterruptedException();
        }
        Object got = me.item;
        me.item = null; // a goroutine's waiter is reused, and may wait long for its next use: it keeps no value
        return me.success ? (T) got : null;
    }

    /** Receives a value if one is ready now; null if none is (empty, or closed and drained). */
    @SuppressWarnings("unchecked")
    public T tryReceive() {
        Go.safepoint();
        if (id < 0) Bubble.checkChannel(id);
        recvq.lock();
        Object v = receiveNow();
        if (v == null) recvq.unlock();
        return (T) v;
    }

    /**
     * Holding the lock: takes a value that needs no waiting, unlocks and wakes the sender it
     * took from, if any; null (still locked) if there is none (empty, or closed and drained).
     */
    private Object receiveNow() {
        Waiter s = recvLocked();
        if (s != null) {
            Object v = s.item;
            s.item = null;
            recvq.unlock();
            s.wake();
            return v;
        }
        Object v = unbufferLocked();
        if (v != null) recvq.unlock();
        return v;
    }

    /**
     * Holding the lock (kept): a receive from the longest-waiting sender, if one waits (Go's
     * {@code recv} from a {@code sudog}). Unbuffered, its value is the one received; buffered
     * (the buffer is then full), the buffer's head is, and the sender's value takes the freed
     * slot at the tail, keeping FIFO order.
     *
     * @return that sender, unlinked, its {@link Waiter#item} exchanged for the value received:
     *         the caller reads it, then wakes the sender once it has released the lock; or null
     *         when no sender waits (nothing done)
     */
    Waiter recvLocked() {
        Waiter s = sendq == null ? null : dequeueClaimed(sendq);
        if (s != null) {
            Ring r = ring;
            Object[] b = r.buf;
            if (b.length > 0) {
                Object v = b[r.recvx];
                b[r.recvx] = s.item;
                if (++r.recvx == b.length) r.recvx = 0;
                r.sendx = r.recvx;
                s.item = v;
            }
            s.success = true;
        }
        return s;
    }

    /** Holding the lock (kept), no sender waiting: the buffer's head, taken out; null if it is empty. */
    Object unbufferLocked() {
        Ring r = ring;
        if (r.count == 0) return null;
        Object[] b = r.buf;
        Object v = b[r.recvx];
        b[r.recvx] = null;
        if (++r.recvx == b.length) r.recvx = 0;
        r.count--;
        return v;
    }

    // ---- for Select (holding the lock)

    /** Within the select's stack reserve (see SpinLock#lockWithinReserve): it holds several locks. */
    void lockForSelect() {
        recvq.lockWithinReserve();
    }

    void unlockForSelect() {
        recvq.unlock();
    }

    /** Holding the lock: queue a select's waiter for this channel. */
    void enqueueSelect(Waiter w, boolean send) {
        (send ? sendq() : recvq).enqueue(w);
    }

    /** Holding the lock: the send queue, created on first use. */
    private WaitQueue sendq() {
        WaitQueue q = sendq;
        if (q == null) sendq = q = WaitQueue.guardedBy(recvq);
        return q;
    }

    /** Holding the lock: unlink a select's waiter that did not win. */
    void removeSelect(Waiter w, boolean send) {
        (send ? sendq : recvq).remove(w);
    }

    // ---- close and state

    /**
     * Closes the channel: waiting receivers end (as for a closed, drained channel), waiting
     * senders throw, buffered values can still be received.
     *
     * @throws ChannelClosedException if it was already closed
     */
    public void close() {
        if (id < 0) Bubble.checkChannel(id);
        recvq.lock();
        if (closed) {
            recvq.unlock();
            throw new ChannelClosedException("close of closed channel");
        }
        closed = true;
        // Unlink every waiter under the lock, wake them after it (Go's closechan gList).
        Waiter wake = null;
        Waiter w;
        while ((w = dequeueClaimed(recvq)) != null) {
            w.item = null;
            w.success = false;
            w.next = wake;
            wake = w;
        }
        while (sendq != null && (w = dequeueClaimed(sendq)) != null) {
            w.item = null;
            w.success = false;
            w.next = wake;
            wake = w;
        }
        recvq.unlock();
        Waiter.wakeChain(wake);
    }

    public boolean isClosed() {
        recvq.lock();
        boolean c = closed;
        recvq.unlock();
        return c;
    }

    /** Values buffered now. */
    public int len() {
        recvq.lock();
        int n = ring.count;
        recvq.unlock();
        return n;
    }

    /** Waiters queued to receive / to send (including a select's, until it unlinks them): diagnostics. */
    int queuedReceivers() {
        recvq.lock();
        int n = recvq.size();
        recvq.unlock();
        return n;
    }

    int queuedSenders() {
        recvq.lock();
        int n = sendq == null ? 0 : sendq.size();
        recvq.unlock();
        return n;
    }

    /** The buffer's capacity (0 for unbuffered). */
    public int cap() {
        return ring.buf.length;
    }

    /**
     * Receives until the channel is closed and drained (Go's {@code for v := range ch}). The
     * iterator's {@code hasNext} waits; an interrupt of the calling goroutine or platform thread
     * ends the iteration with the interrupt status set.
     */
    @Override
    public Iterator<T> iterator() {
        return new Iterator<>() {
            private T next;
            private boolean done;

            @Override
            public boolean hasNext() {
                if (next != null) return true;
                if (done) return false;
                try {
                    next = receiveOrNull();
                } catch (InterruptedException e) {
                    // Restore the status of whoever was interrupted: a goroutine's own (its
                    // carrier's flag is not the goroutine's), or the platform thread's.
                    Goroutine g = Go.current();
                    if (g != null) g.interrupt(); else Thread.currentThread().interrupt();
                    next = null;
                }
                if (next == null) done = true;
                return next != null;
            }

            @Override
            public T next() {
                if (!hasNext()) throw new NoSuchElementException();
                T v = next;
                next = null;
                return v;
            }
        };
    }

    @Override
    public String toString() {
        return "Chan[cap=" + cap() + ", len=" + len() + (isClosed() ? ", closed" : "") + "]";
    }
}
