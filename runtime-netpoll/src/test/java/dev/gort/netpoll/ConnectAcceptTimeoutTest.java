package dev.gort.netpoll;

import static dev.gort.netpoll.NetTestSupport.assertAtRest;
import static dev.gort.netpoll.NetTestSupport.runMain;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gort.Go;
import dev.gort.Goroutine;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * connect and accept timeouts mean what java.net.Socket's and ServerSocket's do: zero is no
 * limit, negative is an IllegalArgumentException, any positive duration (centuries included)
 * works, and the timeout says which operation timed out.
 */
class ConnectAcceptTimeoutTest {
    static final InetSocketAddress LOOPBACK = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    static final Duration CENTURIES = Duration.ofSeconds(Long.MAX_VALUE);

    @AfterEach
    void atRest() throws InterruptedException {
        assertAtRest();
    }

    @Test
    void connectAndAcceptTakeTimeoutsOfCenturies() {
        runMain(() -> {
            try (GoServerSocket server = GoServerSocket.bind(LOOPBACK)) {
                AtomicReference<Object> accepted = new AtomicReference<>();
                Goroutine acceptor = Go.spawn(() -> {
                    try {
                        accepted.set(server.accept(CENTURIES));
                    } catch (Throwable t) {
                        accepted.set(t);
                    }
                });
                while (acceptor.state() != Goroutine.State.WAITING && accepted.get() == null) Go.yield();
                try (GoSocket s = GoSocket.connect(server.localAddress(), CENTURIES)) {
                    acceptor.join();
                    assertTrue(accepted.get() instanceof GoSocket, String.valueOf(accepted.get()));
                    ((GoSocket) accepted.get()).close();
                }
                try (GoSocket s = GoSocket.connect(server.localAddress(), Duration.ofSeconds(Long.MAX_VALUE / 1000));
                     GoSocket p = server.accept(Duration.ofDays(365L * 300))) {
                    assertTrue(s.isOpen() && p.isOpen());
                }
            }
        });
    }

    /** As java.net.Socket.connect(addr, 0) and ServerSocket.setSoTimeout(0): zero waits without limit. */
    @Test
    void aZeroTimeoutMeansNoLimit() {
        runMain(() -> {
            try (GoServerSocket server = GoServerSocket.bind(LOOPBACK);
                 GoSocket s = GoSocket.connect(server.localAddress(), Duration.ZERO)) {
                AtomicReference<Object> accepted = new AtomicReference<>();
                // accept(ZERO) with a connection already queued, and with none yet (it parks)
                try (GoSocket p = server.accept(Duration.ZERO)) {
                    assertTrue(p.isOpen());
                }
                Goroutine acceptor = Go.spawn(() -> {
                    try {
                        accepted.set(server.accept(Duration.ZERO));
                    } catch (Throwable t) {
                        accepted.set(t);
                    }
                });
                while (acceptor.state() != Goroutine.State.WAITING && accepted.get() == null) Go.yield();
                Go.sleep(Duration.ofMillis(20));
                assertEquals(null, accepted.get());
                try (GoSocket s2 = GoSocket.connect(server.localAddress(), Duration.ZERO)) {
                    acceptor.join();
                    assertTrue(accepted.get() instanceof GoSocket, String.valueOf(accepted.get()));
                    ((GoSocket) accepted.get()).close();
                }
            }
        });
    }

    @Test
    void aNegativeTimeoutIsIllegalArgumentException() {
        runMain(() -> {
            try (GoServerSocket server = GoServerSocket.bind(LOOPBACK)) {
                int fds = NetTestSupport.openFds();
                assertThrows(IllegalArgumentException.class, () -> GoSocket.connect(server.localAddress(), Duration.ofMillis(-1)));
                assertThrows(IllegalArgumentException.class, () -> server.accept(Duration.ofNanos(-1)));
                assertEquals(fds, NetTestSupport.openFds()); // no socket made for the refused connect
            }
        });
    }

    /**
     * A listener with a backlog of 1 that never accepts: once its queue is full the kernel drops
     * further SYNs, so a connect waits until its timeout, which says "Connect timed out" (the
     * JDK's words); an accept's says "Accept timed out".
     */
    @Test
    void connectAndAcceptTimeoutsNameTheirOperation() {
        runMain(() -> {
            List<GoSocket> queued = new ArrayList<>();
            try (GoServerSocket server = GoServerSocket.bind(LOOPBACK, new GoServerSocket.Options(1, true, false))) {
                SocketTimeoutException timedOut = null;
                for (int i = 0; i < 64 && timedOut == null; i++) {
                    try {
                        queued.add(GoSocket.connect(server.localAddress(), Duration.ofMillis(100)));
                    } catch (SocketTimeoutException e) {
                        timedOut = e;
                    }
                }
                assertTrue(timedOut != null, "no connect timed out with " + queued.size() + " queued");
                assertEquals("Connect timed out", timedOut.getMessage());
            } finally {
                for (GoSocket s : queued) s.close();
            }
            try (GoServerSocket server = GoServerSocket.bind(LOOPBACK)) {
                SocketTimeoutException e = assertThrows(SocketTimeoutException.class, () -> server.accept(Duration.ofMillis(10)));
                assertEquals("Accept timed out", e.getMessage());
            }
        });
    }
}
