package dev.gort.netpoll;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gort.Go;
import dev.gort.Goroutine;
import dev.gort.Group;
import java.io.InterruptedIOException;
import java.net.SocketTimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * A goroutine parked in a socket wait ends it when interrupted ({@code Goroutine.interrupt()}, a
 * {@link Group}'s cancellation): InterruptedIOException, and the socket stays usable.
 */
class SocketInterruptTest extends SocketTestSupport {

    @Test
    void anInterruptEndsAParkedReadAndTheSocketStaysUsable() {
        onConnectedPair((s, peer) -> {
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            Goroutine reader = parkedReader(s, thrown);
            reader.interrupt();
            reader.join();
            assertSame(InterruptedIOException.class, thrown.get().getClass(), String.valueOf(thrown.get()));
            peer.write(new byte[] {7}, 0, 1);
            byte[] b = new byte[1];
            assertEquals(1, s.read(b, 0, 1));
            assertEquals(7, b[0]);
        });
    }

    @Test
    void aReadStartedWithTheInterruptSetThrowsWithoutParking() {
        onConnectedPair((s, peer) -> {
            Go.current().interrupt();
            assertSame(InterruptedIOException.class, assertThrows(InterruptedIOException.class, () -> s.read(new byte[1], 0, 1)).getClass());
            assertTrue(!Go.current().isInterrupted(), "status cleared");
        });
    }

    @Test
    void aDeadlineStillTimesOutAfterAnEarlierInterrupt() {
        onConnectedPair((s, peer) -> {
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            Goroutine reader = parkedReader(s, thrown);
            reader.interrupt();
            reader.join();
            s.setReadTimeout(java.time.Duration.ofMillis(20));
            assertThrows(SocketTimeoutException.class, () -> s.read(new byte[1], 0, 1)); // not an interrupt
            s.setReadTimeout(java.time.Duration.ZERO);
        });
    }

    @Test
    void firstFailureCancelsASiblingBlockedInASocketRead() {
        onConnectedPair((s, peer) -> {
            AtomicReference<Goroutine> reader = new AtomicReference<>();
            AtomicReference<Throwable> readerEnd = new AtomicReference<>();
            IllegalStateException boom = new IllegalStateException("boom");
            try (Group g = new Group()) {
                g.go(() -> {
                    reader.set(Go.current());
                    try {
                        s.read(new byte[10], 0, 10);
                    } catch (Throwable t) {
                        readerEnd.set(t);
                        throw t;
                    }
                });
                while (reader.get() == null || reader.get().state() != Goroutine.State.WAITING) Go.yield();
                g.go(() -> {
                    throw boom;
                });
                IllegalStateException e = assertThrows(IllegalStateException.class, g::await);
                assertSame(boom, e);
                assertEquals(0, e.getSuppressed().length, "the reader was cut short, not failed");
            }
            assertSame(InterruptedIOException.class, readerEnd.get().getClass(), String.valueOf(readerEnd.get()));
            peer.write(new byte[] {5}, 0, 1);
            byte[] b = new byte[1];
            assertEquals(1, s.read(b, 0, 1));
            assertEquals(5, b[0]);
        });
    }
}
