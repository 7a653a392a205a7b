package dev.gort.netpoll.ffi;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * Native memory owned by Java: a direct buffer (freed by the GC with its owner) seen through an
 * Agrona {@link UnsafeBuffer}, with its address for native calls. Reads and writes use the
 * platform's byte order, as the structs the kernel shares with us.
 */
public final class NativeMemory {
    public final ByteBuffer buffer;
    public final UnsafeBuffer view;
    public final long address;
    public final int size;

    public NativeMemory(int size) {
        this.buffer = ByteBuffer.allocateDirect(Math.max(size, 8)).order(ByteOrder.nativeOrder());
        this.view = new UnsafeBuffer(buffer);
        this.address = BufferUtil.address(buffer);
        this.size = size;
    }

    /** The address of a direct buffer's first byte (not its position). */
    public static long addressOf(ByteBuffer direct) {
        if (!direct.isDirect()) throw new IllegalArgumentException("not a direct buffer");
        return BufferUtil.address(direct);
    }
}
