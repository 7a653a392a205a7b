package dev.gort.netpoll;

import static dev.gort.netpoll.NetTestSupport.assertAtRest;
import static dev.gort.netpoll.NetTestSupport.runMain;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gort.Go;
import dev.gort.Goroutine;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInfo;

/**
 * What every socket test class shares: the driver check, the at-rest check after each test, and
 * the helpers. Surefire runs each {@code Socket*Test} class once per driver
 * ({@code -Dgort.netpoll=epoll}, {@code =uring}): see runtime-netpoll/pom.xml.
 */
abstract class SocketTestSupport {
    static final InetSocketAddress LOOPBACK = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    @BeforeAll
    static void driver(TestInfo info) {
        String expected = NetTestSupport.expectedDriver();
        if (expected.equals("uring")) {
            String refused = dev.gort.netpoll.uring.IoUringPoller.probe();
            org.junit.jupiter.api.Assumptions.assumeTrue(refused == null, "io_uring refused here: " + refused);
        }
        String actual = Netpoll.get().driverName();
        System.out.println(info.getDisplayName() + " driver: " + actual + (Netpoll.get().fallbackReason() != null
            ? " (" + Netpoll.get().fallbackReason() + ")" : ""));
        if (expected.equals("epoll")) assertEquals("epoll", actual);
        if (expected.equals("uring")) assertEquals("io_uring", actual);
        assertTrue(Go.metrics().netpoller().equals(actual), Go.metrics().netpoller());
        assertTrue(dev.gort.sched.Scheduler.get().schedtrace().endsWith("netpoll=" + actual));
    }

    @AfterEach
    void atRest() throws InterruptedException {
        assertAtRest();
    }

    /** Bytes of a connection's payload: a stream from its own seed, so that both sides can regenerate it. */
    static void fill(Random r, byte[] b, int n) {
        for (int i = 0; i < n; i++) b[i] = (byte) r.nextInt();
    }

    interface PairBody {
        void run(GoSocket s, GoSocket peer) throws Exception;
    }

    /** Runs body in a main goroutine with a connected socket and its accepted peer, closed after. */
    static void onConnectedPair(PairBody body) {
        runMain(() -> {
            try (GoServerSocket server = GoServerSocket.bind(LOOPBACK)) {
                // connect returns once the kernel completed the handshake (backlog): accept then finds it
                try (GoSocket s = GoSocket.connect(server.localAddress()); GoSocket peer = server.accept()) {
                    body.run(s, peer);
                }
            }
        });
    }

    /** A goroutine parked reading s (10 bytes): what its read throws goes to thrown. */
    static Goroutine parkedReader(GoSocket s, AtomicReference<Throwable> thrown) {
        Goroutine reader = Go.spawn("reader", () -> {
            try {
                s.read(new byte[10], 0, 10);
            } catch (Throwable t) {
                thrown.set(t);
            }
        });
        while (reader.state() != Goroutine.State.WAITING) Go.yield();
        return reader;
    }

    /** A platform thread blocked in poll(2) reading one byte of s: what its read throws goes to thrown. */
    static Thread blockedPlatformReader(GoSocket s, AtomicReference<Throwable> thrown) throws InterruptedException {
        Thread reader = Thread.ofPlatform().start(() -> {
            try {
                s.read(new byte[1], 0, 1);
            } catch (Throwable t) {
                thrown.set(t);
            }
        });
        NetTestSupport.awaitTrue("reader blocked in poll", 10_000, () -> s.nfd.pd.platformWaiters() == 1);
        return reader;
    }
}
