package dev.gort.netpoll;

import dev.gort.sched.G;
import dev.gort.sched.Scheduler;
import dev.gort.sched.TimerEntry;
import dev.gort.sched.WaitReason;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.SocketException;
import java.net.SocketTimeoutException;

/**
 * The poll descriptor of one file descriptor (Go's {@code pollDesc}): for each direction a
 * semaphore slot, {@link #rg} for readers and {@link #wg} for writers, holding
 *
 * <ul>
 *   <li>{@code null} (Go's pdNil): nothing known, nobody waits;</li>
 *   <li>{@link #READY} (pdReady): the kernel reported readiness that nobody has consumed;</li>
 *   <li>{@link #WAIT} (pdWait): a goroutine is about to park (between its check and its commit);</li>
 *   <li>a {@link G}: that goroutine is parked waiting;</li>
 *   <li>a {@link Thread}: a platform thread is parked waiting for a completion-mode receive
 *       ({@link #awaitRecvPlatform}; with readiness it waits in poll(2) instead).</li>
 * </ul>
 *
 * Legal transitions (all by CAS, so exactly one party wins each):
 * <pre>
 *   waiter:  READY -> null (consume, do not park)        null -> WAIT (will park)
 *            WAIT -> G (commit, on the carrier after the unmount; fails if someone moved it)
 *            after waking: swap -> null
 *   poller:  null|WAIT -> READY; G -> READY and the G is readied (exactly once: the CAS winner)
 *   timer/close: WAIT -> null (the commit then fails and the park is cancelled);
 *            G -> null and the G is readied; READY and null stay
 *   a Thread is moved like a G by everyone, and unparked instead of readied
 * </pre>
 * A second waiter in one direction is a bug in the caller ("double wait"): GoSocket serialises
 * readers and writers.
 *
 * <p>Deadlines: each wait that has one arms a scheduler timer; when it fires it records its
 * wait's sequence number in {@link #rexpired}/{@link #wexpired} (volatile, written before the
 * unblock CAS, so the woken waiter sees it) and unblocks. Close sets {@link #closing} and
 * unblocks both directions; the woken waiters throw. A deadline changed while a wait is in
 * progress applies to that wait, as Go's SetReadDeadline does ("applies to all future and
 * pending I/O"): {@link #deadlineChanged} takes the waiter out as a timer would, but without
 * recording an expiry, so its {@link #await} returns as if woken spuriously and the caller
 * retries its call, which computes the deadline again (and throws at once if it has passed).
 * A waiter that read the deadline just before the change, and had not yet shown itself in the
 * slot when the setter looked, sees the change in {@link #deadlineEpoch} instead: the caller
 * reads the epoch before the deadline, the waiter checks it after showing itself, and the
 * setter bumps it after storing the deadline and before looking (Dekker's pattern, volatile).
 *
 * <p>Interrupts ({@code Goroutine.interrupt()}, a {@code dev.gort.Group}'s cancellation): a
 * goroutine's wait is an interruptible wait of the scheduler's ({@code InterruptibleWait},
 * installed after the waiter's {@code null -> WAIT}); the interrupter takes the waiter out as
 * {@link #deadlineChanged} does (WAIT -> null fails the commit, G -> null readies it), and the
 * woken waiter, finding its interrupt status set, clears it and throws
 * {@link InterruptedIOException}; the socket stays usable. An interrupt that finds the slot
 * holding another wait (its goroutine's wait here is over and another goroutine waits now)
 * wakes that one spuriously: it retries its call, as after a deadline change.
 *
 * <p>Platform threads do not use the slots: they block in poll(2) on the descriptor and on an
 * eventfd of the wait (Linux), which they show in {@link #rkick}/{@link #wkick} while they wait
 * and {@link #deadlineChanged} writes to.
 */
public final class PollDesc {
    /** The readiness marker (pdReady). */
    static final Object READY = new Object() {
        @Override public String toString() { return "READY"; }
    };
    /** A waiter is committing (pdWait). */
    static final Object WAIT = new Object() {
        @Override public String toString() { return "WAIT"; }
    };

