/**
 * The Linux io_uring poller, in readiness mode (multishot POLL_ADD): raw syscalls, rings mapped
 * and read through Agrona buffers with acquire/release ordering; see
 * {@link dev.gort.netpoll.uring.IoUringPoller} for the ring protocol and
 * {@link dev.gort.netpoll.uring.IoUringLayout} for the ABI.
 */
package dev.gort.netpoll.uring;
