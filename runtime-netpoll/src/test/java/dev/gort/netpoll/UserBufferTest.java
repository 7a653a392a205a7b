package dev.gort.netpoll;

import static dev.gort.netpoll.NetTestSupport.assertAtRest;
import static dev.gort.netpoll.NetTestSupport.runMain;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gort.Go;
import dev.gort.Goroutine;
import java.lang.foreign.Arena;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What a read or write hands the kernel: exactly the buffer's {@code [position, limit)} as it is
 * at that call, memory that is alive for the whole call, never a read-only buffer to write into,
 * and never the Java heap (heap data goes through a bounded native buffer). Runs over every
 * driver (runtime-netpoll/pom.xml), completion-mode receive included.
 */
class UserBufferTest {
    static final InetSocketAddress LOOPBACK = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    static final byte GUARD = 0x55;

    @AfterEach
    void atRest() throws InterruptedException {
        assertAtRest();
    }

    /** A goroutine parked reading s into dst: what it read, or threw, lands in the references. */
    static Goroutine parkedReader(GoSocket s, ByteBuffer dst, AtomicReference<Integer> read, AtomicReference<Throwable> thrown) {
        Goroutine reader = Go.spawn("reader", () -> {
            try {
                read.set(s.read(dst));
            } catch (Throwable t) {
                thrown.set(t);
            }
        });
        while (reader.state() != Goroutine.State.WAITING) Go.yield();
        return reader;
    }

    /** Reads exactly len bytes from s. */
    static byte[] readFully(GoSocket s, int len) throws java.io.IOException {
        byte[] got = new byte[len];
        for (int n = 0; n < len; ) {
            int r = s.read(got, n, len - n);
            if (r < 0) throw new java.io.EOFException("end of stream after " + n + " of " + len + " bytes");
            n += r;
        }
        return got;
    }

    static byte[] pattern(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    /**
     * The reader parks with the whole 64 KiB buffer free; the application (racily) moves the
     * position meanwhile. The read that follows must fit what is left after the new position:
     * the guard bytes after the buffer's end stay untouched.
     */
    @Test
    void aPositionMovedWhileAReadIsParkedNeverLetsTheReadPassTheBuffersEnd() {
        SocketTestSupport.onConnectedPair((s, peer) -> {
            int cap = 64 * 1024, moved = 60_000;
            ByteBuffer guarded = ByteBuffer.allocateDirect(2 * cap);
            for (int i = cap; i < 2 * cap; i++) guarded.put(i, GUARD);
            ByteBuffer dst = guarded.slice(0, cap);
            AtomicReference<Integer> read = new AtomicReference<>();
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            Goroutine reader = parkedReader(s, dst, read, thrown);
            dst.position(moved); // the race: the read in progress sees the new position at its next attempt
            byte[] data = pattern(cap, 1);
            peer.write(data, 0, data.length);
            reader.join();
            assertEquals(null, thrown.get());
            int n = read.get();
            assertTrue(n > 0 && n <= cap - moved, "read " + n + " bytes into " + (cap - moved) + " free");
            for (int i = cap; i < 2 * cap; i++) {
                if (guarded.get(i) != GUARD) throw new AssertionError("byte " + (i - cap) + " past the buffer's end was written");
            }
            assertEquals(moved + n, dst.position());
            byte[] got = new byte[n];
            dst.get(moved, got);
            assertArrayEquals(Arrays.copyOf(data, n), got);
        });
    }

    /** As above for a heap buffer: the read fits its array's [position, limit) at the time of the call. */
    @Test
    void aPositionMovedWhileAHeapReadIsParkedNeverLetsTheReadPassTheLimit() {
        SocketTestSupport.onConnectedPair((s, peer) -> {
            int cap = 64 * 1024, moved = 60_000;
            byte[] array = new byte[2 * cap];
            Arrays.fill(array, cap, 2 * cap, GUARD);
            ByteBuffer dst = ByteBuffer.wrap(array, 0, cap);
            AtomicReference<Integer> read = new AtomicReference<>();
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            Goroutine reader = parkedReader(s, dst, read, thrown);
            dst.position(moved);
            byte[] data = pattern(cap, 2);
            peer.write(data, 0, data.length);
            reader.join();
            assertEquals(null, thrown.get());
            int n = read.get();
            assertTrue(n > 0 && n <= cap - moved, "read " + n + " bytes into " + (cap - moved) + " free");
            for (int i = cap; i < 2 * cap; i++) {
                if (array[i] != GUARD) throw new AssertionError("byte " + (i - cap) + " past the limit was written");
            }
            assertArrayEquals(Arrays.copyOf(data, n), Arrays.copyOfRange(array, moved, moved + n));
        });
    }

    /** The JDK's SocketChannel: IllegalStateException "Already closed"; nothing is sent. */
    @Test
    void aWriteFromTheBufferOfAClosedArenaThrowsAndSendsNothing() {
        SocketTestSupport.onConnectedPair((s, peer) -> {
            Arena arena = Arena.ofShared();
            ByteBuffer src = arena.allocate(4096).asByteBuffer();
            src.put(pattern(4096, 3)).flip();
            arena.close();
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> s.write(src));
            assertTrue(e.getMessage().contains("closed"), e.getMessage());
            assertEquals(0, src.position());
            byte[] after = pattern(100, 4);
            s.write(after, 0, after.length); // the socket stays usable, and the peer gets only this
            byte[] got = new byte[after.length];
            int n = 0;
            while (n < got.length) n += peer.read(got, n, got.length - n);
            assertArrayEquals(after, got);
        });
    }

