package dev.gort.netpoll.kqueue;

import static dev.gort.netpoll.kqueue.Kevent.*;

import dev.gort.netpoll.PollDesc;
import dev.gort.netpoll.PollDescTable;
import dev.gort.netpoll.Poller;
import dev.gort.netpoll.ffi.Errno;
import dev.gort.netpoll.ffi.Layouts;
import dev.gort.netpoll.ffi.LibC;
import dev.gort.netpoll.ffi.Native;
import dev.gort.netpoll.ffi.NativeMemory;
import dev.gort.sched.G;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * kqueue (macOS, FreeBSD, NetBSD, DragonFly; Go's netpoll_kqueue.go): each descriptor gets an
 * EVFILT_READ and an EVFILT_WRITE filter with {@code EV_ADD | EV_CLEAR} (edge-triggered) once,
 * with udata {@code seq << 32 | fd}; closing the descriptor removes them. An EVFILT_USER event
 * (ident 0), triggered with NOTE_TRIGGER, breaks a blocking kevent. It is registered without
 * EV_CLEAR, so it stays triggered until a blocking poll resets it (EV_DELETE then EV_ADD):
 * a non-blocking poll that sees it leaves it for the blocked poller it was meant for (as Go).
 *
 * <p>Selected only on macOS/BSD. On Linux it is compiled and its encoding is unit-tested
 * ({@code KqueueLayoutTest}); it has not run on a BSD in this project yet.
 */
public final class KqueuePoller implements Poller {
    private static final LibC C = Native.C;
    private static final int MAX_EVENTS = 128;
    private static final long WAKE_IDENT = 0;

    private final int kq;
    private final PollDescTable table = new PollDescTable();
    private final AtomicBoolean wakeSig = new AtomicBoolean();
    private final NativeMemory blockingEvents = new NativeMemory(MAX_EVENTS * Layouts.KEVENT_SIZE + 16);
    private final NativeMemory nonBlockingEvents = new NativeMemory(MAX_EVENTS * Layouts.KEVENT_SIZE + 16);
    private final AtomicBoolean blockingBusy = new AtomicBoolean();
    private final AtomicBoolean nonBlockingBusy = new AtomicBoolean();
    private final NativeMemory changes = new NativeMemory(2 * Layouts.KEVENT_SIZE);

    public KqueuePoller() throws IOException {
        if (!Native.BSD) throw new IOException("kqueue needs macOS or a BSD (this is " + Native.OS + ")");
        kq = Errno.check("kqueue", C.kqueue());
        C.fcntl(kq, Native.F_SETFD, Native.FD_CLOEXEC);
        synchronized (changes) {
            put(changes.view, 0, WAKE_IDENT, EVFILT_USER, EV_ADD, 0, 0, 0);
            if (C.kevent(kq, changes.address, 1, 0, 0, 0) < 0) {
                int e = Native.errno();
                C.close(kq);
                throw Errno.exception("kevent(EVFILT_USER)", e);
            }
        }
    }

    @Override
    public String name() {
        return "kqueue";
    }

    @Override
    public void register(PollDesc pd) throws IOException {
        table.put(pd);
        long udata = udataFor(pd.fd, pd.seq);
        synchronized (changes) {
            put(changes.view, 0, pd.fd, EVFILT_READ, EV_ADD | EV_CLEAR, 0, 0, udata);
            put(changes.view, 1, pd.fd, EVFILT_WRITE, EV_ADD | EV_CLEAR, 0, 0, udata);
            if (C.kevent(kq, changes.address, 2, 0, 0, 0) < 0) {
                int e = Native.errno();
                table.remove(pd);
                throw Errno.exception("kevent", e);
            }
        }
    }

    @Override
    public void deregister(PollDesc pd) {
        table.remove(pd); // close(2) drops the filters
    }

    @Override
    public void wakeup() {
        if (!wakeSig.compareAndSet(false, true)) return;
        synchronized (changes) {
            put(changes.view, 0, WAKE_IDENT, EVFILT_USER, 0, NOTE_TRIGGER, 0, 0);
            C.kevent(kq, changes.address, 1, 0, 0, 0);
        }
    }

    private void resetWakeup() {
        synchronized (changes) {
            put(changes.view, 0, WAKE_IDENT, EVFILT_USER, EV_DELETE, 0, 0, 0);
            put(changes.view, 1, WAKE_IDENT, EVFILT_USER, EV_ADD, 0, 0, 0);
            C.kevent(kq, changes.address, 2, 0, 0, 0);
        }
        wakeSig.set(false);
    }

    @Override
    public void poll(long timeoutNanos, List<G> out) {
        boolean blocking = timeoutNanos != 0;
        AtomicBoolean busy = blocking ? blockingBusy : nonBlockingBusy;
        if (!busy.compareAndSet(false, true)) return;
        NativeMemory events = blocking ? blockingEvents : nonBlockingEvents;
        try {
            UnsafeBuffer v = events.view;
            int tsOff = MAX_EVENTS * Layouts.KEVENT_SIZE;
            long ts = 0;
            if (timeoutNanos >= 0) {
                putTimespec(v, tsOff, timeoutNanos);
                ts = events.address + tsOff;
            }
            int n = C.kevent(kq, 0, 0, events.address, MAX_EVENTS, ts);
            if (n < 0) {
                int e = Native.errno();
                if (e == Errno.EINTR) return;
                throw new IllegalStateException("gort: kevent failed: " + Errno.describe(e));
            }
            for (int i = 0; i < n; i++) {
                short filter = filter(v, i);
                if (filter == EVFILT_USER) {
                    if (blocking) resetWakeup();
                    continue;
                }
                long ud = udata(v, i);
                PollDesc pd = table.get((int) ud, (int) (ud >>> 32));
                if (pd == null) continue;
                boolean err = (flags(v, i) & (EV_EOF | EV_ERROR)) != 0;
                pd.ready(filter == EVFILT_READ || err, filter == EVFILT_WRITE || err, out);
            }
        } finally {
            busy.set(false);
        }
    }

    @Override
    public void close() {
        C.close(kq);
    }
}