    /** The file descriptor. */
    public final int fd;
    /** Tags this descriptor's events (fds are reused; a stale event must not hit a new owner). */
    public final int seq;
    private final Netpoll netpoll;

    private volatile Object rg;
    private volatile Object wg;
    volatile boolean closing;
    private volatile int rexpired, wexpired;
    /** Platform threads blocked in poll(2) on this descriptor (close shuts the socket down to wake them). */
    private final java.util.concurrent.atomic.AtomicInteger platformWaiters = new java.util.concurrent.atomic.AtomicInteger();
    private int rwaitSeq, wwaitSeq;
    /**
     * Each direction's deadline timer, reused by wait after wait (a timer per wait cost 56 B: the
     * entry and its action); made at the direction's first wait with a deadline. Read and
     * written by that direction's waiter only (one at a time: NetFd's locks).
     */
    private DeadlineTimer rtimer, wtimer;
    /**
     * The kick eventfd of the platform thread waiting in poll(2) in each direction, -1 when none
     * waits (or it has none). Guarded by this PollDesc's monitor: the waiter takes it down under
     * the monitor before it closes it, and the setter writes to it under the monitor, so a write
     * never reaches a closed, perhaps reused, number.
     */
    private int rkick = -1, wkick = -1;
    /** Bumped by every deadline change, both directions (see the class comment). */
    private volatile int deadlineEpoch;
    private static final VarHandle EPOCH;
    /** Poller-private state (io_uring: the multishot poll's user data). */
    public long pollerData;
    /**
     * Completion-mode receive: set (once, by the driver, in {@link Poller#armRecv}) when data for
     * this socket arrives in the driver's buffers instead of being read with read(2); null in
     * readiness mode. Read by the socket's reader.
     */
    public volatile RecvQueue recvq;

