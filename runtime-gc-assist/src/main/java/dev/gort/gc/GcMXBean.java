package dev.gort.gc;

/**
 * The JMX view of the {@link GcMonitor}, registered as {@code dev.gort:type=GC} beside
 * {@code dev.gort:type=Scheduler} while a Gort runtime runs (unregistered at
 * {@code Go.shutdown}). Each attribute is a field of {@link GcMetrics}.
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
}
