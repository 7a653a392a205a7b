package dev.gort.netpoll.uring;

import static dev.gort.netpoll.uring.IoUringLayout.*;

import dev.gort.netpoll.ffi.Errno;
import dev.gort.netpoll.ffi.Native;
import java.io.IOException;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A provided-buffer ring (io_uring "pbuf ring", kernel 5.19+): {@code count} buffers of {@code
 * size} bytes that the kernel fills on its own when a multishot RECV has data, telling us which
 * one in the CQE. Both the ring of descriptors and the buffers are anonymous mappings
 * (page-aligned, as the kernel requires of the ring); they live as long as the io_uring.
 *
 * <p>Ownership: a buffer is either the kernel's (in the ring, free to fill) or a reader's (its
 * id came back in a CQE; the data is the reader's until it has copied it). {@link #give} hands
 * a buffer back to the kernel: only the owner thread calls it (it is the single producer of
 * the ring's tail). The entries are plain writes and the tail a release store, so the kernel,
 * which reads the tail with acquire, sees the entries it covers.
 */
final class BufferRing implements AutoCloseable {
    final int group;
    final int count;
    final int size;
    private final long ringAddr, ringBytes, bufAddr, bufBytes;
    private final UnsafeBuffer ring;
    private final int mask;
    /** The tail we publish (the owner's; the kernel consumes from its own head). */
    private int tail;

    /** Maps the memory and registers the ring with {@code r} as buffer group {@code group}; every buffer starts in the ring. */
    BufferRing(Ring r, int group, int count, int size) throws IOException {
        if (Integer.bitCount(count) != 1 || count > 32768) throw new IllegalArgumentException("buffer count must be a power of two <= 32768: " + count);
        if (size <= 0) throw new IllegalArgumentException("buffer size must be positive: " + size);
        this.group = group;
        this.count = count;
        this.size = size;
        this.mask = count - 1;
        ringBytes = (long) count * BUF_SIZE;
        bufBytes = (long) count * size;
        ringAddr = map(ringBytes);
        long b;
        try {
            b = map(bufBytes);
        } catch (IOException e) {
            Native.munmap(ringAddr, ringBytes);
            throw e;
        }
        bufAddr = b;
        ring = new UnsafeBuffer(ringAddr, (int) ringBytes);
        for (int bid = 0; bid < count; bid++) put(bid);
        java.lang.invoke.VarHandle.releaseFence(); // the entries before the tail (a release store)
        ring.putShort(BUF_RING_TAIL, (short) tail);
        dev.gort.netpoll.ffi.NativeMemory reg = new dev.gort.netpoll.ffi.NativeMemory(BUF_REG_SIZE);
        reg.view.setMemory(0, BUF_REG_SIZE, (byte) 0);
        reg.view.putLong(BUF_REG_RING_ADDR, ringAddr);
        reg.view.putInt(BUF_REG_RING_ENTRIES, count);
        reg.view.putShort(BUF_REG_BGID, (short) group);
        long res = r.register(REGISTER_PBUF_RING, reg.address, 1);
        if (res < 0) {
            close();
            throw Errno.exception("io_uring_register(PBUF_RING) (kernel older than 5.19?)", (int) -res);
        }
    }

    private static long map(long bytes) throws IOException {
        long a = Native.mmap(0, bytes, Native.PROT_READ | Native.PROT_WRITE, Native.MAP_PRIVATE | Native.MAP_ANONYMOUS, -1, 0);
        if (a == Native.MAP_FAILED) throw Errno.exception("mmap of an io_uring buffer ring", Native.errno());
        return a;
    }

    /** The first byte of buffer {@code bid}. */
    long address(int bid) {
        return bufAddr + (long) bid * size;
    }

    private void put(int bid) {
        int off = (tail & mask) * BUF_SIZE;
        ring.putLong(off + BUF_ADDR, address(bid));
        ring.putInt(off + BUF_LEN, size);
        ring.putShort(off + BUF_BID, (short) bid);
        tail++;
    }

    /** Owner thread: hands buffer {@code bid} back to the kernel (published by {@link #publish}). */
    void give(int bid) {
        put(bid);
    }

    /** Owner thread: makes the buffers given so far visible to the kernel (release store of the tail). */
    void publish() {
        java.lang.invoke.VarHandle.releaseFence(); // the entries before the tail (a release store)
        ring.putShort(BUF_RING_TAIL, (short) tail);
    }

    /** Unmaps the memory; call only after the io_uring is closed (the kernel may write to the buffers until then). */
    @Override
    public void close() {
        Native.munmap(ringAddr, ringBytes);
        Native.munmap(bufAddr, bufBytes);
    }
}