    /**
     * A socket keeps the segment of the buffer it last wrote from (SegmentIo.View): once the
     * arena is closed, a write from that buffer with the same bounds (the cached segment) throws
     * as a first write would, and sends nothing.
     */
    @Test
    void aWriteFromABufferWrittenBeforeThrowsOnceItsArenaIsClosed() {
        SocketTestSupport.onConnectedPair((s, peer) -> {
            Arena arena = Arena.ofShared();
            ByteBuffer src = arena.allocate(64).asByteBuffer();
            byte[] data = pattern(64, 8);
            src.put(data);
            for (int i = 0; i < 2; i++) {
                s.write(src.clear());
                assertArrayEquals(data, readFully(peer, data.length));
            }
            src.clear();
            arena.close();
            assertThrows(IllegalStateException.class, () -> s.write(src));
            assertEquals(0, src.position());
            byte[] after = pattern(10, 9);
            s.write(after, 0, after.length);
            assertArrayEquals(after, readFully(peer, after.length)); // only this reached the peer
        });
    }

    /** A read into the buffer of a closed arena throws; the data stays in the socket for the next read. */
    @Test
    void aReadIntoTheBufferOfAClosedArenaThrowsAndLeavesTheDataInTheSocket() {
        SocketTestSupport.onConnectedPair((s, peer) -> {
            byte[] data = pattern(100, 5);
            peer.write(data, 0, data.length);
            Arena arena = Arena.ofShared();
            ByteBuffer dst = arena.allocate(4096).asByteBuffer().position(2048);
            arena.close();
            assertThrows(IllegalStateException.class, () -> s.read(dst));
            assertArrayEquals(data, readFully(s, data.length)); // still all in the socket
        });
    }

    /**
     * The arena is closed while a read into its buffer is parked: the read wakes to data and
     * throws instead of writing into the freed memory; the data stays in the socket.
     */
    @Test
    void anArenaClosedWhileAReadIsParkedFailsTheReadAndLeavesTheData() {
        SocketTestSupport.onConnectedPair((s, peer) -> {
            Arena arena = Arena.ofShared();
            ByteBuffer dst = arena.allocate(4096).asByteBuffer().position(2048);
            AtomicReference<Integer> read = new AtomicReference<>();
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            Goroutine reader = parkedReader(s, dst, read, thrown);
            arena.close(); // no syscall holds the memory while the reader is parked
            byte[] data = pattern(100, 6);
            peer.write(data, 0, data.length);
            reader.join();
            assertTrue(thrown.get() instanceof IllegalStateException, "read " + read.get() + ", threw " + thrown.get());
            assertArrayEquals(data, readFully(s, data.length)); // still all in the socket
        });
    }

