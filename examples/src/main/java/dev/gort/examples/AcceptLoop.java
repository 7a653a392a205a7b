package dev.gort.examples;

import dev.gort.Go;
import dev.gort.netpoll.GoServerSocket;
import dev.gort.netpoll.GoSocket;
import dev.gort.netpoll.TemporarySocketException;
import java.io.IOException;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * The examples' accept loop, as Go's net/http {@code Server.Serve}: a goroutine per connection,
 * and an accept that fails for a temporary reason (out of descriptors: EMFILE; out of kernel
 * memory) waits 5 ms, doubling up to 1 s while the failures go on, and tries again, instead of
 * ending the server. Connections that finish give their descriptors back, and the server goes on.
 */
final class AcceptLoop {
    private AcceptLoop() {}

    static final long FIRST_DELAY_MS = 5, MAX_DELAY_MS = 1000;

    /** Accepts until the server socket fails for good (closed, or an error that is not temporary). */
    static void serve(GoServerSocket server, String name, Consumer<GoSocket> handler) throws IOException, InterruptedException {
        long delayMs = 0;
        for (;;) {
            GoSocket c;
            try {
                c = server.accept();
            } catch (TemporarySocketException e) {
                delayMs = delayMs == 0 ? FIRST_DELAY_MS : Math.min(2 * delayMs, MAX_DELAY_MS);
                System.err.println(name + ": accept error: " + e.getMessage() + "; retrying in " + delayMs + " ms");
                Go.sleep(Duration.ofMillis(delayMs));
                continue;
            }
            delayMs = 0;
            Go.spawn(() -> handler.accept(c));
        }
    }
}
