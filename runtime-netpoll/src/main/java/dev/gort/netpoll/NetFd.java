package dev.gort.netpoll;

import dev.gort.netpoll.ffi.Errno;
import dev.gort.netpoll.ffi.LibC;
import dev.gort.netpoll.ffi.Native;
import dev.gort.netpoll.ffi.SegmentIo;
import dev.gort.sched.Scheduler;
import dev.gort.sync.Mutex;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A non-blocking socket descriptor shared by {@link GoSocket} and {@link GoServerSocket} (Go's
 * {@code netFD} with its {@code fdMutex}).
 *
 * <h2>Closing without racing the kernel</h2>
 * A descriptor must not be closed while another thread is inside a call on it: the number could
 * be reused by a new socket and the call would hit that one. Every operation holds a reference
 * ({@link #refs}, low bits) for its duration, parks included; {@link #close()} sets
 * {@link #CLOSED}, wakes every waiter ({@link PollDesc#evict()}: they throw and drop their
 * reference) and the last reference out closes the descriptor. Readers are serialised by
 * {@link #readLock}, writers by {@link #writeLock} (Go's fdMutex rlock/wlock), so each direction
 * of the {@link PollDesc} has at most one waiter.
 */
final class NetFd {
    private static final LibC C = Native.C;
    private static final int CLOSED = 1 << 30;

    final int fd;
    final PollDesc pd;
    private final Netpoll netpoll;
    private final AtomicInteger refs = new AtomicInteger();
    /** Set by GoServerSocket once listen(2) succeeded: close shuts the socket down first (see close()). */
    volatile boolean listening;
    final Mutex readLock = new Mutex();
    final Mutex writeLock = new Mutex();
    /** Where the reader's (writer's) read(2) (write(2)) leaves errno: used under readLock (writeLock) only; given back by destroy(). */
    private final java.lang.foreign.MemorySegment readErrno, writeErrno;
    /**
     * The segments of the reader's (writer's) last direct buffer (SegmentIo.View), created at
     * the first direct read (write): used under readLock (writeLock) only; cleared by destroy().
     */
    private SegmentIo.View readView, writeView;
    /** The reader's (writer's) heap buffer over its last array (see wrap): used under readLock (writeLock) only; dropped by destroy(). */
    private ByteBuffer readWrap, writeWrap;
    /** Absolute deadlines (System.nanoTime(), 0 none) and per-operation timeouts (ns, 0 none). */
    volatile long readDeadline, writeDeadline;
    volatile long readTimeout, writeTimeout;

    NetFd(Netpoll netpoll, int fd) throws IOException {
        this.fd = fd;
        this.readErrno = SegmentIo.takeErrnoSlot();
        this.writeErrno = SegmentIo.takeErrnoSlot();
        PollDesc p;
        try {
            p = Netpoll.open(netpoll, fd); // netpoll, or the running one if netpoll was closed meanwhile
        } catch (IOException | RuntimeException e) {
            SegmentIo.freeErrnoSlot(readErrno);
            SegmentIo.freeErrnoSlot(writeErrno);
            C.close(fd);
            throw e;
        }
        this.pd = p;
        this.netpoll = p.netpoll();
    }

    /**
     * A new non-blocking socket of addr's family, registered with the process's poller (for
     * bind and connect, which then use addr).
     *
     * @throws java.net.UnknownHostException if addr is unresolved
     */
    static NetFd newSocket(InetSocketAddress addr) throws IOException {
        if (addr.isUnresolved()) throw new java.net.UnknownHostException(addr.getHostString());
        int fd = newSocket(addr.getAddress() instanceof java.net.Inet6Address ? Native.AF_INET6 : Native.AF_INET);
        return new NetFd(Netpoll.get(), fd); // closes fd if registering fails
    }

    /** A new non-blocking, close-on-exec socket. */
    static int newSocket(int family) throws IOException {
        int fd = Errno.check("socket", C.socket(family, Native.SOCK_STREAM | Native.SOCK_NONBLOCK | Native.SOCK_CLOEXEC, 0));
        if (!Native.LINUX) setNonBlocking(fd);
        return fd;
    }

    /** BSD/macOS: no SOCK_NONBLOCK / accept4 flags. */
    static void setNonBlocking(int fd) throws IOException {
        int fl = C.fcntl(fd, Native.F_GETFL, 0);
        if (fl < 0 || C.fcntl(fd, Native.F_SETFL, fl | Native.O_NONBLOCK) < 0 || C.fcntl(fd, Native.F_SETFD, Native.FD_CLOEXEC) < 0) {
            int e = Native.errno();
            C.close(fd);
            throw Errno.exception("fcntl", e);
        }
    }


    /**
     * The deadline of a connect or accept that may wait {@code timeout} (0: none), as
     * java.net.Socket's and ServerSocket's: null or zero is no limit, negative is an error, and a
     * duration longer than the runtime's timers take saturates (Scheduler.delayNanos).
     */
    static long deadlineAfter(java.time.Duration timeout) {
        if (timeout == null || timeout.isZero()) return 0;
        if (timeout.isNegative()) throw new IllegalArgumentException("timeout can't be negative: " + timeout);
        long d = System.nanoTime() + Scheduler.delayNanos(timeout);
        return d == 0 ? 1 : d;
    }

    /** Tests: runs in close() between waking the waiters and shutting the socket down (null: nothing). */
    static volatile Runnable beforeShutdownForTests;

    void acquire() throws SocketException {
        if (!tryAcquire()) throw new SocketException("Socket closed");
    }

    /** A reference, unless the descriptor is closed (then false). */
    private boolean tryAcquire() {
        for (;;) {
            int r = refs.get();
            if ((r & CLOSED) != 0) return false;
            if (refs.compareAndSet(r, r + 1)) return true;
        }
    }

    void release() {
        if (refs.decrementAndGet() == CLOSED) destroy();
    }

    boolean isOpen() {
        return (refs.get() & CLOSED) == 0;
    }

    /**
     * Idempotent. Waiters wake and throw; the descriptor closes when the last one leaves.
     *
     * <p>The closer holds a reference of its own until it is done with the number (the + 1 in
     * the CAS, the release at the end): the number is valid only while someone holds one. The
     * waiters it wakes, a platform thread whose poll(2) returns, or any call in flight may
     * otherwise release last, close the descriptor, and let a new socket get the same number
     * before our shutdown(2) below, which would then shut that socket down (seen: a server
     * socket bound at that moment stopped listening).
     */
    void close() {
        int r;
        do {
            r = refs.get();
            if ((r & CLOSED) != 0) return;
        } while (!refs.compareAndSet(r, (r | CLOSED) + 1));
        pd.evict();
        Runnable hook = beforeShutdownForTests;
        if (hook != null) hook.run();
        if (listening || pd.platformWaiters() > 0) {
            // poll(2) does not return for a closed fd; it does for a shut-down one. And a listening
            // socket must stop listening now: close(2) frees only the number while another
            // reference to the file lives (io_uring's armed poll, until the owner cancels it),
            // and the kernel would go on completing handshakes for it meanwhile. shutdown(2) on a
            // listening socket ends the listening at once (Linux: it becomes a closed socket).
            C.shutdown(fd, Native.SHUT_RDWR);
        }
        release(); // ours: whoever leaves last closes the descriptor
    }

    private void destroy() {
        netpoll.closeDesc(pd);
        C.close(fd);
        // No call is in flight: every call holds a reference, and this runs after the last one.
        SegmentIo.freeErrnoSlot(readErrno);
        SegmentIo.freeErrnoSlot(writeErrno);
        // Nor will one be: every later call fails to acquire. The views and wrappers let their
        // buffers go (a closed socket that stays reachable must not keep the application's last
        // buffers and arrays).
        // Plain writes: the last call's accesses happen-before this, through refs' decrement.
        SegmentIo.View r = readView, w = writeView;
        if (r != null) r.clear();
        if (w != null) w.clear();
        readWrap = null;
        writeWrap = null;
    }

    /**
     * Sets the absolute read (write) deadline, which applies to a read (write) in progress too:
     * its waiter wakes and waits again under the new one (Go's SetReadDeadline). A closed
     * descriptor only stores it (there is nothing to wake).
     */
    void setDeadline(boolean read, long nanoTime) {
        if (read) readDeadline = nanoTime; else writeDeadline = nanoTime;
        if (!tryAcquire()) return;
        try {
            pd.deadlineChanged(read);
        } finally {
            release();
        }
    }

    /** The end of one operation's per-operation timeout (SO_TIMEOUT), from now; 0 for none. */
    long opLimit(boolean read) {
        long t = read ? readTimeout : writeTimeout;
        if (t == 0) return 0;
        long rel = System.nanoTime() + t;
        return rel == 0 ? 1 : rel;
    }

    /**
     * The deadline of a wait now: the earlier of the absolute deadline, read afresh at every
     * wait (it may have been changed meanwhile), and the operation's limit (0: none).
     */
    long deadline(boolean read, long opLimit) {
        long abs = read ? readDeadline : writeDeadline;
        if (opLimit == 0) return abs;
        return abs == 0 || opLimit - abs < 0 ? opLimit : abs;
    }

    /**
     * One read into dst from its position: parks (or polls) until data, EOF or an error. Each
     * attempt reads into dst's {@code [position, limit)} as it is at that attempt (SegmentIo), so a
     * position the application moves meanwhile never makes a read pass the buffer's end.
     * @return bytes read (position advanced), -1 at end of stream, 0 if dst has no room
     * @throws IllegalArgumentException if dst is read-only (as the JDK's SocketChannel)
     * @throws IllegalStateException if dst's memory is no longer alive (a closed arena's buffer):
     *         whatever was to be read stays in the socket
     */
    int read(ByteBuffer dst) throws IOException {
        if (dst.isReadOnly()) throw new IllegalArgumentException("Read-only buffer");
        if (!dst.hasRemaining()) return 0;
        acquire();
        readLock.lock();
        try {
            return readLocked(dst);
        } finally {
            readLock.unlock();
            release();
        }
    }

    /**
     * {@link #read(ByteBuffer)} into {@code b[off, off + len)} (checked by the caller, len > 0),
     * through the reader's heap buffer over b ({@link #wrap}): no buffer per call while the
     * application reads into the same array.
     */
    int read(byte[] b, int off, int len) throws IOException {
        acquire();
        readLock.lock();
        try {
            ByteBuffer dst = readWrap = wrap(readWrap, b, off, len);
            return readLocked(dst);
        } finally {
            readLock.unlock();
            release();
        }
    }

    /**
     * A heap buffer over {@code b[off, off + len)}: {@code last} aimed there when it wraps b
     * already (an application reads into, or writes from, the same array call after call), else
     * a new one. The reader's (writer's) own, used under readLock (writeLock): no one else sees
     * it. ByteBuffer.wrap per call cost 48 bytes per read and per write.
     */
    private static ByteBuffer wrap(ByteBuffer last, byte[] b, int off, int len) {
        if (last == null || last.array() != b) return ByteBuffer.wrap(b, off, len);
        return last.clear().position(off).limit(off + len);
    }

    /** The body of a read, under readLock and a reference. */
    private int readLocked(ByteBuffer dst) throws IOException {
        long limit = opLimit(true);
        for (;;) {
            RecvQueue q = pd.recvq;
            if (q != null && !q.readSocket()) { // completion mode: the data is in the driver's buffers
                int n = q.take(dst, dst.isDirect() ? readView() : null);
                if (n != 0) return n;
                if (!q.readSocket()) awaitRecv(q, limit);
                continue;
            }
            long n = SegmentIo.read(fd, readErrno, dst, dst.isDirect() ? readView() : null);
            if (n > 0) return (int) n;
            if (n == 0) {
                // A close() that raced this read may have shut the socket down (a listening
                // socket, or a platform thread waiting in poll(2): see close()): that reads
                // as end of stream, but what happened is the close, as a parked reader reports.
                if (pd.closing) throw new SocketException("Socket closed");
                return -1;
            }
            if (n == SegmentIo.EMPTY) return 0; // the application emptied dst meanwhile
            int e = (int) -n;
            if (e == Errno.EAGAIN) {
                // The socket is empty: the driver may take receiving over (completion
                // mode; see Poller.armRecv), else the reader waits for readiness.
                if (!netpoll.poller.armRecv(pd)) {
                    int epoch = pd.deadlineEpoch(); // before the deadline: see PollDesc
                    pd.await(true, deadline(true, limit), epoch);
                }
            } else if (e != Errno.EINTR) {
                throw Errno.exception("read", e);
            }
        }
    }

    /** The reader's view (under readLock). */
    private SegmentIo.View readView() {
        SegmentIo.View v = readView;
        return v != null ? v : (readView = new SegmentIo.View());
    }

    /** The writer's view (under writeLock). */
    private SegmentIo.View writeView() {
        SegmentIo.View v = writeView;
        return v != null ? v : (writeView = new SegmentIo.View());
    }

    /**
     * Completion mode: waits until q has data, its end, or its RECV ended. A goroutine parks on
     * the descriptor (the driver readies it after each push); a platform thread cannot wait in
     * poll(2) (the data no longer stays in the socket), so it parks itself in the descriptor's
     * read slot, and the driver unparks it the same way.
     */
    private void awaitRecv(RecvQueue q, long limit) throws IOException {
        if (Scheduler.currentG() != null) {
            int epoch = pd.deadlineEpoch(); // before the deadline: see PollDesc
            pd.await(true, deadline(true, limit), epoch);
            return;
        }
        while (!q.hasSomething()) {
            if (pd.closing) throw new SocketException("Socket closed");
            int epoch = pd.deadlineEpoch();
            long deadline = deadline(true, limit); // afresh each time: a deadline change wakes us
            if (deadline != 0 && deadline - System.nanoTime() <= 0) throw new java.net.SocketTimeoutException("Read timed out");
            pd.awaitRecvPlatform(q, deadline, epoch);
        }
    }

    /**
     * Writes all of src (from its position); parks while the socket buffer is full. Each attempt
     * writes src's {@code [position, limit)} as it is at that attempt (a heap buffer: a bounded
     * piece of it; SegmentIo).
     * @throws IllegalStateException if src's memory is no longer alive (a closed arena's buffer)
     */
    int write(ByteBuffer src) throws IOException {
        int total = src.remaining();
        if (total == 0) return 0;
        acquire();
        writeLock.lock();
        try {
            writeLocked(src);
            return total;
        } finally {
            writeLock.unlock();
            release();
        }
    }

    /** {@link #write(ByteBuffer)} of {@code b[off, off + len)} (checked by the caller, len > 0), as {@link #read(byte[], int, int)}. */
    void write(byte[] b, int off, int len) throws IOException {
        acquire();
        writeLock.lock();
        try {
            ByteBuffer src = writeWrap = wrap(writeWrap, b, off, len);
            writeLocked(src);
        } finally {
            writeLock.unlock();
            release();
        }
    }

    /** The body of a write, under writeLock and a reference: writes all of src. */
    private void writeLocked(ByteBuffer src) throws IOException {
        long limit = opLimit(false);
        while (src.hasRemaining()) {
            long n = SegmentIo.write(fd, writeErrno, src, src.isDirect() ? writeView() : null);
            if (n >= 0 || n == SegmentIo.EMPTY) continue;
            int e = (int) -n;
            if (e == Errno.EAGAIN) {
                int epoch = pd.deadlineEpoch(); // before the deadline: see PollDesc
                pd.await(false, deadline(false, limit), epoch);
            } else if (e != Errno.EINTR) {
                if (pd.closing) throw new SocketException("Socket closed"); // EPIPE after close()'s shutdown
                throw Errno.exception("write", e);
            }
        }
    }

    void setIntOption(int level, int name, int value) throws IOException {
        acquire();
        try {
            Errno.check("setsockopt", C.setsockopt(fd, level, name, new int[] {value}, 4));
        } finally {
            release();
        }
    }

    int getIntOption(int level, int name) throws IOException {
        acquire();
        try {
            int[] v = new int[1];
            int[] len = {4};
            Errno.check("getsockopt", C.getsockopt(fd, level, name, v, len));
            return v[0];
        } finally {
            release();
        }
    }

    java.net.InetSocketAddress name(boolean peer) throws IOException {
        acquire();
        try {
            byte[] b = new byte[dev.gort.netpoll.ffi.SockAddr.MAX];
            int[] len = {b.length};
            Errno.check(peer ? "getpeername" : "getsockname", peer ? C.getpeername(fd, b, len) : C.getsockname(fd, b, len));
            return dev.gort.netpoll.ffi.SockAddr.decode(b, len[0]);
        } finally {
            release();
        }
    }
}
