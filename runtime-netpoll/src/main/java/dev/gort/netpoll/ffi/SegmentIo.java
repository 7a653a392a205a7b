package dev.gort.netpoll.ffi;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.util.Objects;
import org.agrona.BufferUtil;
import org.agrona.concurrent.ManyToManyConcurrentArrayQueue;

/**
 * read(2) and write(2) on the application's buffers, bound with the FFM API rather than JNR (see
 * docs/DESIGN.md, "User buffers and the kernel"):
 *
 * <ul>
 *   <li>Each call takes the buffer's {@code [position, limit)} as it is at that moment, as one
 *       {@link MemorySegment} ({@link MemorySegment#ofBuffer}), and passes the kernel that
 *       segment's address and size: a position moved by racy application code between two calls
 *       can never make a call pass the buffer's end.</li>
 *   <li>A downcall checks that a segment argument's memory is alive and keeps it alive until the
 *       call returns: the buffer of a closed {@link Arena} fails with IllegalStateException
 *       ("Already closed", as the JDK's SocketChannel), and a shared arena cannot be closed
 *       while a call on its memory is in the kernel (its close() fails instead).</li>
 *   <li>Heap buffers never reach the kernel: their data goes through a bounce buffer,
 *       {@link #CHUNK} bytes of native memory from a small pool, at most that many per call (a
 *       large write is many calls: linear time, bounded memory; the JDK's NIO copies heap
 *       buffers through temporary direct buffers the same way).</li>
 * </ul>
 *
 * Results: bytes transferred, 0 at the end of the stream (read), {@link #EMPTY} when the buffer
 * had no room (nothing to write) at the call, or {@code -errno}. errno is captured by the linker
 * right after the call into the caller's slot ({@link #takeErrnoSlot}): NetFd has one per
 * direction, used under that direction's lock. Not thread-local memory: HotSpot treats
 * {@code Thread.currentThread()} as constant within a compiled method, so a goroutine that
 * parked and resumed on another carrier could go on using the first carrier's memory
 * (docs/DESIGN.md, "The current carrier is read in exactly one method"). The bounce buffers are
 * pooled for the same reason: taken for one call, given back after it.
 *
 * <p>Not public API.
 */
public final class SegmentIo {
    private SegmentIo() {}

    /** The bounce buffer's size: the most a heap buffer's read or write moves per call. */
    public static final int CHUNK = 64 * 1024;
    /** The buffer had no room (nothing to write) when the call looked: no syscall was made. */
    public static final long EMPTY = Long.MIN_VALUE;

    private static final StructLayout STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final MethodHandle READ = bind("read"), WRITE = bind("write");

