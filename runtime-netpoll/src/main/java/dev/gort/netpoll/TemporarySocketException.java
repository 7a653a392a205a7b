package dev.gort.netpoll;

import java.net.SocketException;

/**
 * A socket call failed for a reason that goes away by itself (Go's {@code net.Error} whose
 * {@code Temporary()} is true): the process or the system is out of file descriptors (EMFILE,
 * ENFILE) or the kernel out of memory for it (ENOBUFS, ENOMEM), or a connection was aborted
 * before {@link GoServerSocket#accept()} took it (ECONNABORTED, which accept itself skips). An
 * accept loop should wait and try again rather than give up, as Go's net/http does: 5 ms,
 * doubling up to 1 s, back to none after a success (see the examples' servers).
 */
public final class TemporarySocketException extends SocketException {
    private static final long serialVersionUID = 1L;

    public TemporarySocketException(String message) {
        super(message);
    }
}
