package dev.gort.netpoll;

import dev.gort.netpoll.ffi.Errno;
import dev.gort.netpoll.ffi.Native;
import dev.gort.netpoll.ffi.SockAddr;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;

/**
 * A listening TCP socket for goroutines: {@link #accept()} parks the goroutine until a
 * connection arrives (a platform thread blocks in poll(2)). SO_REUSEADDR is on by default (as
 * the JDK's ServerSocket on Linux); {@link Options#reusePort} adds SO_REUSEPORT. Closing it wakes
 * a parked accept with {@link java.net.SocketException}. One dropped without {@link #close()} is
 * closed once the GC finds it unreachable, as java.net.ServerSocket's.
 *
 * <p>accept fails with {@link TemporarySocketException} when the process is out of descriptors
 * (EMFILE) or the like: the server socket stays usable, and a server should back off and retry.
 */
public final class GoServerSocket implements Closeable {
    private final NetFd nfd;
    /** Closes nfd when this socket is closed, or found unreachable (SocketCleaner). */
    private final java.lang.ref.Cleaner.Cleanable cleanable;

    /** Bind options. */
    public record Options(int backlog, boolean reuseAddress, boolean reusePort) {
        public static final Options DEFAULT = new Options(1024, true, false);

        public Options {
            if (backlog < 1) throw new IllegalArgumentException("backlog must be >= 1, got " + backlog);
        }
    }

    private GoServerSocket(NetFd nfd) {
        this.nfd = nfd;
        this.cleanable = SocketCleaner.register(this, nfd::close); // the action must not hold this socket
    }

    /** Binds and listens on addr (port 0: any free port; see {@link #localAddress()}). */
    public static GoServerSocket bind(InetSocketAddress addr) throws IOException {
        return bind(addr, Options.DEFAULT);
    }

    public static GoServerSocket bind(InetSocketAddress addr, Options options) throws IOException {
        Objects.requireNonNull(addr, "addr");
        Objects.requireNonNull(options, "options");
        NetFd nfd = NetFd.newSocket(addr); // UnknownHostException if unresolved
        byte[] sa = SockAddr.encode(addr); // cannot fail now: an IPv4 or IPv6 address
        GoServerSocket s = new GoServerSocket(nfd);
        boolean ok = false;
        try {
            if (options.reuseAddress()) nfd.setIntOption(Native.SOL_SOCKET, Native.SO_REUSEADDR, 1);
            if (options.reusePort()) nfd.setIntOption(Native.SOL_SOCKET, Native.SO_REUSEPORT, 1);
            if (Native.C.bind(nfd.fd, sa, sa.length) < 0) throw Errno.exception("bind to " + addr, Native.errno());
            Errno.check("listen", Native.C.listen(nfd.fd, options.backlog()));
            nfd.listening = true;
            ok = true;
            return s;
        } finally {
            if (!ok) s.close();
        }
    }

    /** Waits (parks) for the next connection. */
    public GoSocket accept() throws IOException {
        return accept(null);
    }

    /**
     * As {@link #accept()}, throwing SocketTimeoutException ("Accept timed out") after timeout:
     * null or zero is no limit (ServerSocket's SO_TIMEOUT 0), a negative timeout an
     * IllegalArgumentException.
     *
     * @throws TemporarySocketException out of descriptors (EMFILE, ENFILE) or kernel memory
     *         (ENOBUFS, ENOMEM): back off and try again
     */
    public GoSocket accept(Duration timeout) throws IOException {
        long deadline = NetFd.deadlineAfter(timeout);
        try {
            return accept(deadline);
        } finally {
            java.lang.ref.Reference.reachabilityFence(this); // parked, this socket stays reachable: the cleaner must not close it
        }
    }

    private GoSocket accept(long deadline) throws IOException {
        nfd.acquire();
        nfd.readLock.lock();
        int fd;
        try {
            for (;;) {
                fd = Native.LINUX
                    ? Native.C.accept4(nfd.fd, 0, 0, Native.SOCK_NONBLOCK | Native.SOCK_CLOEXEC)
                    : Native.C.accept(nfd.fd, 0, 0);
                if (fd >= 0) break;
                int e = Native.errno();
                if (e == Errno.EAGAIN) {
                    try {
                        nfd.pd.await(true, deadline);
                    } catch (java.net.SocketTimeoutException te) {
                        throw new java.net.SocketTimeoutException("Accept timed out");
                    }
                } else if (e != Errno.EINTR && e != Errno.ECONNABORTED) {
                    // A close() that raced this call has shut the socket down (NetFd.close), so
                    // accept(2) fails with EINVAL: report the close, as a parked accept does.
                    if (nfd.pd.closing) throw new java.net.SocketException("Socket closed");
                    throw Errno.exception("accept", e);
                }
            }
        } finally {
            nfd.readLock.unlock();
            nfd.release();
        }
        if (!Native.LINUX) NetFd.setNonBlocking(fd);
        GoSocket s = new GoSocket(new NetFd(Netpoll.get(), fd));
        try {
            s.setTcpNoDelay(true);
        } catch (IOException e) {
            s.close();
            throw e;
        }
        return s;
    }

    public InetSocketAddress localAddress() throws IOException {
        return nfd.name(false);
    }

    public int fd() {
        return nfd.fd;
    }

    NetFd nfd() {
        return nfd;
    }

    public boolean isOpen() {
        return nfd.isOpen();
    }

    @Override
    public void close() {
        cleanable.clean(); // nfd.close(), once; unregisters from the cleaner
    }

    @Override
    public String toString() {
        return "GoServerSocket[fd=" + nfd.fd + (isOpen() ? "" : ", closed") + "]";
    }
}
