package dev.gort.sched;

import java.util.List;

/**
 * The network poller as the scheduler sees it: Go's per-OS netpoll contract ({@code netpoll.go}:
 * {@code netpoll(delay)}, {@code netpollBreak}, {@code netpollAnyWaiters}), as a service found
 * with {@link java.util.ServiceLoader} when the scheduler starts. Core ships no implementation;
 * {@code runtime-netpoll} provides one. Without a provider (or with {@code -Dgort.netpoll=none})
 * the scheduler makes no poll calls and idle carriers sleep on timers only ({@code Polling} is the
 * scheduler's side of this contract).
 *
 * <h2>How the scheduler uses it</h2>
 * <ul>
 *   <li>{@code findRunnable}, after the local and global queues and before stealing:
 *       {@code poll(0, ..)} when {@link #hasWaiters()}; the goroutines it returns go into the
 *       caller's P (Go: {@code netpoll(0)} then {@code injectglist}).</li>
 *   <li>The one idle M that keeps the timers (the <em>timer sleeper</em>) blocks in
 *       {@code poll(until the earliest timer, ..)} instead of its timed park while
 *       {@link #hasWaiters()}; {@link #wakeup()} breaks that block when the M is handed a P
 *       ({@code M.wakeup}) or an earlier timer is armed ({@code addTimer}).</li>
 *   <li>sysmon polls ({@code poll(0)}) when nobody has for 10 ms and no M is blocked in it.</li>
 *   <li>Deadlock detection counts goroutines waiting for I/O as not asleep for good.</li>
 * </ul>
 *
 * <h2>Contract</h2>
 * Implementations must be thread-safe: a blocking poll may run while other threads poll with a
 * zero timeout (those may return nothing when the poller is busy), register descriptors and
 * call {@link #wakeup()}.
 */
public interface NetpollDriver {
    /** The driver in use ("epoll", "io_uring", "kqueue"), for metrics and schedtrace. */
    String name();

    /**
     * True while some goroutine waits for a descriptor of this poller (a cheap read). The
     * scheduler polls only then, so a program without sockets pays nothing.
     */
    boolean hasWaiters();

    /**
     * Waits for I/O readiness and adds to {@code ready} every goroutine whose wait is over: each
     * already taken out of its poll descriptor (so nobody else readies it) and still WAITING; the
     * scheduler makes them runnable.
     *
     * @param timeoutNanos {@code < 0}: block until an event or {@link #wakeup()}; {@code 0}: do
     *     not block; {@code > 0}: block at most that long (or until an event or a wake-up)
     */
    void poll(long timeoutNanos, List<G> ready);

    /**
     * Makes a blocking {@link #poll} return soon (Go's {@code netpollBreak}); if none is in
     * progress, the next one returns at once. Cheap when called repeatedly.
     */
    void wakeup();

    /**
     * Called on each carrier thread as it starts, before it runs anything: the place to pin it to
     * a CPU ({@code -Dgort.affinity=true}). @return the carrier's cache group (an id shared by
     * carriers on CPUs with a common last-level cache), or -1 when unpinned or unknown; stealing
     * looks at Ps run by carriers of its own group first
     */
    default int carrierStarted(int carrierId) {
        return -1;
    }

    /**
     * The scheduler has stopped (Go.shutdown): release what the driver holds (file descriptors,
     * threads) if nothing uses it any more. Called once, after every carrier has ended; no
     * goroutine waits for I/O then. A driver whose descriptors are still open (sockets that
     * platform threads use, or that the next runtime will) may keep them.
     */
    default void shutdown() {
    }
}
