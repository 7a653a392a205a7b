package dev.gort.netpoll;

import dev.gort.netpoll.ffi.Errno;
import dev.gort.netpoll.ffi.Native;
import dev.gort.netpoll.ffi.SockAddr;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.time.Duration;
import java.util.Objects;

/**
 * A TCP connection for goroutines: reads and writes park the goroutine (never its carrier)
 * until the socket is ready, through the runtime's network poller (epoll, io_uring or kqueue).
 * Used from a platform thread, the same calls block that thread in poll(2).
 *
 * <p>Reads and writes of direct {@link ByteBuffer}s go between the kernel and the buffer's
 * memory with no copy; heap arrays and buffers are copied through a pooled native buffer,
 * 64 KiB at most per system call (a read returns at most that much). Each
 * system call takes the buffer's position and limit as they are at that call. As the JDK's
 * SocketChannel: reading into a read-only buffer is an IllegalArgumentException, and the buffer
 * of a closed {@link java.lang.foreign.Arena} an IllegalStateException (nothing is read or
 * written). New sockets have TCP_NODELAY set, as Go's.
 *
 * <p>A socket dropped without {@link #close()} is closed once the GC finds it unreachable, as
 * java.net.Socket's; close it explicitly to give its descriptor back at a known time.
 *
 * <p>Deadlines and timeouts (Go's SetReadDeadline, Java's SO_TIMEOUT): a wait that passes one
 * throws {@link java.net.SocketTimeoutException} and leaves the socket usable; a deadline changed
 * during a read or write applies to it. {@link #close()}
 * from any thread wakes every goroutine parked on the socket with a
 * {@link java.net.SocketException} ("Socket closed"). One reader and one writer may work at the
 * same time; further readers (writers) queue behind the first.
 */
public final class GoSocket implements Closeable, ByteChannel {
    final NetFd nfd;
    /** Closes nfd when this socket is closed, or found unreachable (SocketCleaner). */
    private final Cleaner.Cleanable cleanable;
    private InputStream in;
    private OutputStream out;

    GoSocket(NetFd nfd) {
        this.nfd = nfd;
        this.cleanable = SocketCleaner.register(this, nfd::close); // the action must not hold this socket
    }

    /** Connects to addr (IPv4 or IPv6), parking until connected. */
    public static GoSocket connect(InetSocketAddress addr) throws IOException {
        return connect(addr, null);
    }

    /**
     * Connects, giving up with SocketTimeoutException ("Connect timed out") after timeout, as
     * java.net.Socket.connect(addr, timeout): null or zero is no limit, and a negative timeout
     * an IllegalArgumentException.
     */
    public static GoSocket connect(InetSocketAddress addr, Duration timeout) throws IOException {
        Objects.requireNonNull(addr, "addr");
        long deadline = NetFd.deadlineAfter(timeout); // before the socket exists: a bad timeout leaks nothing
        NetFd nfd = NetFd.newSocket(addr); // UnknownHostException if unresolved
        byte[] sa = SockAddr.encode(addr); // cannot fail now: an IPv4 or IPv6 address
        GoSocket s = new GoSocket(nfd);
        boolean ok = false;
        try {
            s.setTcpNoDelay(true);
            nfd.acquire();
            try {
                if (Native.C.connect(nfd.fd, sa, sa.length) < 0) {
                    int e = Native.errno();
                    if (e != Errno.EINPROGRESS && e != Errno.EINTR) throw Errno.exception("connect to " + addr, e);
                    try {
                        nfd.pd.await(false, deadline);
                    } catch (java.net.SocketTimeoutException te) {
                        throw new java.net.SocketTimeoutException("Connect timed out");
                    }
                    int err = nfd.getIntOption(Native.SOL_SOCKET, Native.SO_ERROR);
                    // writable with no error: connected (a new PollDesc has no stale READY)
                    if (err != 0) throw Errno.exception("connect to " + addr, err);
                }
            } finally {
                nfd.release();
            }
            ok = true;
            return s;
        } finally {
            if (!ok) s.close();
        }
    }

    /**
     * Reads at most len bytes into b, parking until at least one is available.
     * @return the number read, or -1 at end of stream
     */
    public int read(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        if (len == 0) return 0;
        try {
            return nfd.read(b, off, len);
        } finally {
            Reference.reachabilityFence(this); // parked, this socket stays reachable: the cleaner must not close it
        }
    }

