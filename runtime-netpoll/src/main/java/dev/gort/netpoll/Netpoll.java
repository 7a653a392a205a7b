package dev.gort.netpoll;

import dev.gort.netpoll.epoll.EpollPoller;
import dev.gort.netpoll.ffi.Layouts;
import dev.gort.netpoll.ffi.Native;
import dev.gort.netpoll.kqueue.KqueuePoller;
import dev.gort.netpoll.uring.IoUringPoller;
import dev.gort.sched.Scheduler;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The process's network poller: chosen and started at the first socket (Go's netpollinit via
 * netpollGenericInit), then shared by every socket.
 *
 * <p>Selection ({@link #select}): {@code -Dgort.netpoll=epoll|uring|kqueue} forces one (and
 * fails loudly if it cannot start; io_uring is probed first: a ring is set up and a multishot
 * poll round-trips, and a container's seccomp filter or {@code kernel.io_uring_disabled} refuses
 * it with EPERM/ENOSYS); otherwise epoll on Linux, kqueue on macOS/BSD. io_uring is not the
 * default where the kernel allows it, because it measures slower than epoll on W8: each batch of
 * completions runs as task_work of the thread that submitted the polls, which is woken for it
 * (io_uring's owner thread; docs/DESIGN.md, "epoll is the default, io_uring an option").
 * {@link #fallbackReason()} says so when no driver was forced.
 */
public final class Netpoll {
    private static volatile Netpoll instance;

    final Poller poller;
    /** Goroutines parked in a PollDesc (Go's netpollWaiters). */
    final AtomicInteger waiters = new AtomicInteger();
    /** Descriptors registered and not yet closed, and registrations in progress (see {@link #shutdownIfUnused}). */
    private final AtomicInteger open = new AtomicInteger();
    /** Set by {@link #shutdownIfUnused} while it decides; true for good once the poller is closed. */
    private volatile boolean closing;
    private final AtomicInteger seqGen = new AtomicInteger();
    private final String fallbackReason;

    private Netpoll(Poller poller, String fallbackReason) {
        this.poller = poller;
        this.fallbackReason = fallbackReason;
    }

    /** The poller, started on first use. */
    public static Netpoll get() {
        Netpoll n = instance;
        return n != null ? n : start();
    }

    /** The poller if started, else null (the scheduler's hook must not start it). */
    static Netpoll current() {
        return instance;
    }

    private static synchronized Netpoll start() {
        if (instance == null) {
            Scheduler s = Scheduler.get();
            if (s.netpollDriver() == null) {
                throw new IllegalStateException("gort: the scheduler runs without a network poller (-Dgort.netpoll=none, or "
                    + "runtime-netpoll's service entry is not visible to runtime-core's class loader): goroutine sockets cannot work");
            }
            try {
                Layouts.check();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            String[] why = new String[1];
            Poller p = select(System.getProperty("gort.netpoll", ""), why);
            instance = new Netpoll(p, why[0]);
        }
        return instance;
    }

    /** Chooses and opens a poller; why[0] gets the reason io_uring was not used, if it was not. */
    static Poller select(String forced, String[] why) {
        try {
            switch (forced) {
                case "epoll":
                    return new EpollPoller();
                case "uring", "io_uring":
                    String refused = IoUringPoller.probe();
                    if (refused != null) throw new IOException("io_uring refused here: " + refused);
                    IoUringPoller u = new IoUringPoller();
                    why[0] = u.degraded(); // null unless the kernel refused SINGLE_ISSUER | DEFER_TASKRUN or buffer rings
                    return u;
                case "kqueue":
                    return new KqueuePoller();
                case "":
                    break;
                default:
                    throw new IllegalArgumentException("gort.netpoll must be epoll, uring, kqueue or none, got \"" + forced + "\"");
            }
            if (Native.BSD) return new KqueuePoller();
            why[0] = NOT_DEFAULT;
            return new EpollPoller();
        } catch (IOException e) {
            throw new UncheckedIOException("gort: cannot start the " + (forced.isEmpty() ? "network" : forced) + " poller", e);
        }
    }

    /** {@link #fallbackReason()} when no driver was forced on Linux. */
    static final String NOT_DEFAULT = "not the default: io_uring measured slower than epoll on W8 "
        + "(docs/DESIGN.md); -Dgort.netpoll=uring selects it";

    /**
     * Why io_uring is not in use (null if it is, or if a driver was forced), or, with io_uring
     * forced, why it runs without SINGLE_ISSUER | DEFER_TASKRUN (null if it has them).
     */
    public String fallbackReason() {
        return fallbackReason;
    }

    /** The name of the driver in use. */
    public String driverName() {
        return poller.name();
    }

    /**
     * A new descriptor, registered with {@code n}, or with the running poller if {@code n} was
     * closed meanwhile ({@link #shutdownIfUnused}). The registration counts itself in
     * {@link #open} (an atomic increment: a full fence), then reads {@link #closing}; the closer
     * writes closing, fences, then reads open. Either the closer sees the registration and keeps
     * the poller, or the registration sees closing and moves on (waiting on the class's monitor,
     * which the closer holds, for its decision).
     */
    static PollDesc open(Netpoll n, int fd) throws IOException {
        for (;;) {
            n.open.incrementAndGet();
            if (!n.closing) break;
            n.open.decrementAndGet();
            synchronized (Netpoll.class) {
                n = get();
            }
        }
        try {
            // 30 bits: io_uring's user_data is seq << 32 | fd with the top two bits as tags
            PollDesc pd = new PollDesc(n, fd, n.seqGen.incrementAndGet() & 0x3fffffff);
            n.poller.register(pd);
            return pd;
        } catch (IOException | RuntimeException | Error e) {
            n.open.decrementAndGet();
            throw e;
        }
    }

    void closeDesc(PollDesc pd) {
        try {
            poller.deregister(pd);
        } finally {
            open.decrementAndGet();
        }
    }

    /**
     * The scheduler stopped (Go.shutdown): closes the poller, its file descriptors and its thread
     * (io_uring's owner), and ends the socket cleaner's thread, if no descriptor is registered; the next socket starts a new one. A
     * poller with open descriptors (sockets still in use, by platform threads or by the next
     * runtime's goroutines) is kept. See {@link #open(Netpoll, int)} for the race with a new
     * registration.
     */
    static synchronized void shutdownIfUnused() {
        Netpoll n = instance;
        if (n == null) return;
        n.closing = true;
        java.lang.invoke.VarHandle.fullFence(); // closing before the read of open: see open(Netpoll, int)
        if (n.open.get() != 0) {
            n.closing = false;
            return;
        }
        instance = null;
        n.poller.close();
        SocketCleaner.stopIfIdle(); // no descriptor open: no socket is registered with it either
    }
}
