package dev.gort.netpoll.ffi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import org.agrona.BufferUtil;
import org.junit.jupiter.api.Test;

/**
 * {@link SegmentIo.View}, the segment a socket direction keeps for its next call: the same
 * buffer between the same bounds gets the same segment (no allocation per call), any other
 * bounds a segment of exactly those, and a buffer per call does not replace the cached one.
 */
class SegmentIoViewTest {
    /** Where seg starts in b's memory. */
    static long offsetIn(ByteBuffer b, MemorySegment seg) {
        return seg.address() - BufferUtil.address(b);
    }

    @Test
    void theSameBufferAndBoundsGetTheSameSegmentOfExactlyThem() {
        SegmentIo.View v = new SegmentIo.View();
        ByteBuffer b = ByteBuffer.allocateDirect(4096).position(100).limit(300);
        MemorySegment first = v.of(b);
        assertEquals(100, offsetIn(b, first));
        assertEquals(200, first.byteSize());
        assertSame(first, v.of(b));
        assertSame(first, v.of(b));
    }

    @Test
    void otherBoundsOfTheCachedBufferGetASegmentOfThoseBounds() {
        SegmentIo.View v = new SegmentIo.View();
        ByteBuffer b = ByteBuffer.allocateDirect(4096);
        MemorySegment whole = v.of(b);
        assertEquals(4096, whole.byteSize());
        b.position(4000);
        MemorySegment tail = v.of(b);
        assertNotSame(whole, tail);
        assertEquals(4000, offsetIn(b, tail));
        assertEquals(96, tail.byteSize());
        assertSame(tail, v.of(b)); // cached in its turn
        b.clear();
        MemorySegment again = v.of(b);
        assertEquals(0, offsetIn(b, again));
        assertEquals(4096, again.byteSize());
    }

    @Test
    void anEmptyRangeHasNoSegment() {
        SegmentIo.View v = new SegmentIo.View();
        ByteBuffer b = ByteBuffer.allocateDirect(16).position(16);
        assertNull(v.of(b));
        b.clear();
        assertEquals(16, v.of(b).byteSize());
        b.position(16);
        assertNull(v.of(b));
    }

    /** A new duplicate per call (the unpooled HTTP server's response) keeps the cache for the buffer that lasts. */
    @Test
    void aBufferPerCallLeavesTheCachedOneAndABufferForGoodReplacesItAfterEightCalls() {
        SegmentIo.View v = new SegmentIo.View();
        ByteBuffer kept = ByteBuffer.allocateDirect(64);
        MemorySegment cached = v.of(kept);
        for (int i = 0; i < 7; i++) {
            ByteBuffer dup = kept.duplicate().position(i);
            MemorySegment s = v.of(dup);
            assertEquals(i, offsetIn(dup, s));
            assertEquals(64 - i, s.byteSize());
        }
        assertSame(cached, v.of(kept), "a hit resets nothing it should not: the kept buffer is still cached");
        ByteBuffer other = ByteBuffer.allocateDirect(32);
        MemorySegment s = null;
        for (int i = 0; i < 8; i++) s = v.of(other); // the eighth miss in a row caches it
        assertSame(s, v.of(other));
        assertNotSame(cached, v.of(kept));
    }

    @Test
    void aClearedViewForgetsItsBuffer() {
        SegmentIo.View v = new SegmentIo.View();
        ByteBuffer b = ByteBuffer.allocateDirect(64);
        MemorySegment first = v.of(b);
        v.clear();
        MemorySegment second = v.of(b);
        assertNotSame(first, second);
        assertSame(second, v.of(b));
    }
}
