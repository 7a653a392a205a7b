package dev.gort.netpoll;

import static dev.gort.netpoll.NetTestSupport.runMain;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gort.Go;
import dev.gort.Goroutine;
import dev.gort.sync.WaitGroup;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Read and write deadlines (Go's SetDeadline): they expire on time, apply to waits in progress, and lose no data. */
class SocketDeadlineTest extends SocketTestSupport {
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

    /**
     * Ping-pong over a pair with a read timeout on both sides, so that nearly every read parks
     * under a deadline: each direction's timer is armed and disarmed wait after wait, and a
     * round trip (two parks with timers, two reads and two writes from arrays) allocates nothing
     * in steady state (a timer per wait and a ByteBuffer per call were about 300 B). Measured as
     * the JVM's total allocated bytes (ThreadMXBean), which includes whatever else runs: the
     * bound is loose, and applies to the readiness drivers (epoll, kqueue); io_uring's figure is
     * printed. Then a timeout fires, and the next waits, under a fresh timer, do not
     * time out.
     */
    @Test
    void waitsUnderADeadlineReuseTheirTimerAndAllocateNothing() {
        onConnectedPair((s, peer) -> {
            s.setReadTimeout(Duration.ofSeconds(30));
            peer.setReadTimeout(Duration.ofSeconds(30));
            int warm = 5_000, measured = 20_000;
            Goroutine echo = Go.spawn(() -> {
                byte[] b = new byte[1];
                try {
                    for (int i = 0; i < warm + measured; i++) {
                        if (peer.read(b, 0, 1) != 1) throw new AssertionError("end of stream");
                        peer.write(b, 0, 1);
                    }
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            var mx = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
            byte[] b = new byte[1];
            long before = 0;
            for (int i = 0; i < warm + measured; i++) {
                if (i == warm) before = mx.getTotalThreadAllocatedBytes();
                b[0] = (byte) i;
                s.write(b, 0, 1);
                assertEquals(1, s.read(b, 0, 1));
                assertEquals((byte) i, b[0]);
            }
            double perRoundTrip = (mx.getTotalThreadAllocatedBytes() - before) / (double) measured;
            echo.join();
            String driver = Go.metrics().netpoller();
            System.out.printf("waitsUnderADeadline (%s): %.1f bytes allocated per round trip%n", driver, perRoundTrip);
            // io_uring's owner thread allocates per completion (its CQE handling, not this path): bound the readiness drivers
            if (driver.equals("epoll") || driver.equals("kqueue")) assertTrue(perRoundTrip < 40, perRoundTrip + " bytes per round trip");
            s.setReadTimeout(Duration.ofMillis(20));
            assertThrows(SocketTimeoutException.class, () -> s.read(b, 0, 1)); // its timer fired: dropped
            s.setReadTimeout(Duration.ofSeconds(30));
            for (int i = 0; i < 100; i++) {
                peer.write(b, 0, 1);
                assertEquals(1, s.read(b, 0, 1));
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
}
