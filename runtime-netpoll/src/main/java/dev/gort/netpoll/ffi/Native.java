package dev.gort.netpoll.ffi;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Platform;

/**
 * The loaded C library and the platform's constants (Linux, or BSD/macOS where the values
 * differ). Loading fails with one clear {@link UnsupportedOperationException} on a platform
 * Gort has no poller for.
 */
public final class Native {
    private Native() {}

    public static final Platform.OS OS = Platform.getNativePlatform().getOS();
    public static final boolean LINUX = OS == Platform.OS.LINUX;
    /** macOS and the BSDs: kqueue, sockaddr with a length byte, different constants. */
    public static final boolean BSD = OS == Platform.OS.DARWIN || OS == Platform.OS.FREEBSD
        || OS == Platform.OS.OPENBSD || OS == Platform.OS.NETBSD || OS == Platform.OS.DRAGONFLY;
    public static final boolean AARCH64 = Platform.getNativePlatform().getCPU() == Platform.CPU.AARCH64;

    private static final jnr.ffi.Runtime[] RUNTIME = new jnr.ffi.Runtime[1];
    public static final LibC C = load();

    private static LibC load() {
        if (!LINUX && !BSD) {
            throw new UnsupportedOperationException("gort: no network poller for " + OS + " (Linux and BSD/macOS only)");
        }
        LibC c = LibraryLoader.create(LibC.class).load("c");
        RUNTIME[0] = jnr.ffi.Runtime.getRuntime(c);
        return c;
    }

    /** errno of this thread's last failed call (saved by JNR right after the call). */
    public static int errno() {
        return RUNTIME[0].getLastError();
    }

    // ---- socket constants
    public static final int AF_INET = 2;
    public static final int AF_INET6 = LINUX ? 10 : OS == Platform.OS.DARWIN ? 30 : 28;
    public static final int SOCK_STREAM = 1;
    /** Linux: socket()/accept4() flags; elsewhere 0 and fcntl is used. */
    public static final int SOCK_NONBLOCK = LINUX ? 0x800 : 0;
    public static final int SOCK_CLOEXEC = LINUX ? 0x80000 : 0;
    public static final int SOL_SOCKET = LINUX ? 1 : 0xffff;
    public static final int SO_REUSEADDR = LINUX ? 2 : 0x4;
    public static final int SO_REUSEPORT = LINUX ? 15 : 0x200;
    public static final int SO_ERROR = LINUX ? 4 : 0x1007;
    public static final int SO_RCVBUF = LINUX ? 8 : 0x1002;
    public static final int SO_SNDBUF = LINUX ? 7 : 0x1001;
    public static final int SO_KEEPALIVE = LINUX ? 9 : 0x8;
    public static final int SO_LINGER = LINUX ? 13 : 0x80;
    public static final int IPPROTO_TCP = 6;
    public static final int IPPROTO_IPV6 = 41;
    public static final int IPV6_V6ONLY = LINUX ? 26 : 27;
    public static final int TCP_NODELAY = 1;
    public static final int SHUT_RD = 0, SHUT_WR = 1, SHUT_RDWR = 2;
    public static final int F_GETFL = 3, F_SETFL = 4;
    public static final int O_NONBLOCK = LINUX ? 0x800 : 0x4;
    public static final int F_SETFD = 2, FD_CLOEXEC = 1;
    /** eventfd(2) flags (Linux). */
    public static final int EFD_NONBLOCK = 0x800, EFD_CLOEXEC = 0x80000;
    /** poll(2) events. */
    public static final short POLLIN = 0x1, POLLOUT = 0x4, POLLERR = 0x8, POLLHUP = 0x10;
    /** Linux send(2)/recv(2) flag: no SIGPIPE (the JVM ignores SIGPIPE anyway). */
    public static final int MSG_NOSIGNAL = 0x4000;

    // ---- mmap
    public static final int PROT_READ = 1, PROT_WRITE = 2;
    public static final int MAP_SHARED = 1, MAP_PRIVATE = 2, MAP_ANONYMOUS = 0x20, MAP_POPULATE = 0x8000;
    public static final long MAP_FAILED = -1L;

    // ---- syscall numbers (Linux; the io_uring ones are the same on every architecture)
    public static final long SYS_IO_URING_SETUP = 425, SYS_IO_URING_ENTER = 426, SYS_IO_URING_REGISTER = 427;
    public static final long SYS_MMAP = AARCH64 ? 222 : 9, SYS_MUNMAP = AARCH64 ? 215 : 11;

    /**
     * mmap(2) through syscall(2). The JNR binding of libc's {@code mmap} returned EINVAL even for
     * an anonymous private mapping on this JDK/JNR (2.2.17) combination, while the same arguments
     * through syscall(2) work: so Gort maps memory this way. @return the address, or -1 (errno set)
     */
    public static long mmap(long addr, long length, int prot, int flags, int fd, long offset) {
        return C.syscall(SYS_MMAP, addr, length, prot, flags, fd, offset);
    }

    public static int munmap(long addr, long length) {
        return (int) C.syscall(SYS_MUNMAP, addr, length, 0, 0, 0, 0);
    }
}
