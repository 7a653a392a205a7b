package dev.gort.gc;

/**
 * A snapshot of the collector's activity since the {@link GcMonitor} started
 * ({@link GcMonitor#metrics()}).
 *
 * <p>Durations are in nanoseconds, from the JVM's GC notifications, which measure a pause in whole
 * milliseconds (a pause under a millisecond counts as 0); the percentiles come from an
 * HdrHistogram of every pause.
 *
 * @param cycles collections completed: each stop-the-world collection (a young or full GC of
 *     G1, Parallel, Serial) and each concurrent cycle (ZGC's, Shenandoah's)
 * @param pauses stop-the-world pauses: the stop-the-world collections, and the pauses within
 *     concurrent cycles (ZGC's and Shenandoah's pauses, G1's Remark and Cleanup)
 * @param pauseP50Nanos the median pause (0 before the first)
 * @param pauseP99Nanos the 99th percentile of the pauses (0 before the first)
 * @param pauseMaxNanos the longest pause (0 before the first)
 * @param pauseTotalNanos the time the collectors stopped the world since the JVM started (their
 *     accumulated pause time)
 * @param heapAfterLastGc bytes of heap in use after the last collection that completed, or -1
 *     before the first
 */
public record GcMetrics(long cycles, long pauses, long pauseP50Nanos, long pauseP99Nanos, long pauseMaxNanos,
                        long pauseTotalNanos, long heapAfterLastGc) {
}
