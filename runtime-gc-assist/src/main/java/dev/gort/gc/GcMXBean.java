package dev.gort.gc;

/**
 * The JMX view of the {@link GcMonitor}, registered as {@code dev.gort:type=GC} beside
 * {@code dev.gort:type=Scheduler} while a Gort runtime runs (unregistered at
 * {@code Go.shutdown}). The GC attributes are fields of {@link GcMetrics}; the memory limit's, of
 * {@link MemoryLimitMetrics}, and the limit can be set through it.
 */
public interface GcMXBean {
    /** The ObjectName it is registered under. */
    String NAME = "dev.gort:type=GC";

    long getCycles();

    long getPauses();

    double getPauseP50Millis();

    double getPauseP99Millis();

    double getPauseMaxMillis();

    double getPauseTotalMillis();

    long getHeapAfterLastGc();

    /** The soft memory limit in bytes, 0 for none ({@link MemoryLimit#get()}). */
    long getMemoryLimit();

    /** Sets the soft memory limit at run time ({@link MemoryLimit#set(long)}; 0 removes it). */
    void setMemoryLimit(long bytes);

    /** Goroutines are held back now: the heap is above the limit ({@link MemoryLimitMetrics#pacing()}). */
    boolean isPacing();

    /** Goroutines held back now. */
    int getHeldGoroutines();

    /** Time goroutines were held back, in all. */
    double getPacedTotalMillis();

    /** Collections that left the heap above the limit. */
    long getCyclesAboveLimit();
}
