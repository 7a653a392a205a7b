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

    /** A new descriptor, registered with the poller. */
    PollDesc open(int fd) throws IOException {
        // 30 bits: io_uring's user_data is seq << 32 | fd with the top two bits as tags
        PollDesc pd = new PollDesc(this, fd, seqGen.incrementAndGet() & 0x3fffffff);
        poller.register(pd);
        return pd;
    }

    void closeDesc(PollDesc pd) {
        poller.deregister(pd);
    }
}
