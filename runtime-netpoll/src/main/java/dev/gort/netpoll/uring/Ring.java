package dev.gort.netpoll.uring;

import static dev.gort.netpoll.uring.IoUringLayout.*;

import dev.gort.netpoll.ffi.Errno;
import dev.gort.netpoll.ffi.LibC;
import dev.gort.netpoll.ffi.Native;
import dev.gort.netpoll.ffi.NativeMemory;
import java.io.IOException;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * One io_uring instance: {@code io_uring_setup}, the SQ and CQ rings and the SQE array {@code
 * mmap}ed and read through Agrona {@link UnsafeBuffer}s, and {@code io_uring_enter}. Not
 * thread-safe: with {@link IoUringLayout#SETUP_SINGLE_ISSUER} the kernel itself accepts
 * submissions and waits only from the thread that created the ring (the submitter task is
 * recorded at setup), so create it on the thread that will use it.
 *
 * <h2>Rings and memory ordering</h2>
 * SQ: we own the tail, the kernel the head. An SQE (and its array slot) is written with plain
 * stores, then the tail is published with a release store ({@code putIntOrdered}); the kernel
 * reads the tail with acquire semantics (smp_load_acquire) in io_uring_enter. The head is read
 * with a volatile (acquire) load to see which slots are free. CQ: the kernel owns the tail
 * (smp_store_release after writing a CQE); we read it with a volatile (acquire) load, then the
 * CQEs with plain loads, then publish the new head with a release store so the kernel does not
 * overwrite a CQE before we have read it.
 */
final class Ring implements AutoCloseable {
    private static final LibC C = Native.C;

    final int fd;
    /** The setup flags the kernel accepted. */
    final int flags;
    /** Why SINGLE_ISSUER | DEFER_TASKRUN were not used (null if they are). */
    final String degraded;
    private final long sqRingAddr, sqRingSize, cqRingAddr, cqRingSize, sqesAddr, sqesSize;
    private final UnsafeBuffer sq, cq, sqes;
    private final int sqMask, sqEntries, sqArray, sqHeadOff, sqTailOff;
    private final int cqMask, cqHeadOff, cqTailOff, cqesOff;
    /** SQEs written and published in the tail, not yet passed to io_uring_enter. */
    private int unsubmitted;
    private final NativeMemory waitArg = new NativeMemory(GETEVENTS_ARG_SIZE + TIMESPEC_SIZE);
    private boolean closed;

    /** @param deferTaskrun ask for SINGLE_ISSUER | DEFER_TASKRUN (falls back without them on EINVAL) */
    Ring(int sqSize, int cqSize, boolean deferTaskrun) throws IOException {
        if (!Native.LINUX) throw new IOException("io_uring is Linux only (this is " + Native.OS + ")");
        NativeMemory params = new NativeMemory(PARAMS_SIZE);
        int base = SETUP_CQSIZE | SETUP_CLAMP;
        int want = deferTaskrun ? base | SETUP_SINGLE_ISSUER | SETUP_DEFER_TASKRUN : base;
        long r = setup(params, sqSize, cqSize, want);
        String why = deferTaskrun ? null : "SINGLE_ISSUER|DEFER_TASKRUN not requested (-Dgort.uring.defertaskrun=false)";
        if (r == -Errno.EINVAL && want != base) {
            why = "io_uring_setup refused SINGLE_ISSUER|DEFER_TASKRUN (EINVAL, kernel older than 6.1?): "
                + "completions run as task_work of the ring's owner thread, which the kernel wakes for each";
            want = base;
            r = setup(params, sqSize, cqSize, want);
        }
        if (r < 0) throw Errno.exception("io_uring_setup", (int) -r);
        fd = (int) r;
        flags = want;
        degraded = why;
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
            C.close(fd);
            throw e;
        }
    }

    /** @return the ring's fd, or -errno */
    private static long setup(NativeMemory params, int sqSize, int cqSize, int flags) {
        params.view.setMemory(0, PARAMS_SIZE, (byte) 0);
        params.view.putInt(P_FLAGS, flags);
        params.view.putInt(P_CQ_ENTRIES, cqSize);
        long fd = C.syscall(Native.SYS_IO_URING_SETUP, sqSize, params.address, 0, 0, 0, 0);
        return fd >= 0 ? fd : -Native.errno();
    }

    boolean deferTaskrun() {
        return (flags & SETUP_DEFER_TASKRUN) != 0;
    }

    private long map(long size, long offset) throws IOException {
        long a = Native.mmap(0, size, Native.PROT_READ | Native.PROT_WRITE, Native.MAP_SHARED | Native.MAP_POPULATE, fd, offset);
        if (a == Native.MAP_FAILED) throw Errno.exception("mmap of io_uring ring", Native.errno());
        return a;
    }

    // ---- submission

    /** The next free SQE's offset in {@link #sqes}, zeroed, its SQ array slot written (the tail not yet). */
    private int nextSqe() {
        int tail = sq.getInt(sqTailOff); // we are the only writer of the tail
        if (tail - sq.getIntVolatile(sqHeadOff) == sqEntries) {
            submit(); // full: hand the kernel what we have (it consumes every SQE it is given)
            if (tail - sq.getIntVolatile(sqHeadOff) == sqEntries) throw new IllegalStateException("gort: io_uring SQ full");
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
        unsubmitted++;
    }

    void prepPollAdd(int pollFd, int events, long userData) {
        int off = nextSqe();
        sqes.putByte(off + SQE_OPCODE, (byte) OP_POLL_ADD);
        sqes.putInt(off + SQE_FD, pollFd);
        sqes.putInt(off + SQE_LEN, POLL_ADD_MULTI);
        sqes.putInt(off + SQE_OP_FLAGS, events);
        sqes.putLong(off + SQE_USER_DATA, userData);
        publish();
    }

    /**
     * ASYNC_CANCEL of the request whose user_data is {@code target} (a multishot poll). Not
     * POLL_REMOVE: that one fails with EALREADY, leaving the poll armed (and its file
     * referenced), when the poll has a wake-up being processed (its task_work pending).
     */
    void prepCancel(long target, long userData) {
        int off = nextSqe();
        sqes.putByte(off + SQE_OPCODE, (byte) OP_ASYNC_CANCEL);
        sqes.putInt(off + SQE_FD, -1);
        sqes.putLong(off + SQE_ADDR, target); // cancel_flags (op_flags) 0: match by user_data
        sqes.putLong(off + SQE_USER_DATA, userData);
        publish();
    }

    /**
     * A multishot RECV on a connected socket into buffers of {@code bufferGroup} (a {@link
     * BufferRing}): a CQE per chunk of data that arrives (res = bytes, the buffer's id in the
     * flags), res 0 at end of stream, until an error (ENOBUFS when the group has no buffer left)
     * or a cancel ends it (no CQE_F_MORE).
     */
    void prepRecvMulti(int sockFd, int bufferGroup, long userData) {
        int off = nextSqe();
        sqes.putByte(off + SQE_OPCODE, (byte) OP_RECV);
        sqes.putByte(off + SQE_FLAGS, (byte) SQE_F_BUFFER_SELECT);
        sqes.putShort(off + SQE_IOPRIO, (short) RECV_MULTISHOT);
        sqes.putInt(off + SQE_FD, sockFd);
        sqes.putShort(off + SQE_BUF_GROUP, (short) bufferGroup);
        sqes.putLong(off + SQE_USER_DATA, userData);
        publish();
    }

    /** io_uring_register(2); @return its result, or -errno */
    long register(int opcode, long arg, int nrArgs) {
        long r = C.syscall(Native.SYS_IO_URING_REGISTER, fd, opcode, arg, nrArgs, 0, 0);
        return r >= 0 ? r : -Native.errno();
    }

    int unsubmitted() {
        return unsubmitted;
    }

    /** Submits what was prepared, waiting for nothing (but with DEFER_TASKRUN, see {@link #enter}). */
    void submit() {
        if (unsubmitted > 0) enter(0);
    }

    /**
     * io_uring_enter: submits the prepared SQEs, then (GETEVENTS) runs deferred task_work and, if
     * {@code minComplete > 0}, waits until that many completions are in the CQ or the timeout
     * ({@code timeoutNanos < 0}: none) passes. @return false on timeout
     */
    boolean enter(int minComplete) {
        return enter(minComplete, -1);
    }

    boolean enter(int minComplete, long timeoutNanos) {
        UnsafeBuffer a = waitArg.view;
        a.setMemory(0, GETEVENTS_ARG_SIZE + TIMESPEC_SIZE, (byte) 0);
        if (timeoutNanos >= 0) {
            a.putLong(GETEVENTS_ARG_SIZE, timeoutNanos / 1_000_000_000L);
            a.putLong(GETEVENTS_ARG_SIZE + 8, timeoutNanos % 1_000_000_000L);
            a.putLong(GETEVENTS_ARG_TS, waitArg.address + GETEVENTS_ARG_SIZE);
        }
        for (;;) {
            int n = unsubmitted;
            long r = C.syscall(Native.SYS_IO_URING_ENTER, fd, n, minComplete, ENTER_GETEVENTS | ENTER_EXT_ARG, waitArg.address,
                GETEVENTS_ARG_SIZE);
            if (r >= 0) {
                unsubmitted -= (int) Math.min(r, n);
                if (r >= n) return true;
                continue; // a partial submit (not expected for polls): go on with the rest
            }
            int e = Native.errno();
            if (e == Errno.ETIME) return false;
            if (e == Errno.EINTR) return true; // the SQEs were not consumed: the caller enters again
            if (e == Errno.EAGAIN || e == Errno.EBUSY) {
                Thread.onSpinWait();
                continue;
            }
            throw new IllegalStateException("gort: io_uring_enter failed: " + Errno.describe(e));
        }
    }

    // ---- completions

    /** The CQ's head (we are its only consumer). */
    int cqHead() {
        return cq.getInt(cqHeadOff);
    }

    /** The CQ's tail: an acquire load, pairing with the kernel's release store after writing CQEs. */
    int cqTail() {
        return cq.getIntVolatile(cqTailOff);
    }

    long cqeUserData(int index) {
        return cq.getLong(cqesOff + (index & cqMask) * CQE_SIZE + CQE_USER_DATA);
    }

    int cqeRes(int index) {
        return cq.getInt(cqesOff + (index & cqMask) * CQE_SIZE + CQE_RES);
    }

    int cqeFlags(int index) {
        return cq.getInt(cqesOff + (index & cqMask) * CQE_SIZE + CQE_FLAGS);
    }

    /** Release: our CQE reads happen before the kernel may reuse the slots. */
    void cqAdvance(int newHead) {
        cq.putIntOrdered(cqHeadOff, newHead);
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        Native.munmap(sqesAddr, sqesSize);
        Native.munmap(sqRingAddr, sqRingSize);
        if (cqRingSize != 0) Native.munmap(cqRingAddr, cqRingSize);
        C.close(fd); // cancels every poll still armed (and drops the file references they hold)
    }
}
