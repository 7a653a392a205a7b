package dev.gort.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gort.Go;
import dev.gort.Goroutine;
import dev.gort.netpoll.GoServerSocket;
import dev.gort.netpoll.GoSocket;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The HTTP example's {@code GET /metrics} ({@code http --metrics}): Prometheus text from Micrometer, other paths as before. */
class MetricsEndpointTest {

    /** Reads one HTTP response (head and Content-Length body) from c; returns head and body as text. */
    private static String[] readResponse(GoSocket c) throws IOException {
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        int headEnd = -1;
        int length = -1;
        while (headEnd < 0 || got.size() < headEnd + 4 + length) {
            int n = c.read(buf, 0, buf.length);
            if (n < 0) throw new AssertionError("end of stream after " + got.size() + " bytes: " + got);
            got.write(buf, 0, n);
            if (headEnd < 0) {
                String sofar = got.toString(StandardCharsets.ISO_8859_1);
                headEnd = sofar.indexOf("\r\n\r\n");
                if (headEnd >= 0) {
                    Matcher m = Pattern.compile("(?i)Content-Length: (\\d+)").matcher(sofar.substring(0, headEnd));
                    assertTrue(m.find(), sofar);
                    length = Integer.parseInt(m.group(1));
                }
            }
        }
        byte[] all = got.toByteArray();
        assertEquals(headEnd + 4 + length, all.length, "nothing after the response");
        return new String[] {
            new String(all, 0, headEnd, StandardCharsets.US_ASCII),
            new String(all, headEnd + 4, length, StandardCharsets.UTF_8)};
    }

    @Test
    void getMetricsReturnsPrometheusTextWithGortsMetersAndOtherPathsTheFixedResponse() {
        AtomicReference<String[]> metrics = new AtomicReference<>();
        Go.run(() -> {
            try (GoServerSocket server = GoServerSocket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
                var endpoint = MetricsEndpoint.prometheus();
                Goroutine serving = Go.spawn(() -> {
                    try {
                        HttpServer.serve(server.accept(), Duration.ofSeconds(30), null, endpoint);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
                try (GoSocket c = GoSocket.connect(server.localAddress())) {
                    byte[] scrape = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
                    c.write(scrape, 0, scrape.length);
                    metrics.set(readResponse(c));
                    // The same connection, kept alive: any other path gets the fixed response.
                    c.write(HttpServerTest.REQUEST, 0, HttpServerTest.REQUEST.length);
                    byte[] hello = new byte[HttpServer.RESPONSE.length];
                    for (int off = 0; off < hello.length; ) {
                        int m = c.read(hello, off, hello.length - off);
                        if (m < 0) throw new AssertionError("end of stream");
                        off += m;
                    }
                    assertArrayEquals(HttpServer.RESPONSE, hello);
                    c.shutdownOutput();
                }
                serving.join();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        String head = metrics.get()[0];
        String body = metrics.get()[1];
        assertTrue(head.startsWith("HTTP/1.1 200 OK\r\n") && head.contains("Content-Type: text/plain; version=0.0.4"), head);
        Matcher goroutines = Pattern.compile("(?m)^gort_goroutines(\\{[^}]*})? (\\S+)$").matcher(body);
        assertTrue(goroutines.find(), body);
        // Go.numGoroutine() is approximate while goroutines spawn and end: the serving one at least.
        assertTrue(Double.parseDouble(goroutines.group(2)) >= 1, goroutines.group());
        assertTrue(body.contains("# TYPE gort_goroutines gauge"), body);
        assertTrue(Pattern.compile("(?m)^gort_sched_latency_seconds_count ").matcher(body).find(), body);
        assertTrue(Pattern.compile("(?m)^gort_wait_percentile_seconds\\{.*quantile=\"0\\.99\".*reason=\"chan receive\".*} ").matcher(body).find(), body);
        assertTrue(Pattern.compile("(?m)^gort_preemptions_total\\{cause=\"time slice\"} ").matcher(body).find(), body);
    }

    @Test
    void onlyGetMetricsIsTheRoute() {
        assertTrue(matches("GET /metrics HTTP/1.1\r\n\r\n"));
        assertTrue(matches("GET /metrics?x=1 HTTP/1.1\r\n\r\n"));
        assertFalse(matches("GET /metricsx HTTP/1.1\r\n\r\n"));
        assertFalse(matches("POST /metrics HTTP/1.1\r\n\r\n"));
        assertFalse(matches("GET / HTTP/1.1\r\n\r\n"));
    }

    private static boolean matches(String head) {
        ByteBuffer b = ByteBuffer.wrap(head.getBytes(StandardCharsets.US_ASCII));
        return MetricsEndpoint.isMetricsRequest(b, head.indexOf("\r\n\r\n"));
    }
}