    private static final VarHandle RG, WG;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            RG = l.findVarHandle(PollDesc.class, "rg", Object.class);
            WG = l.findVarHandle(PollDesc.class, "wg", Object.class);
            EPOCH = l.findVarHandle(PollDesc.class, "deadlineEpoch", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /**
     * The park commits (Go's netpollblockcommit), one per direction so that a park allocates
     * nothing: run by the carrier after the unmount, they move WAIT to the goroutine, and fail
     * (cancelling the park) if the poller, a deadline or close moved the slot meanwhile.
     */
    private final dev.gort.sched.ParkCommit readCommit = g -> commit(RG, g);
    private final dev.gort.sched.ParkCommit writeCommit = g -> commit(WG, g);

    /** A goroutine's interrupt, one per direction (nothing allocated per wait): see the class comment. */
    private final dev.gort.sched.InterruptibleWait readInterrupt = g -> interruptWait(true);
    private final dev.gort.sched.InterruptibleWait writeInterrupt = g -> interruptWait(false);

    private void interruptWait(boolean read) {
        G g = unblock(slot(read), false); // WAIT -> null fails the commit; G -> null readies it
        if (g != null) Scheduler.get().ready(g);
    }

    private boolean commit(VarHandle h, G g) {
        if (h.compareAndSet(this, WAIT, g)) {
            netpoll.waiters.incrementAndGet(); // before the carrier looks for work: see hasWaiters
            return true;
        }
        return false; // READY or null meanwhile: do not park
    }

    /** The poller this descriptor is registered with. */
    Netpoll netpoll() {
        return netpoll;
    }

    PollDesc(Netpoll netpoll, int fd, int seq) {
        this.netpoll = netpoll;
        this.fd = fd;
        this.seq = seq;
    }

    private VarHandle slot(boolean read) {
        return read ? RG : WG;
    }

    /**
     * The poller: the descriptor is readable and/or writable (Go's netpollready). Adds the
     * goroutines to wake to out.
     */
    public void ready(boolean read, boolean write, java.util.List<G> out) {
        if (read) {
            G g = unblock(RG, true);
            if (g != null) out.add(g);
        }
        if (write) {
            G g = unblock(WG, true);
            if (g != null) out.add(g);
        }
    }

    /**
     * Go's netpollunblock. ioready: set READY (the poller); else only take a waiter out
     * (timer, close). @return the parked goroutine to ready, or null
     */
    private G unblock(VarHandle h, boolean ioready) {
        for (;;) {
            Object old = h.getVolatile(this);
            if (old == READY) return null;
            if (old == null && !ioready) return null;
            Object next = ioready ? READY : null;
            if (h.compareAndSet(this, old, next)) {
                if (old instanceof G g) {
                    netpoll.waiters.decrementAndGet();
                    return g;
                }
                if (old instanceof Thread t) java.util.concurrent.locks.LockSupport.unpark(t);
                return null;
            }
        }
    }

    /** Tests: runs in await after the deadline was read, before the waiter shows itself (null: nothing). */
    static volatile Runnable beforeWaitForTests;

    /** The deadline epoch: read it before reading the deadline a wait will use (class comment). */
    int deadlineEpoch() {
        return deadlineEpoch;
    }

    /** {@link #await(boolean, long, int)} for a wait whose deadline no setter changes (connect, accept). */
    void await(boolean read, long deadline) throws IOException {
        await(read, deadline, deadlineEpoch);
    }

    /**
     * Waits until the descriptor may be ready in this direction (a goroutine parks; a platform
     * thread blocks in poll(2)). Returns when the caller should retry its call (also when the
     * deadline changed since {@code epoch} was read); throws on close or when the deadline
     * ({@code System.nanoTime()}, 0 for none) passes.
     */
    void await(boolean read, long deadline, int epoch) throws IOException {
        if (closing) throw closed();
        if (deadline != 0 && deadline - System.nanoTime() <= 0) throw timeout(read);
        Runnable hook = beforeWaitForTests;
        if (hook != null) hook.run();
        G self = Scheduler.currentG();
        if (self == null) {
            awaitPlatform(read, deadline, epoch);
            return;
        }
        VarHandle h = slot(read);
        for (;;) {
            Object v = h.getVolatile(this);
            if (v == READY) {
                if (h.compareAndSet(this, READY, null)) return; // consumed: retry the call
            } else if (v == null) {
                if (h.compareAndSet(this, null, WAIT)) break;
            } else {
                throw new IllegalStateException("gort: double wait on fd " + fd + " (" + (read ? "read" : "write") + ")");
            }
        }
        if (deadlineEpoch != epoch) { // changed before the setter could see our WAIT: retry under it
            h.getAndSet(this, null);
            return;
        }
        if (!dev.gort.sched.InterruptibleWait.begin(read ? readInterrupt : writeInterrupt)) { // interrupted already
            h.getAndSet(this, null);
            dev.gort.sched.InterruptibleWait.takeInterrupt();
            throw interrupted(read);
        }
        int waitSeq = read ? ++rwaitSeq : ++wwaitSeq;
        DeadlineTimer timer = null;
        Scheduler s = Scheduler.get();
        if (deadline != 0) {
            timer = read ? rtimer : wtimer;
            if (timer == null) {
                timer = new DeadlineTimer(this, read);
                if (read) rtimer = timer; else wtimer = timer;
            }
            timer.waitSeq = waitSeq; // not armed now; addTimer's heap lock publishes it to the carrier that fires it
            s.addTimer(timer.entry, deadline);
        }
        try {
            if (!closing) { // close after our WAIT store unblocks it (WAIT -> null): the commit fails
                s.park(WaitReason.IO_WAIT, read ? readCommit : writeCommit);
            }
        } finally {
            h.getAndSet(this, null); // whatever it holds now (READY, null) is ours
            if (timer != null && !s.deleteTimer(timer.entry)) {
                // It fired, and its action may still be running on another carrier: it is never
                // armed again (its waitSeq stays this wait's), the next wait makes another.
                if (read) rtimer = null; else wtimer = null;
            }
        }
        if (closing) throw closed();
        if ((read ? rexpired : wexpired) == waitSeq) throw timeout(read);
        if (dev.gort.sched.InterruptibleWait.takeInterrupt()) throw interrupted(read);
    }

    /**
     * Completion mode, a platform thread reading: parks until the driver reports something for
     * q ({@link #ready}), the deadline passes, the deadline changes or the descriptor closes.
     * Returns when the caller should look at q (and its deadline) again; throws on close or
     * timeout. The thread is published in the read slot before q is checked, and the driver
     * updates q before it moves the slot: either we see what it pushed or it sees us and
     * unparks us.
     */
    void awaitRecvPlatform(RecvQueue q, long deadline, int epoch) throws IOException {
        Runnable hook = beforeWaitForTests;
        if (hook != null) hook.run();
        Thread me = Thread.currentThread();
        for (;;) {
            Object v = RG.getVolatile(this);
            if (v == READY) {
                if (RG.compareAndSet(this, READY, null)) return; // a report nobody consumed: look again
            } else if (v == null) {
                if (RG.compareAndSet(this, null, me)) break;
            } else {
                throw new IllegalStateException("gort: double wait on fd " + fd + " (read)");
            }
        }
        try {
            while (RG.getVolatile(this) == me && !closing && !q.hasSomething() && deadlineEpoch == epoch) {
                if (deadline == 0) {
                    java.util.concurrent.locks.LockSupport.park(this);
                } else {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) throw timeout(true);
                    java.util.concurrent.locks.LockSupport.parkNanos(this, left);
                }
            }
        } finally {
            RG.getAndSet(this, null); // ourselves, or what woke us (READY, null): the caller looks again
        }
        if (closing) throw closed();
    }

