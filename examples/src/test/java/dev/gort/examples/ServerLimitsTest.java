package dev.gort.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The example servers (http, echo) in a child JVM: they outlive running out of descriptors
 * (accept's EMFILE backs off and retries) and close connections that stay idle, or trickle a
 * request head, past their idle timeout.
 */
class ServerLimitsTest {
    private Process server;

    @AfterEach
    void stop() throws InterruptedException {
        if (server != null) {
            server.destroyForcibly();
            server.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** A started example server: its port, and its output lines as they come. */
    record Started(Process process, int port, BlockingQueue<String> lines) {}

    /** Starts example (http or echo) on a free port under {@code ulimit -n fdLimit}, with more args. */
    Started start(String example, int fdLimit, String... args) throws Exception {
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        List<String> cmd = new ArrayList<>(List.of("bash", "-c", "ulimit -n " + fdLimit + " && exec \"$@\"", "bash", java,
            "--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED", "--enable-native-access=ALL-UNNAMED",
            "--sun-misc-unsafe-memory-access=allow", "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
            "-Dgort.netpoll=epoll", "-cp", System.getProperty("java.class.path"), Main.class.getName(), example, "--port", "0"));
        cmd.addAll(List.of(args));
        server = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Thread.ofPlatform().daemon().start(() -> {
            try (var r = server.inputReader(StandardCharsets.UTF_8)) {
                for (String l; (l = r.readLine()) != null; ) lines.add(l);
            } catch (IOException e) {
                // the server ended
            }
            lines.add("<exit>");
        });
        Pattern listening = Pattern.compile(example.equals("http") ? "LISTENING (\\d+) .*" : "echo: listening on .*:(\\d+) .*");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        for (;;) {
            String l = lines.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
            if (l == null || l.equals("<exit>")) throw new AssertionError(example + " did not start: " + l);
            Matcher m = listening.matcher(l);
            if (m.matches()) return new Started(server, Integer.parseInt(m.group(1)), lines);
        }
    }

    /** One request and its answer on a fresh connection (http: a GET; echo: a line). */
    static void roundTrip(String example, int port) throws IOException {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout(10_000);
            byte[] req = (example.equals("http") ? "GET / HTTP/1.1\r\nHost: x\r\n\r\n" : "ping\n").getBytes(StandardCharsets.US_ASCII);
            s.getOutputStream().write(req);
            String want = example.equals("http") ? new String(HttpServer.RESPONSE, StandardCharsets.US_ASCII) : "ping\n";
            byte[] got = s.getInputStream().readNBytes(want.length());
            assertEquals(want, new String(got, StandardCharsets.US_ASCII));
        }
    }

    /**
     * Under {@code ulimit -n 256}, more connections than descriptors: accept fails with EMFILE,
     * the server says so and backs off; once the clients go away it serves new ones.
     */
    @ParameterizedTest
    @ValueSource(strings = {"http", "echo"})
    void theServerOutlivesRunningOutOfDescriptors(String example) throws Exception {
        Started s = start(example, 256);
        roundTrip(example, s.port());
        List<Socket> clients = new ArrayList<>();
        boolean sawEmfile = false;
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!sawEmfile && System.nanoTime() < deadline) {
                if (clients.size() < 600) {
                    for (int i = 0; i < 20; i++) clients.add(new Socket(InetAddress.getLoopbackAddress(), s.port()));
                }
                String l = s.lines().poll(clients.size() < 600 ? 10 : 1000, TimeUnit.MILLISECONDS);
                if (l != null && l.equals("<exit>")) throw new AssertionError(example + " exited");
                if (l != null && l.contains("accept error") && l.contains("Too many open files")) sawEmfile = true;
            }
            assertTrue(sawEmfile, "no EMFILE reported with " + clients.size() + " clients");
        } finally {
            for (Socket c : clients) c.close();
        }
        // the served connections see their clients' end and close: the backlog drains, then a new client is served
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        for (;;) {
            try {
                roundTrip(example, s.port());
                break;
            } catch (IOException | AssertionError e) {
                if (!s.process().isAlive()) throw new AssertionError(example + " exited: " + drain(s.lines()), e);
                if (System.nanoTime() > deadline) throw e;
                Thread.sleep(50);
            }
        }
        assertTrue(s.process().isAlive());
    }

    /** A connection that sends nothing is closed once its idle timeout passes. */
    @ParameterizedTest
    @ValueSource(strings = {"http", "echo"})
    void anIdleConnectionIsClosedAfterTheIdleTimeout(String example) throws Exception {
        Started s = start(example, 1024, "--idle-timeout", "300ms");
        try (Socket c = new Socket(InetAddress.getLoopbackAddress(), s.port())) {
            c.setSoTimeout(10_000);
            assertClosedByServer(c.getInputStream());
        }
        roundTrip(example, s.port()); // the server goes on
    }

    /** Slowloris: a request head trickled a line at a time never completes, and is cut off at the idle timeout. */
    @org.junit.jupiter.api.Test
    void aTrickledRequestHeadIsClosedAtTheIdleTimeout() throws Exception {
        Started s = start("http", 1024, "--idle-timeout", "500ms");
        try (Socket c = new Socket(InetAddress.getLoopbackAddress(), s.port())) {
            c.setSoTimeout(50);
            OutputStream out = c.getOutputStream();
            InputStream in = c.getInputStream();
            out.write("GET / HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            for (int i = 0; ; i++) {
                try {
                    out.write(("X-Slow-" + i + ": y\r\n").getBytes(StandardCharsets.US_ASCII));
                } catch (SocketException e) {
                    break; // reset: closed
                }
                try {
                    if (in.read() < 0) break; // closed
                    throw new AssertionError("the server answered an incomplete request head");
                } catch (SocketTimeoutException e) {
                    // still open
                } catch (SocketException e) {
                    break; // reset: closed
                }
                assertTrue(System.nanoTime() < deadline, "a trickling client was still connected after 10 s");
            }
        }
        roundTrip("http", s.port());
    }

    static void assertClosedByServer(InputStream in) throws IOException {
        try {
            assertEquals(-1, in.read());
        } catch (SocketException e) {
            // reset: closed as well
        }
    }

    static String drain(BlockingQueue<String> lines) {
        List<String> all = new ArrayList<>();
        lines.drainTo(all);
        return String.join("\n", all);
    }
}
