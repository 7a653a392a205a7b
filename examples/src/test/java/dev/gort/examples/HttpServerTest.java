package dev.gort.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.gort.Go;
import dev.gort.Goroutine;
import dev.gort.gc.Pool;
import dev.gort.netpoll.GoServerSocket;
import dev.gort.netpoll.GoSocket;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The HTTP example's connection loop, in this JVM on one P: every request gets the response, one
 * at a time, pipelined, or split over two writes; with a pool, a connection's buffers go back to
 * it, cleared, and the next connection takes the same ones.
 */
class HttpServerTest {
    static final byte[] REQUEST = "GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    static final int CONNECTIONS = 6;

    /** What connection i sends: 1 request, 2 pipelined in one write, or 1 split over two writes. */
    static int requestsOn(int i) {
        return i % 3 == 1 ? 2 : 1;
    }

    /**
     * Serves CONNECTIONS connections one after another (accept, {@link HttpServer#serve}, accept
     * ...) on one goroutine while a client goroutine sends each its requests, checks the
     * responses, half-closes, and reads the end of the stream (the server has given the buffers
     * back by then: it closes the socket after that).
     */
    static void serveSequentially(Pool<HttpServer.Buffers> pool) {
        serveSequentially(pool, () -> { });
    }

    /** The same, then {@code after} in the same main goroutine, on the same single P. */
    static void serveSequentially(Pool<HttpServer.Buffers> pool, Runnable after) {
        int old = Go.setMaxProcs(1);
        try {
            Go.run(() -> {
                try (GoServerSocket server = GoServerSocket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
                    Goroutine serving = Go.spawn(() -> {
                        for (int i = 0; i < CONNECTIONS; i++) {
                            try {
                                HttpServer.serve(server.accept(), Duration.ZERO, pool);
                            } catch (IOException e) {
                                throw new UncheckedIOException(e);
                            }
                        }
                    });
                    for (int i = 0; i < CONNECTIONS; i++) {
                        try (GoSocket c = GoSocket.connect(server.localAddress())) {
                            int n = requestsOn(i);
                            if (i % 3 == 2) {
                                c.write(REQUEST, 0, 10);
                                Go.yield(); // the server may read the first part alone
                                c.write(REQUEST, 10, REQUEST.length - 10);
                            } else {
                                byte[] all = new byte[n * REQUEST.length];
                                for (int k = 0; k < n; k++) System.arraycopy(REQUEST, 0, all, k * REQUEST.length, REQUEST.length);
                                c.write(all, 0, all.length);
                            }
                            byte[] want = new byte[n * HttpServer.RESPONSE.length];
                            for (int k = 0; k < n; k++) System.arraycopy(HttpServer.RESPONSE, 0, want, k * HttpServer.RESPONSE.length, HttpServer.RESPONSE.length);
                            byte[] got = new byte[want.length];
                            for (int off = 0; off < got.length; ) {
                                int m = c.read(got, off, got.length - off);
                                if (m < 0) throw new AssertionError("connection " + i + ": end of stream after " + off + " bytes");
                                off += m;
                            }
                            assertArrayEquals(want, got, "connection " + i);
                            c.shutdownOutput();
                            assertEquals(-1, c.read(new byte[1], 0, 1), "connection " + i + ": nothing after the responses");
                        }
                    }
                    serving.join();
                    after.run();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            });
        } finally {
            Go.setMaxProcs(old);
        }
    }

    @ParameterizedTest(name = "pooled={0}")
    @ValueSource(booleans = {true, false})
    void everyRequestGetsTheResponseSinglePipelinedOrSplit(boolean pooled) {
        serveSequentially(pooled ? Pool.of(HttpServer.Buffers::new) : null);
    }

    /**
     * With one P, each connection's put lands in the P's private slot, where the next
     * connection's get finds it: one set of buffers for all, and the last connection's, cleared,
     * for a get right after on the same P. A GC cycle in between moves them to the victim
     * generation, where the get still finds them; only two in between (a collection of this
     * shared test JVM) lose them, and then the attempt is made again (at most 3 times). The get
     * runs in the serving run's own main goroutine, while the one P is still the only one. A get
     * after setMaxProcs(2) and then (1) may run on the other P, whose private slot is empty: the
     * P that served can reach the idle list after the new one, and a shrink retires the idle
     * list's first (CI once found two buffers made at such a get).
     */
    @Test
    void theNextConnectionReusesTheBuffersTheLastOneGaveBackCleared() {
        List<Integer> createdPerAttempt = new ArrayList<>();
        for (int attempt = 0; attempt < 3; attempt++) {
            AtomicInteger created = new AtomicInteger();
            Pool<HttpServer.Buffers> pool = Pool.of(() -> {
                created.incrementAndGet();
                return new HttpServer.Buffers();
            });
            AtomicInteger createdBeforeGet = new AtomicInteger();
            AtomicReference<HttpServer.Buffers> got = new AtomicReference<>();
            serveSequentially(pool, () -> {
                createdBeforeGet.set(created.get());
                got.set(pool.get());
            });
            createdPerAttempt.add(created.get());
            if (createdBeforeGet.get() != 1 || created.get() != 1) continue;
            HttpServer.Buffers b = got.get();
            assertEquals(0, b.request.position(), "request buffer cleared");
            assertEquals(b.request.capacity(), b.request.limit(), "request buffer cleared");
            assertEquals(HttpServer.RESPONSE.length, b.response.capacity());
            pool.put(b);
            return;
        }
        throw new AssertionError("buffers created per attempt (want 1 for " + CONNECTIONS + " connections): " + createdPerAttempt);
    }
}