    /**
     * A direction's deadline timer: a waiter arms it for its wait and disarms it after. It is
     * armed again only if the disarm found it armed ({@code deleteTimer} true: it has not fired
     * and will not); one that fired is dropped, so that an action still running for an earlier
     * wait never reads a later wait's number.
     */
    private static final class DeadlineTimer implements Runnable {
        final PollDesc pd;
        final boolean read;
        final TimerEntry entry = new TimerEntry(this);
        /**
         * The wait it is armed for. Written by the waiter while the timer is not armed, before
         * {@code addTimer}; read by the action, which the carrier that fires it runs after taking
         * the entry out of its heap under the heap's lock (the partner of addTimer's).
         */
        int waitSeq;

        DeadlineTimer(PollDesc pd, boolean read) {
            this.pd = pd;
            this.read = read;
        }

        @Override
        public void run() {
            pd.expire(read, waitSeq);
        }
    }

    /** A wait's deadline timer: records the expiry, then takes the waiter out. */
    private void expire(boolean read, int waitSeq) {
        if (read) rexpired = waitSeq; else wexpired = waitSeq;
        G g = unblock(slot(read), false);
        if (g != null) Scheduler.get().ready(g);
    }

    /**
     * The read (write) deadline was changed (the caller stored it first): a goroutine or thread waiting in that
     * direction wakes and retries its call under the new deadline; one about to wait sees the
     * epoch move.
     */
    void deadlineChanged(boolean read) {
        EPOCH.getAndAdd(this, 1);
        G g = unblock(slot(read), false); // WAIT -> null fails the commit; G -> null readies it
        if (g != null) Scheduler.get().ready(g);
        if (platformWaiters.get() > 0) { // a waiter shows its eventfd before it counts itself
            synchronized (this) {
                int k = read ? rkick : wkick;
                if (k >= 0) {
                    dev.gort.netpoll.ffi.Native.C.eventfd_write(k, 1); // cannot block: EAGAIN only at a counter near 2^64
                }
            }
        }
    }

    private void showKick(boolean read, int fd) {
        synchronized (this) {
            if (read) rkick = fd; else wkick = fd;
        }
    }

    /** Close: every waiter wakes and throws. Called once, by the closer. */
    void evict() {
        closing = true;
        G r = unblock(RG, false);
        G w = unblock(WG, false);
        Scheduler s = (r != null || w != null) ? Scheduler.get() : null;
        if (r != null) s.ready(r);
        if (w != null) s.ready(w);
    }

