package dev.gort.micrometer;

import dev.gort.Distribution;
import dev.gort.Go;
import dev.gort.Metrics;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * Publishes Gort's scheduler metrics ({@link Go#metrics()}) to a Micrometer
 * {@link MeterRegistry}:
 * <pre>{@code
 * new GortMetrics().bindTo(registry);   // or a Spring @Bean of type MeterBinder
 * }</pre>
 *
 * <h2>The meters</h2>
 * Names in Micrometer's dotted form; a Prometheus registry writes {@code gort.goroutines} as
 * {@code gort_goroutines}, a counter with {@code _total}, a timer's count and sum as
 * {@code _seconds_count} and {@code _seconds_sum}.
 * <table>
 *   <caption>Meters of GortMetrics</caption>
 *   <tr><th>Name</th><th>Type</th><th>Tags</th><th>From {@link Metrics}</th></tr>
 *   <tr><td>{@code gort.goroutines}</td><td>gauge</td><td></td><td>goroutines</td></tr>
 *   <tr><td>{@code gort.maxprocs}</td><td>gauge</td><td></td><td>maxProcs (GOMAXPROCS)</td></tr>
 *   <tr><td>{@code gort.processors}, {@code gort.processors.idle}</td><td>gauge</td><td></td><td>processors, idleProcs</td></tr>
 *   <tr><td>{@code gort.threads}, {@code gort.threads.idle}, {@code gort.threads.spinning}</td><td>gauge</td><td></td>
 *       <td>threads, idleThreads, spinningThreads (carriers)</td></tr>
 *   <tr><td>{@code gort.runqueue}</td><td>gauge</td><td>{@code queue}: {@code global}, {@code local}</td>
 *       <td>globalRunQueue, localRunQueues</td></tr>
 *   <tr><td>{@code gort.preemptions}</td><td>counter</td><td>{@code cause}: {@code time slice},
 *       {@code memory gate}, {@code stuck carrier}</td><td>preemptionsByCause</td></tr>
 *   <tr><td>{@code gort.steals}, {@code gort.blocking.calls}, {@code gort.carrier.wakeups},
 *       {@code gort.netpoll.readied}</td><td>counter</td><td></td>
 *       <td>steals, blockingCalls, carrierWakeups, netpollReadied</td></tr>
 *   <tr><td>{@code gort.allocated} (bytes)</td><td>counter</td><td></td><td>allocatedBytes; only when
 *       the runtime counts them ({@code -Dgort.allocstats=true}) at {@link #bindTo}</td></tr>
 *   <tr><td>{@code gort.sched.latency}</td><td>function timer</td><td></td><td>schedulingLatency: count, total</td></tr>
 *   <tr><td>{@code gort.sched.latency.percentile}</td><td>time gauge</td>
 *       <td>{@code quantile}: {@code 0.5}, {@code 0.9}, {@code 0.99}, {@code 0.999}</td><td>schedulingLatency's percentiles</td></tr>
 *   <tr><td>{@code gort.sched.latency.max}</td><td>time gauge</td><td></td><td>schedulingLatency's max</td></tr>
 *   <tr><td>{@code gort.wait}, {@code gort.wait.percentile}, {@code gort.wait.max}</td><td>as the three above</td>
 *       <td>{@code reason}: the wait reason ({@code chan receive}, {@code select}, {@code sleep},
 *       {@code sync.Mutex.Lock}, {@code IO wait}, {@code blocking call}, ...); the percentiles also
 *       {@code quantile}</td><td>waitTimes</td></tr>
 * </table>
 * The tags given to the constructor go on every meter.
 *
 * <h2>Why a function timer and time gauges for the distributions</h2>
 * The runtime keeps its distributions itself: sampled (about one transition in 8), recorded per
 * processor into HdrHistogram recorders on the carriers and merged when read, cumulative since
 * the runtime started ({@link Distribution}). A Micrometer {@code Timer} or
 * {@code DistributionSummary} computes its percentiles from the values recorded through it, and
 * Micrometer has no meter that takes percentiles computed elsewhere; feeding one would mean
 * recording every transition a second time on the scheduler's path. So the count and the total go
 * to a {@link FunctionTimer} (Micrometer's meter for a count and a total kept by someone else, as
 * a cache's statistics; rates and means come out of it as from any timer), and each percentile
 * and the maximum go to a {@link TimeGauge}, tagged {@code quantile} as a Prometheus summary's
 * quantiles are, in the registry's base time unit (seconds for Prometheus). Two consequences:
 * the count and the total are those of the sample, about an eighth of the transitions (the mean
 * is right; the rate is an eighth of the real one), and the percentiles and maximum cover the
 * runtime's whole life, not a recent window.
 *
 * <h2>Reading</h2>
 * Every meter reads one snapshot of {@link Go#metrics()}, taken when a meter is read and the last
 * one is more than 100 ms old: a scrape or a publication, which reads every meter within
 * moments, costs one snapshot and sees one consistent state (a timer's count and total agree).
 * Like {@link Go#metrics()}, a read starts the runtime if it is not running (after
 * {@link Go#shutdown()}, a fresh one, whose counters start again from zero: a counter reset, as
 * after a process restart). Thread-safe: the snapshot is an immutable record behind a volatile
 * reference; two meters read at once may both take one, which is harmless.
 */
public final class GortMetrics implements MeterBinder {
    /** The percentiles each distribution publishes, with their {@code quantile} tags. */
    private static final List<Quantile> QUANTILES = List.of(
        new Quantile("0.5", Distribution::p50Nanos),
        new Quantile("0.9", Distribution::p90Nanos),
        new Quantile("0.99", Distribution::p99Nanos),
        new Quantile("0.999", Distribution::p999Nanos));

    private record Quantile(String tag, ToDoubleFunction<Distribution> nanos) {}

    private final Tags tags;
    private final Snapshots snapshots;

    /** A binder whose meters carry no tags of their own. */
    public GortMetrics() {
        this(Tags.empty());
    }

    /**
     * A binder whose meters all carry {@code tags} (an application's name, say).
     *
     * @throws NullPointerException if {@code tags} is null
     */
    public GortMetrics(Iterable<Tag> tags) {
        this(tags, Duration.ofMillis(100), Go::metrics);
    }

    /** Tests: the snapshot's longest age and where snapshots come from. */
    GortMetrics(Iterable<Tag> tags, Duration maxAge, Supplier<Metrics> source) {
        this.tags = Tags.of(Objects.requireNonNull(tags, "tags"));
        this.snapshots = new Snapshots(maxAge.toNanos(), source);
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        Objects.requireNonNull(registry, "registry");
        Metrics first = snapshots.get(); // the maps' keys, fixed for the runtime's life
        gauge(registry, "gort.goroutines", "Goroutines that exist (Go.numGoroutine)", Tags.empty(), Metrics::goroutines);
        gauge(registry, "gort.maxprocs", "Processors that run goroutines (GOMAXPROCS)", Tags.empty(), Metrics::maxProcs);
        gauge(registry, "gort.processors", "Processors that exist: maxprocs plus spares for stuck carriers", Tags.empty(), Metrics::processors);
        gauge(registry, "gort.processors.idle", "Processors that no carrier holds", Tags.empty(), Metrics::idleProcs);
        gauge(registry, "gort.threads", "Carrier threads started and not ended", Tags.empty(), Metrics::threads);
        gauge(registry, "gort.threads.idle", "Carrier threads parked with nothing to run", Tags.empty(), Metrics::idleThreads);
        gauge(registry, "gort.threads.spinning", "Carriers looking for work without having found any", Tags.empty(), Metrics::spinningThreads);
        gauge(registry, "gort.runqueue", "Goroutines in run queues", Tags.of("queue", "global"), Metrics::globalRunQueue);
        gauge(registry, "gort.runqueue", "Goroutines in run queues", Tags.of("queue", "local"), Metrics::localRunQueues);

        for (String cause : first.preemptionsByCause().keySet()) {
            counter(registry, "gort.preemptions", "Goroutines preempted, by cause", Tags.of("cause", cause),
                m -> m.preemptionsByCause().getOrDefault(cause, 0L));
        }
        counter(registry, "gort.steals", "Successful steals of goroutines from another processor", Tags.empty(), Metrics::steals);
        counter(registry, "gort.blocking.calls", "Go.blocking calls made by goroutines", Tags.empty(), Metrics::blockingCalls);
        counter(registry, "gort.carrier.wakeups", "Carriers started or unparked to run goroutines", Tags.empty(), Metrics::carrierWakeups);
        counter(registry, "gort.netpoll.readied", "Goroutines made runnable by the network poller", Tags.empty(), Metrics::netpollReadied);
        if (first.allocatedBytes() >= 0) {
            FunctionCounter.builder("gort.allocated", snapshots, s -> Math.max(0, s.get().allocatedBytes()))
                .description("Bytes allocated by goroutines (-Dgort.allocstats)").baseUnit("bytes")
                .tags(tags).register(registry);
        }

        distribution(registry, "gort.sched.latency", "Time runnable goroutines waited for a carrier (sampled)",
            Tags.empty(), Metrics::schedulingLatency);
        for (String reason : first.waitTimes().keySet()) {
            distribution(registry, "gort.wait", "Time goroutines waited parked, by wait reason (sampled)",
                Tags.of("reason", reason), m -> m.waitTimes().getOrDefault(reason, Distribution.EMPTY));
        }
    }

    private void gauge(MeterRegistry registry, String name, String description, Tags extra, ToDoubleFunction<Metrics> f) {
        Gauge.builder(name, snapshots, s -> f.applyAsDouble(s.get()))
            .description(description).tags(tags).tags(extra)
            .strongReference(true) // the registry keeps the snapshots alive, not the caller
            .register(registry);
    }

    private void counter(MeterRegistry registry, String name, String description, Tags extra, ToDoubleFunction<Metrics> f) {
        FunctionCounter.builder(name, snapshots, s -> f.applyAsDouble(s.get()))
            .description(description).tags(tags).tags(extra).register(registry);
    }

    /** A distribution: its function timer, a time gauge per percentile, the maximum's time gauge. */
    private void distribution(MeterRegistry registry, String name, String description, Tags extra,
                              Function<Metrics, Distribution> f) {
        FunctionTimer.builder(name, snapshots, s -> f.apply(s.get()).count(), s -> f.apply(s.get()).totalNanos(), TimeUnit.NANOSECONDS)
            .description(description).tags(tags).tags(extra).register(registry);
        for (Quantile q : QUANTILES) {
            ToDoubleFunction<Distribution> p = q.nanos();
            TimeGauge.builder(name + ".percentile", snapshots, TimeUnit.NANOSECONDS, s -> p.applyAsDouble(f.apply(s.get())))
                .description(description + ": a percentile, since the runtime started").tags(tags).tags(extra)
                .tag("quantile", q.tag()).strongReference(true).register(registry);
        }
        TimeGauge.builder(name + ".max", snapshots, TimeUnit.NANOSECONDS, s -> f.apply(s.get()).maxNanos())
            .description(description + ": the longest, since the runtime started").tags(tags).tags(extra)
            .strongReference(true).register(registry);
    }

    /**
     * The snapshot every meter reads, taken again once older than {@code maxAgeNanos}. The
     * volatile {@link #last} publishes each {@link Taken} whole (a record of final fields); a
     * reader that sees an old one takes a new one, and of two that do so at once, the later
     * store wins: each reader uses the snapshot it read or took, never a torn one.
     */
    private static final class Snapshots {
        private record Taken(Metrics metrics, long atNanos) {}

        private final long maxAgeNanos;
        private final Supplier<Metrics> source;
        private volatile Taken last;

        Snapshots(long maxAgeNanos, Supplier<Metrics> source) {
            this.maxAgeNanos = maxAgeNanos;
            this.source = source;
        }

        Metrics get() {
            Taken t = last;
            long now = System.nanoTime();
            if (t == null || now - t.atNanos() > maxAgeNanos) {
                t = new Taken(source.get(), now);
                last = t;
            }
            return t.metrics();
        }
    }
}
