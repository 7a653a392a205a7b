package dev.gort;

/**
 * A summary of a distribution of durations, in nanoseconds: how many were recorded, their sum,
 * some percentiles and the largest. Returned by {@link Go#metrics()} for the scheduling latency
 * ({@link Metrics#schedulingLatency()}) and the wait times ({@link Metrics#waitTimes()}).
 *
 * <p>Cumulative since the runtime started, and <em>sampled</em>: as Go's runtime does (which
 * times one in 8), the scheduler times one goroutine cycle in 64 (a per-goroutine counter
 * decides, so a cycle that is not timed reads no clock), so {@code count} and {@code totalNanos}
 * are those of the sample, about a 64th of the transitions, and the percentiles are estimates of
 * the whole. {@code -Dgort.schedstats=false} turns the sampling off (every distribution is then
 * {@link #EMPTY}, as it is when HdrHistogram is not on the path);
 * {@code -Dgort.schedstats.sample=N} times one in N (a power of two; 1 times every transition,
 * for tests). Percentiles and the maximum carry the recording's precision: two significant
 * decimal digits (a value is within 1% of the duration it stands for).
 *
 * @param count      durations recorded (sampled), at least 0
 * @param totalNanos their sum, to the recording's precision (the histogram's mean times the count)
 * @param p50Nanos   the median
 * @param p90Nanos   the 90th percentile
 * @param p99Nanos   the 99th percentile
 * @param p999Nanos  the 99.9th percentile
 * @param maxNanos   the largest recorded
 */
public record Distribution(long count, long totalNanos, long p50Nanos, long p90Nanos, long p99Nanos,
                           long p999Nanos, long maxNanos) {
    /** Nothing recorded: every field 0. */
    public static final Distribution EMPTY = new Distribution(0, 0, 0, 0, 0, 0, 0);

    /**
     * @throws IllegalArgumentException if a field is negative, or the percentiles are not in
     *                                  order (p50 &le; p90 &le; p99 &le; p99.9 &le; max)
     */
    public Distribution {
        if (count < 0 || totalNanos < 0 || p50Nanos < 0) {
            throw new IllegalArgumentException("negative count, total or p50: " + count + ", " + totalNanos + ", " + p50Nanos);
        }
        if (p50Nanos > p90Nanos || p90Nanos > p99Nanos || p99Nanos > p999Nanos || p999Nanos > maxNanos) {
            throw new IllegalArgumentException("percentiles out of order: p50=" + p50Nanos + " p90=" + p90Nanos
                + " p99=" + p99Nanos + " p99.9=" + p999Nanos + " max=" + maxNanos);
        }
    }

    /** The mean of the recorded durations, 0 when none. */
    public double meanNanos() {
        return count == 0 ? 0 : (double) totalNanos / count;
    }
}
