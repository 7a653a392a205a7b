package dev.gort.gc;

/**
 * What the soft memory limit ({@link MemoryLimit}) has done since the running runtime started.
 *
 * @param limitBytes         the limit, bytes (0: none)
 * @param pacing             goroutines are being held back now (the heap is above the limit)
 * @param heldGoroutines     goroutines held now
 * @param heldTotal          goroutines held since the runtime started (one held twice counts twice)
 * @param pacedNanos         time goroutines were held back, in all
 * @param pacings            times the heap was found above the limit and pacing began
 * @param cyclesAboveLimit   collections that left the heap above the limit (live data over it)
 * @param gcRequests         collections the runtime asked for because none came while goroutines were held
 * @param limiterEngagements times the pacing budget (half of any second) was spent and the gate
 *                           opened with the heap still above the limit
 * @param letGoWhileIdle     held goroutines let go one at a time because every other goroutine
 *                           waited and a collection had not brought the heap under the limit
 */
public record MemoryLimitMetrics(long limitBytes, boolean pacing, int heldGoroutines, long heldTotal, long pacedNanos,
                                 long pacings, long cyclesAboveLimit, long gcRequests, long limiterEngagements,
                                 long letGoWhileIdle) {
}
