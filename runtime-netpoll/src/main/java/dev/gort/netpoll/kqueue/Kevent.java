package dev.gort.netpoll.kqueue;

import static dev.gort.netpoll.ffi.Layouts.KEVENT_DATA;
import static dev.gort.netpoll.ffi.Layouts.KEVENT_FFLAGS;
import static dev.gort.netpoll.ffi.Layouts.KEVENT_FILTER;
import static dev.gort.netpoll.ffi.Layouts.KEVENT_FLAGS;
import static dev.gort.netpoll.ffi.Layouts.KEVENT_IDENT;
import static dev.gort.netpoll.ffi.Layouts.KEVENT_SIZE;
import static dev.gort.netpoll.ffi.Layouts.KEVENT_UDATA;

import org.agrona.concurrent.UnsafeBuffer;

/**
 * Encoding of {@code struct kevent} (64-bit macOS/BSD; the layout is in
 * {@link dev.gort.netpoll.ffi.Layouts}) and the kqueue constants Gort uses. Pure Java, so that it
 * is unit-tested on Linux, where kqueue itself cannot run.
 */
public final class Kevent {
    private Kevent() {}

    public static final short EVFILT_READ = -1, EVFILT_WRITE = -2;
    /** macOS: -10; FreeBSD/DragonFly: -11; OpenBSD has none (Gort then wakes through a pipe: not done). */
    public static final short EVFILT_USER = dev.gort.netpoll.ffi.Native.OS == jnr.ffi.Platform.OS.DARWIN ? (short) -10 : (short) -11;
    public static final int EV_ADD = 0x1, EV_DELETE = 0x2, EV_ENABLE = 0x4, EV_DISABLE = 0x8, EV_CLEAR = 0x20,
        EV_RECEIPT = 0x40, EV_ERROR = 0x4000, EV_EOF = 0x8000;
    public static final int NOTE_TRIGGER = 0x01000000;

    /** Writes event i of an array at buf. */
    public static void put(UnsafeBuffer buf, int i, long ident, short filter, int flags, int fflags, long data, long udata) {
        int o = i * KEVENT_SIZE;
        buf.putLong(o + KEVENT_IDENT, ident);
        buf.putShort(o + KEVENT_FILTER, filter);
        buf.putShort(o + KEVENT_FLAGS, (short) flags);
        buf.putInt(o + KEVENT_FFLAGS, fflags);
        buf.putLong(o + KEVENT_DATA, data);
        buf.putLong(o + KEVENT_UDATA, udata);
    }

    public static long ident(UnsafeBuffer buf, int i) {
        return buf.getLong(i * KEVENT_SIZE + KEVENT_IDENT);
    }

    public static short filter(UnsafeBuffer buf, int i) {
        return buf.getShort(i * KEVENT_SIZE + KEVENT_FILTER);
    }

    public static int flags(UnsafeBuffer buf, int i) {
        return buf.getShort(i * KEVENT_SIZE + KEVENT_FLAGS) & 0xffff;
    }

    public static int fflags(UnsafeBuffer buf, int i) {
        return buf.getInt(i * KEVENT_SIZE + KEVENT_FFLAGS);
    }

    public static long data(UnsafeBuffer buf, int i) {
        return buf.getLong(i * KEVENT_SIZE + KEVENT_DATA);
    }

    public static long udata(UnsafeBuffer buf, int i) {
        return buf.getLong(i * KEVENT_SIZE + KEVENT_UDATA);
    }

    /** The udata Gort stores for a descriptor: its sequence number and fd (as epoll's data word). */
    public static long udataFor(int fd, int seq) {
        return (long) seq << 32 | (fd & 0xffffffffL);
    }

    /** struct timespec { time_t tv_sec; long tv_nsec; } (16 bytes) at offset o. */
    public static void putTimespec(UnsafeBuffer buf, int o, long nanos) {
        buf.putLong(o, nanos / 1_000_000_000L);
        buf.putLong(o + 8, nanos % 1_000_000_000L);
    }
}
