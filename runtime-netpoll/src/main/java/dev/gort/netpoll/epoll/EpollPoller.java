package dev.gort.netpoll.epoll;

import dev.gort.netpoll.PollDesc;
import dev.gort.netpoll.PollDescTable;
import dev.gort.netpoll.Poller;
import dev.gort.netpoll.ffi.Errno;
import dev.gort.netpoll.ffi.LibC;
import dev.gort.netpoll.ffi.Layouts;
import dev.gort.netpoll.ffi.Native;
import dev.gort.netpoll.ffi.NativeMemory;
import dev.gort.sched.G;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Linux epoll (Go's netpoll_epoll.go): every descriptor is added once, edge-triggered, for
 * reading and writing ({@code EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET}), so a socket costs one
 * {@code epoll_ctl} in its lifetime and none per wait. The event's 64-bit data word carries
 * {@code seq << 32 | fd} (see {@link PollDescTable}). An eventfd, registered level-triggered,
 * breaks a blocking {@code epoll_wait}; {@link #wakeSig} collapses wake-ups while one is pending
 * (Go's netpollWakeSig): set by the first waker, cleared by the poll that drains the eventfd.
 * Only a blocking poll drains it (as Go): a non-blocking poll that happens to see the wake-up
 * must not consume it, or the blocked poller it was meant for would sleep on.
 *
 * <p>Concurrency: epoll_wait is thread-safe; each concurrent caller needs its own event array.
 * One array is for the blocking poll (only the scheduler's timer sleeper blocks), one for
 * non-blocking polls; a non-blocking poll that finds its array busy returns nothing (someone is
 * polling: Go skips netpoll(0) then too).
 */
public final class EpollPoller implements Poller {
    static final int EPOLLIN = 0x1, EPOLLOUT = 0x4, EPOLLERR = 0x8, EPOLLHUP = 0x10, EPOLLRDHUP = 0x2000;
    static final int EPOLLET = 1 << 31;
    static final int EPOLL_CTL_ADD = 1, EPOLL_CTL_DEL = 2;
    static final int EPOLL_CLOEXEC = 0x80000;
    static final int MAX_EVENTS = 128;
    private static final long WAKE_DATA = -1L;

    private static final LibC C = Native.C;
    private final int epfd;
    private final int eventfd;
    private final PollDescTable table = new PollDescTable();
    private final AtomicBoolean wakeSig = new AtomicBoolean();
    private final NativeMemory blockingEvents = new NativeMemory(MAX_EVENTS * Layouts.EPOLL_EVENT_SIZE);
    private final NativeMemory nonBlockingEvents = new NativeMemory(MAX_EVENTS * Layouts.EPOLL_EVENT_SIZE);
    private final AtomicBoolean blockingBusy = new AtomicBoolean();
    private final AtomicBoolean nonBlockingBusy = new AtomicBoolean();
    /** For epoll_ctl (one call at a time: registration is not on a hot path). */
    private final NativeMemory ctl = new NativeMemory(Layouts.EPOLL_EVENT_SIZE);
    private final NativeMemory eventfdBuf = new NativeMemory(8);

    public EpollPoller() throws IOException {
        if (!Native.LINUX) throw new IOException("epoll is Linux only (this is " + Native.OS + ")");
        epfd = Errno.check("epoll_create1", C.epoll_create1(EPOLL_CLOEXEC));
        int efd = C.eventfd(0, Native.EFD_NONBLOCK | Native.EFD_CLOEXEC);
        if (efd < 0) {
            int e = Native.errno();
            C.close(epfd);
            throw Errno.exception("eventfd", e);
        }
        eventfd = efd;
        if (ctl(EPOLL_CTL_ADD, eventfd, EPOLLIN, WAKE_DATA) < 0) { // level-triggered: see poll
            int e = Native.errno();
            C.close(eventfd);
            C.close(epfd);
            throw Errno.exception("epoll_ctl", e);
        }
    }

    @Override
    public String name() {
        return "epoll";
    }

    private synchronized int ctl(int op, int fd, int events, long data) {
        ctl.view.putInt(0, events);
        ctl.view.putLong(Layouts.EPOLL_EVENT_DATA, data);
        return C.epoll_ctl(epfd, op, fd, ctl.address);
    }

    @Override
    public void register(PollDesc pd) throws IOException {
        table.put(pd);
        long data = (long) pd.seq << 32 | (pd.fd & 0xffffffffL);
        if (ctl(EPOLL_CTL_ADD, pd.fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, data) < 0) {
            int e = Native.errno();
            table.remove(pd);
            throw Errno.exception("epoll_ctl", e);
        }
    }

    @Override
    public void deregister(PollDesc pd) {
        table.remove(pd);
        ctl(EPOLL_CTL_DEL, pd.fd, 0, 0); // close() would drop it too; explicit, as Go does
    }

    @Override
    public void poll(long timeoutNanos, List<G> out) {
        boolean blocking = timeoutNanos != 0;
        AtomicBoolean busy = blocking ? blockingBusy : nonBlockingBusy;
        if (!busy.compareAndSet(false, true)) {
            if (!blocking) return;
            busy = nonBlockingBusy; // a second blocking caller (not expected): use the other array
            if (!busy.compareAndSet(false, true)) return;
        }
        NativeMemory events = busy == blockingBusy ? blockingEvents : nonBlockingEvents;
        try {
            int ms;
            if (timeoutNanos < 0) ms = -1;
            else if (timeoutNanos == 0) ms = 0;
            else ms = (int) Math.min(Integer.MAX_VALUE, Math.max(1, (timeoutNanos + 999_999) / 1_000_000));
            int n = C.epoll_wait(epfd, events.address, MAX_EVENTS, ms);
            if (n < 0) {
                int e = Native.errno();
                if (e == Errno.EINTR) return;
                throw new IllegalStateException("gort: epoll_wait failed: " + Errno.describe(e));
            }
            UnsafeBuffer v = events.view;
            for (int i = 0; i < n; i++) {
                int off = i * Layouts.EPOLL_EVENT_SIZE;
                int ev = v.getInt(off);
                long data = v.getLong(off + Layouts.EPOLL_EVENT_DATA);
                if (data == WAKE_DATA) {
                    if (blocking) drainWakeup();
                    continue;
                }
                PollDesc pd = table.get((int) data, (int) (data >>> 32));
                if (pd == null) continue; // stale: the descriptor was closed (and its fd maybe reused)
                boolean read = (ev & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0;
                boolean write = (ev & (EPOLLOUT | EPOLLHUP | EPOLLERR)) != 0;
                pd.ready(read, write, out);
            }
        } finally {
            busy.set(false);
        }
    }

    private void drainWakeup() {
        synchronized (eventfdBuf) {
            C.read(eventfd, eventfdBuf.address, 8);
        }
        wakeSig.set(false); // after the drain: a wake-up after this writes again
    }

    @Override
    public void wakeup() {
        if (!wakeSig.compareAndSet(false, true)) return; // one is pending
        synchronized (eventfdBuf) {
            eventfdBuf.view.putLong(0, 1);
            long r = C.write(eventfd, eventfdBuf.address, 8);
            if (r < 0 && Native.errno() != Errno.EAGAIN) {
                wakeSig.set(false);
                throw new IllegalStateException("gort: eventfd write failed: " + Errno.describe(Native.errno()));
            }
        }
    }

    @Override
    public void close() {
        C.close(eventfd);
        C.close(epfd);
    }
}
