package dev.gort.bench;

import java.util.List;

/**
 * One benchmark workload (W1-W8 of the anchors): its name on the command line, the metrics one
 * repetition measures, and its implementations in run order.
 *
 * <p>Adding a workload means one class implementing this interface, listed in
 * {@link Main#WORKLOADS}. Each implementation's {@link Body} is one repetition: it does the
 * whole problem once, times what the workload defines as timed, and returns one value per
 * metric. The harness runs it on the implementation's {@link Driver} (a goroutine for Gort, a
 * virtual thread for the JDK), settles the process before it, and prints the REP and RESULT lines.
 */
public interface Workload {
    /** The name used on the command line and as the first metric's name, e.g. {@code spawn}. */
    String name();

    /** What one repetition returns, in this order (most workloads have one metric). */
    List<Metric> metrics();

    /** The implementations, in the order their warm-ups run (see {@link Harness}). */
    List<Impl> impls();

    /** A measured value: printed as {@code RESULT <name> <impl> <value> <unit>}. */
    record Metric(String name, String unit) {}

    /** An implementation: its name in RESULT lines ({@code gort}, {@code jvm-vt}, ...), where its body runs, the body. */
    record Impl(String name, Driver driver, Body body) {}

    /** One repetition; returns one value per metric. */
    @FunctionalInterface
    interface Body {
        double[] run() throws Exception;
    }
}
