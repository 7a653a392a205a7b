package dev.gort.examples;

import dev.gort.Go;
import dev.gort.gc.Pool;
import dev.gort.netpoll.GoServerSocket;
import dev.gort.netpoll.GoSocket;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * A minimal HTTP/1.1 keep-alive "Hello, World!" server, the W8 workload of the anchors: one
 * goroutine per connection, raw parsing (each request head ends at CRLF CRLF; every request gets
 * the same fixed response). {@code java -jar examples.jar http --port 8080}, then
 * {@code curl http://127.0.0.1:8080/} or {@code wrk -t1 -c100 -d10s http://127.0.0.1:8080/}.
 * Prints {@code LISTENING <port> <pid>}; {@code --maxlife SECONDS} ends it after that long.
 *
 * <p>{@code --idle-timeout D} (default 60s; {@code 0}: none, as the anchors' servers, which
 * benchmarks/http.sh compares it with): a connection must deliver each whole request head within
 * D of the connection or of the previous response, and take each response within D, or it is
 * closed, so that idle and slowloris connections cannot hold descriptors for ever. Accept errors
 * such as running out of descriptors back off and retry ({@link AcceptLoop}).
 *
 * <p>A connection's buffers ({@link Buffers}: 4 KiB for the request, a view of the response) come
 * from a {@link Pool} and go back to it when the connection ends, so that a server with many
 * short connections allocates none, and serving a request allocates nothing.
 * {@code --no-pool} serves without the pool, as a server written without reuse: new buffers for
 * each connection and a new view of the response for each request (benchmarks/http.sh compares
 * the two: bytes allocated per request, GC cycles).
 *
 * <p>{@code --metrics} adds one route: {@code GET /metrics} answers with Gort's scheduler metrics
 * in the Prometheus text format ({@link MetricsEndpoint}: Micrometer's Prometheus registry with
 * runtime-micrometer's {@code GortMetrics}); every other request gets the fixed response as
 * before. Without it no request head is looked at beyond its end (the W8 server).
 */
final class HttpServer {
    private HttpServer() {}

    static final byte[] RESPONSE =
        "HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\nHello, World!".getBytes(StandardCharsets.US_ASCII);

    static void main(String[] args) {
        int port = Args.intOption(args, "--port", 8080);
        long maxLife = Args.intOption(args, "--maxlife", 0);
        Duration idle = Args.durationOption(args, "--idle-timeout", Duration.ofSeconds(60));
        Pool<Buffers> pool = Args.flag(args, "--no-pool") ? null : Pool.of(Buffers::new);
        Supplier<byte[]> metrics = Args.flag(args, "--metrics") ? MetricsEndpoint.prometheus() : null;
        if (maxLife > 0) {
            Thread.ofPlatform().daemon().start(() -> {
                try {
                    Thread.sleep(maxLife * 1000);
                } catch (InterruptedException e) {
                    return;
                }
                System.out.println("INFO http: maxlife reached, exiting");
                System.exit(0);
            });
        }
        Go.run(() -> {
            try (GoServerSocket server = GoServerSocket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port))) {
                System.out.println("LISTENING " + server.localAddress().getPort() + " " + ProcessHandle.current().pid()
                    + " poller=" + Go.metrics().netpoller() + " pool=" + (pool != null) + " metrics=" + (metrics != null));
                AcceptLoop.serve(server, "http", c -> serve(c, idle, pool, metrics));
            }
        });
    }

    /** The response in native memory: each write goes from it to the kernel with no copy. */
    static final ByteBuffer RESPONSE_DIRECT = ByteBuffer.allocateDirect(RESPONSE.length).put(RESPONSE).flip();

    static int indexOfCrlf2(ByteBuffer b, int n) {
        for (int i = 0; i + 3 < n; i++) {
            if (b.get(i) == '\r' && b.get(i + 1) == '\n' && b.get(i + 2) == '\r' && b.get(i + 3) == '\n') return i;
        }
        return -1;
    }

    /**
     * A connection's buffers: the request head's (direct, so that reads copy nothing) and a view
     * of {@link #RESPONSE_DIRECT} with a position of its own (a write moves it), rewound for each
     * response. One connection uses them at a time: taken from the pool when it starts, given
     * back, cleared, when it ends.
     */
    static final class Buffers {
        final ByteBuffer request = ByteBuffer.allocateDirect(4096);
        final ByteBuffer response = RESPONSE_DIRECT.duplicate();
    }

    /**
     * One connection: the same loop as the anchors' servers (read until CRLF CRLF, answer, keep
     * the rest), over a direct buffer so that reads and writes copy nothing. With an idle
     * timeout, the read deadline moves to "idle from now" after each batch of responses (one
     * deadline per batch: a pipelined batch costs one), and a write waits at most that long.
     *
     * @param pool where the connection's buffers come from and go back to; null: new ones, and a
     *        new view of the response per request (--no-pool)
     */
    static void serve(GoSocket c, Duration idle, Pool<Buffers> pool) {
        serve(c, idle, pool, null);
    }

    /**
     * {@link #serve(GoSocket, Duration, Pool)}, with the {@code /metrics} route when
     * {@code metrics} is not null: a request for it gets what {@code metrics} returns (a whole
     * HTTP response, see {@link MetricsEndpoint}).
     */
    static void serve(GoSocket c, Duration idle, Pool<Buffers> pool, Supplier<byte[]> metrics) {
        long idleNanos = idle.toNanos();
        Buffers b = pool != null ? pool.get() : new Buffers();
        try (c) {
            if (idleNanos > 0) {
                c.setReadDeadline(System.nanoTime() + idleNanos);
                c.setWriteTimeout(idle);
            }
            ByteBuffer buf = b.request;
            for (;;) {
                if (c.read(buf) < 0) return;
                int n = buf.position();
                int idx;
                boolean answered = false;
                while ((idx = indexOfCrlf2(buf, n)) >= 0) {
                    if (metrics != null && MetricsEndpoint.isMetricsRequest(buf, idx)) {
                        byte[] response = metrics.get();
                        c.write(response, 0, response.length);
                    } else {
                        c.write(pool != null ? b.response.clear() : RESPONSE_DIRECT.duplicate());
                    }
                    answered = true;
                    int rest = idx + 4;
                    buf.limit(n).position(rest);
                    buf.compact(); // moves the rest to the front; position = n - rest
                    n = buf.position();
                }
                if (answered && idleNanos > 0) c.setReadDeadline(System.nanoTime() + idleNanos);
                if (n == buf.capacity()) return; // request head too large
            }
        } catch (IOException e) {
            // the client went away, or was too slow (SocketTimeoutException)
        } finally {
            // No read or write of this connection is in flight (they ran on this goroutine and
            // have returned), and the socket is closed: nothing touches the buffers any more.
            if (pool != null) {
                b.request.clear();
                pool.put(b);
            }
        }
    }
}