    /** The JDK's SocketChannel: IllegalArgumentException "Read-only buffer"; the buffer is unchanged. */
    @Test
    void aReadIntoAReadOnlyBufferThrowsAndLeavesItUnchanged() {
        SocketTestSupport.onConnectedPair((s, peer) -> {
            byte[] data = pattern(10, 7);
            peer.write(data, 0, data.length);
            ByteBuffer direct = ByteBuffer.allocateDirect(10);
            ByteBuffer ro = direct.asReadOnlyBuffer();
            assertThrows(IllegalArgumentException.class, () -> s.read(ro));
            ByteBuffer heapRo = ByteBuffer.allocate(10).asReadOnlyBuffer();
            assertThrows(IllegalArgumentException.class, () -> s.read(heapRo));
            assertEquals(0, ro.position());
            for (int i = 0; i < 10; i++) assertEquals(0, direct.get(i), "byte " + i + " of the read-only buffer changed");
            assertArrayEquals(data, readFully(s, data.length)); // still all in the socket
            s.write(ByteBuffer.wrap(data).asReadOnlyBuffer()); // writing from one is fine
            assertArrayEquals(data, readFully(peer, data.length));
        });
    }

    /**
     * A 64 MiB write from a byte[] costs the process a bounded amount of memory (the data goes
     * through a reused native buffer in bounded pieces), not a copy of what is left per call:
     * neither the writer's heap allocation nor the process's peak resident memory during the
     * write (Linux: VmHWM, reset first through /proc/self/clear_refs) grows with the data. The
     * writer is a platform thread, so that its allocation is its own thread's.
     */
    @Test
    void aLargeHeapWriteTakesMemoryFarBelowItsSize() throws Exception {
        int size = 64 << 20;
        byte[] data = pattern(size, 8);
        long[] allocated = new long[1], peakGrowth = new long[1];
        AtomicReference<Throwable> failed = new AtomicReference<>();
        runMain(() -> {
            try (GoServerSocket server = GoServerSocket.bind(LOOPBACK)) {
                InetSocketAddress addr = server.localAddress();
                Thread writer = Thread.ofPlatform().start(() -> {
                    var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
                    try (GoSocket c = GoSocket.connect(addr)) {
                        long tid = Thread.currentThread().threadId();
                        c.write(new byte[1], 0, 1); // warm up the path's one-time allocations
                        long before = mx.getThreadAllocatedBytes(tid);
                        resetPeakRss();
                        long rss = status("VmRSS");
                        c.write(data, 0, data.length);
                        peakGrowth[0] = status("VmHWM") - rss;
                        allocated[0] = mx.getThreadAllocatedBytes(tid) - before;
                    } catch (Throwable t) {
                        failed.set(t);
                    }
                });
                try (GoSocket peer = server.accept()) {
                    byte[] buf = new byte[1 << 20];
                    long got = 0;
                    long sum = 0, want = 0;
                    for (int n; (n = peer.read(buf, 0, buf.length)) > 0; ) {
                        for (int i = 0; i < n; i++) sum += buf[i] & 0xff;
                        got += n;
                    }
                    for (byte b : data) want += b & 0xff;
                    assertEquals(size + 1L, got);
                    assertEquals(want, sum);
                }
                writer.join();
            }
        });
        if (failed.get() != null) throw new AssertionError(failed.get());
        String what = "a 64 MiB heap write allocated " + allocated[0] + " bytes of heap, peak resident memory grew by "
            + peakGrowth[0] + " bytes";
        System.out.println(what);
        assertTrue(allocated[0] < (4 << 20), what);
        assertTrue(peakGrowth[0] < (16 << 20), what);
    }

    /** Linux: makes VmHWM (the peak resident set) start again from the current resident set. */
    static void resetPeakRss() throws java.io.IOException {
        java.nio.file.Files.writeString(java.nio.file.Path.of("/proc/self/clear_refs"), "5");
    }

    /** A "VmXxx: N kB" line of /proc/self/status, in bytes. */
    static long status(String field) throws java.io.IOException {
        for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
            if (line.startsWith(field + ":")) return 1024 * Long.parseLong(line.substring(field.length() + 1).replace("kB", "").trim());
        }
        throw new AssertionError(field + " not in /proc/self/status");
    }
}
