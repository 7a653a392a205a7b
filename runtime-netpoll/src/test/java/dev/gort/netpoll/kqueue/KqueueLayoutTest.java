package dev.gort.netpoll.kqueue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.gort.netpoll.ffi.Layouts;
import dev.gort.netpoll.ffi.Native;
import dev.gort.netpoll.ffi.NativeMemory;
import java.io.IOException;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/** kqueue cannot run on Linux: its struct encoding is checked byte by byte against the C layout. */
class KqueueLayoutTest {
    @Test
    void keventLayoutMatchesTheCDefinition() {
        // struct kevent { uintptr_t ident; int16_t filter; uint16_t flags; uint32_t fflags; intptr_t data; void *udata; }
        assertEquals(32, Layouts.KEVENT_SIZE);
        assertEquals(0, Layouts.KEVENT_IDENT);
        assertEquals(8, Layouts.KEVENT_FILTER);
        assertEquals(10, Layouts.KEVENT_FLAGS);
        assertEquals(12, Layouts.KEVENT_FFLAGS);
        assertEquals(16, Layouts.KEVENT_DATA);
        assertEquals(24, Layouts.KEVENT_UDATA);
    }

    @Test
    void encodesEachFieldAtItsOffsetInNativeByteOrder() {
        assertEquals(ByteOrder.LITTLE_ENDIAN, ByteOrder.nativeOrder(), "the test spells bytes for a little-endian CPU");
        NativeMemory m = new NativeMemory(2 * Layouts.KEVENT_SIZE);
        m.view.setMemory(0, m.size, (byte) 0x5a);
        long udata = Kevent.udataFor(7, 0x1234);
        Kevent.put(m.view, 1, 7, Kevent.EVFILT_WRITE, Kevent.EV_ADD | Kevent.EV_CLEAR, Kevent.NOTE_TRIGGER, -3, udata);
        byte[] b = new byte[32];
        m.view.getBytes(32, b);
        byte[] expect = {
            7, 0, 0, 0, 0, 0, 0, 0,              // ident = 7
            (byte) 0xfe, (byte) 0xff,            // filter = EVFILT_WRITE (-2)
            0x21, 0x00,                          // flags = EV_ADD | EV_CLEAR
            0, 0, 0, 0x01,                       // fflags = NOTE_TRIGGER (0x01000000)
            (byte) 0xfd, -1, -1, -1, -1, -1, -1, -1,   // data = -3
            7, 0, 0, 0, 0x34, 0x12, 0, 0         // udata = seq 0x1234 << 32 | fd 7
        };
        org.junit.jupiter.api.Assertions.assertArrayEquals(expect, b);
        for (int i = 0; i < 32; i++) assertEquals(0x5a, m.view.getByte(i), "event 0 untouched at " + i);
        assertEquals(7, Kevent.ident(m.view, 1));
        assertEquals(Kevent.EVFILT_WRITE, Kevent.filter(m.view, 1));
        assertEquals(Kevent.EV_ADD | Kevent.EV_CLEAR, Kevent.flags(m.view, 1));
        assertEquals(Kevent.NOTE_TRIGGER, Kevent.fflags(m.view, 1));
        assertEquals(-3, Kevent.data(m.view, 1));
        assertEquals(udata, Kevent.udata(m.view, 1));
    }

    @Test
    void flagsAboveBit15SurviveTheUnsignedShort() {
        NativeMemory m = new NativeMemory(Layouts.KEVENT_SIZE);
        Kevent.put(m.view, 0, 1, Kevent.EVFILT_READ, Kevent.EV_EOF | Kevent.EV_ERROR, 0, 0, 0);
        assertEquals(Kevent.EV_EOF | Kevent.EV_ERROR, Kevent.flags(m.view, 0));
    }

    @Test
    void timespecIsSecondsThenNanoseconds() {
        NativeMemory m = new NativeMemory(16);
        Kevent.putTimespec(m.view, 0, 2_500_000_001L);
        assertEquals(2, m.view.getLong(0));
        assertEquals(500_000_001L, m.view.getLong(8));
    }

    @Test
    void refusesToStartOffBsd() {
        if (Native.BSD) return;
        IOException e = assertThrows(IOException.class, KqueuePoller::new);
        assertEquals(true, e.getMessage().contains("kqueue needs macOS or a BSD"), e.getMessage());
    }
}
