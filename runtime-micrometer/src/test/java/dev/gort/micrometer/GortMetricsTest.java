package dev.gort.micrometer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gort.Chan;
import dev.gort.Distribution;
import dev.gort.Go;
import dev.gort.Goroutine;
import dev.gort.Metrics;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/** GortMetrics against SimpleMeterRegistry: every field of Go.metrics() as a meter, named and tagged. */
class GortMetricsTest {
    private static final Distribution LATENCY = new Distribution(80, 8_000_000, 50_000, 90_000, 990_000, 1_500_000, 2_000_000);
    private static final Distribution CHAN = new Distribution(10, 1_000_000_000, 100_000_000, 100_000_000, 101_000_000, 101_000_000, 102_000_000);

    /** A snapshot with a different value in every field, so that a meter wired to the wrong one shows. */
    private static Metrics snapshot(long allocated) {
        Map<String, Distribution> waits = new LinkedHashMap<>();
        waits.put("chan receive", CHAN);
        waits.put("sleep", Distribution.EMPTY);
        Map<String, Long> preemptions = new LinkedHashMap<>();
        preemptions.put("time slice", 31L);
        preemptions.put("memory gate", 32L);
        preemptions.put("stuck carrier", 33L);
        return new Metrics(4, 5, 1006, 7, 3, 2, 1, 11, 12, 63, 33, 14, 15, "epoll", 16, allocated,
            LATENCY, waits, preemptions, 17);
    }

    private static SimpleMeterRegistry bound(Metrics m) {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        new GortMetrics(Tags.of("app", "test"), Duration.ZERO, () -> m).bindTo(registry);
        return registry;
    }

    private static double gauge(SimpleMeterRegistry r, String name, String... tags) {
        Gauge g = r.find(name).tags(tags).gauge();
        assertNotNull(g, name + " " + List.of(tags) + " in " + names(r));
        return g.value();
    }

    private static double counter(SimpleMeterRegistry r, String name, String... tags) {
        FunctionCounter c = r.find(name).tags(tags).functionCounter();
        assertNotNull(c, name + " " + List.of(tags) + " in " + names(r));
        return c.count();
    }

    private static List<String> names(SimpleMeterRegistry r) {
        return r.getMeters().stream().map(m -> m.getId().getName() + m.getId().getTags()).sorted().toList();
    }

    @Test
    void everyGaugeAndCounterReadsItsField() {
        SimpleMeterRegistry r = bound(snapshot(-1));
        assertEquals(1006, gauge(r, "gort.goroutines"));
        assertEquals(4, gauge(r, "gort.maxprocs"));
        assertEquals(5, gauge(r, "gort.processors"));
        assertEquals(2, gauge(r, "gort.processors.idle"));
        assertEquals(7, gauge(r, "gort.threads"));
        assertEquals(3, gauge(r, "gort.threads.idle"));
        assertEquals(1, gauge(r, "gort.threads.spinning"));
        assertEquals(11, gauge(r, "gort.runqueue", "queue", "global"));
        assertEquals(12, gauge(r, "gort.runqueue", "queue", "local"));
        assertEquals(31, counter(r, "gort.preemptions", "cause", "time slice"));
        assertEquals(32, counter(r, "gort.preemptions", "cause", "memory gate"));
        assertEquals(33, counter(r, "gort.preemptions", "cause", "stuck carrier"));
        assertEquals(17, counter(r, "gort.steals"));
        assertEquals(14, counter(r, "gort.blocking.calls"));
        assertEquals(15, counter(r, "gort.carrier.wakeups"));
        assertEquals(16, counter(r, "gort.netpoll.readied"));
        assertNull(r.find("gort.allocated").meter(), "no allocation counter while the runtime counts none");
        for (Meter m : r.getMeters()) assertEquals("test", m.getId().getTag("app"), "the binder's tags on " + m.getId());
    }