    /** What the slot of this direction holds (tests). */
    Object slotValue(boolean read) {
        return slot(read).getVolatile(this);
    }

    /** The poller reported readiness in this direction that nobody has consumed yet (tests). */
    boolean isReady(boolean read) {
        return slot(read).getVolatile(this) == READY;
    }

    int platformWaiters() {
        return platformWaiters.get();
    }

    /**
     * Ordering with {@link #deadlineChanged} (synchronization order, which follows program
     * order): we show our eventfd, count ourselves, then read the epoch; the setter bumps the
     * epoch, then reads the count, then (under the monitor) our eventfd. A setter that read the
     * count before our increment bumped the epoch before we read it: we return and retry. One
     * that read it after finds our eventfd shown, and its write makes our poll(2) return.
     */
    private void awaitPlatform(boolean read, long deadline, int epoch) throws IOException {
        // The wait's own eventfd (two syscalls on a path about to sleep in poll(2)): one per thread
        // would live until the thread is collected, one per descriptor would double a
        // thread-per-connection server's descriptors. None (not Linux, or no descriptor left): a
        // deadline change reaches this waiter at its next call only.
        int kick = dev.gort.netpoll.ffi.Native.LINUX
            ? dev.gort.netpoll.ffi.Native.C.eventfd(0, dev.gort.netpoll.ffi.Native.EFD_NONBLOCK | dev.gort.netpoll.ffi.Native.EFD_CLOEXEC) : -1;
        if (kick >= 0) showKick(read, kick);
        platformWaiters.incrementAndGet();
        try {
            if (deadlineEpoch != epoch) return; // changed before the setter could see our count: retry under it
            awaitPlatform0(read, deadline, kick);
        } finally {
            platformWaiters.decrementAndGet();
            if (kick >= 0) {
                showKick(read, -1); // under the monitor: no setter is writing to it once this returns
                dev.gort.netpoll.ffi.Native.C.close(kick);
            }
        }
    }

    private void awaitPlatform0(boolean read, long deadline, int kick) throws IOException {
        // struct pollfd {int fd; short events; short revents;} as int[2] each (little-endian):
        // the descriptor, and the wait's kick eventfd if it has one
        int[] pfd = kick < 0
            ? new int[] {fd, read ? dev.gort.netpoll.ffi.Native.POLLIN : dev.gort.netpoll.ffi.Native.POLLOUT}
            : new int[] {fd, read ? dev.gort.netpoll.ffi.Native.POLLIN : dev.gort.netpoll.ffi.Native.POLLOUT,
                kick, dev.gort.netpoll.ffi.Native.POLLIN};
        for (;;) {
            int ms = -1;
            if (deadline != 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) throw timeout(read);
                ms = (int) Math.min(Integer.MAX_VALUE, (left + 999_999) / 1_000_000);
            }
            if (closing) throw closed(); // after our count went up: close sees us, or we see it
            int n = dev.gort.netpoll.ffi.Native.C.poll(pfd, pfd.length / 2, ms);
            if (closing) throw closed();
            if (n > 0) return; // the descriptor is ready, or the deadline changed (the kick): the caller retries
            if (n < 0) {
                int e = dev.gort.netpoll.ffi.Native.errno();
                if (e != dev.gort.netpoll.ffi.Errno.EINTR) throw dev.gort.netpoll.ffi.Errno.exception("poll", e);
            }
        }
    }

    private static SocketException closed() {
        return new SocketException("Socket closed");
    }

    private static InterruptedIOException interrupted(boolean read) {
        return new InterruptedIOException((read ? "Read" : "Write") + " interrupted");
    }

    private static SocketTimeoutException timeout(boolean read) {
        return new SocketTimeoutException((read ? "Read" : "Write") + " timed out");
    }

    @Override
    public String toString() {
        return "PollDesc[fd=" + fd + ", rg=" + rg + ", wg=" + wg + (closing ? ", closing" : "") + "]";
    }
}
