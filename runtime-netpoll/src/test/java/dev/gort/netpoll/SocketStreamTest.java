package dev.gort.netpoll;

import static dev.gort.netpoll.NetTestSupport.runMain;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gort.Go;
import dev.gort.sync.WaitGroup;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;

/** Streams through goroutine sockets arrive whole and in order: many connections, large payloads, IPv6, end of stream. */
class SocketStreamTest extends SocketTestSupport {
    @Test
    void echoThousandConnectionsRandomPayloadsUpTo16MiB() throws Exception {
        long seed = Long.getLong("seed", 20261123L); // fixed; -Dseed=N to vary, printed on failure
        int conns = 1000;
        Random sizes = new Random(seed);
        int[] size = new int[conns];
        long total = 0;
        for (int i = 0; i < conns; i++) {
            // log-uniform from 1 B to 16 MiB: mostly small, a few of every magnitude up to 16 MiB
            size[i] = (int) Math.min(16 << 20, Math.round(Math.exp(sizes.nextDouble() * Math.log(16 << 20))));
        }
        size[0] = 16 << 20;
        size[1] = 0;
        for (int s : size) total += s;
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        long totalBytes = total;
        try {
            runMain(() -> {
                GoServerSocket server = GoServerSocket.bind(LOOPBACK);
                InetSocketAddress addr = server.localAddress();
                Go.spawn("acceptor", () -> {
                    for (int i = 0; i < conns; i++) {
                        try {
                            GoSocket c = server.accept();
                            Go.spawn(() -> echo(c, failures));
                        } catch (IOException e) {
                            failures.add("accept: " + e);
                            return;
                        }
                    }
                });
                WaitGroup wg = new WaitGroup();
                wg.add(conns);
                for (int i = 0; i < conns; i++) {
                    int idx = i;
                    Go.spawn(() -> {
                        try {
                            client(addr, size[idx], seed + idx, failures, idx);
                        } catch (Exception e) {
                            failures.add("client " + idx + ": " + e);
                        } finally {
                            wg.done();
                        }
                    });
                }
                wg.await();
                server.close();
            });
        } catch (Throwable t) {
            throw new AssertionError("seed " + seed + ": " + t, t);
        }
        assertTrue(failures.isEmpty(), "seed " + seed + " (" + totalBytes + " bytes): " + failures.stream().limit(5).toList());
    }

    static void echo(GoSocket c, ConcurrentLinkedQueue<String> failures) {
        try (c) {
            byte[] buf = new byte[16384];
            for (;;) {
                int n = c.read(buf, 0, buf.length);
                if (n < 0) break;
                c.write(buf, 0, n);
            }
            c.shutdownOutput();
        } catch (IOException e) {
            failures.add("echo: " + e);
        }
    }

    static void client(InetSocketAddress addr, int size, long seed, ConcurrentLinkedQueue<String> failures, int idx) throws Exception {
        try (GoSocket s = GoSocket.connect(addr)) {
            WaitGroup writer = new WaitGroup();
            writer.add(1);
            Go.spawn(() -> {
                try {
                    Random r = new Random(seed);
                    byte[] b = new byte[8192];
                    for (int left = size; left > 0; ) {
                        int n = Math.min(left, 1 + r.nextInt(b.length));
                        fill(r, b, n);
                        s.write(b, 0, n);
                        left -= n;
                    }
                    s.shutdownOutput();
                } catch (IOException e) {
                    failures.add("writer " + idx + ": " + e);
                } finally {
                    writer.done();
                }
            });
            // The reader regenerates the same stream (same seed, same chunking draws).
            Random r = new Random(seed);
            byte[] expect = new byte[8192];
            int expN = 0, expPos = 0;
            long got = 0;
            ByteBuffer in = ByteBuffer.allocateDirect(16384);
            for (;;) {
                in.clear();
                int n = s.read(in);
                if (n < 0) break;
                in.flip();
                while (in.hasRemaining()) {
                    if (expPos == expN) {
                        long left = size - got;
                        if (left <= 0) {
                            failures.add("client " + idx + ": more bytes than sent");
                            return;
                        }
                        expN = (int) Math.min(left, 1 + r.nextInt(expect.length));
                        fill(r, expect, expN);
                        expPos = 0;
                    }
                    byte b = in.get();
                    if (b != expect[expPos]) {
                        failures.add("client " + idx + ": byte " + got + " differs");
                        return;
                    }
                    expPos++;
                    got++;
                }
            }
            writer.await();
            if (got != size) failures.add("client " + idx + ": got " + got + " of " + size + " bytes");
        }
    }

    @Test
    void readReturnsMinusOneAtEndOfStream() {
        runMain(() -> {
            try (GoServerSocket server = GoServerSocket.bind(LOOPBACK)) {
                Go.spawn(() -> {
                    try (GoSocket c = server.accept()) {
                        c.write("bye".getBytes(StandardCharsets.US_ASCII), 0, 3);
                    } catch (IOException e) {
                        throw new RuntimeException(e);
                    }
                });
                try (GoSocket s = GoSocket.connect(server.localAddress())) {
                    InputStream in = s.getInputStream();
                    assertArrayEquals("bye".getBytes(StandardCharsets.US_ASCII), in.readNBytes(3));
                    assertEquals(-1, in.read());
                    assertEquals(-1, in.read(new byte[4], 0, 4));
                }
            }
        });
    }

    @Test
    void ipv6LoopbackStreamsAndChannels() throws Exception {
        InetAddress v6 = InetAddress.getByName("::1");
        GoServerSocket server;
        try {
            server = GoServerSocket.bind(new InetSocketAddress(v6, 0));
        } catch (IOException e) {
            org.junit.jupiter.api.Assumptions.abort("no IPv6 loopback here: " + e);
            return;
        }
        try (server) {
            runMain(() -> {
                Go.spawn(() -> echo(acceptQuietly(server), new ConcurrentLinkedQueue<>()));
                try (GoSocket s = GoSocket.connect(server.localAddress())) {
                    assertEquals(v6, s.remoteAddress().getAddress());
                    assertTrue(s.getTcpNoDelay());
                    OutputStream out = s.getOutputStream();
                    out.write("hello".getBytes(StandardCharsets.US_ASCII));
                    ByteBuffer direct = ByteBuffer.allocateDirect(5);
                    while (direct.hasRemaining()) assertTrue(s.read(direct) > 0);
                    direct.flip();
                    assertEquals("hello", StandardCharsets.US_ASCII.decode(direct).toString());
                    ByteBuffer heap = ByteBuffer.wrap("xxworldxx".getBytes(StandardCharsets.US_ASCII), 2, 5);
                    assertEquals(5, s.write(heap));
                    byte[] got = new byte[9];
                    ByteBuffer into = ByteBuffer.wrap(got, 3, 5);
                    while (into.hasRemaining()) assertTrue(s.read(into) > 0);
                    assertEquals("world", new String(got, 3, 5, StandardCharsets.US_ASCII));
                    s.shutdownOutput();
                    assertEquals(-1, s.getInputStream().read());
                }
            });
        }
    }

    static GoSocket acceptQuietly(GoServerSocket server) {
        try {
            return server.accept();
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }
}