    @Test
    void allocatedBytesAreACounterWhenTheRuntimeCountsThem() {
        SimpleMeterRegistry r = bound(snapshot(1 << 20));
        FunctionCounter c = r.find("gort.allocated").functionCounter();
        assertEquals(1 << 20, c.count());
        assertEquals("bytes", c.getId().getBaseUnit());
    }

    @Test
    void distributionsAreAFunctionTimerAndTimeGaugesPerQuantile() {
        SimpleMeterRegistry r = bound(snapshot(-1));
        FunctionTimer latency = r.find("gort.sched.latency").functionTimer();
        assertEquals(80, latency.count());
        assertEquals(8_000_000, latency.totalTime(TimeUnit.NANOSECONDS), 1e-3);
        assertEquals(100_000, latency.mean(TimeUnit.NANOSECONDS), 1e-3);
        Map<String, Long> expected = Map.of("0.5", 50_000L, "0.9", 90_000L, "0.99", 990_000L, "0.999", 1_500_000L);
        expected.forEach((q, nanos) -> {
            TimeGauge g = r.find("gort.sched.latency.percentile").tags("quantile", q).timeGauge();
            assertNotNull(g, q);
            assertEquals(nanos, g.value(TimeUnit.NANOSECONDS), 1e-3, q);
        });
        assertEquals(2_000_000, r.find("gort.sched.latency.max").timeGauge().value(TimeUnit.NANOSECONDS), 1e-3);

        FunctionTimer chan = r.find("gort.wait").tags("reason", "chan receive").functionTimer();
        assertEquals(10, chan.count());
        assertEquals(1.0, chan.totalTime(TimeUnit.SECONDS), 1e-9);
        assertEquals(0.101, r.find("gort.wait.percentile").tags("reason", "chan receive", "quantile", "0.99").timeGauge()
            .value(TimeUnit.SECONDS), 1e-9);
        assertEquals(0, r.find("gort.wait").tags("reason", "sleep").functionTimer().count(), "every reason, empty ones too");
        assertEquals(2, r.find("gort.wait").functionTimers().size(), "one timer per reason");
    }

    /** A scrape reads every meter within moments: that is one snapshot, not one per meter. */
    @Test
    void oneSnapshotServesEveryMeterOfAScrape() {
        AtomicInteger taken = new AtomicInteger();
        Metrics m = snapshot(-1);
        SimpleMeterRegistry r = new SimpleMeterRegistry();
        new GortMetrics(Tags.empty(), Duration.ofHours(1), () -> {
            taken.incrementAndGet();
            return m;
        }).bindTo(r);
        int afterBind = taken.get();
        for (int i = 0; i < 2; i++) for (Meter meter : r.getMeters()) meter.measure().forEach(x -> x.getValue());
        assertEquals(1, afterBind);
        assertEquals(1, taken.get(), "all meters, twice, from the snapshot taken at bind");
    }

    /** With the real runtime: the goroutine gauge follows goroutines as they are spawned and end. */
    @Test
    void theGoroutineGaugeFollowsTheRuntime() throws Exception {
        SimpleMeterRegistry r = new SimpleMeterRegistry();
        new GortMetrics().bindTo(r);
        Gauge goroutines = r.find("gort.goroutines").gauge();
        Chan<Object> gate = Chan.make();
        List<Goroutine> parked = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            parked.add(Go.spawn(() -> {
                try {
                    gate.receiveOrNull();
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            }));
        }
        try {
            awaitTrue("gort.goroutines counts the 1000 parked", () -> goroutines.value() >= 1000);
            assertTrue(r.find("gort.maxprocs").gauge().value() == Go.maxProcs());
        } finally {
            gate.close();
        }
        for (Goroutine g : parked) g.join();
        awaitTrue("gort.goroutines drops once they end", () -> goroutines.value() < 1000);
    }

    @Test
    void nullsAreRefused() {
        assertThrows(NullPointerException.class, () -> new GortMetrics(null));
        assertThrows(NullPointerException.class, () -> new GortMetrics().bindTo(null));
    }

    private static void awaitTrue(String what, BooleanSupplier cond) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("timed out waiting for: " + what);
            Thread.sleep(5);
        }
    }
}
