package dev.gort.netpoll;

import static dev.gort.netpoll.NetTestSupport.assertAtRest;
import static dev.gort.netpoll.NetTestSupport.awaitTrue;
import static dev.gort.netpoll.NetTestSupport.runMain;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gort.Go;
import dev.gort.Goroutine;
import dev.gort.sync.WaitGroup;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.BindException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Goroutine sockets over the selected driver. Surefire runs this class once per driver
 * ({@code -Dgort.netpoll=epoll}, {@code =uring}): see runtime-netpoll/pom.xml.
 */
class SocketTest {
    static final InetSocketAddress LOOPBACK = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    @BeforeAll
    static void driver() {
        String expected = NetTestSupport.expectedDriver();
        if (expected.equals("uring")) {
            String refused = dev.gort.netpoll.uring.IoUringPoller.probe();
            org.junit.jupiter.api.Assumptions.assumeTrue(refused == null, "io_uring refused here: " + refused);
        }
        String actual = Netpoll.get().driverName();
        System.out.println("SocketTest driver: " + actual + (Netpoll.get().fallbackReason() != null
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
    void connectionRefusedIsConnectException() {
        runMain(() -> {
            InetSocketAddress addr;
            try (GoServerSocket server = GoServerSocket.bind(LOOPBACK)) {
                addr = server.localAddress(); // now closed: nobody listens there
            }
            InetSocketAddress a = addr;
            ConnectException e = assertThrows(ConnectException.class, () -> GoSocket.connect(a));
            assertTrue(e.getMessage().contains("refused"), e.getMessage());
        });
    }

    /**
     * A server socket refuses connections as soon as close() returns. io_uring's armed poll holds
     * a reference to the listening socket until the owner thread has cancelled it, so close(2)
     * alone left it listening for a moment: a connect right after the close was accepted by the
     * kernel (seen under load as a flaky connectionRefusedIsConnectException).
     */
    @Test
    void aClosedServerSocketRefusesAtOnce() {
        runMain(() -> {
            for (int i = 0; i < 300; i++) {
                InetSocketAddress addr;
                try (GoServerSocket server = GoServerSocket.bind(LOOPBACK)) {
                    addr = server.localAddress();
                }
                try (GoSocket s = GoSocket.connect(addr)) {
                    throw new AssertionError("attempt " + i + ": connected to " + addr + " after its server socket was closed");
                } catch (ConnectException expected) {
                    // refused
                }
            }
        });
    }

    @Test
    void connectionResetIsSocketException() {
        runMain(() -> {
            try (GoServerSocket server = GoServerSocket.bind(LOOPBACK)) {
                Go.spawn(() -> {
                    try {
                        GoSocket c = server.accept();
                        c.read(new byte[1], 0, 1); // the client is connected for sure (its connect saw no reset)
                        c.setSoLinger(0);
                        c.close(); // RST
                    } catch (IOException e) {
                        throw new RuntimeException(e);
                    }
                });
                try (GoSocket s = GoSocket.connect(server.localAddress())) {
                    s.write(new byte[] {1}, 0, 1);
                    SocketException e = assertThrows(SocketException.class, () -> s.read(new byte[10], 0, 10));
                    assertTrue(e.getMessage().contains("reset"), e.getMessage());
                }
            }
        });
    }

    @Test
    void readDeadlineExpiresAndSocketStaysUsable() {
        runMain(() -> {
            try (GoServerSocket server = GoServerSocket.bind(LOOPBACK)) {
                // connect returns once the kernel completed the handshake (backlog): accept then finds it
                try (GoSocket s = GoSocket.connect(server.localAddress()); GoSocket peer = server.accept()) {
                    s.setReadTimeout(Duration.ofMillis(50));
                    long t0 = System.nanoTime();
                    assertThrows(SocketTimeoutException.class, () -> s.read(new byte[10], 0, 10));
                    assertTrue(System.nanoTime() - t0 >= 50_000_000L, "returned before the deadline");
                    peer.write(new byte[] {7}, 0, 1);
                    byte[] b = new byte[1];
                    assertEquals(1, s.read(b, 0, 1));
                    assertEquals(7, b[0]);
                    s.setReadTimeout(null);
                    s.setReadDeadline(System.nanoTime() - 1); // already passed
                    assertThrows(SocketTimeoutException.class, () -> s.read(b, 0, 1));
                }
            }
        });
    }

    /** Go's SetReadDeadline applies to pending reads: a past deadline interrupts a parked reader. */
    @Test
    void aPastDeadlineWakesAParkedReaderAndTheSocketStaysUsable() {
        onConnectedPair((s, peer) -> {
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            Goroutine reader = parkedReader(s, thrown); // no deadline yet: would wait for ever
            s.setReadDeadline(System.nanoTime() - 1);
            reader.join();
            assertTrue(thrown.get() instanceof SocketTimeoutException, String.valueOf(thrown.get()));
            s.setReadDeadline(0);
            peer.write(new byte[] {9}, 0, 1);
            byte[] b = new byte[1];
            assertEquals(1, s.read(b, 0, 1));
            assertEquals(9, b[0]);
        });
    }

    /** The other way: a deadline cleared (or moved later) while a reader waits no longer ends its wait. */
    @Test
    void aDeadlineClearedWhileAReaderWaitsNoLongerExpires() {
        onConnectedPair((s, peer) -> {
            AtomicReference<Object> got = new AtomicReference<>();
            s.setReadDeadline(System.nanoTime() + 100_000_000L);
            Goroutine reader = Go.spawn("reader", () -> {
                try {
                    byte[] b = new byte[1];
                    got.set(s.read(b, 0, 1) == 1 ? (Object) b[0] : "EOF");
                } catch (Throwable t) {
                    got.set(t);
                }
            });
            while (reader.state() != Goroutine.State.WAITING) Go.yield();
            s.setReadDeadline(0); // before the 100 ms are up: parking took far less
            Go.sleep(Duration.ofMillis(300)); // the old deadline passes while the reader waits
            assertEquals(null, got.get(), "the reader ended under the cleared deadline");
            peer.write(new byte[] {5}, 0, 1);
            reader.join();
            assertEquals((byte) 5, got.get());
        });
    }

    /** A deadline set while a reader waits with none, and a past write deadline for a writer stuck on a full buffer. */
    @Test
    void deadlinesSetDuringAWaitApplyToIt() {
        onConnectedPair((s, peer) -> {
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            Goroutine reader = parkedReader(s, thrown);
            long t0 = System.nanoTime();
            s.setReadDeadline(t0 + 50_000_000L);
            reader.join();
            assertTrue(thrown.get() instanceof SocketTimeoutException, String.valueOf(thrown.get()));
            assertTrue(System.nanoTime() - t0 >= 50_000_000L, "returned before the new deadline");

            thrown.set(null);
            long[] written = new long[1];
            Goroutine writer = Go.spawn("writer", () -> {
                byte[] chunk = new byte[64 << 10];
                try {
                    for (;;) { // peer never reads: the send buffer fills and the writer parks
                        peer.write(chunk, 0, chunk.length);
                        written[0] += chunk.length;
                    }
                } catch (Throwable t) {
                    thrown.set(t);
                }
            });
            while (writer.state() != Goroutine.State.WAITING) Go.yield();
            peer.setWriteDeadline(System.nanoTime() - 1);
            writer.join();
            assertTrue(thrown.get() instanceof SocketTimeoutException, String.valueOf(thrown.get()));
            assertTrue(written[0] > 0, "the writer parked before writing anything");
        });
    }

    /**
     * A deadline changed after the reader read the old one but before it showed itself in the
     * slot (forced with a seam): the setter finds nobody to wake, so the reader must see the
     * change itself, on a goroutine and on a platform thread.
     */
    @Test
    void aDeadlineChangedJustBeforeTheWaitStillAppliesToIt() throws Exception {
        try (GoServerSocket server = GoServerSocket.bind(LOOPBACK)) {
            GoSocket s = GoSocket.connect(server.localAddress());
            GoSocket peer = server.accept();
            try (s; peer) {
                for (boolean goroutine : new boolean[] {true, false}) {
                    java.util.concurrent.atomic.AtomicBoolean once = new java.util.concurrent.atomic.AtomicBoolean();
                    PollDesc.beforeWaitForTests = () -> {
                        if (once.compareAndSet(false, true)) s.setReadDeadline(System.nanoTime() - 1);
                    };
                    AtomicReference<Throwable> thrown = new AtomicReference<>();
                    Runnable read = () -> {
                        try {
                            s.read(new byte[1], 0, 1); // no deadline when it starts: would wait for ever
                        } catch (Throwable t) {
                            thrown.set(t);
                        }
                    };
                    try {
                        if (goroutine) {
                            Goroutine g = Go.spawn(read);
                            Thread waiter = Thread.ofPlatform().start(() -> {
                                try {
                                    g.join();
                                } catch (InterruptedException e) {
                                    Thread.currentThread().interrupt();
                                }
                            });
                            waiter.join(10_000);
                            assertTrue(!waiter.isAlive(), "the goroutine still waits under the old deadline");
                        } else {
                            Thread t = Thread.ofPlatform().start(read);
                            t.join(10_000);
                            assertTrue(!t.isAlive(), "the thread still waits under the old deadline");
                        }
                    } finally {
                        PollDesc.beforeWaitForTests = null;
                        s.setReadDeadline(0);
                    }
                    assertTrue(once.get(), "the seam ran");
                    assertTrue(thrown.get() instanceof SocketTimeoutException, String.valueOf(thrown.get()));
                }
            }
        }
    }

    /** Platform threads block in poll(2): a deadline change reaches them through the wait's kick eventfd. */
    @Test
    void aPastDeadlineWakesAPlatformThreadBlockedInPoll() throws Exception {
        try (GoServerSocket server = GoServerSocket.bind(LOOPBACK)) {
            GoSocket s = GoSocket.connect(server.localAddress());
            GoSocket peer = server.accept();
            try (s; peer) {
                for (int round = 0; round < 3; round++) { // each wait makes, shows and closes its own eventfd
                    AtomicReference<Throwable> thrown = new AtomicReference<>();
                    Thread reader = Thread.ofPlatform().start(() -> {
                        try {
                            s.read(new byte[1], 0, 1);
                        } catch (Throwable t) {
                            thrown.set(t);
                        }
                    });
                    awaitTrue("reader blocked in poll", 10_000, () -> s.nfd.pd.platformWaiters() == 1);
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
    void closeWakesGoroutineParkedInRead() {
        runMain(() -> {
            try (GoServerSocket server = GoServerSocket.bind(LOOPBACK)) {
                // connect returns once the kernel completed the handshake (backlog): accept then finds it
                try (GoSocket s = GoSocket.connect(server.localAddress()); GoSocket peer = server.accept()) {
                    AtomicReference<Throwable> thrown = new AtomicReference<>();
                    Goroutine reader = parkedReader(s, thrown);
                    assertTrue(Go.dump().contains("IO wait"), Go.dump());
                    s.close();
                    reader.join();
                    assertTrue(thrown.get() instanceof SocketException, String.valueOf(thrown.get()));
                    assertEquals("Socket closed", thrown.get().getMessage());
                    assertThrows(SocketException.class, () -> s.read(new byte[1], 0, 1));
                }
            }
        });
    }

    @Test
    void closeWakesParkedAccept() {
        runMain(() -> {
            GoServerSocket server = GoServerSocket.bind(LOOPBACK);
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            Goroutine g = Go.spawn(() -> {
                try {
                    server.accept();
                } catch (Throwable t) {
                    thrown.set(t);
                }
            });
            while (g.state() != Goroutine.State.WAITING) Go.yield();
            server.close();
            g.join();
            assertTrue(thrown.get() instanceof SocketException, String.valueOf(thrown.get()));
        });
    }

    @Test
    void portAlreadyInUseIsBindException() {
        runMain(() -> {
            try (GoServerSocket server = GoServerSocket.bind(LOOPBACK)) {
                InetSocketAddress taken = server.localAddress();
                assertThrows(BindException.class, () -> GoServerSocket.bind(taken));
            }
        });
    }

    interface ConnectionHandler {
        void handle(GoSocket c) throws IOException;
    }

    /**
     * An acceptor goroutine that serves each connection in a goroutine of its own with
     * {@code handler}, then closes it; it ends when the server socket closes. A handler's
     * IOException is dropped: the tests that use this check from the client side.
     */
    static void serveEach(GoServerSocket server, ConnectionHandler handler) {
        Go.spawn("acceptor", () -> {
            try {
                for (;;) {
                    GoSocket c = server.accept();
                    Go.spawn(() -> {
                        try (c) {
                            handler.handle(c);
                        } catch (IOException ignored) {
                            // the client side checks
                        }
                    });
                }
            } catch (IOException closed) {
                // the server socket closed: done
            }
        });
    }

    @Test
    void noDescriptorLeakedAfterTenThousandConnections() throws Exception {
        int before = NetTestSupport.openFds();
        runMain(() -> {
            try (GoServerSocket server = GoServerSocket.bind(LOOPBACK)) {
                InetSocketAddress addr = server.localAddress();
                serveEach(server, c -> {
                    byte[] b = new byte[1];
                    if (c.read(b, 0, 1) == 1) c.write(b, 0, 1);
                });
                int batch = 100;
                for (int done = 0; done < 10_000; done += batch) {
                    WaitGroup wg = new WaitGroup();
                    wg.add(batch);
                    for (int i = 0; i < batch; i++) {
                        Go.spawn(() -> {
                            try (GoSocket s = GoSocket.connect(addr)) {
                                s.write(new byte[] {1}, 0, 1);
                                byte[] b = new byte[1];
                                assertEquals(1, s.read(b, 0, 1));
                            } catch (IOException e) {
                                throw new RuntimeException(e);
                            } finally {
                                wg.done();
                            }
                        });
                    }
                    wg.await();
                }
            }
        });
        // Server-side goroutines close their sockets after the clients' last read: let them finish.
        awaitTrue("descriptors back to " + before, 10_000, () -> NetTestSupport.openFds() <= before);
    }

    @Test
    void closeReleasesTheSocketAndThePeerSeesEndOfStream() {
        // io_uring's armed poll holds its own reference to the file: close(fd) alone frees only
        // the number, and the connection ends (FIN) when the poll is removed. The peer must see
        // the end of every connection promptly (a poll never removed would keep it open).
        runMain(() -> {
            try (GoServerSocket server = GoServerSocket.bind(LOOPBACK)) {
                InetSocketAddress addr = server.localAddress();
                // parks first (the poll is armed), then closes without replying
                serveEach(server, c -> c.read(new byte[1], 0, 1));
                ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
                for (int done = 0; done < 1_000; done += 100) {
                    WaitGroup wg = new WaitGroup();
                    wg.add(100);
                    for (int i = 0; i < 100; i++) {
                        Go.spawn(() -> {
                            try (GoSocket s = GoSocket.connect(addr)) {
                                s.setReadTimeout(Duration.ofSeconds(5));
                                Go.sleep(Duration.ofMillis(1)); // let the server park in its read
                                s.write(new byte[] {1}, 0, 1);
                                int r = s.read(new byte[1], 0, 1);
                                if (r != -1) failures.add("read " + r + " instead of end of stream");
                            } catch (IOException | InterruptedException e) {
                                failures.add(e.toString());
                            } finally {
                                wg.done();
                            }
                        });
                    }
                    wg.await();
                }
                assertTrue(failures.isEmpty(), failures.size() + " connections: " + failures.peek());
            }
        });
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
            Thread reader = Thread.ofPlatform().start(() -> {
                try {
                    s.read(new byte[1], 0, 1);
                } catch (Throwable t) {
                    thrown.set(t);
                }
            });
            awaitTrue("reader blocked in poll", 10_000, () -> s.nfd.pd.platformWaiters() == 1);
            s.close();
            reader.join(10_000);
            assertTrue(thrown.get() instanceof SocketException, String.valueOf(thrown.get()));
            peer[0].close();
        }
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

    @Test
    void timersFireWhileTheOnlyIdleCarrierWaitsForIo() {
        runMain(() -> {
            try (GoServerSocket server = GoServerSocket.bind(LOOPBACK)) {
                Goroutine acceptor = Go.spawn(() -> {
                    try {
                        server.accept(); // parks in the poller until the close
                    } catch (IOException expected) {
                        // closed
                    }
                });
                while (acceptor.state() != Goroutine.State.WAITING) Go.yield();
                for (int i = 0; i < 20; i++) Go.sleep(Duration.ofMillis(2)); // timers while the poller blocks
                server.close();
                acceptor.join();
            }
        });
    }

    /**
     * Owed netpoll-batch wake-ups (-Dgort.pollwake=owed, the default; WakePolicy.payOwedWakes):
     * the carrier that puts a batch of readied goroutines into its own ring wakes nobody. Here
     * the first reader of each batch computes without any runtime call until a second reader runs
     * at the same time: the rest of its batch waits on a P that makes no progress, and only
     * sysmon paying the owed wake-up brings another carrier for them. A platform thread writes
     * to all readers at once when every P is idle, so the batch usually lands on one P. Without
     * the payment those rounds never end (each reader gives up after 20 s and the test fails).
     */
    @Test
    void pollBatchBehindAComputingGoroutineReachesAnotherCarrier() {
        // Two readers must run at once: with -Dgort.maxprocs=1 this cannot pass.
        org.junit.jupiter.api.Assumptions.assumeTrue(Go.maxProcs() >= 2, "needs at least 2 processors");
        dev.gort.sched.Scheduler.setPollWakeOwedForTests(true);
        try {
            runMain(() -> {
                int k = 6;
                try (GoServerSocket server = GoServerSocket.bind(LOOPBACK)) {
                    for (int round = 0; round < 20; round++) {
                        GoSocket[] clients = new GoSocket[k];
                        GoSocket[] peers = new GoSocket[k];
                        for (int i = 0; i < k; i++) {
                            clients[i] = GoSocket.connect(server.localAddress());
                            peers[i] = server.accept();
                        }
                        java.util.concurrent.atomic.AtomicInteger running = new java.util.concurrent.atomic.AtomicInteger();
                        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
                        Goroutine[] readers = new Goroutine[k];
                        for (int i = 0; i < k; i++) {
                            GoSocket peer = peers[i];
                            readers[i] = Go.spawn(() -> {
                                try {
                                    assertEquals(1, peer.read(new byte[1], 0, 1));
                                } catch (IOException e) {
                                    failures.add(e.toString());
                                    return;
                                }
                                running.incrementAndGet();
                                long giveUp = System.nanoTime() + 20_000_000_000L;
                                while (running.get() < 2) { // no runtime call: no park, no safepoint
                                    if (System.nanoTime() - giveUp > 0) {
                                        failures.add("no other carrier ran the rest of the batch in 20 s");
                                        return;
                                    }
                                    Thread.onSpinWait();
                                }
                            });
                        }
                        for (Goroutine r : readers) {
                            while (r.state() != Goroutine.State.WAITING) Go.yield();
                        }
                        Thread writer = Thread.ofPlatform().start(() -> {
                            try {
                                for (;;) { // main is parked in join below: wait until every P is idle
                                    var m = Go.metrics();
                                    if (m.idleProcs() == m.processors() && m.spinningThreads() == 0) break;
                                    Thread.onSpinWait();
                                }
                                for (GoSocket c : clients) c.write(new byte[] {1}, 0, 1);
                            } catch (IOException e) {
                                failures.add(e.toString());
                            }
                        });
                        for (Goroutine r : readers) r.join();
                        writer.join();
                        for (int i = 0; i < k; i++) {
                            clients[i].close();
                            peers[i].close();
                        }
                        assertTrue(failures.isEmpty(), "round " + round + ": " + failures);
                    }
                }
            });
        } finally {
            dev.gort.sched.Scheduler.setPollWakeOwedForTests(!"eager".equals(System.getProperty("gort.pollwake")));
        }
    }

    @Test
    void pollerWakesPromptlyOnWakeup() throws Exception {
        // Go's TestNetpollBreak: a poll blocked with no timeout returns when woken.
        String[] why = new String[1];
        try (Poller p = Netpoll.select(NetTestSupport.expectedDriver(), why)) {
            for (int round = 0; round < 3; round++) {
                Thread t = Thread.ofPlatform().start(() -> p.poll(-1, new java.util.ArrayList<>()));
                Thread.sleep(10); // not needed for correctness: wakeup() before the poll also makes it return
                p.wakeup();
                t.join(10_000);
                assertTrue(!t.isAlive(), "poll(-1) did not return after wakeup()");
            }
            p.wakeup(); // pending wake-up: the next poll returns at once
            p.poll(-1, new java.util.ArrayList<>());
            List<dev.gort.sched.G> none = new java.util.ArrayList<>();
            p.poll(0, none);
            assertTrue(none.isEmpty());
        }
    }

    // ---- adversarial: descriptor reuse, deadlines, close races

    /** The payload the server sends for connection id: a stream from its own seed, 1 B to 32 KiB. */
    static byte[] payloadFor(long id) {
        Random r = new Random(id * 0x9E3779B97F4A7C15L);
        byte[] b = new byte[1 + r.nextInt(32 << 10)];
        fill(r, b, b.length);
        return b;
    }

    static long readId(GoSocket c) throws IOException {
        byte[] id = new byte[8];
        for (int got = 0; got < 8; ) {
            int n = c.read(id, got, 8 - got);
            if (n < 0) throw new java.io.EOFException("no id");
            got += n;
        }
        return ByteBuffer.wrap(id).getLong();
    }

    /**
     * A socket closed while its reader is parked (its RECV or poll freshly armed), and new
     * sockets that get the same descriptor number at once: nothing meant for the old socket may
     * reach a new one, and nothing meant for a new one may be swallowed by the old one's late
     * request (io_uring resolves a descriptor number when it submits an SQE, not when it is
     * queued). Every client of a "normal" round must get exactly its own payload.
     */
    @Test
    void closingAParkedReaderWhileItsNumberIsReusedNeverCrossesConnections() throws Exception {
        long seed = Long.getLong("seed", 20260601L);
        int workers = 8, rounds = 400;
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        int before = NetTestSupport.openFds();
        try {
            runMain(() -> {
                try (GoServerSocket server = GoServerSocket.bind(LOOPBACK)) {
                    InetSocketAddress addr = server.localAddress();
                    serveEach(server, c -> {
                        long id = readId(c);
                        byte[] p = payloadFor(id);
                        c.write(p, 0, p.length);
                        c.shutdownOutput();
                        c.read(new byte[1], 0, 1); // until the client closes
                    });
                    WaitGroup wg = new WaitGroup();
                    wg.add(workers);
                    for (int w = 0; w < workers; w++) {
                        int worker = w;
                        Go.spawn(() -> {
                            Random r = new Random(seed + worker);
                            try {
                                for (int i = 0; i < rounds && failures.isEmpty(); i++) {
                                    long id = (long) worker << 32 | i;
                                    GoSocket s = GoSocket.connect(addr);
                                    if (r.nextBoolean()) { // victim: park a reader, close under it
                                        AtomicReference<Throwable> thrown = new AtomicReference<>();
                                        Goroutine reader = Go.spawn(() -> {
                                            try {
                                                int n = s.read(new byte[16], 0, 16);
                                                thrown.set(new AssertionError("victim read returned " + n));
                                            } catch (Throwable t) {
                                                thrown.set(t);
                                            }
                                        });
                                        int spins = r.nextInt(4);
                                        if (spins == 3) {
                                            while (reader.state() != Goroutine.State.WAITING && reader.isAlive()) Go.yield();
                                        } else {
                                            for (int k = 0; k < spins; k++) Go.yield();
                                        }
                                        s.close();
                                        reader.join();
                                        if (!(thrown.get() instanceof SocketException)) failures.add("victim " + id + ": " + thrown.get());
                                    } else { // normal: exactly our payload, promptly
                                        try (s) {
                                            s.setReadTimeout(Duration.ofSeconds(5));
                                            byte[] idb = ByteBuffer.allocate(8).putLong(id).array();
                                            s.write(idb, 0, 8);
                                            byte[] want = payloadFor(id);
                                            byte[] got = new byte[want.length + 1];
                                            int n = 0;
                                            for (;;) {
                                                int k = r.nextBoolean()
                                                    ? s.read(got, n, got.length - n)
                                                    : readDirect(s, got, n);
                                                if (k < 0) break;
                                                n += k;
                                                if (n > want.length) break;
                                            }
                                            if (n != want.length || !java.util.Arrays.equals(want, 0, n, got, 0, n)) {
                                                failures.add("client " + id + " on fd " + s.fd() + ": got " + n + " of " + want.length
                                                    + " bytes" + (n == want.length ? " (different)" : ""));
                                            }
                                        } catch (SocketTimeoutException e) {
                                            failures.add("client " + id + " on fd " + s.fd() + ": its payload never came (" + e + ")");
                                        }
                                    }
                                }
                            } catch (Exception e) {
                                failures.add("worker " + worker + ": " + e);
                            } finally {
                                wg.done();
                            }
                        });
                    }
                    wg.await();
                }
            });
        } catch (Throwable t) {
            throw new AssertionError("seed " + seed + ": " + t, t);
        }
        assertTrue(failures.isEmpty(), "seed " + seed + ": " + failures.size() + " failures: " + failures.stream().limit(5).toList());
        awaitTrue("descriptors back to " + before, 10_000, () -> NetTestSupport.openFds() <= before);
    }

    /** One read through a direct buffer into b at off. */
    static int readDirect(GoSocket s, byte[] b, int off) throws IOException {
        ByteBuffer d = ByteBuffer.allocateDirect(b.length - off);
        int n = s.read(d);
        if (n > 0) {
            d.flip();
            d.get(b, off, n);
        }
        return n;
    }

    /**
     * close() shuts a listening socket down after waking its waiters; if another thread holds a
     * reference then, that thread's release may close the descriptor first, and a socket opened
     * at that moment gets the same number. The seam runs in close() right there: the holder (a
     * platform thread in accept's poll(2), whose timeout ends it) leaves, then a new server socket
     * is bound. The new one must keep listening: close() may only touch its own socket.
     */
    @Test
    void closeShutsDownOnlyItsOwnSocketWhenAnotherThreadLeavesLast() throws Exception {
        int before = NetTestSupport.openFds();
        for (int round = 0; round < 5; round++) {
            GoServerSocket server = GoServerSocket.bind(LOOPBACK);
            int oldFd = server.fd();
            Thread holder = Thread.ofPlatform().start(() -> {
                try {
                    server.accept(Duration.ofMillis(300)); // in poll(2): holds a reference until it returns
                } catch (IOException expected) {
                    // closed (or timed out before the close: the round proves nothing then)
                }
            });
            awaitTrue("accept blocked in poll(2)", 10_000, () -> server.nfd().pd.platformWaiters() == 1);
            AtomicReference<GoServerSocket> fresh = new AtomicReference<>();
            NetFd.beforeShutdownForTests = () -> {
                try {
                    holder.join(); // it wakes at its timeout, sees the close and leaves last
                    fresh.set(GoServerSocket.bind(LOOPBACK)); // the lowest free number: the old one's, if it is free
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            };
            try {
                server.close();
            } finally {
                NetFd.beforeShutdownForTests = null;
            }
            try (GoServerSocket f = fresh.get();
                 GoSocket c = GoSocket.connect(f.localAddress(), Duration.ofSeconds(5));
                 GoSocket a = f.accept(Duration.ofSeconds(5))) {
                c.write(new byte[] {1}, 0, 1);
                assertEquals(1, a.read(new byte[1], 0, 1));
            } catch (IOException e) {
                throw new AssertionError("round " + round + ": a server socket bound while fd " + oldFd + " closed (fd "
                    + fresh.get().fd() + ") stopped listening: " + e, e);
            }
        }
        awaitTrue("descriptors back to " + before, 10_000, () -> NetTestSupport.openFds() <= before);
    }

    /**
     * Many connections whose reader and writer both wait with short random deadlines (per
     * operation timeouts, absolute deadlines, some already passed) while the other side keeps
     * sending or reading in bursts, and a third goroutine moves the read deadline around while
     * the reader is parked. A wait that times out must have passed its deadline and lose nothing:
     * the reader gets the whole stream in order, and a writer that times out continues from its
     * buffer's position (which must say exactly what was written).
     */
    @Test
    void shortRandomDeadlinesOnBothSidesLoseNothing() throws Exception {
        long seed = Long.getLong("seed", 20260603L);
        int conns = 16;
        int total = 512 << 10;
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        java.util.concurrent.atomic.AtomicLong readTimeouts = new java.util.concurrent.atomic.AtomicLong();
        java.util.concurrent.atomic.AtomicLong writeTimeouts = new java.util.concurrent.atomic.AtomicLong();
        try {
            runMain(() -> {
                try (GoServerSocket server = GoServerSocket.bind(LOOPBACK)) {
                    WaitGroup wg = new WaitGroup();
                    wg.add(2 * conns + conns / 2);
                    for (int i = 0; i < conns; i++) {
                        long cseed = seed * 31 + i;
                        boolean moved = i % 2 == 1; // a third goroutine moves its read deadline (no checks of the reader's deadlines then)
                        GoSocket w = GoSocket.connect(server.localAddress());
                        GoSocket rd = server.accept();
                        // small buffers, so that the writer fills them and waits too
                        w.nfd.setIntOption(dev.gort.netpoll.ffi.Native.SOL_SOCKET, dev.gort.netpoll.ffi.Native.SO_SNDBUF, 8192);
                        rd.nfd.setIntOption(dev.gort.netpoll.ffi.Native.SOL_SOCKET, dev.gort.netpoll.ffi.Native.SO_RCVBUF, 8192);
                        java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
                        Go.spawn(() -> { // writer
                            Random r = new Random(cseed);
                            Random data = new Random(cseed ^ 0x5DEECE66DL);
                            try (w) {
                                int sent = 0;
                                while (sent < total) {
                                    int n = Math.min(total - sent, 1 + r.nextInt(64 << 10));
                                    ByteBuffer b = r.nextBoolean() ? ByteBuffer.allocateDirect(n) : ByteBuffer.allocate(n);
                                    for (int k = 0; k < n; k++) b.put((byte) data.nextInt());
                                    b.flip();
                                    while (b.hasRemaining()) {
                                        long deadline = 0;
                                        if (r.nextInt(3) == 0) {
                                            w.setWriteTimeout(Duration.ofNanos(50_000 + r.nextInt(2_000_000)));
                                            w.setWriteDeadline(0);
                                        } else {
                                            w.setWriteTimeout(null);
                                            deadline = System.nanoTime() - 500_000 + r.nextInt(3_000_000);
                                            w.setWriteDeadline(deadline);
                                        }
                                        try {
                                            w.write(b);
                                        } catch (SocketTimeoutException e) {
                                            writeTimeouts.incrementAndGet();
                                            if (deadline != 0 && System.nanoTime() - deadline < 0) failures.add("write timed out before its deadline");
                                        }
                                    }
                                    sent += n;
                                    if (r.nextInt(3) == 0) Go.sleep(Duration.ofNanos(r.nextInt(1_500_000))); // the reader times out
                                }
                                w.setWriteDeadline(0);
                                w.setWriteTimeout(null);
                                w.shutdownOutput();
                            } catch (Exception e) {
                                failures.add("writer " + cseed + ": " + e);
                            } finally {
                                wg.done();
                            }
                        });
                        Go.spawn(() -> { // reader
                            Random r = new Random(cseed + 1);
                            Random data = new Random(cseed ^ 0x5DEECE66DL);
                            long got = 0;
                            try (rd) {
                                for (;;) {
                                    long deadline = 0;
                                    int mode = r.nextInt(4);
                                    if (mode == 0) {
                                        rd.setReadDeadline(0);
                                        rd.setReadTimeout(Duration.ofNanos(20_000 + r.nextInt(1_000_000)));
                                    } else if (mode == 1) {
                                        rd.setReadTimeout(null);
                                        deadline = System.nanoTime() - 200_000 + r.nextInt(2_000_000);
                                        rd.setReadDeadline(deadline);
                                    } else {
                                        rd.setReadTimeout(null);
                                        rd.setReadDeadline(0);
                                        deadline = -1; // none: must not time out
                                    }
                                    ByteBuffer b = r.nextBoolean() ? ByteBuffer.allocateDirect(1 + r.nextInt(20_000)) : ByteBuffer.allocate(1 + r.nextInt(20_000));
                                    int n;
                                    try {
                                        n = rd.read(b);
                                    } catch (SocketTimeoutException e) {
                                        readTimeouts.incrementAndGet();
                                        if (moved) continue;
                                        if (deadline == -1) failures.add("read without a deadline timed out");
                                        else if (deadline != 0 && System.nanoTime() - deadline < 0) failures.add("read timed out before its deadline");
                                        continue;
                                    }
                                    if (n < 0) break;
                                    b.flip();
                                    for (int k = 0; k < n; k++) {
                                        byte want = (byte) data.nextInt();
                                        if (b.get() != want) {
                                            failures.add("reader " + cseed + ": byte " + (got + k) + " differs");
                                            return;
                                        }
                                    }
                                    got += n;
                                    if (r.nextInt(3) == 0) Go.sleep(Duration.ofNanos(r.nextInt(1_500_000))); // the writer times out
                                }
                                if (got != total) failures.add("reader " + cseed + ": " + got + " of " + total + " bytes");
                            } catch (Exception e) {
                                failures.add("reader " + cseed + " at byte " + got + ": " + e);
                            } finally {
                                done.set(true);
                                wg.done();
                            }
                        });
                        if (moved) Go.spawn(() -> { // moves the read deadline while the reader may be parked
                            Random r = new Random(cseed + 2);
                            try {
                                while (!done.get()) {
                                    rd.setReadDeadline(r.nextBoolean() ? 0 : System.nanoTime() + r.nextInt(1_000_000));
                                    Go.sleep(Duration.ofNanos(100_000 + r.nextInt(500_000)));
                                }
                            } catch (InterruptedException e) {
                                failures.add("deadline mover: " + e);
                            } finally {
                                wg.done();
                            }
                        });
                    }
                    wg.await();
                }
            });
        } catch (Throwable t) {
            throw new AssertionError("seed " + seed + ": " + t, t);
        }
        System.out.println("shortRandomDeadlines: " + readTimeouts + " read and " + writeTimeouts + " write timeouts");
        assertTrue(failures.isEmpty(), "seed " + seed + ": " + failures.size() + " failures: " + failures.stream().limit(5).toList());
    }

    /**
     * close() from platform threads and goroutines at once (double closes included) racing a
     * parked or running reader, writer, accept and shutdownOutput on the same sockets: every
     * operation ends (no hang), those that did not finish before the close throw
     * SocketException, and no descriptor is leaked.
     */
    @Test
    void closeRacingEveryOperationWakesEveryoneAndLeaksNothing() throws Exception {
        long seed = Long.getLong("seed", 20260605L);
        Random r = new Random(seed);
        int before = NetTestSupport.openFds();
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        try {
            runMain(() -> {
                try (GoServerSocket server = GoServerSocket.bind(LOOPBACK)) {
                    for (int round = 0; round < 300 && failures.isEmpty(); round++) {
                        String where = "round " + round;
                        GoServerSocket server2 = GoServerSocket.bind(LOOPBACK);
                        GoSocket c = GoSocket.connect(server.localAddress());
                        GoSocket a = server.accept();
                        List<Goroutine> gs = new java.util.ArrayList<>();
                        gs.add(Go.spawn(() -> { // reader: nothing is sent, so it ends only by the close
                            try {
                                c.read(new byte[100], 0, 100);
                                failures.add(where + ": read returned");
                            } catch (SocketException expected) {
                            } catch (IOException e) {
                                failures.add(where + ": read: " + e);
                            }
                        }));
                        gs.add(Go.spawn(() -> { // writer: fills the buffers, then parks
                            byte[] b = new byte[64 << 10];
                            try {
                                for (;;) c.write(b, 0, b.length);
                            } catch (SocketException expected) {
                            } catch (IOException e) {
                                failures.add(where + ": write: " + e);
                            }
                        }));
                        gs.add(Go.spawn(() -> {
                            try {
                                server2.accept();
                                failures.add(where + ": accept returned");
                            } catch (SocketException expected) {
                            } catch (IOException e) {
                                failures.add(where + ": accept: " + e);
                            }
                        }));
                        gs.add(Go.spawn(() -> {
                            try {
                                c.shutdownOutput();
                            } catch (SocketException expected) {
                            } catch (IOException e) {
                                failures.add(where + ": shutdownOutput: " + e);
                            }
                        }));
                        for (int k = r.nextInt(4); k > 0; k--) Go.yield();
                        if (r.nextBoolean()) {
                            // wait until the goroutines are parked, sometimes
                            for (Goroutine g : gs) {
                                long until = System.nanoTime() + 100_000_000L;
                                while (g.isAlive() && g.state() != Goroutine.State.WAITING && System.nanoTime() < until) Go.yield();
                            }
                        }
                        Thread p1 = Thread.ofPlatform().start(c::close);
                        Thread p2 = Thread.ofPlatform().start(server2::close);
                        Goroutine g1 = Go.spawn(c::close);
                        Goroutine g2 = Go.spawn(server2::close);
                        c.close();
                        for (Goroutine g : gs) {
                            if (!g.join(Duration.ofSeconds(10))) failures.add(where + ": a waiter never woke\n" + Go.dump());
                        }
                        g1.join();
                        g2.join();
                        p1.join();
                        p2.join();
                        a.close();
                    }
                }
            });
        } catch (Throwable t) {
            throw new AssertionError("seed " + seed + ": " + t, t);
        }
        assertTrue(failures.isEmpty(), "seed " + seed + ": " + failures.stream().limit(3).toList());
        awaitTrue("descriptors back to " + before, 10_000, () -> NetTestSupport.openFds() <= before);
    }
}
