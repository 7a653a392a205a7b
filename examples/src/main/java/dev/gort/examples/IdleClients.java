package dev.gort.examples;

import dev.gort.Go;
import dev.gort.netpoll.GoSocket;
import dev.gort.sync.WaitGroup;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * A load tool for the idle-connection memory benchmark: opens {@code --n} keep-alive
 * connections to an HTTP server on 127.0.0.1:{@code --port}, sends one request on each and reads
 * its response (so the server's per-connection goroutine or thread has run once and waits), prints
 * {@code CONNECTED <n>}, holds them for {@code --hold} seconds, and exits.
 */
final class IdleClients {
    private IdleClients() {}

    static void main(String[] args) {
        int port = Args.intOption(args, "--port", 8080);
        int n = Args.intOption(args, "--n", 10_000);
        int hold = Args.intOption(args, "--hold", 30);
        byte[] request = "GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        ConcurrentLinkedQueue<GoSocket> open = new ConcurrentLinkedQueue<>();
        Go.run(() -> {
            InetSocketAddress addr = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
            int batch = 200;
            for (int done = 0; done < n; done += batch) {
                WaitGroup wg = new WaitGroup();
                int k = Math.min(batch, n - done);
                wg.add(k);
                for (int i = 0; i < k; i++) {
                    Go.spawn(() -> {
                        try {
                            GoSocket s = GoSocket.connect(addr);
                            open.add(s);
                            s.write(request, 0, request.length);
                            byte[] b = new byte[256];
                            int got = 0;
                            while (got < 51) { // the 51-byte fixed response
                                int m = s.read(b, got, b.length - got);
                                if (m < 0) break;
                                got += m;
                            }
                        } catch (IOException e) {
                            System.err.println("idleconns: " + e);
                        } finally {
                            wg.done();
                        }
                    });
                }
                wg.await();
            }
            System.out.println("CONNECTED " + open.size());
            Go.sleep(java.time.Duration.ofSeconds(hold));
            for (GoSocket s : open) s.close();
        });
    }
}
