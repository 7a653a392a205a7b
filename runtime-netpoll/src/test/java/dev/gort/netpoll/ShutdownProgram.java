package dev.gort.netpoll;

import dev.gort.Go;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Run by {@link SocketRuntimeShutdownTest} in a JVM of its own (so that no other test's sockets or
 * goroutines are there): goroutines echo over loopback sockets, the sockets close, Go.shutdown()
 * must close the poller and end every Gort thread (io_uring's owner included); then the same
 * again on a fresh runtime and poller. Prints "ok" and exits 0, or throws.
 */
public final class ShutdownProgram {
    private ShutdownProgram() {}

    public static void main(String[] args) throws Exception {
        for (int round = 0; round < 2; round++) {
            echo();
            check(Netpoll.current() != null, "the poller was never started");
            check(Go.shutdown(Duration.ofSeconds(10)), "shutdown refused: " + dev.gort.sched.Scheduler.leftOver());
            check(Netpoll.current() == null, "the poller is still open after shutdown");
            List<String> left = gortThreads();
            check(left.isEmpty(), "Gort threads alive after shutdown: " + left);
        }
        // A socket still open keeps the poller (it may be used again, on the next runtime).
        GoServerSocket kept = GoServerSocket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        Netpoll poller = Netpoll.current();
        check(Go.shutdown(Duration.ofSeconds(10)), "shutdown refused with a socket open and no goroutine");
        check(Netpoll.current() == poller, "the poller of an open socket was closed");
        kept.close();
        echo(); // the kept poller serves a fresh runtime
        check(Go.shutdown(Duration.ofSeconds(10)), "last shutdown refused");
        check(Netpoll.current() == null, "the poller is still open after the last shutdown");
        System.out.println("ok");
    }

    /** One goroutine server echoes 64 bytes back to one goroutine client over loopback. */
    private static void echo() {
        Go.run(() -> {
            try (GoServerSocket server = GoServerSocket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
                var served = Go.spawn(() -> {
                    try (GoSocket peer = server.accept()) {
                        byte[] b = new byte[64];
                        int n = 0;
                        while (n < b.length) n += peer.read(b, n, b.length - n);
                        peer.write(b, 0, n);
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                });
                try (GoSocket s = GoSocket.connect(server.localAddress())) {
                    byte[] out = new byte[64];
                    for (int i = 0; i < out.length; i++) out[i] = (byte) i;
                    s.write(out, 0, out.length);
                    byte[] in = new byte[64];
                    int n = 0;
                    while (n < in.length) {
                        int r = s.read(in, n, in.length - n);
                        check(r > 0, "end of stream after " + n + " bytes");
                        n += r;
                    }
                    check(java.util.Arrays.equals(in, out), "echo differs");
                }
                served.join();
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
    }

    private static List<String> gortThreads() {
        List<String> names = new ArrayList<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith("gort-") && t.isAlive()) names.add(t.getName());
        }
        return names;
    }

    private static void check(boolean ok, String what) {
        if (!ok) throw new AssertionError(what);
    }
}
