package dev.gort.examples;

import dev.gort.Go;
import dev.gort.netpoll.GoServerSocket;
import dev.gort.netpoll.GoSocket;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * A TCP echo server: one goroutine per connection, each parked in the network poller while it
 * waits for bytes. {@code java -jar examples.jar echo --port 7000}, then e.g. {@code nc 127.0.0.1 7000}.
 */
final class EchoServer {
    private EchoServer() {}

    static void main(String[] args) {
        int port = Args.intOption(args, "--port", 7000);
        Go.run(() -> {
            try (GoServerSocket server = GoServerSocket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port))) {
                System.out.println("echo: listening on " + server.localAddress() + " (poller: " + Go.metrics().netpoller() + ")");
                for (;;) {
                    GoSocket c = server.accept();
                    Go.spawn(() -> serve(c));
                }
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
    }

    private static void serve(GoSocket c) {
        try (c) {
            byte[] buf = new byte[8192];
            for (int n; (n = c.read(buf, 0, buf.length)) > 0; ) {
                c.write(buf, 0, n);
            }
        } catch (IOException e) {
            // the client went away
        }
    }
}
