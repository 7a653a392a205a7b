package dev.gort.netpoll;

import static dev.gort.netpoll.NetTestSupport.awaitTrue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gort.Go;
import java.io.IOException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Sockets used from platform threads, which block in poll(2): deadlines and close still reach them. */
class SocketPlatformThreadTest extends SocketTestSupport {
    /** Platform threads block in poll(2): a deadline change reaches them through the wait's kick eventfd. */
    @Test
    void aPastDeadlineWakesAPlatformThreadBlockedInPoll() throws Exception {
        try (GoServerSocket server = GoServerSocket.bind(LOOPBACK)) {
            GoSocket s = GoSocket.connect(server.localAddress());
            GoSocket peer = server.accept();
            try (s; peer) {
                for (int round = 0; round < 3; round++) { // each wait makes, shows and closes its own eventfd
                    AtomicReference<Throwable> thrown = new AtomicReference<>();
                    Thread reader = blockedPlatformReader(s, thrown);
                    s.setReadDeadline(System.nanoTime() - 1);
                    reader.join(10_000);
                    assertTrue(!reader.isAlive(), "the platform reader still waits");
                    assertTrue(thrown.get() instanceof SocketTimeoutException, String.valueOf(thrown.get()));
                    s.setReadDeadline(0);
                }
                // cleared while waiting: the reader goes back to poll(2) and then gets the byte
                byte[] b = new byte[1];
                AtomicReference<Object> got = new AtomicReference<>();
                s.setReadDeadline(System.nanoTime() + 60_000_000_000L);
                Thread reader = Thread.ofPlatform().start(() -> {
                    try {
                        got.set(s.read(b, 0, 1));
                    } catch (Throwable t) {
                        got.set(t);
                    }
                });
                awaitTrue("reader blocked in poll", 10_000, () -> s.nfd.pd.platformWaiters() == 1);
                s.setReadDeadline(0);
                peer.write(new byte[] {3}, 0, 1);
                reader.join(10_000);
                assertEquals(1, got.get());
                assertEquals(3, b[0]);
            }
        }
    }

    @Test
    void platformThreadBlocksInPollAndCloseWakesIt() throws Exception {
        try (GoServerSocket server = GoServerSocket.bind(LOOPBACK)) {
            GoSocket[] peer = new GoSocket[1];
            Thread acceptor = Thread.ofPlatform().start(() -> {
                try {
                    peer[0] = server.accept(); // a platform thread: poll(2)
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            GoSocket s = GoSocket.connect(server.localAddress());
            acceptor.join();
            // a goroutine writes what a platform thread waits for
            Go.spawn(() -> {
                try {
                    Go.sleep(Duration.ofMillis(20));
                    peer[0].write(new byte[] {42}, 0, 1);
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            byte[] b = new byte[1];
            assertEquals(1, s.read(b, 0, 1));
            assertEquals(42, b[0]);
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            Thread reader = blockedPlatformReader(s, thrown);
            s.close();
            reader.join(10_000);
            assertTrue(thrown.get() instanceof SocketException, String.valueOf(thrown.get()));
            peer[0].close();
        }
    }
}
