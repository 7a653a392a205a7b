/**
 * The network poller and goroutine sockets (docs/DESIGN.md, section 7): a goroutine that reads a socket with
 * no data parks, and its carrier runs other goroutines; the poller wakes it when the kernel says
 * the socket is ready. Go's netpoll, on the JVM.
 *
 * <h2>Glossary</h2>
 * <ul>
 *   <li><b>Poller</b> ({@link dev.gort.netpoll.Poller}): one OS mechanism: epoll, io_uring or
 *       kqueue. Small classes that implement only Go's per-OS contract (init, open, close,
 *       poll(delay), break).</li>
 *   <li><b>PollDesc</b> ({@link dev.gort.netpoll.PollDesc}): per descriptor, a reader and a writer
 *       slot with Go's pdNil / pdReady / pdWait / G state machine, deadlines, close.</li>
 *   <li><b>NetpollDriver</b> ({@code dev.gort.sched.NetpollDriver}, in core): how the scheduler
 *       sees the poller; {@link dev.gort.netpoll.NetpollService} is the ServiceLoader provider.</li>
 *   <li><b>NetFd</b>: a socket descriptor with the reference count that keeps close from racing
 *       a call in progress (Go's fdMutex).</li>
 * </ul>
 *
 * <h2>The problem</h2>
 * Thousands of connections, each served by straight-line blocking code in its own goroutine,
 * on a handful of carriers, with no carrier ever blocked on a socket, no readiness event lost
 * between "the read said EAGAIN" and "the goroutine is parked", and no cost for programs that
 * never open a socket.
 *
 * <h2>Approaches not taken</h2>
 * <ul>
 *   <li>java.nio Selector: one more layer (its own locks, key sets, and wake-up pipe) between the
 *       scheduler and epoll, and no io_uring.</li>
 *   <li>A poller thread of its own: every readiness event would cost a thread hand-off. Instead
 *       the scheduler's idle carrier blocks in the poller (Go's design), and busy carriers poll
 *       without blocking when they run out of work.</li>
 *   <li>Level-triggered registration (one epoll_ctl per wait): a syscall per park.</li>
 *   <li>Completion-mode io_uring for everything (RECV/SEND/ACCEPT): readiness mode keeps one
 *       PollDesc contract for all three pollers. Only receiving has a completion mode, under
 *       io_uring (its default there; {@code -Dgort.uring.recv=poll} turns it off): a multishot
 *       RECV into provided buffers feeds a {@link dev.gort.netpoll.RecvQueue}, and the reader
 *       still waits in its PollDesc. See docs/DESIGN.md, section 7.</li>
 * </ul>
 *
 * <h2>Chosen approach</h2>
 * Non-blocking sockets registered once, edge-triggered, for both directions. A read that gets
 * EAGAIN waits in its PollDesc: the goroutine CASes its slot to WAIT and parks; the commit, run by
 * the carrier after the unmount, CASes WAIT to itself, and fails (cancelling the park) if the
 * poller made the slot READY meanwhile. The poller CASes a parked G out of its slot and hands it
 * to the scheduler, which injects the batch into a run queue. A platform thread calling the same
 * socket blocks in poll(2) on the descriptor.
 *
 * <h2>Invariants</h2>
 * <ul>
 *   <li>At most one goroutine waits per direction of a descriptor (NetFd's read and write locks);
 *       a second is a bug and throws "double wait".</li>
 *   <li>A parked goroutine is readied exactly once: by whoever wins the CAS that takes it out of
 *       its slot (poller, deadline timer, or close).</li>
 *   <li>A descriptor is closed only when no call is inside it; its events after that are
 *       recognised as stale by a sequence number and ignored.</li>
 *   <li>Completion-mode receive: once a socket's RecvQueue exists, data is read from the socket
 *       with read(2) only while no RECV is armed and nothing is queued, and a RECV is armed only
 *       by the reader after read(2) found the socket empty: bytes come out in arrival order.
 *       Every provided buffer is given back exactly once (by the reader, by close, or by the
 *       owner for a socket already closed).</li>
 *   <li>Gort's scratch memory is never per-thread: a goroutine may resume on another carrier
 *       after any park, so native buffers are owned by the socket, the poller or the caller.</li>
 * </ul>
 */
package dev.gort.netpoll;
