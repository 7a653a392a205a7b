package dev.gort.netpoll.ffi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

class LayoutsTest {
    @Test
    void kernelAgreesWithOurLayouts() throws Exception {
        Layouts.check(); // throws naming the mismatch otherwise
        if (jnr.ffi.Platform.getNativePlatform().getCPU() == jnr.ffi.Platform.CPU.X86_64) {
            assertEquals(12, Layouts.EPOLL_EVENT_SIZE, "packed on x86_64");
            assertEquals(4, Layouts.EPOLL_EVENT_DATA);
        } else {
            assertEquals(16, Layouts.EPOLL_EVENT_SIZE);
        }
    }

    @Test
    void sockaddrRoundTripsIpv4AndIpv6() throws Exception {
        InetSocketAddress v4 = new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 8080);
        byte[] b = SockAddr.encode(v4);
        assertEquals(16, b.length);
        assertEquals(0x1f, b[2] & 0xff); // port, network byte order
        assertEquals(0x90, b[3] & 0xff);
        assertEquals(v4, SockAddr.decode(b, b.length));
        InetSocketAddress v6 = new InetSocketAddress(InetAddress.getByName("::1"), 443);
        byte[] b6 = SockAddr.encode(v6);
        assertEquals(28, b6.length);
        assertEquals(1, b6[23]);
        assertEquals(v6, SockAddr.decode(b6, b6.length));
        assertThrows(IllegalArgumentException.class, () -> SockAddr.encode(InetSocketAddress.createUnresolved("example.com", 80)));
    }

    @Test
    void errnoBecomesTheMatchingException() {
        assertEquals(java.net.ConnectException.class, Errno.exception("connect", Errno.ECONNREFUSED).getClass());
        assertEquals(java.net.BindException.class, Errno.exception("bind", Errno.EADDRINUSE).getClass());
        assertEquals(java.net.SocketException.class, Errno.exception("read", Errno.ECONNRESET).getClass());
        String msg = Errno.exception("read", Errno.EBADF).getMessage();
        assertEquals(true, msg.contains("Bad file descriptor") && msg.contains("read") && msg.contains("errno 9"), msg);
    }
}
