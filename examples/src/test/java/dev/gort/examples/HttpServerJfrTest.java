package dev.gort.examples;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import jdk.jfr.EventType;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The HTTP example (benchmarks/http.sh's W8 server) in a child JVM recording with JFR's
 * {@code default} settings and docs/gort-profile.jfc on top, as docs/DESIGN.md ("JFR events")
 * says to run it: under load from plain sockets, the scheduler's events reach the recording with
 * their fields, and the goroutine's own stack.
 */
class HttpServerJfrTest {
    static final byte[] REQUEST = "GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    static final Set<String> EVENTS = Set.of("dev.gort.GoroutinePark", "dev.gort.GoroutinePreempt", "dev.gort.Steal",
        "dev.gort.NetpollWait", "dev.gort.BlockingCall", "dev.gort.StuckCarrier", "dev.gort.StuckCarrierReturned",
        "dev.gort.ProcessorRetired");

    /** docs/gort-profile.jfc of the project: this module's parent folder holds docs/. */
    static Path profile() {
        for (Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path p = dir.resolve("docs").resolve("gort-profile.jfc");
            if (Files.isRegularFile(p) && Files.isDirectory(dir.resolve("examples"))) return p;
        }
        throw new AssertionError("no docs/gort-profile.jfc above " + System.getProperty("user.dir"));
    }

    /** One keep-alive request and its whole response on c. */
    static void request(Socket c) throws IOException {
        OutputStream out = c.getOutputStream();
        InputStream in = c.getInputStream();
        out.write(REQUEST);
        byte[] got = in.readNBytes(HttpServer.RESPONSE.length);
        assertTrue(Arrays.equals(HttpServer.RESPONSE, got), new String(got, StandardCharsets.US_ASCII));
    }

    @Test
    void theSchedulerEventsOfTheHttpExampleUnderLoadAreRecorded(@TempDir Path dir) throws Exception {
        Path jfr = dir.resolve("http.jfr");
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        List<String> cmd = List.of(java, "--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED",
            "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow", "-Xmx256m",
            "-XX:StartFlightRecording:settings=default,settings=" + profile() + ",filename=" + jfr + ",dumponexit=true",
            "-Dgort.maxprocs=2", "-Dgort.netpoll=epoll", "-cp", System.getProperty("java.class.path"),
            Main.class.getName(), "http", "--port", "0", "--idle-timeout", "0");
        Process server = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        List<String> output = new ArrayList<>();
        int port = -1;
        try {
            var lines = server.inputReader(StandardCharsets.UTF_8);
            Pattern listening = Pattern.compile("LISTENING (\\d+) .*");
            for (String l; port < 0 && (l = lines.readLine()) != null; ) {
                output.add(l);
                Matcher m = listening.matcher(l);
                if (m.matches()) port = Integer.parseInt(m.group(1));
            }
            assertTrue(port > 0, "the server did not start: " + output);
            Thread.ofPlatform().daemon().start(() -> lines.lines().forEach(output::add));

            // Load: busy keep-alive connections, and one that pauses 100 ms between requests
            // (its goroutine waits for I/O past the profile's 1 ms threshold).
            int busy = 8;
            AtomicLong served = new AtomicLong();
            long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1500);
            List<Thread> clients = new ArrayList<>();
            int p = port;
            for (int i = 0; i < busy; i++) {
                clients.add(Thread.ofPlatform().start(() -> {
                    try (Socket c = new Socket(InetAddress.getLoopbackAddress(), p)) {
                        c.setSoTimeout(10_000);
                        while (System.nanoTime() < until) {
                            request(c);
                            served.incrementAndGet();
                        }
                    } catch (IOException e) {
                        throw new AssertionError(e);
                    }
                }));
            }
            try (Socket slow = new Socket(InetAddress.getLoopbackAddress(), port)) {
                slow.setSoTimeout(10_000);
                for (int i = 0; i < 5; i++) {
                    request(slow);
                    Thread.sleep(100); // the pause is the load's shape: the server's goroutine waits it out
                }
            }
            for (Thread t : clients) t.join();
            assertTrue(served.get() > busy, "served " + served.get());
        } finally {
            server.destroy(); // SIGTERM: the JVM's exit dumps the recording (dumponexit)
            if (!server.waitFor(30, TimeUnit.SECONDS)) server.destroyForcibly();
        }
        assertTrue(Files.size(jfr) > 0, "no recording written: " + output);

        Set<String> types;
        try (RecordingFile f = new RecordingFile(jfr)) {
            types = f.readEventTypes().stream().map(EventType::getName).filter(n -> n.startsWith("dev.gort.")).collect(Collectors.toSet());
        }
        assertTrue(types.containsAll(EVENTS), "registered: " + types);

        List<RecordedEvent> events = RecordingFile.readAllEvents(jfr);
        List<RecordedEvent> ioParks = events.stream().filter(e -> e.getEventType().getName().equals("dev.gort.GoroutinePark")
            && "IO wait".equals(e.getString("reason"))).toList();
        assertFalse(ioParks.isEmpty(), "no IO wait park recorded");
        RecordedEvent slowPark = ioParks.stream().filter(e -> e.getDuration().toMillis() >= 50).findFirst()
            .orElseThrow(() -> new AssertionError("no park of the slow connection: " + ioParks));
        assertTrue(slowPark.getLong("goroutineId") > 0);
        assertNotNull(slowPark.getString("goroutineName"));
        assertNotNull(slowPark.getThread("parkCarrier"));
        assertNotNull(slowPark.getClass("blockerClass"));
        assertTrue(slowPark.getStackTrace().getFrames().stream()
                .anyMatch(fr -> fr.getMethod().getType().getName().equals(HttpServer.class.getName())),
            "the goroutine's stack, down to HttpServer.serve: " + slowPark.getStackTrace());

        List<RecordedEvent> waits = events.stream().filter(e -> e.getEventType().getName().equals("dev.gort.NetpollWait")).toList();
        assertFalse(waits.isEmpty(), "no netpoll wait recorded");
        assertTrue(waits.stream().anyMatch(e -> e.getInt("readied") >= 1), "no netpoll wait readied a goroutine: " + waits.size());
    }
}
