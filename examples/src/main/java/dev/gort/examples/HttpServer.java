package dev.gort.examples;

import dev.gort.Go;
import dev.gort.netpoll.GoServerSocket;
import dev.gort.netpoll.GoSocket;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * A minimal HTTP/1.1 keep-alive "Hello, World!" server, the W8 workload of the anchors: one
 * goroutine per connection, raw parsing (each request head ends at CRLF CRLF; every request gets
 * the same fixed response). {@code java -jar examples.jar http --port 8080}, then
 * {@code curl http://127.0.0.1:8080/} or {@code wrk -t1 -c100 -d10s http://127.0.0.1:8080/}.
 * Prints {@code LISTENING <port> <pid>}; {@code --maxlife SECONDS} ends it after that long.
 */
final class HttpServer {
    private HttpServer() {}

    static final byte[] RESPONSE =
        "HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\nHello, World!".getBytes(StandardCharsets.US_ASCII);

    static void main(String[] args) {
        int port = Args.intOption(args, "--port", 8080);
        long maxLife = Args.intOption(args, "--maxlife", 0);
        if (maxLife > 0) {
            Thread.ofPlatform().daemon().start(() -> {
                try {
                    Thread.sleep(maxLife * 1000);
                } catch (InterruptedException e) {
                    return;
                }
                System.out.println("INFO http: maxlife reached, exiting");
                System.exit(0);
            });
        }
        Go.run(() -> {
            try (GoServerSocket server = GoServerSocket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port))) {
                System.out.println("LISTENING " + server.localAddress().getPort() + " " + ProcessHandle.current().pid()
                    + " poller=" + Go.metrics().netpoller());
                for (;;) {
                    GoSocket c = server.accept();
                    Go.spawn(() -> serve(c));
                }
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
    }

    static int indexOfCrlf2(byte[] b, int n) {
        for (int i = 0; i + 3 < n; i++) {
            if (b[i] == '\r' && b[i + 1] == '\n' && b[i + 2] == '\r' && b[i + 3] == '\n') return i;
        }
        return -1;
    }

    private static void serve(GoSocket c) {
        try (c) {
            byte[] buf = new byte[4096];
            int n = 0;
            for (;;) {
                int m = c.read(buf, n, buf.length - n);
                if (m < 0) return;
                n += m;
                int idx;
                while ((idx = indexOfCrlf2(buf, n)) >= 0) {
                    c.write(RESPONSE, 0, RESPONSE.length);
                    int rest = idx + 4;
                    System.arraycopy(buf, rest, buf, 0, n - rest);
                    n -= rest;
                }
                if (n == buf.length) return; // request head too large
            }
        } catch (IOException e) {
            // the client went away
        }
    }
}
