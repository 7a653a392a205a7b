package dev.gort.netpoll.uring;

import dev.gort.netpoll.PollDesc;
import dev.gort.netpoll.PollDescTable;
import dev.gort.netpoll.Poller;
import dev.gort.netpoll.RecvQueue;
import dev.gort.netpoll.ffi.Errno;
import dev.gort.netpoll.ffi.LibC;
import dev.gort.netpoll.ffi.Native;
import dev.gort.netpoll.ffi.NativeMemory;
import dev.gort.sched.G;
import dev.gort.sched.Scheduler;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * Linux io_uring in readiness mode, driven by one dedicated owner thread ("gort-uring"). Each
 * descriptor gets one multishot {@code POLL_ADD} for its lifetime (POLLIN | POLLOUT | POLLRDHUP,
 * a CQE at each readiness change, as epoll's EPOLLET), cancelled at deregistration.
 * The ring itself is in {@link Ring}.
 *
 * <h2>Why an owner thread</h2>
 * io_uring runs a poll's completion as task_work of the task that <em>submitted</em> the
 * POLL_ADD, and wakes that task for it. With carriers submitting, every readiness change woke the
 * carrier that had accepted the socket, asleep or not: 0.27-0.40 voluntary context switches per
 * request on W8 against epoll's 0.02 (docs/DESIGN.md, "epoll is the default, io_uring an option").
 * So only the owner thread calls {@code io_uring_enter}: it creates the ring (with {@code
 * IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN}, so the kernel runs task_work only
 * when the owner asks for completions and never interrupts anyone for it), submits every SQE
 * and is the only thread that waits on the CQ. If the kernel refuses those flags (older than
 * 6.1) the same design runs without them ({@link #degraded()} says so): the task_work still
 * targets the owner, which is the thread waiting on the ring anyway. Measured (W8,
 * docs/BENCHMARKS.md, "W8: the server's threads"): the carriers' switches are at epoll's level
 * (0.02-0.05 per request), but a poll completion still forces a wake-up of the waiting owner
 * (0.2-0.35 per request, ~5 us of its CPU per request), which keeps io_uring behind epoll.
 *
 * <h2>Carriers and the owner</h2>
 * {@link #register}/{@link #deregister} put a command on {@link #commands} (an MPSC queue) and
 * wake the owner if it is blocked: the owner keeps a multishot POLL_ADD on an eventfd of its
 * own, which a carrier writes (once per sleep: {@link #ownerState}). The owner reaps CQEs,
 * readies the goroutines ({@link PollDesc#ready}) and hands each batch over through {@link
 * #handed}; {@link #poll} with timeout 0 only takes what was handed over (no syscall); a
 * blocking {@link #poll} parks the calling M until a batch is handed over (the owner unparks
 * {@link #waiter}), the timeout passes or {@link #wakeup()} is called. Goroutines readied but not
 * yet taken count as waiters for the scheduler ({@link #hasPending()}), or an idle scheduler
 * that saw {@code waiters == 0} could sleep with them stranded here.
 *
 * <h2>Deregistration and close</h2>
 * A poll is ended with {@code ASYNC_CANCEL} by user_data, not {@code POLL_REMOVE}: POLL_REMOVE
 * fails with EALREADY, and leaves the poll armed, when the poll has a wake-up in flight (its
 * task_work queued), and an armed poll holds a reference to the <em>file</em>, so the socket
 * would not be released (no FIN to the peer, its buffers kept) until the ring closed.
 * {@code SocketCloseTest.closeReleasesTheSocketAndThePeerSeesEndOfStream} holds this (with
 * POLL_REMOVE, dozens of 1,000 peers never see the end of stream); a descriptor count cannot
 * (the fd is gone). A cancel that still answers EALREADY is queued again.
 *
 * <p>{@link #deregister} does not wait for the cancel to be submitted: the caller closes the fd
 * right after. That is safe: (1) the poll's own file reference keeps the socket alive until the
 * owner's cancel, microseconds later, and the owner always submits it (commands are taken in
 * order; closing the ring cancels whatever is left), so the close only frees the fd number
 * early. (2) The cancel targets the poll by user_data ({@code seq << 32 | fd}), not by fd, so
 * if the number was reused meanwhile it cancels the old poll, never the new socket's; the old
 * poll's late CQEs are dropped by {@link PollDescTable}'s sequence check. (3) An SQE names its
 * socket by number, and the kernel resolves the number to a file when the SQE is submitted, not
 * when it is prepared; so no SQE may be prepared for a descriptor that could be closed before
 * the submit. The owner checks that a descriptor is still registered and submits what it
 * prepared under {@link #submitLock}, and {@link #deregister} takes it out of the table under the
 * same lock: a POLL_ADD or RECV is either submitted before the deregistration (it holds the old
 * file; the cancel behind it ends it) or never prepared. Without the lock a RECV prepared for a
 * socket closed before the submit would go to whichever socket took the number next, and swallow
 * that socket's data (its chunks dropped as the closed socket's;
 * {@code RecvQueueTest.aRecvQueuedForAClosedSocketNeverReadsTheSocketThatReusedItsNumber}). A
 * multishot poll that ends on its own is re-armed through the same check (a command).
 *
 * <h2>Wake-ups</h2>
 * {@link #wakeSig} means "a wake-up is pending for the blocking poller" (as epoll's eventfd
 * flag). {@link #wakeup()} sets it (the first waker only: they collapse while one is pending),
 * then reads {@link #waiter} and unparks it. A blocking poll publishes itself in {@link #waiter},
 * then reads the flag (returning at once if it was set) and {@link #handed}, then parks; it
 * clears the flag when it returns. Both sides write a volatile and then read the other's
 * volatile, so (sequential consistency of volatile accesses) at least one sees the other: the
 * poll sees the flag, or the waker sees the waiter and unparks it (an unpark before the park
 * makes the park return at once). A flag cleared by a returning poll was set before the clear,
 * so that wake-up is answered by this return. A non-blocking poll never touches the flag. The
 * owner's hand-over is the same pattern: push to {@link #handed}, then read {@link #waiter}.
 *
 * <h2>Completion-mode receive (on by default; {@code -Dgort.uring.recv=poll} turns it off)</h2>
 * A goroutine whose read finds its socket empty (EAGAIN) hands receiving over ({@link #armRecv}):
 * the owner arms one multishot {@code RECV} with {@code IOSQE_BUFFER_SELECT} for the socket, and
 * the kernel copies each arriving chunk into a buffer of the {@link BufferRing} and posts its id;
 * the owner pushes the chunk into the descriptor's {@link RecvQueue} and readies the reader,
 * which copies out of it with no read(2) at all, and the buffer goes back to the kernel at the
 * owner's next turn. Arming only on an empty socket, and only by the reader (under the socket's
 * read lock), keeps the byte order: nothing is left in the socket for read(2) to overtake. When
 * the pool runs dry the RECV ends with ENOBUFS and the reader goes back to read(2) (and arms a
 * new RECV when the socket is empty again), so sockets never wait for buffers that other
 * sockets' readers hold. Writes, accepts and write readiness stay as in readiness mode; the
 * descriptor's multishot poll stays armed. Measured on W8 in docs/BENCHMARKS.md.
 */
public final class IoUringPoller implements Poller {
    private static final LibC C = Native.C;
    /** user_data of completions that are not a descriptor's (a descriptor's is seq << 32 | fd, seq >= 0). */
    private static final long EVENTFD = -1L, PROBE = -3L;
    /** Marks a deregistration command (a descriptor's user_data never has the sign bit). */
    private static final long REMOVE = 1L << 63;
    /**
     * Marks a descriptor's multishot RECV (its poll's user_data | RECV; seq has 30 bits, so a
     * descriptor's own user_data never has this bit), and the command that arms it.
     */
    private static final long RECV = 1L << 62;
    /**
     * Completion-mode receive (see "Completion-mode receive"): on unless {@code
     * -Dgort.uring.recv=poll}, which keeps reads in readiness mode too.
     */
    static final boolean RECV_MULTISHOT = !"poll".equals(System.getProperty("gort.uring.recv", "multishot"));
    /** The provided buffers for RECV: -Dgort.uring.recvbufs (a power of two) of -Dgort.uring.recvbufsize bytes. */
    static final int RECV_BUFS = Integer.getInteger("gort.uring.recvbufs", 1024);
    static final int RECV_BUF_SIZE = Integer.getInteger("gort.uring.recvbufsize", 4096);
    private static final int RECV_GROUP = 1;
    static final int POLLIN = 0x1, POLLOUT = 0x4, POLLERR = 0x8, POLLHUP = 0x10, POLLRDHUP = 0x2000;
    private static final int POLL_MASK = POLLIN | POLLOUT | POLLRDHUP | POLLERR | POLLHUP;
    /** Owner states (ownerState). */
    private static final int AWAKE = 0, SLEEPING = 1, NOTIFIED = 2;

    /**
     * -Dgort.uring.defertaskrun=false sets the ring up without SINGLE_ISSUER | DEFER_TASKRUN, as
     * on a kernel that refuses them (the fallback path, tested by the uring-plain execution).
     */
    static final boolean DEFER_TASKRUN = !"false".equals(System.getProperty("gort.uring.defertaskrun"));
    private final int sqSize, cqSize;
    private final PollDescTable table = new PollDescTable();
    /** POLL_ADD (user_data) and cancel (user_data | REMOVE) requests for the owner. */
    private final ConcurrentLinkedQueue<Long> commands = new ConcurrentLinkedQueue<>();
    /**
     * Held by the owner from taking commands until everything they prepared is submitted, and by
     * {@link #deregister} while it takes a descriptor out of the table: see "Deregistration and
     * close" (3). The owner holds it only around work that never waits (preparing SQEs for the
     * queued commands, a non-blocking io_uring_enter that submits them), never across its
     * blocking enter; so a carrier deregistering a socket waits at most for one such batch, and
     * never for a goroutine.
     */
    private final Object submitLock = new Object();
    /** AWAKE, or SLEEPING in io_uring_enter (a producer must write the eventfd), or NOTIFIED (written). */
    private final AtomicInteger ownerState = new AtomicInteger(AWAKE);
    private final int eventfd;
    private final NativeMemory eventfdOut = new NativeMemory(8); // carriers' writes (synchronized on it)
    private final NativeMemory eventfdIn = new NativeMemory(8); // the owner's reads
    private final Thread owner;
    private volatile String degraded;

    /** Batches of readied goroutines, handed over by the owner, newest first. */
    private final AtomicReference<Batch> handed = new AtomicReference<>();
    /** The owner is between reaping CQEs (waiters already decremented) and handing them over. */
    private volatile boolean reaping;
    /** The M parked in a blocking poll, or null. */
    private final AtomicReference<Thread> waiter = new AtomicReference<>();
    private final AtomicBoolean wakeSig = new AtomicBoolean();
    private volatile boolean closed;

    // ---- completion-mode receive (RECV_MULTISHOT only)
    /**
     * The kernel's buffers for RECV: set up with the ring by the owner (before the constructor
     * returns: published by the start-up future), then used by the owner only; null when
     * completion-mode receive is off.
     */
    private volatile BufferRing buffers;
    /** Why completion-mode receive is off although asked for, or null. */
    private volatile String recvOff;
    /** Buffer ids readers are done with, for the owner to give back to the kernel (at its next turn). */
    private final ConcurrentLinkedQueue<Integer> recycled = new ConcurrentLinkedQueue<>();
    private final RecvQueue.Recycler recycler = recycled::offer;

    private record Batch(List<G> gs, Batch next) {}

    /** Tests: called by the owner with a RECV's user_data (seq << 32 | fd | RECV) once its SQE is prepared, before it is submitted. */
    private static volatile java.util.function.LongConsumer recvPreparedForTests;

    /** Tests only: see {@link #recvPreparedForTests}; null removes it. */
    public static void setRecvPreparedHookForTests(java.util.function.LongConsumer hook) {
        recvPreparedForTests = hook;
    }

    public IoUringPoller() throws IOException {
        this(512, 16384);
    }

    IoUringPoller(int sqSize, int cqSize) throws IOException {
        if (!Native.LINUX) throw new IOException("io_uring is Linux only (this is " + Native.OS + ")");
        this.sqSize = sqSize;
        this.cqSize = cqSize;
        eventfd = Errno.check("eventfd", C.eventfd(0, Native.EFD_NONBLOCK | Native.EFD_CLOEXEC));
        CompletableFuture<Ring> started = new CompletableFuture<>();
        owner = new Thread(() -> ownerMain(started), "gort-uring");
        owner.setDaemon(true);
        owner.start();
        try {
            Ring ring = started.get();
            degraded = ring.degraded == null ? recvOff : recvOff == null ? ring.degraded : ring.degraded + "; " + recvOff;
        } catch (ExecutionException e) {
            C.close(eventfd);
            closed = true;
            if (e.getCause() instanceof IOException io) throw io;
            throw new IOException("io_uring owner thread failed to start", e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while starting io_uring", e);
        }
    }

    /**
     * Can io_uring run here? Sets up a small ring (as the poller does: SINGLE_ISSUER |
     * DEFER_TASKRUN if the kernel has them), arms a multishot poll on a readable eventfd and
     * checks the completion (which also checks the SQE/CQE layouts). @return null if it can,
     * else why not (e.g. "io_uring_setup: Operation not permitted", a seccomp filter)
     */
    public static String probe() {
        if (!Native.LINUX) return "not Linux";
        try {
            String disabled = Files.readString(Path.of("/proc/sys/kernel/io_uring_disabled")).trim();
            if (disabled.equals("2")) return "kernel.io_uring_disabled = 2";
        } catch (IOException | RuntimeException absent) {
            // older kernels have no such switch
        }
        int efd = -1;
        try (Ring r = new Ring(8, 16, true)) {
            efd = Errno.check("eventfd", C.eventfd(1, Native.EFD_CLOEXEC | Native.EFD_NONBLOCK));
            r.prepPollAdd(efd, POLL_MASK, PROBE);
            if (!r.enter(1, 1_000_000_000L)) return "io_uring: no completion for a probe poll within 1 s";
            int head = r.cqHead();
            if (r.cqTail() == head) return "io_uring: no completion for a probe poll";
            long ud = r.cqeUserData(head);
            int res = r.cqeRes(head);
            int flags = r.cqeFlags(head);
            r.cqAdvance(head + 1);
            if (ud != PROBE) return "io_uring: CQE user_data " + ud + " (SQE/CQE layout mismatch)";
            if (res < 0) return "io_uring: multishot poll refused: " + Errno.describe(-res) + " (kernel older than 5.13?)";
            if ((res & POLLIN) == 0 || (flags & IoUringLayout.CQE_F_MORE) == 0) {
                return "io_uring: unexpected probe completion res=" + res + " flags=" + flags;
            }
            return null;
        } catch (IOException | RuntimeException | LinkageError e) {
            return e.getMessage();
        } finally {
            if (efd >= 0) C.close(efd);
        }
    }

    @Override
    public String name() {
        return "io_uring";
    }

    /**
     * Why the ring runs without SINGLE_ISSUER | DEFER_TASKRUN, or without completion-mode
     * receive although it was not turned off; null if it has both.
     */
    public String degraded() {
        return degraded;
    }

    /** Whether reads use completion-mode receive (multishot RECV into provided buffers). */
    public boolean completionReceive() {
        return buffers != null;
    }

    /** The owner thread (tests). */
    Thread ownerThread() {
        return owner;
    }

    /** A descriptor's poll: seq (30 bits, see Netpoll.open) << 32 | fd; its RECV adds {@link #RECV}. */
    private static long userData(PollDesc pd) {
        return (long) pd.seq << 32 | (pd.fd & 0xffffffffL);
    }

    private PollDesc lookup(long ud) {
        return table.get((int) ud, (int) ((ud & ~RECV) >>> 32));
    }

    // ---- carriers' side: commands for the owner

    @Override
    public void register(PollDesc pd) throws IOException {
        if (closed) throw new IOException("io_uring poller closed");
        table.put(pd);
        command(userData(pd));
    }

    @Override
    public void deregister(PollDesc pd) {
        synchronized (submitLock) { // no SQE naming pd.fd is prepared but not yet submitted: see (3)
            table.remove(pd); // from now on its completions are stale and ignored, and no new SQE names it
        }
        RecvQueue q = pd.recvq;
        if (q != null) q.close(); // its buffers go back; a late chunk is given back by the owner
        if (closed) return; // closing the ring cancelled every poll
        command(userData(pd) | REMOVE); // see "Deregistration and close": no need to wait
        if (q != null) command(userData(pd) | RECV | REMOVE);
    }

    /**
     * Completion-mode receive (-Dgort.uring.recv=multishot): the owner arms one multishot RECV
     * for the socket, into the ring's provided buffers, and pushes each chunk into the
     * descriptor's {@link RecvQueue}. See {@link Poller#armRecv} for the reader's side.
     */
    @Override
    public boolean armRecv(PollDesc pd) {
        if (buffers == null || closed || Scheduler.currentG() == null) return false; // goroutines only
        RecvQueue q = pd.recvq;
        if (q == null) pd.recvq = q = new RecvQueue(recycler);
        q.armed = true; // before the command: the owner's "ended" (armed = false) comes after
        command(userData(pd) | RECV);
        return true;
    }

    /**
     * Queues a command, then wakes the owner if it sleeps. Dekker with {@link #ownerLoop}: we
     * write the queue, then read ownerState; the owner writes SLEEPING, then reads the queue.
     */
    private void command(long c) {
        commands.offer(c);
        if (ownerState.get() == SLEEPING && ownerState.compareAndSet(SLEEPING, NOTIFIED)) writeEventfd();
    }

    private void writeEventfd() {
        synchronized (eventfdOut) {
            eventfdOut.view.putLong(0, 1);
            long r = C.write(eventfd, eventfdOut.address, 8);
            if (r < 0 && Native.errno() != Errno.EAGAIN) {
                throw new IllegalStateException("gort: io_uring eventfd write failed: " + Errno.describe(Native.errno()));
            }
        }
    }

    // ---- the owner thread

    private void ownerMain(CompletableFuture<Ring> started) {
        Ring ring;
        try {
            ring = new Ring(sqSize, cqSize, DEFER_TASKRUN); // here: with SINGLE_ISSUER the creating task is the submitter
        } catch (IOException | RuntimeException | LinkageError e) {
            started.completeExceptionally(e);
            return;
        }
        if (RECV_MULTISHOT) {
            try {
                buffers = new BufferRing(ring, RECV_GROUP, RECV_BUFS, RECV_BUF_SIZE);
            } catch (IOException | RuntimeException e) {
                // A kernel without provided-buffer rings (before 5.19): reads stay in readiness mode.
                recvOff = "completion-mode receive off: " + e.getMessage();
            }
        }
        try {
            ring.prepPollAdd(eventfd, POLLIN, EVENTFD);
            ring.submit();
        } catch (RuntimeException | LinkageError e) {
            ring.close();
            if (buffers != null) buffers.close();
            started.completeExceptionally(e);
            return;
        }
        started.complete(ring);
        try {
            ownerLoop(ring);
        } catch (Throwable t) {
            System.err.println("gort: the io_uring owner thread failed; I/O waits will hang: " + t);
            t.printStackTrace();
        } finally {
            ring.close(); // cancels every armed poll: the files they hold are released
            if (buffers != null) buffers.close(); // after the ring: the kernel no longer writes to them
        }
    }

    private void ownerLoop(Ring ring) {
        List<G> batch = new ArrayList<>();
        while (!closed) {
            if (buffers != null) giveBuffersBack(); // before the submit: a RECV armed now may use them
            boolean submitted = false;
            synchronized (submitLock) { // see "Deregistration and close" (3)
                takeCommands(ring);
                while (ring.unsubmitted() > 0) { // (enter returns early on EINTR)
                    ring.submit(); // with GETEVENTS: also runs deferred task_work
                    submitted = true;
                }
            }
            // Sleep in io_uring_enter only with no command queued: SLEEPING, then read the queue
            // (see command()). A stale eventfd completion at worst ends a later sleep early.
            ownerState.set(SLEEPING);
            boolean block = commands.isEmpty() && recycled.isEmpty() && !closed;
            if (!block) ownerState.set(AWAKE);
            if (block || !submitted) ring.enter(block ? 1 : 0); // with GETEVENTS runs deferred task_work
            ownerState.set(AWAKE);
            reaping = true; // before any ready(): see hasPending()
            reap(ring, batch);
            if (!batch.isEmpty()) {
                handOver(batch);
                batch = new ArrayList<>();
            }
            reaping = false; // after the hand-over
        }
    }

    private void takeCommands(Ring ring) {
        Long c;
        while ((c = commands.poll()) != null) {
            long v = c;
            if ((v & REMOVE) != 0) {
                ring.prepCancel(v & ~REMOVE, v); // its CQE carries v back: see reap
            } else if ((v & RECV) != 0) {
                if (lookup(v) != null) {
                    ring.prepRecvMulti((int) v, RECV_GROUP, v);
                    java.util.function.LongConsumer hook = recvPreparedForTests;
                    if (hook != null) hook.accept(v);
                }
            } else if (table.get((int) v, (int) (v >>> 32)) != null) {
                ring.prepPollAdd((int) v, POLL_MASK, v);
            } // else: deregistered before we got to it (the fd may be closed and reused); its REMOVE follows, harmless
        }
    }

    private void reap(Ring ring, List<G> out) {
        int head = ring.cqHead();
        int tail = ring.cqTail();
        for (; head != tail; head++) {
            long ud = ring.cqeUserData(head);
            int res = ring.cqeRes(head);
            int flags = ring.cqeFlags(head);
            boolean more = (flags & IoUringLayout.CQE_F_MORE) != 0;
            if (ud == EVENTFD) {
                C.read(eventfd, eventfdIn.address, 8); // reset the counter (non-blocking)
                if (!more && !closed) ring.prepPollAdd(eventfd, POLLIN, EVENTFD);
                continue;
            }
            if (ud < 0) { // a cancellation's own completion (ud = target | REMOVE)
                if (res == -Errno.EALREADY && !closed) commands.offer(ud); // being processed: again (next turn)
                continue; // 0: cancelled; ENOENT: it had ended (or never armed: deregistered before its turn)
            }
            if ((ud & RECV) != 0) {
                received(ring, ud, res, flags, more, out);
                continue;
            }
            PollDesc pd = table.get((int) ud, (int) (ud >>> 32));
            if (pd == null) continue; // deregistered since
            if (res < 0) {
                if (-res == Errno.ECANCELED) continue;
                pd.ready(true, true, out); // an error on the poll: let both sides retry and see it
            } else {
                boolean read = (res & (POLLIN | POLLRDHUP | POLLHUP | POLLERR)) != 0;
                boolean write = (res & (POLLOUT | POLLHUP | POLLERR)) != 0;
                // An armed RECV reports data, the end and errors itself (received()): the reader
                // needs no readiness then, and a wake-up for it would only find nothing new.
                RecvQueue q = pd.recvq;
                if (read && q != null && q.armed) read = false;
                if (read || write) pd.ready(read, write, out);
            }
            // The multishot poll ended (e.g. CQ overflow): re-arm it, through a command, so that
            // the registration is checked again under submitLock (see (3)).
            if (!more && !closed) commands.offer(ud);
        }
        ring.cqAdvance(head);
    }

    /**
     * Owner: a multishot RECV's completion. Data goes to the descriptor's queue; the end of the
     * stream or an error ends the queue. When the RECV ends otherwise (ENOBUFS: every buffer is
     * queued somewhere, or a CQ overflow), the queue is marked not armed and its reader falls
     * back to read(2) once it has taken what is queued, and arms a new RECV when read(2) finds
     * the socket empty (NetFd.read). So a socket never waits for buffers that other sockets'
     * readers hold: the shared pool cannot deadlock, it only degrades to readiness mode.
     */
    private void received(Ring ring, long ud, int res, int flags, boolean more, List<G> out) {
        int bid = (flags & IoUringLayout.CQE_F_BUFFER) != 0 ? flags >>> IoUringLayout.CQE_BUFFER_SHIFT : -1;
        PollDesc pd = lookup(ud);
        RecvQueue q = pd != null ? pd.recvq : null;
        if (q == null) { // deregistered since: its data goes nowhere
            if (bid >= 0) recycled.offer(bid);
            return;
        }
        if (res > 0 && bid >= 0) {
            q.push(buffers.address(bid), bid, res);
            if (!more) q.armed = false; // after the push: see RecvQueue
        } else if (res == 0) {
            q.end(0); // end of stream
        } else if (res > 0 || res == -Errno.ENOBUFS || res == -Errno.ECANCELED) {
            // no buffer left (or cancelled by close; data without a buffer id never comes): the
            // reader reads the socket itself
            q.armed = false;
        } else {
            q.end(-res); // the error the reader will see, after the data before it
        }
        pd.ready(true, false, out);
    }

    /** Owner: gives back to the kernel the buffers readers are done with. */
    private void giveBuffersBack() {
        Integer bid;
        boolean any = false;
        while ((bid = recycled.poll()) != null) {
            buffers.give(bid);
            any = true;
        }
        if (any) buffers.publish();
    }

    /** Publishes a batch, then unparks the blocked poller if any (Dekker with poll: see "Wake-ups"). */
    private void handOver(List<G> gs) {
        Batch b, next;
        do {
            next = handed.get();
            b = new Batch(gs, next);
        } while (!handed.compareAndSet(next, b));
        Thread w = waiter.get();
        if (w != null) LockSupport.unpark(w);
    }

    // ---- the scheduler's side

    /** Goroutines readied by the owner but not yet taken by a poll (the scheduler counts them as waiters). */
    @Override
    public boolean hasPending() {
        return reaping || handed.get() != null;
    }

    @Override
    public void poll(long timeoutNanos, List<G> out) {
        if (takeHanded(out) || timeoutNanos == 0) return;
        Thread me = Thread.currentThread();
        if (!waiter.compareAndSet(null, me)) { // a second blocking poller (not expected): a short nap, no busy loop
            LockSupport.parkNanos(this, timeoutNanos < 0 ? 1_000_000L : Math.min(timeoutNanos, 1_000_000L));
            takeHanded(out);
            return;
        }
        try {
            // waiter is published; now read the flag and the hand-over (see "Wake-ups")
            if (wakeSig.get() || handed.get() != null || closed) {
                wakeSig.set(false);
            } else if (timeoutNanos < 0) {
                LockSupport.park(this);
            } else {
                LockSupport.parkNanos(this, timeoutNanos);
            }
        } finally {
            waiter.set(null);
        }
        wakeSig.set(false); // answered by this return: every wake-up that set it came before
        takeHanded(out);
    }

    /** Moves every handed-over goroutine to out, oldest batch first. @return whether there were any */
    private boolean takeHanded(List<G> out) {
        if (handed.get() == null) return false; // a plain read first: pollers call this often
        Batch b = handed.getAndSet(null);
        if (b == null) return false;
        Batch reversed = null;
        for (; b != null; b = b.next) reversed = new Batch(b.gs, reversed);
        for (; reversed != null; reversed = reversed.next) out.addAll(reversed.gs);
        return true;
    }

    @Override
    public void wakeup() {
        if (!wakeSig.compareAndSet(false, true)) return; // one is pending
        Thread w = waiter.get();
        if (w != null) LockSupport.unpark(w);
    }

    /** Stops the owner (which closes the ring, cancelling every poll) and waits for it. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        writeEventfd();
        Thread w = waiter.get();
        if (w != null) LockSupport.unpark(w);
        boolean interrupted = false;
        try {
            owner.join(10_000);
        } catch (InterruptedException e) {
            interrupted = true;
        }
        if (!owner.isAlive()) C.close(eventfd); // else leave it: the owner may still read it
        if (interrupted) Thread.currentThread().interrupt();
    }
}
