package dev.gort.netpoll.ffi;

import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.SocketException;
import java.net.SocketTimeoutException;

/**
 * errno values Gort acts on, and the Java exception each failure becomes: refused connections
 * are {@link ConnectException}, an address in use {@link BindException}, reset and broken pipe
 * {@link SocketException} ("Connection reset", as the JDK says), running out of descriptors or
 * kernel memory {@link dev.gort.netpoll.TemporarySocketException} (see {@link #isTemporary}), anything else an
 * {@link IOException} naming the call and {@code strerror(errno)}.
 */
public final class Errno {
    private Errno() {}

    private static final boolean L = Native.LINUX;
    public static final int EINTR = 4;
    public static final int EBADF = 9;
    public static final int EAGAIN = L ? 11 : 35;
    public static final int ENOMEM = 12;
    public static final int EACCES = 13;
    public static final int EFAULT = 14;
    public static final int EBUSY = 16;
    public static final int EINVAL = 22;
    public static final int ENFILE = 23;
    public static final int EMFILE = 24;
    public static final int EPIPE = 32;
    public static final int ENOSYS = L ? 38 : 78;
    public static final int EADDRINUSE = L ? 98 : 48;
    public static final int EADDRNOTAVAIL = L ? 99 : 49;
    public static final int ENETUNREACH = L ? 101 : 51;
    public static final int ECONNABORTED = L ? 103 : 53;
    public static final int ECONNRESET = L ? 104 : 54;
    public static final int ENOTCONN = L ? 107 : 57;
    public static final int ETIMEDOUT = L ? 110 : 60;
    public static final int ECONNREFUSED = L ? 111 : 61;
    public static final int EHOSTUNREACH = L ? 113 : 65;
    public static final int EALREADY = L ? 114 : 37;
    public static final int EINPROGRESS = L ? 115 : 36;
    public static final int EPERM = 1;
    public static final int ENOENT = 2;
    public static final int ECANCELED = L ? 125 : 89;
    public static final int ENOBUFS = L ? 105 : 55;
    public static final int ETIME = 62;

    /** strerror(errno), e.g. "Connection refused". */
    public static String describe(int errno) {
        String s = Native.C.strerror(errno);
        return s != null ? s : "errno " + errno;
    }

    /** The exception for a failed {@code call} (e.g. "connect") with this errno. */
    public static IOException exception(String call, int errno) {
        String msg = describe(errno) + " (" + call + ", errno " + errno + ")";
        if (errno == ECONNREFUSED) return new ConnectException(msg);
        if (errno == EADDRINUSE || errno == EADDRNOTAVAIL) return new BindException(msg);
        if (errno == ECONNRESET || errno == EPIPE) return new SocketException("Connection reset: " + msg);
        if (errno == ETIMEDOUT) return new SocketTimeoutException(msg);
        if (errno == ENETUNREACH || errno == EHOSTUNREACH) return new java.net.NoRouteToHostException(msg);
        if (isTemporary(errno)) return new dev.gort.netpoll.TemporarySocketException(msg);
        return new IOException(msg);
    }

    /** The errors Go's accept loops treat as temporary (they pass): out of descriptors or kernel memory, an aborted connection. */
    public static boolean isTemporary(int errno) {
        return errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM || errno == ECONNABORTED;
    }

    /** Throws for a negative result of {@code call}, reading errno; returns the result otherwise. */
    public static int check(String call, int result) throws IOException {
        if (result < 0) throw exception(call, Native.errno());
        return result;
    }

    /** As {@link #check(String, int)} for calls returning ssize_t or a pointer. */
    public static long check(String call, long result) throws IOException {
        if (result < 0) throw exception(call, Native.errno());
        return result;
    }
}
