package dev.gort.netpoll;

import static dev.gort.netpoll.NetTestSupport.assertAtRest;
import static dev.gort.netpoll.NetTestSupport.awaitTrue;
import static dev.gort.netpoll.NetTestSupport.runMain;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gort.Go;
import dev.gort.Goroutine;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Sockets the application drops without close() give their descriptors back once the GC finds
 * them unreachable (as java.net.Socket's do); a socket a goroutine is parked on is reachable
 * through that goroutine and stays open.
 */
class DroppedSocketTest {
    static final InetSocketAddress LOOPBACK = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    @AfterEach
    void atRest() throws InterruptedException {
        assertAtRest();
    }

    /** Collects until the process's descriptors are back to at most limit (10 s at most). */
    static void gcUntilFdsAtMost(int limit) throws InterruptedException {
        awaitTrue("descriptors back to " + limit + " (now " + NetTestSupport.openFds() + ")", 10_000, () -> {
            System.gc();
            return NetTestSupport.openFds() <= limit;
        });
    }

    @Test
    void droppedSocketsAndServerSocketsGiveTheirDescriptorsBack() throws Exception {
        int pairs = 500, servers = 200;
        int before = NetTestSupport.openFds();
        runMain(() -> {
            GoServerSocket server = GoServerSocket.bind(LOOPBACK);
            InetSocketAddress addr = server.localAddress();
            for (int i = 0; i < pairs; i++) {
                GoSocket.connect(addr).write(new byte[] {1}, 0, 1); // dropped, never closed
                assertEquals(1, server.accept().read(new byte[1], 0, 1)); // dropped too
            }
            for (int i = 0; i < servers; i++) GoServerSocket.bind(LOOPBACK);
            assertTrue(NetTestSupport.openFds() >= before + 2 * pairs + servers, "open: " + NetTestSupport.openFds());
        });
        gcUntilFdsAtMost(before + 8);
    }

    /**
     * A goroutine parked reading a socket that nothing else references keeps it open: the GC
     * does not close a socket in use. The reader gets its data after many collections.
     */
    @Test
    void aSocketAParkedGoroutineReadsStaysOpenThroughCollections() {
        runMain(() -> {
            try (GoServerSocket server = GoServerSocket.bind(LOOPBACK)) {
                AtomicReference<Object> result = new AtomicReference<>();
                Goroutine reader = Go.spawn("reader", () -> {
                    try {
                        byte[] b = new byte[3];
                        int n = GoSocket.connect(server.localAddress()).read(b, 0, 3); // the socket lives only in this frame
                        result.set(new String(b, 0, Math.max(n, 0), java.nio.charset.StandardCharsets.US_ASCII));
                    } catch (Throwable t) {
                        result.set(t);
                    }
                });
                try (GoSocket peer = server.accept()) {
                    while (reader.state() != Goroutine.State.WAITING) Go.yield();
                    for (int i = 0; i < 5; i++) {
                        System.gc();
                        Thread.sleep(20); // lets the cleaner thread run whatever the GC found
                    }
                    peer.write("abc".getBytes(java.nio.charset.StandardCharsets.US_ASCII), 0, 3);
                    reader.join();
                    assertEquals("abc", result.get(), String.valueOf(result.get()));
                }
            }
        });
    }
}