    private static MethodHandle bind(String name) {
        Linker linker = Linker.nativeLinker();
        MemorySegment fn = linker.defaultLookup().find(name).orElseThrow(() -> new UnsatisfiedLinkError("gort: no " + name + " in libc"));
        // ssize_t name(int fd, void *buf, size_t count), errno captured
        return linker.downcallHandle(fn, FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
            ValueLayout.JAVA_LONG), Linker.Option.captureCallState("errno"));
    }

    /**
     * A slot of native memory for errno, for one caller's calls, one call at a time, until the
     * caller gives it back ({@link #freeErrnoSlot}). Slots are carved from chunks of global
     * memory and reused: no arena or Cleaner per socket (an automatic arena per socket cost
     * ~1 KB per idle connection in W8's idle phase). Native memory stays at the high-water mark
     * of sockets open at once (4 bytes a slot, in chunks of 256).
     */
    public static MemorySegment takeErrnoSlot() {
        synchronized (FREE_SLOTS) {
            MemorySegment s = FREE_SLOTS.pollLast();
            if (s != null) return s;
            MemorySegment chunk = Arena.global().allocate(STATE, SLOTS_PER_CHUNK);
            for (int i = SLOTS_PER_CHUNK - 1; i > 0; i--) FREE_SLOTS.addLast(chunk.asSlice(i * STATE.byteSize(), STATE));
            return chunk.asSlice(0, STATE);
        }
    }

    /** Gives back a slot of {@link #takeErrnoSlot}; its owner makes no call with it any more. */
    public static void freeErrnoSlot(MemorySegment slot) {
        synchronized (FREE_SLOTS) {
            FREE_SLOTS.addLast(slot);
        }
    }

    private static final int SLOTS_PER_CHUNK = 256;
    /** Idle errno slots; guarded by itself (taken and given back once per socket, not per call). */
    private static final java.util.ArrayDeque<MemorySegment> FREE_SLOTS = new java.util.ArrayDeque<>();

    /** A bounce buffer: CHUNK bytes of native memory, as a segment and as a ByteBuffer. */
    private record Bounce(MemorySegment segment, ByteBuffer buffer) {
        static Bounce allocate() {
            MemorySegment s = Arena.ofAuto().allocate(CHUNK, 64); // freed by the GC once dropped
            return new Bounce(s, s.asByteBuffer());
        }
    }

    /**
     * Idle bounce buffers: a call takes one (or makes one when none is idle) and gives it back
     * (dropped when the pool is full). Lock-free and allocation-free while the pool has some;
     * heap reads and writes only (direct buffers need none).
     */
    private static final ManyToManyConcurrentArrayQueue<Bounce> BOUNCES = new ManyToManyConcurrentArrayQueue<>(64);

    private static Bounce takeBounce() {
        Bounce b = BOUNCES.poll();
        return b != null ? b : Bounce.allocate();
    }

    /** read(2) of len bytes (at most seg's size) into seg: bytes read, 0 at end of stream, or -errno in errnoSlot. */
    public static long read(int fd, MemorySegment errnoSlot, MemorySegment seg, long len) {
        Objects.checkFromIndexSize(0L, len, seg.byteSize());
        long n;
        try {
            n = (long) READ.invokeExact(errnoSlot, fd, seg, len);
        } catch (RuntimeException | Error e) {
            throw e; // IllegalStateException: the segment's memory is no longer alive (or is another thread's)
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
        return n >= 0 ? n : -(long) (int) ERRNO.get(errnoSlot, 0L);
    }

    /** write(2) of len bytes (at most seg's size) from seg: bytes written, or -errno. */
    public static long write(int fd, MemorySegment errnoSlot, MemorySegment seg, long len) {
        Objects.checkFromIndexSize(0L, len, seg.byteSize());
        long n;
        try {
            n = (long) WRITE.invokeExact(errnoSlot, fd, seg, len);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
        return n >= 0 ? n : -(long) (int) ERRNO.get(errnoSlot, 0L);
    }

    /**
     * The segment of a direct buffer's {@code [position, limit)} that the last call of one
     * direction of one socket used, kept for the next call: a socket reads into (writes from)
     * the same buffer between the same bounds call after call, and
     * {@link MemorySegment#ofBuffer} allocates a segment and, for a buffer of
     * {@code allocateDirect}, a session object each time (JFR's allocation samples in W8: most of
     * a request's garbage; escape analysis removed them in some compilations only). A call whose
     * buffer, position and limit are the cached ones uses the cached segment, which covers exactly
     * that memory (a ByteBuffer's memory never moves), and a downcall checks and holds its scope
     * as it did when new: a closed arena's buffer still fails. Position and limit are read once
     * each; if application code moves them meanwhile, the pair may match no state the buffer was
     * in, but a pair that matches the cached one is that segment's bounds, inside the buffer.
     * A miss caches the new segment when the buffer is the cached one (other bounds) or none is
     * cached yet; a call with another buffer uses a segment of its own and leaves the cache as it
     * is, unless the 8 calls before it missed too (the program changed buffers for good). So a
     * program that writes a new buffer (a duplicate) per call pays about what it would without
     * the cache: a stored segment escapes, and escape analysis could no longer remove it.
     *
     * <p>One per direction of a socket, used under that direction's lock (NetFd's readLock,
     * writeLock; the reader's also serves completion-mode receive, RecvQueue.take), like the errno slot: plain fields, ordered between callers by the lock. It
     * holds its buffer until it caches another or {@link #clear} (the socket's end).
     * Costs about 100 bytes per direction used (this object, the cached segment and its session).
     */
    public static final class View {
        private ByteBuffer buffer;
        private int position, limit;
        private MemorySegment segment;
        /** Calls in a row with another buffer than the cached one. */
        private int misses;
        private static final int REPLACE_AFTER = 8;

        /** The segment of b's {@code [position, limit)} now (b direct), or null when that is empty. */
        public MemorySegment of(ByteBuffer b) {
            int p = b.position(), l = b.limit();
            if (b == buffer && p == position && l == limit) return segment;
            MemorySegment s = MemorySegment.ofBuffer(b); // its own snapshot of [position, limit)
            long len = s.byteSize();
            if (len <= 0) return null; // (< 0: a position and limit read while another thread moved them)
            int start = (int) (s.address() - BufferUtil.address(b));
            // Another buffer than the cached one: a buffer per call, perhaps, which caching would
            // only make escape; or a buffer for good, cached after REPLACE_AFTER such calls.
            if (buffer == null || b == buffer || ++misses >= REPLACE_AFTER) {
                buffer = b;
                segment = s;
                position = start;
                limit = start + (int) len;
                misses = 0;
            }
            return s;
        }

        /** Forgets the buffer (the socket is done: its buffers may be collected). */
        public void clear() {
            buffer = null;
            segment = null;
        }
    }

    /**
     * One read(2) into dst's {@code [position, limit)} as it is now (a heap buffer: at most
     * {@link #CHUNK} bytes, through a bounce buffer), advancing its position by what was read.
     * The caller has refused a read-only dst.
     *
     * @param view the direction's cached segment (direct buffers; see {@link View})
     * @return bytes read, 0 at end of stream, {@link #EMPTY}, or -errno
     * @throws IllegalStateException if dst's memory is no longer alive (a closed arena's buffer)
     */
    public static long read(int fd, MemorySegment errnoSlot, ByteBuffer dst, View view) {
        if (dst.isDirect()) {
            MemorySegment seg = view.of(dst); // one snapshot of [position, limit)
            if (seg == null) return EMPTY;
            long n = read(fd, errnoSlot, seg, seg.byteSize());
            if (n > 0) dst.position((int) (seg.address() - BufferUtil.address(dst) + n)); // the snapshot's position
            return n;
        }
        int pos = dst.position();
        int len = Math.min(dst.limit() - pos, CHUNK);
        if (len <= 0) return EMPTY;
        Bounce b = takeBounce();
        try {
            long n = read(fd, errnoSlot, b.segment, len);
            if (n > 0) {
                dst.put(pos, b.buffer, 0, (int) n); // bounds-checked against dst's limit now
                dst.position(pos + (int) n);
            }
            return n;
        } finally {
            BOUNCES.offer(b);
        }
    }

    /**
     * One write(2) of src's {@code [position, limit)} as it is now (a heap buffer: at most
     * {@link #CHUNK} bytes, through a bounce buffer), advancing its position by what was written.
     *
     * @param view the direction's cached segment (direct buffers; see {@link View})
     * @return bytes written, {@link #EMPTY}, or -errno
     * @throws IllegalStateException if src's memory is no longer alive (a closed arena's buffer)
     */
    public static long write(int fd, MemorySegment errnoSlot, ByteBuffer src, View view) {
        if (src.isDirect()) {
            MemorySegment seg = view.of(src);
            if (seg == null) return EMPTY;
            long n = write(fd, errnoSlot, seg, seg.byteSize());
            if (n > 0) src.position((int) (seg.address() - BufferUtil.address(src) + n));
            return n;
        }
        int pos = src.position();
        int len = Math.min(src.limit() - pos, CHUNK);
        if (len <= 0) return EMPTY;
        Bounce b = takeBounce();
        try {
            b.buffer.put(0, src, pos, len); // bounds-checked against src's limit now
            long n = write(fd, errnoSlot, b.segment, len);
            if (n > 0) src.position(pos + (int) n);
            return n;
        } finally {
            BOUNCES.offer(b);
        }
    }
}
