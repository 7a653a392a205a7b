package dev.gort.netpoll;

import dev.gort.netpoll.ffi.Errno;
import dev.gort.netpoll.ffi.SegmentIo;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.agrona.BufferUtil;

/**
 * Data a driver received for one socket in completion mode (io_uring's multishot RECV into
 * provided buffers): chunks the kernel has already copied into the driver's buffers, in arrival
 * order, then possibly the end of the stream or an error. The socket's reader copies out of them
 * ({@link #take}) instead of calling read(2); a chunk read to its end goes back to the driver
 * ({@link Recycler}), which gives the buffer back to the kernel.
 *
 * <p>Threads: one producer (the driver's thread: {@link #push}, {@link #end}), one reader at a
 * time (NetFd's read lock: {@link #take}), and the closer ({@link #close}). Publication: a chunk is
 * pushed before the driver readies the reader (PollDesc.ready), and the queue is a
 * ConcurrentLinkedQueue, so a reader woken for it finds it; {@code end} is written after the
 * last chunk and read after the queue is found empty.
 *
 * <p>No buffer is lost: every chunk is taken to its end by the reader or drained by
 * {@link #close}; a chunk pushed after the close is drained by its pusher (Dekker: the pusher
 * adds, then reads {@code closed}; the closer writes {@code closed}, then drains; a chunk
 * drained twice cannot happen because {@code poll} hands each one out once).
 */
public final class RecvQueue {
    /** Gives a buffer back to the driver. */
    @FunctionalInterface
    public interface Recycler {
        void recycle(int bufferId);
    }

    private static final class Chunk {
        final long address;
        final int bufferId;
        final int length;
        int offset;

        Chunk(long address, int bufferId, int length) {
            this.address = address;
            this.bufferId = bufferId;
            this.length = length;
        }
    }

    private final ConcurrentLinkedQueue<Chunk> chunks = new ConcurrentLinkedQueue<>();
    private final Recycler recycler;
    /** 0: open; 1: end of stream after the queued chunks; < 0: -errno after them. */
    private volatile int end;
    private volatile boolean closed;
    /**
     * A RECV is armed for the socket: set by the reader when it arms one (Poller.armRecv), cleared
     * by the driver, after pushing the RECV's last chunk, when the RECV ends without ending the
     * stream (no buffer left, a CQ overflow). While it is clear the reader reads the socket with
     * read(2), once the queue is empty (NetFd.read).
     */
    public volatile boolean armed;
    /** All native memory, to copy the driver's buffers from (by address: they are the driver's to keep alive). */
    private static final MemorySegment NATIVE = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);

    public RecvQueue(Recycler recycler) {
        this.recycler = recycler;
    }

    /** Driver: {@code length} bytes arrived in buffer {@code bufferId} at {@code address}. */
    public void push(long address, int bufferId, int length) {
        chunks.offer(new Chunk(address, bufferId, length));
        if (closed) drain();
    }

    /** Driver: nothing more will arrive: end of stream ({@code errno} 0) or an error. */
    public void end(int errno) {
        end = errno == 0 ? 1 : -errno;
    }

    /** Closer: no reader any more; every buffer still queued goes back. */
    public void close() {
        closed = true;
        drain();
    }

    private void drain() {
        Chunk c;
        while ((c = chunks.poll()) != null) recycler.recycle(c.bufferId);
    }

    /**
     * Reader: copies as much as fits into dst's {@code [position, limit)} as it is now (one
     * snapshot, as a MemorySegment: bounds-checked, and a closed arena's buffer throws before
     * anything is taken), advancing its position. The caller has refused a read-only dst.
     *
     * @return bytes copied (> 0), -1 at the end of the stream, or 0 when nothing has arrived yet
     * @throws IOException the error that ended the stream, once the data before it has been read
     * @throws IllegalStateException if dst's memory is no longer alive; the data stays queued
     */
    int take(ByteBuffer dst) throws IOException {
        return take(dst, null);
    }

    /**
     * {@link #take(ByteBuffer)} through the reader's {@link SegmentIo.View} for a direct dst
     * (null: a segment of its own), so that reading into the same buffer allocates nothing.
     */
    int take(ByteBuffer dst, SegmentIo.View view) throws IOException {
        MemorySegment to = view != null && dst.isDirect() ? view.of(dst) : MemorySegment.ofBuffer(dst);
        long room = to != null ? to.byteSize() : 0;
        int copied = 0;
        Chunk c;
        while (copied < room && (c = chunks.peek()) != null) {
            int n = (int) Math.min(room - copied, c.length - c.offset);
            MemorySegment.copy(NATIVE, c.address + c.offset, to, copied, n);
            c.offset += n;
            copied += n;
            if (c.offset == c.length) {
                chunks.poll();
                recycler.recycle(c.bufferId);
            }
        }
        if (copied > 0) {
            // the snapshot's position: a heap segment's address is its offset in the array
            long start = dst.isDirect() ? to.address() - BufferUtil.address(dst) : to.address() - dst.arrayOffset(); // to != null: copied > 0
            dst.position((int) start + copied);
            return copied;
        }
        int e = end;
        if (e == 0 || !chunks.isEmpty()) return 0;
        if (e == 1) return -1;
        throw Errno.exception("recv", -e);
    }

    /** Reader: whether a chunk or the end is waiting, or the RECV has ended (a platform thread's wait loop). */
    boolean hasSomething() {
        return !chunks.isEmpty() || end != 0 || !armed;
    }

    /** Reader: nothing is queued and no RECV is armed: read the socket itself (NetFd.read). */
    boolean readSocket() {
        return !armed && chunks.isEmpty() && end == 0;
    }
}