    /**
     * Reads into dst from its position (no copy for a direct buffer). @return bytes read, -1 at end of stream
     * @throws IllegalArgumentException if dst is read-only
     * @throws IllegalStateException if dst's memory is no longer alive (a closed arena's buffer)
     */
    @Override
    public int read(ByteBuffer dst) throws IOException {
        try {
            return nfd.read(dst);
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** Writes all len bytes, parking while the send buffer is full. */
    public void write(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        if (len == 0) return;
        try {
            nfd.write(b, off, len);
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /**
     * Writes all of src's remaining bytes (no copy for a direct buffer). @return the number written
     * @throws IllegalStateException if src's memory is no longer alive (a closed arena's buffer)
     */
    @Override
    public int write(ByteBuffer src) throws IOException {
        try {
            return nfd.write(src);
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** Reads and writes block (park) at most this long each (null or zero: no limit; Java's SO_TIMEOUT). */
    public void setReadTimeout(Duration d) {
        nfd.readTimeout = d == null ? 0 : dev.gort.sched.Scheduler.delayNanos(d); // saturates, never overflows
    }

    public void setWriteTimeout(Duration d) {
        nfd.writeTimeout = d == null ? 0 : dev.gort.sched.Scheduler.delayNanos(d);
    }

    /**
     * An absolute deadline for reads (System.nanoTime() based; 0 clears it), Go's
     * SetReadDeadline: it applies to the read in progress too. A goroutine (or thread) parked in
     * read() waits again under the new deadline, and throws SocketTimeoutException at once if it
     * has already passed: setting a past deadline is how another goroutine interrupts a reader
     * without closing the socket.
     */
    public void setReadDeadline(long nanoTime) {
        nfd.setDeadline(true, nanoTime);
    }

    /** As {@link #setReadDeadline} for writes (a write parked on a full send buffer). */
    public void setWriteDeadline(long nanoTime) {
        nfd.setDeadline(false, nanoTime);
    }

    public void setTcpNoDelay(boolean on) throws IOException {
        nfd.setIntOption(Native.IPPROTO_TCP, Native.TCP_NODELAY, on ? 1 : 0);
    }

    public boolean getTcpNoDelay() throws IOException {
        return nfd.getIntOption(Native.IPPROTO_TCP, Native.TCP_NODELAY) != 0;
    }

    public void setKeepAlive(boolean on) throws IOException {
        nfd.setIntOption(Native.SOL_SOCKET, Native.SO_KEEPALIVE, on ? 1 : 0);
    }

    /** SO_LINGER: {@code seconds == 0} makes close() reset the connection (RST), negative turns it off. */
    public void setSoLinger(int seconds) throws IOException {
        nfd.acquire();
        try {
            int[] linger = {seconds >= 0 ? 1 : 0, Math.max(seconds, 0)}; // struct linger { int l_onoff; int l_linger; }
            Errno.check("setsockopt", Native.C.setsockopt(nfd.fd, Native.SOL_SOCKET, Native.SO_LINGER, linger, 8));
        } finally {
            nfd.release();
        }
    }

    /** Half-closes the reading side: later reads return -1. */
    public void shutdownInput() throws IOException {
        shutdown(Native.SHUT_RD);
    }

    /** Half-closes the writing side: the peer reads end of stream. */
    public void shutdownOutput() throws IOException {
        shutdown(Native.SHUT_WR);
    }

    private void shutdown(int how) throws IOException {
        nfd.acquire();
        try {
            Errno.check("shutdown", Native.C.shutdown(nfd.fd, how));
        } finally {
            nfd.release();
        }
    }

    public InetSocketAddress localAddress() throws IOException {
        return nfd.name(false);
    }

    public InetSocketAddress remoteAddress() throws IOException {
        return nfd.name(true);
    }

    /** The file descriptor (diagnostics). */
    public int fd() {
        return nfd.fd;
    }

    @Override
    public boolean isOpen() {
        return nfd.isOpen();
    }

    /** Closes the socket; goroutines parked on it wake with SocketException. Idempotent. */
    @Override
    public void close() {
        cleanable.clean(); // nfd.close(), once; unregisters from the cleaner
    }

    /** A stream view: read() parks like {@link #read(byte[], int, int)}; close() closes the socket. */
    public synchronized InputStream getInputStream() {
        if (in == null) {
            in = new InputStream() {
                @Override
                public int read() throws IOException {
                    byte[] one = new byte[1];
                    int n = GoSocket.this.read(one, 0, 1);
                    return n < 0 ? -1 : one[0] & 0xff;
                }

                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    return GoSocket.this.read(b, off, len);
                }

                @Override
                public void close() {
                    GoSocket.this.close();
                }
            };
        }
        return in;
    }

    public synchronized OutputStream getOutputStream() {
        if (out == null) {
            out = new OutputStream() {
                @Override
                public void write(int b) throws IOException {
                    GoSocket.this.write(new byte[] {(byte) b}, 0, 1);
                }

                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    GoSocket.this.write(b, off, len);
                }

                @Override
                public void close() {
                    GoSocket.this.close();
                }
            };
        }
        return out;
    }

    @Override
    public String toString() {
        return "GoSocket[fd=" + nfd.fd + (isOpen() ? "" : ", closed") + "]";
    }
}
