package dev.gort;

/**
 * A send on a closed channel, a receive from a closed and drained channel ({@link Chan#receive()}),
 * or a second close (Go's panics for the same cases).
 */
public final class ChannelClosedException extends IllegalStateException {
    public ChannelClosedException(String message) {
        super(message);
    }
}
