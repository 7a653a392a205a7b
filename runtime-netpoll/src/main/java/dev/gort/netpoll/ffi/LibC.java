package dev.gort.netpoll.ffi;

import jnr.ffi.annotations.IgnoreError;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.annotations.SaveError;

/**
 * The C library calls Gort makes, bound with JNR-FFI. Large buffers are passed as {@code long}
 * addresses of native memory Gort owns ({@link NativeMemory}); the application's buffers go
 * through {@link SegmentIo} instead (FFM: checked, kept alive, never the Java heap). Small structs (sockaddr, option
 * values, lengths) are Java arrays that JNR copies in and out: no thread-local scratch memory,
 * which a goroutine could not use safely across a park (it may resume on another carrier).
 * Every call that can fail saves {@code errno} (read with {@link Native#errno()}); see
 * {@link Errno} for how failures become exceptions.
 *
 * <p>Not public API: use {@code dev.gort.netpoll.GoSocket} and friends.
 */
@SaveError
public interface LibC {
    // ---- sockets
    int socket(int domain, int type, int protocol);
    int bind(int fd, @In byte[] addr, int addrLen);
    int listen(int fd, int backlog);
    /** Linux only (BSD/macOS: {@link #accept} then fcntl). */
    int accept4(int fd, long addr, long addrLenPtr, int flags);
    int accept(int fd, long addr, long addrLenPtr);
    int connect(int fd, @In byte[] addr, int addrLen);
    long read(int fd, long buf, long count);
    long write(int fd, long buf, long count);
    long readv(int fd, long iov, int iovcnt);
    long writev(int fd, long iov, int iovcnt);
    int close(int fd);
    int shutdown(int fd, int how);
    int setsockopt(int fd, int level, int name, @In int[] value, int len);
    int getsockopt(int fd, int level, int name, @Out int[] value, int[] lenPtr);
    int getsockname(int fd, @Out byte[] addr, int[] addrLenPtr);
    int getpeername(int fd, @Out byte[] addr, int[] addrLenPtr);
    int fcntl(int fd, int cmd, int arg);
    /** struct pollfd { int fd; short events; short revents; } (8 bytes): a platform thread's wait. */
    int poll(int[] fds, long nfds, int timeoutMillis);

    // ---- epoll (Linux)
    int epoll_create1(int flags);
    int epoll_ctl(int epfd, int op, int fd, long event);
    int epoll_wait(int epfd, long events, int maxEvents, int timeoutMillis);
    int eventfd(int initval, int flags);
    /** Adds value to an eventfd's counter (glibc; 0 or -1). */
    int eventfd_write(int fd, long value);

    // ---- kqueue (BSD, macOS)
    int kqueue();
    /** const struct timespec *timeout: 0 blocks. */
    int kevent(int kq, long changelist, int nchanges, long eventlist, int nevents, long timeout);

    // ---- io_uring (Linux), memory, affinity
    /** syscall(2): io_uring_setup / io_uring_enter / io_uring_register have no libc wrapper. */
    long syscall(long number, long a1, long a2, long a3, long a4, long a5, long a6);
    // mmap/munmap: see Native.mmap (called through syscall(2))
    int sched_setaffinity(int pid, long cpusetSize, long mask);
    int sched_getaffinity(int pid, long cpusetSize, long mask);

    @IgnoreError
    String strerror(int errnum);
}
