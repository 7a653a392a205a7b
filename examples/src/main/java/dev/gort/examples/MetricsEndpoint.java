package dev.gort.examples;

import dev.gort.micrometer.GortMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;

/**
 * The HTTP example's {@code GET /metrics} ({@code http --metrics}): Gort's scheduler metrics
 * ({@link GortMetrics}) in the Prometheus text format, from Micrometer's Prometheus registry, so
 * that a Prometheus server can scrape the example ({@code curl http://127.0.0.1:8080/metrics}
 * shows {@code gort_goroutines}, {@code gort_sched_latency_seconds_count}, ...).
 *
 * <p>A class of its own so that the server without {@code --metrics} never loads Micrometer.
 */
final class MetricsEndpoint {
    private MetricsEndpoint() {}

    private static final byte[] PATH = "GET /metrics".getBytes(StandardCharsets.US_ASCII);

    /**
     * A registry with Gort's meters bound, and what answers a scrape: the whole HTTP response
     * (status line, headers, the registry's text), new at each call.
     */
    static Supplier<byte[]> prometheus() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        new GortMetrics().bindTo(registry);
        return () -> {
            byte[] body = registry.scrape().getBytes(StandardCharsets.UTF_8);
            byte[] head = ("HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\nContent-Length: "
                + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
            byte[] response = new byte[head.length + body.length];
            System.arraycopy(head, 0, response, 0, head.length);
            System.arraycopy(body, 0, response, head.length, body.length);
            return response;
        };
    }

    /** Does the request head at the start of {@code buf} ask for {@code /metrics} ({@code GET /metrics}, then a space or a query)? */
    static boolean isMetricsRequest(ByteBuffer buf, int headEnd) {
        if (headEnd <= PATH.length) return false;
        for (int i = 0; i < PATH.length; i++) if (buf.get(i) != PATH[i]) return false;
        byte next = buf.get(PATH.length);
        return next == ' ' || next == '?';
    }
}
