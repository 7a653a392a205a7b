package dev.gort.netpoll;

import dev.gort.sched.G;
import java.io.IOException;
import java.util.List;

/**
 * One OS readiness mechanism (Go's per-OS netpoll files: {@code netpollinit}, {@code
 * netpollopen}, {@code netpollclose}, {@code netpoll(delay)}, {@code netpollBreak}). An
 * implementation is a small class that does only this list; {@link PollDesc} holds the state
 * machine shared by all of them.
 *
 * <ul>
 *   <li>{@link #register}: once per descriptor, for its lifetime, both directions,
 *       edge-triggered (epoll EPOLLET, kqueue EV_CLEAR, io_uring multishot poll).</li>
 *   <li>{@link #poll}: {@code timeoutNanos < 0} blocks, {@code 0} does not, {@code > 0} at most
 *       that long; for each readiness event calls {@link PollDesc#ready} and adds the goroutines
 *       it returns to {@code out}. Thread-safe: one blocking poll may run with concurrent
 *       non-blocking ones, which may return nothing while the poller is busy.</li>
 *   <li>{@link #wakeup}: makes a blocking poll return (an eventfd write, an EVFILT_USER
 *       trigger, an io_uring NOP); collapsed while one is pending.</li>
 * </ul>
 */
public interface Poller extends AutoCloseable {
    /** "epoll", "io_uring", "kqueue". */
    String name();

    void register(PollDesc pd) throws IOException;

    /** Before the descriptor is closed. Events for it that were already queued are ignored (sequence check). */
    void deregister(PollDesc pd);

    void poll(long timeoutNanos, List<G> out);

    void wakeup();

    /**
     * Goroutines this poller has readied (taken out of their {@link PollDesc}, so no longer
     * counted as waiters) but not yet returned by {@link #poll}: a driver whose own thread
     * reaps events (io_uring's owner) must say so, or the scheduler could stop polling.
     */
    default boolean hasPending() {
        return false;
    }

    /**
     * Completion-mode receive, for drivers that have it (io_uring unless {@code
     * -Dgort.uring.recv=poll}): called by a reader (goroutine or platform thread) whose read
     * found the socket empty (EAGAIN), holding the socket's read lock; on the plain readiness
     * path, so a driver without it costs one call. If the driver takes over receiving for pd, it
     * sets {@link PollDesc#recvq} and returns true: from then on data arrives there and readers
     * never call read(2) on the socket again (that would take data out of order). Arming only
     * when the socket is empty keeps the order: nothing is left behind in the socket.
     *
     * @return false (the default, and io_uring's answer to a platform thread, which could not
     *         wait for the queue as cheaply as it waits in poll(2)): the reader waits for
     *         readiness and calls read(2) as before
     */
    default boolean armRecv(PollDesc pd) {
        return false;
    }

    @Override
    void close();
}
