package dev.gort.netpoll.ffi;

import java.io.IOException;

/**
 * The kernel structs Gort reads and writes by offset, with their C definitions, and the
 * start-up check that the kernel agrees ({@link #check()}, run once by the first poller).
 *
 * <h2>struct epoll_event</h2>
 * <pre>
 * typedef union epoll_data { void *ptr; int fd; uint32_t u32; uint64_t u64; } epoll_data_t;
 * struct epoll_event {
 *     uint32_t     events;   // at 0
 *     epoll_data_t data;     // at 4 on x86_64 (the struct is __attribute__((packed)): 12 bytes),
 * };                         // at 8 elsewhere, e.g. aarch64 (16 bytes)
 * </pre>
 *
 * <h2>struct kevent (64-bit BSD/macOS)</h2>
 * <pre>
 * struct kevent {
 *     uintptr_t ident;   // at 0  (8)
 *     int16_t   filter;  // at 8  (2)
 *     uint16_t  flags;   // at 10 (2)
 *     uint32_t  fflags;  // at 12 (4)
 *     intptr_t  data;    // at 16 (8)
 *     void     *udata;   // at 24 (8)
 * };                     // 32 bytes (FreeBSD 12+ appends uint64_t ext[4]: 64 bytes; Gort uses
 *                        // the macOS / OpenBSD / NetBSD 32-byte layout and kevent, not kevent64)
 * </pre>
 * <h2>struct pollfd</h2>
 * <pre>struct pollfd { int fd; short events; short revents; };   // 8 bytes: an int[2] on a little-endian CPU</pre>
 * io_uring's structs are in {@code dev.gort.netpoll.uring.IoUringLayout}.
 */
public final class Layouts {
    private Layouts() {}

    public static final int EPOLL_EVENT_SIZE = Native.AARCH64 || !isX86() ? 16 : 12;
    public static final int EPOLL_EVENT_DATA = Native.AARCH64 || !isX86() ? 8 : 4;

    public static final int KEVENT_SIZE = 32;
    public static final int KEVENT_IDENT = 0, KEVENT_FILTER = 8, KEVENT_FLAGS = 10, KEVENT_FFLAGS = 12,
        KEVENT_DATA = 16, KEVENT_UDATA = 24;

    private static boolean isX86() {
        return jnr.ffi.Platform.getNativePlatform().getCPU() == jnr.ffi.Platform.CPU.X86_64;
    }

    private static volatile boolean checked;

    /**
     * Checks the layouts against the running kernel (Linux): getsockname must return the
     * sockaddr_in / sockaddr_in6 sizes, and an epoll_event written by the kernel must carry our
     * data at {@link #EPOLL_EVENT_DATA} and end at {@link #EPOLL_EVENT_SIZE} (the byte after it
     * untouched). Throws {@link IllegalStateException} naming the mismatch.
     */
    public static void check() throws IOException {
        if (checked || !Native.LINUX) return;
        LibC c = Native.C;
        // sockaddr_in
        checkSockaddr(Native.AF_INET, SockAddr.SIZEOF_SOCKADDR_IN);
        checkSockaddr(Native.AF_INET6, SockAddr.SIZEOF_SOCKADDR_IN6);
        // epoll_event: an eventfd made readable, its event read back with a known data word.
        int ep = Errno.check("epoll_create1", c.epoll_create1(0x80000));
        int efd = -1;
        try {
            efd = Errno.check("eventfd", c.eventfd(1, Native.EFD_CLOEXEC | Native.EFD_NONBLOCK)); // counter 1: readable
            NativeMemory ev = new NativeMemory(2 * EPOLL_EVENT_SIZE + 8);
            long data = 0x1122334455667788L;
            ev.view.putInt(0, 0x1); // EPOLLIN
            ev.view.putLong(EPOLL_EVENT_DATA, data);
            Errno.check("epoll_ctl", c.epoll_ctl(ep, 1, efd, ev.address));
            ev.view.setMemory(0, ev.size, (byte) 0x5a);
            int n = Errno.check("epoll_wait", c.epoll_wait(ep, ev.address, 1, 1000));
            if (n != 1 || (ev.view.getInt(0) & 1) == 0 || ev.view.getLong(EPOLL_EVENT_DATA) != data
                || ev.view.getByte(EPOLL_EVENT_SIZE) != 0x5a) {
                throw new IllegalStateException("gort: struct epoll_event is not " + EPOLL_EVENT_SIZE
                    + " bytes with data at " + EPOLL_EVENT_DATA + " on this machine");
            }
        } finally {
            if (efd >= 0) c.close(efd);
            c.close(ep);
        }
        checked = true;
    }

    private static void checkSockaddr(int family, int expected) throws IOException {
        LibC c = Native.C;
        int fd = c.socket(family, Native.SOCK_STREAM | Native.SOCK_CLOEXEC, 0);
        if (fd < 0) {
            int e = Native.errno();
            if (family == Native.AF_INET6) return; // IPv6 disabled here: nothing to check
            throw Errno.exception("socket", e);
        }
        try {
            byte[] b = new byte[128];
            int[] len = {b.length};
            Errno.check("getsockname", c.getsockname(fd, b, len));
            if (len[0] != expected || SockAddr.familyOf(b) != family) {
                throw new IllegalStateException("gort: sockaddr for family " + family + " is " + len[0]
                    + " bytes (family field " + SockAddr.familyOf(b) + "), expected " + expected);
            }
        } finally {
            c.close(fd);
        }
    }
}
