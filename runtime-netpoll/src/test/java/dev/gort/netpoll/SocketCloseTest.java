package dev.gort.netpoll;

import static dev.gort.netpoll.NetTestSupport.awaitTrue;
import static dev.gort.netpoll.NetTestSupport.runMain;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gort.Go;
import dev.gort.Goroutine;
import dev.gort.sync.WaitGroup;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** close(): it wakes every waiter, releases the descriptor, and touches only its own socket, whatever races it. */
class SocketCloseTest extends SocketTestSupport {
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
