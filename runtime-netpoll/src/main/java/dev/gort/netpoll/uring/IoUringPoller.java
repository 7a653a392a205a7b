package dev.gort.netpoll.uring;

import static dev.gort.netpoll.uring.IoUringLayout.*;

import dev.gort.netpoll.PollDesc;
import dev.gort.netpoll.PollDescTable;
import dev.gort.netpoll.Poller;
import dev.gort.netpoll.ffi.Errno;
import dev.gort.netpoll.ffi.LibC;
import dev.gort.netpoll.ffi.Native;
import dev.gort.netpoll.ffi.NativeMemory;
import dev.gort.sched.G;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Linux io_uring in readiness mode: raw {@code io_uring_setup}/{@code io_uring_enter} through
 * syscall(2), the SQ and CQ rings and the SQE array {@code mmap}ed and read through Agrona
 * {@link UnsafeBuffer}s. Each descriptor gets one multishot {@code POLL_ADD} for its lifetime
 * (POLLIN | POLLOUT | POLLRDHUP, posting a CQE at each readiness change, as epoll's EPOLLET);
 * {@code POLL_REMOVE} before close. A NOP submitted by {@link #wakeup()} breaks a blocking
 * {@code io_uring_enter(GETEVENTS)}; its timeout goes through {@code IORING_ENTER_EXT_ARG}.
 *
 * <h2>Rings and memory ordering</h2>
 * SQ: we own the tail, the kernel the head. An SQE (and its array slot) is written with plain
 * stores, then the tail is published with a release store ({@code putIntOrdered}); the kernel
 * reads the tail with acquire semantics (smp_load_acquire) in io_uring_enter, which we call
 * right after. The head is read with a volatile (acquire) load to see which slots are free.
 * CQ: the kernel owns the tail (smp_store_release after writing a CQE); we read it with a
 * volatile (acquire) load, then the CQEs with plain loads, then publish the new head with a
 * release store so the kernel does not overwrite a CQE before we have read it.
 *
 * <h2>Threads</h2>
 * Submissions (register, deregister, wake-up NOPs) are serialised by {@link #sqLock}; each
 * submits at once, so the SQ never holds more than one pending entry. Reaping the CQ needs a
 * single consumer: {@link #cqBusy}. The blocking poller holds it across its io_uring_enter, so a
 * concurrent non-blocking poll returns nothing (someone is polling; Go skips then too).
 *
 * <h2>Wake-ups</h2>
 * {@link #wakeSig} means "a wake-up is pending for the blocking poller". The waker that sets it
 * (CAS false -> true) submits a NOP. A blocking poll, holding cqBusy, returns at once if it finds
 * the flag set (clearing it), and clears it when it reaps a wake NOP. A non-blocking poll that
 * reaps a wake NOP leaves the flag alone: the wake-up was not for it. So a wake-up is never
 * consumed by the wrong poll: either the blocker sees the flag before it blocks, or the NOP's
 * completion arrives while it blocks.
 *
 * <p>Not done: completion-mode RECV/SEND/ACCEPT (see docs/DESIGN-NOTES.md).
 */
public final class IoUringPoller implements Poller {
    private static final LibC C = Native.C;
    private static final long WAKE = -1L, CANCEL = -2L, PROBE = -3L;
    static final int POLLIN = 0x1, POLLOUT = 0x4, POLLERR = 0x8, POLLHUP = 0x10, POLLRDHUP = 0x2000;
    private static final int POLL_MASK = POLLIN | POLLOUT | POLLRDHUP | POLLERR | POLLHUP;

    private final int ringFd;
    private final long sqRingAddr, sqRingSize, cqRingAddr, cqRingSize, sqesAddr, sqesSize;
    private final UnsafeBuffer sq, cq, sqes;
    private final int sqMask, sqEntries, sqArray, sqHeadOff, sqTailOff;
    private final int cqMask, cqHeadOff, cqTailOff, cqesOff;
    private final PollDescTable table = new PollDescTable();
    private final Object sqLock = new Object();
    private final AtomicBoolean cqBusy = new AtomicBoolean();
    private final AtomicBoolean wakeSig = new AtomicBoolean();
    private final NativeMemory waitArg = new NativeMemory(GETEVENTS_ARG_SIZE + TIMESPEC_SIZE);
    private volatile boolean closed;

    public IoUringPoller() throws IOException {
        this(512, 16384);
    }

    IoUringPoller(int sqSize, int cqSize) throws IOException {
        if (!Native.LINUX) throw new IOException("io_uring is Linux only (this is " + Native.OS + ")");
        NativeMemory params = new NativeMemory(PARAMS_SIZE);
        params.view.setMemory(0, PARAMS_SIZE, (byte) 0);
        params.view.putInt(P_FLAGS, SETUP_CQSIZE | SETUP_CLAMP);
        params.view.putInt(P_CQ_ENTRIES, cqSize);
        long fd = C.syscall(Native.SYS_IO_URING_SETUP, sqSize, params.address, 0, 0, 0, 0);
        if (fd < 0) throw Errno.exception("io_uring_setup", Native.errno());
        ringFd = (int) fd;
        UnsafeBuffer p = params.view;
        int features = p.getInt(P_FEATURES);
        try {
            if ((features & FEAT_EXT_ARG) == 0 || (features & FEAT_NODROP) == 0) {
                throw new IOException("io_uring lacks IORING_FEAT_EXT_ARG/NODROP (kernel older than 5.11)");
            }
            sqEntries = p.getInt(P_SQ_ENTRIES);
            int cqEntries = p.getInt(P_CQ_ENTRIES);
            sqArray = p.getInt(SQ_ARRAY);
            sqHeadOff = p.getInt(SQ_HEAD);
            sqTailOff = p.getInt(SQ_TAIL);
            cqHeadOff = p.getInt(CQ_HEAD);
            cqTailOff = p.getInt(CQ_TAIL);
            cqesOff = p.getInt(CQ_CQES);
            long sqBytes = sqArray + 4L * sqEntries;
            long cqBytes = cqesOff + (long) CQE_SIZE * cqEntries;
            if ((features & FEAT_SINGLE_MMAP) != 0) {
                long size = Math.max(sqBytes, cqBytes);
                sqRingAddr = cqRingAddr = map(size, OFF_SQ_RING);
                sqRingSize = size;
                cqRingSize = 0; // same mapping
            } else {
                sqRingAddr = map(sqBytes, OFF_SQ_RING);
                sqRingSize = sqBytes;
                cqRingAddr = map(cqBytes, OFF_CQ_RING);
                cqRingSize = cqBytes;
            }
            sqesSize = (long) SQE_SIZE * sqEntries;
            sqesAddr = map(sqesSize, OFF_SQES);
            sq = new UnsafeBuffer(sqRingAddr, (int) sqRingSize);
            cq = new UnsafeBuffer(cqRingAddr, (int) (cqRingSize != 0 ? cqRingSize : sqRingSize));
            sqes = new UnsafeBuffer(sqesAddr, (int) sqesSize);
            sqMask = sq.getInt(p.getInt(SQ_RING_MASK));
            cqMask = cq.getInt(p.getInt(CQ_RING_MASK));
        } catch (IOException | RuntimeException e) {
            C.close(ringFd);
            throw e;
        }
    }

    private long map(long size, long offset) throws IOException {
        long a = Native.mmap(0, size, Native.PROT_READ | Native.PROT_WRITE, Native.MAP_SHARED | Native.MAP_POPULATE, ringFd, offset);
        if (a == Native.MAP_FAILED) throw Errno.exception("mmap of io_uring ring", Native.errno());
        return a;
    }

    /**
     * Can io_uring run here? Sets up a small ring, arms a multishot poll on a readable eventfd
     * and checks the completion (which also checks the SQE/CQE layouts). @return null if it can,
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
        try (IoUringPoller p = new IoUringPoller(8, 16)) {
            efd = Errno.check("eventfd", C.eventfd(1, 0x80000 | 0x800));
            synchronized (p.sqLock) {
                p.prepPollAdd(efd, PROBE);
                p.submit();
            }
            if (!p.enterWait(1_000_000_000L)) return "io_uring: no completion for a probe poll within 1 s";
            int tail = p.cq.getIntVolatile(p.cqTailOff);
            int head = p.cq.getInt(p.cqHeadOff);
            if (tail == head) return "io_uring: no completion for a probe poll";
            int off = p.cqesOff + (head & p.cqMask) * CQE_SIZE;
            long ud = p.cq.getLong(off + CQE_USER_DATA);
            int res = p.cq.getInt(off + CQE_RES);
            int flags = p.cq.getInt(off + CQE_FLAGS);
            if (ud != PROBE) return "io_uring: CQE user_data " + ud + " (SQE/CQE layout mismatch)";
            if (res < 0) return "io_uring: multishot poll refused: " + Errno.describe(-res) + " (kernel older than 5.13?)";
            if ((res & POLLIN) == 0 || (flags & CQE_F_MORE) == 0) {
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

    // ---- submission side (hold sqLock)

    /** The next free SQE's offset in {@link #sqes}, with the SQ slot published (tail not yet). */
    private int nextSqe() {
        int tail = sq.getInt(sqTailOff); // we are the only writer of the tail
        if (tail - sq.getIntVolatile(sqHeadOff) == sqEntries) {
            throw new IllegalStateException("gort: io_uring SQ full"); // cannot happen: we submit each entry at once
        }
        int idx = tail & sqMask;
        int off = idx * SQE_SIZE;
        sqes.setMemory(off, SQE_SIZE, (byte) 0);
        sq.putInt(sqArray + idx * 4, idx);
        return off;
    }

    private void publish() {
        int tail = sq.getInt(sqTailOff);
        sq.putIntOrdered(sqTailOff, tail + 1); // release: the SQE's plain writes happen before
    }

    private void prepPollAdd(int fd, long userData) {
        int off = nextSqe();
        sqes.putByte(off + SQE_OPCODE, (byte) OP_POLL_ADD);
        sqes.putInt(off + SQE_FD, fd);
        sqes.putInt(off + SQE_LEN, POLL_ADD_MULTI);
        sqes.putInt(off + SQE_OP_FLAGS, POLL_MASK);
        sqes.putLong(off + SQE_USER_DATA, userData);
        publish();
    }

    private void submit() {
        for (;;) {
            long r = C.syscall(Native.SYS_IO_URING_ENTER, ringFd, 1, 0, 0, 0, 0);
            if (r >= 0) return;
            int e = Native.errno();
            if (e != Errno.EINTR && e != Errno.EAGAIN) {
                throw new IllegalStateException("gort: io_uring_enter (submit) failed: " + Errno.describe(e));
            }
        }
    }

    private static long userData(PollDesc pd) {
        return (long) pd.seq << 32 | (pd.fd & 0xffffffffL);
    }

    @Override
    public void register(PollDesc pd) throws IOException {
        table.put(pd);
        synchronized (sqLock) {
            prepPollAdd(pd.fd, userData(pd));
            submit();
        }
    }

    @Override
    public void deregister(PollDesc pd) {
        table.remove(pd); // from now on its completions are stale and ignored
        if (closed) return;
        synchronized (sqLock) {
            int off = nextSqe();
            sqes.putByte(off + SQE_OPCODE, (byte) OP_POLL_REMOVE);
            sqes.putInt(off + SQE_FD, -1);
            sqes.putLong(off + SQE_ADDR, userData(pd));
            sqes.putLong(off + SQE_USER_DATA, CANCEL);
            publish();
            submit(); // the poll holds a reference to the file: drop it before the fd is closed
        }
    }

    @Override
    public void wakeup() {
        if (!wakeSig.compareAndSet(false, true) || closed) return;
        synchronized (sqLock) {
            int off = nextSqe();
            sqes.putByte(off + SQE_OPCODE, (byte) OP_NOP);
            sqes.putLong(off + SQE_USER_DATA, WAKE);
            publish();
            submit();
        }
    }

    // ---- completion side (hold cqBusy)

    @Override
    public void poll(long timeoutNanos, List<G> out) {
        if (!cqBusy.compareAndSet(false, true)) return; // someone else polls (see "Threads")
        try {
            boolean blocking = timeoutNanos != 0;
            if (reap(blocking, out) != 0 || !blocking) return; // events, or our wake-up's NOP
            if (wakeSig.getAndSet(false)) return; // a wake-up came before we could block
            enterWait(timeoutNanos);
            reap(true, out);
        } finally {
            cqBusy.set(false);
        }
    }

    /** io_uring_enter(GETEVENTS) for at least one completion; timeout < 0: none. @return false on timeout */
    private boolean enterWait(long timeoutNanos) {
        UnsafeBuffer a = waitArg.view;
        a.setMemory(0, GETEVENTS_ARG_SIZE + TIMESPEC_SIZE, (byte) 0);
        if (timeoutNanos > 0) {
            a.putLong(GETEVENTS_ARG_SIZE, timeoutNanos / 1_000_000_000L);
            a.putLong(GETEVENTS_ARG_SIZE + 8, timeoutNanos % 1_000_000_000L);
            a.putLong(GETEVENTS_ARG_TS, waitArg.address + GETEVENTS_ARG_SIZE);
        }
        long r = C.syscall(Native.SYS_IO_URING_ENTER, ringFd, 0, 1, ENTER_GETEVENTS | ENTER_EXT_ARG, waitArg.address, GETEVENTS_ARG_SIZE);
        if (r < 0) {
            int e = Native.errno();
            if (e == Errno.ETIME) return false;
            if (e != Errno.EINTR) throw new IllegalStateException("gort: io_uring_enter (wait) failed: " + Errno.describe(e));
        }
        return true;
    }

    /** Consumes every available completion. @return I/O events seen, plus 1 if a blocking poll consumed a wake-up */
    private int reap(boolean blocking, List<G> out) {
        int head = cq.getInt(cqHeadOff); // we are the only consumer
        int tail = cq.getIntVolatile(cqTailOff); // acquire: pairs with the kernel's release of the tail
        int events = 0;
        for (; head != tail; head++) {
            int off = cqesOff + (head & cqMask) * CQE_SIZE;
            long ud = cq.getLong(off + CQE_USER_DATA);
            int res = cq.getInt(off + CQE_RES);
            int flags = cq.getInt(off + CQE_FLAGS);
            if (ud == WAKE) {
                if (blocking) {
                    wakeSig.set(false);
                    events++;
                }
                continue;
            }
            if (ud < 0) continue; // CANCEL, PROBE
            PollDesc pd = table.get((int) ud, (int) (ud >>> 32));
            if (pd == null) continue; // closed since
            events++;
            if (res < 0) {
                if (-res == Errno.ECANCELED) continue;
                pd.ready(true, true, out); // an error on the poll: let both sides retry and see it
            } else {
                boolean read = (res & (POLLIN | POLLRDHUP | POLLHUP | POLLERR)) != 0;
                boolean write = (res & (POLLOUT | POLLHUP | POLLERR)) != 0;
                if (read || write) pd.ready(read, write, out);
            }
            if ((flags & CQE_F_MORE) == 0 && !closed) {
                // The multishot poll ended (e.g. the CQ overflowed): arm it again.
                synchronized (sqLock) {
                    prepPollAdd(pd.fd, ud);
                    submit();
                }
            }
        }
        cq.putIntOrdered(cqHeadOff, head); // release: our CQE reads happen before the kernel may reuse the slots
        return events;
    }

    @Override
    public void close() {
        closed = true;
        Native.munmap(sqesAddr, sqesSize);
        Native.munmap(sqRingAddr, sqRingSize);
        if (cqRingSize != 0) Native.munmap(cqRingAddr, cqRingSize);
        C.close(ringFd);
    }
}
