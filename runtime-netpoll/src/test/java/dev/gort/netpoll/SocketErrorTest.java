package dev.gort.netpoll;

import static dev.gort.netpoll.NetTestSupport.runMain;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gort.Go;
import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.SocketException;
import org.junit.jupiter.api.Test;

/** Connection failures surface as the java.net exception a blocking socket would throw. */
class SocketErrorTest extends SocketTestSupport {
    @Test
    void connectionRefusedIsConnectException() {
        runMain(() -> {
            InetSocketAddress addr;
            try (GoServerSocket server = GoServerSocket.bind(LOOPBACK)) {
                addr = server.localAddress(); // now closed: nobody listens there
            }
            InetSocketAddress a = addr;
            ConnectException e = assertThrows(ConnectException.class, () -> GoSocket.connect(a));
            assertTrue(e.getMessage().contains("refused"), e.getMessage());
        });
    }

    /**
     * A server socket refuses connections as soon as close() returns. io_uring's armed poll holds
     * a reference to the listening socket until the owner thread has cancelled it, so close(2)
     * alone would leave it listening for a moment, and a connect right after the close would be
     * accepted by the kernel.
     */
    @Test
    void aClosedServerSocketRefusesAtOnce() {
        runMain(() -> {
            for (int i = 0; i < 300; i++) {
                InetSocketAddress addr;
                try (GoServerSocket server = GoServerSocket.bind(LOOPBACK)) {
                    addr = server.localAddress();
                }
                try (GoSocket s = GoSocket.connect(addr)) {
                    throw new AssertionError("attempt " + i + ": connected to " + addr + " after its server socket was closed");
                } catch (ConnectException expected) {
                    // refused
                }
            }
        });
    }

    @Test
    void connectionResetIsSocketException() {
        runMain(() -> {
            try (GoServerSocket server = GoServerSocket.bind(LOOPBACK)) {
                Go.spawn(() -> {
                    try {
                        GoSocket c = server.accept();
                        c.read(new byte[1], 0, 1); // the client is connected for sure (its connect saw no reset)
                        c.setSoLinger(0);
                        c.close(); // RST
                    } catch (IOException e) {
                        throw new RuntimeException(e);
                    }
                });
                try (GoSocket s = GoSocket.connect(server.localAddress())) {
                    s.write(new byte[] {1}, 0, 1);
                    SocketException e = assertThrows(SocketException.class, () -> s.read(new byte[10], 0, 10));
                    assertTrue(e.getMessage().contains("reset"), e.getMessage());
                }
            }
        });
    }

    @Test
    void portAlreadyInUseIsBindException() {
        runMain(() -> {
            try (GoServerSocket server = GoServerSocket.bind(LOOPBACK)) {
                InetSocketAddress taken = server.localAddress();
                assertThrows(BindException.class, () -> GoServerSocket.bind(taken));
            }
        });
    }
}
