package dev.gort.examples;

import dev.gort.Go;
import dev.gort.netpoll.GoServerSocket;
import dev.gort.netpoll.GoSocket;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;

/**
 * A TCP echo server: one goroutine per connection, each parked in the network poller while it
 * waits for bytes. {@code java -jar examples.jar echo --port 7000}, then e.g. {@code nc 127.0.0.1 7000}.
 * {@code --idle-timeout D} (default 60s; {@code 0}: none): a connection that sends nothing, or
 * takes none of its echo, for D is closed. Accept errors such as running out of descriptors back
 * off and retry ({@link AcceptLoop}).
 */
final class EchoServer {
    private EchoServer() {}

    static void main(String[] args) {
        int port = Args.intOption(args, "--port", 7000);
        Duration idle = Args.durationOption(args, "--idle-timeout", Duration.ofSeconds(60));
        Go.run(() -> {
            try (GoServerSocket server = GoServerSocket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port))) {
                System.out.println("echo: listening on " + server.localAddress() + " (poller: " + Go.metrics().netpoller() + ")");
                AcceptLoop.serve(server, "echo", c -> serve(c, idle));
            }
        });
    }

    private static void serve(GoSocket c, Duration idle) {
        try (c) {
            c.setReadTimeout(idle); // zero: none
            c.setWriteTimeout(idle);
            byte[] buf = new byte[8192];
            for (int n; (n = c.read(buf, 0, buf.length)) > 0; ) {
                c.write(buf, 0, n);
            }
        } catch (IOException e) {
            // the client went away, or was idle too long (SocketTimeoutException)
        }
    }
}
