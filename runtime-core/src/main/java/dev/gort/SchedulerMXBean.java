package dev.gort;

/**
 * The scheduler as seen from JMX ({@code dev.gort:type=Scheduler}), registered when the runtime
 * starts and {@code java.management} is present: jconsole, VisualVM and JMX exporters see the
 * same gauges and counters as {@link Go#metrics()}.
 *
 * <p>Public API (a JMX client may make a proxy of it), and in an exported package because JMX
 * calls its methods from an unnamed module of its own, which a qualified export cannot reach.
 */
public interface SchedulerMXBean {
    int getMaxProcs();

    void setMaxProcs(int n);

    int getProcessors();

    int getGoroutines();

    int getThreads();

    int getIdleThreads();

    int getIdleProcs();

    int getSpinningThreads();

    int getGlobalRunQueue();

    int getLocalRunQueues();

    long getPreemptions();

    long getStuckRetakes();

    long getBlockingCalls();

    long getCarrierWakeups();

    /** Bytes allocated by goroutines since the runtime started, or -1 when not counted ({@link Metrics#allocatedBytes()}). */
    long getAllocatedBytes();

    /** Scheduling latency, sampled, since the runtime started ({@link Metrics#schedulingLatency()}): a composite in JConsole. */
    Distribution getSchedulingLatency();

    /** The 99th percentile of {@link #getSchedulingLatency()}, in nanoseconds: one number to chart. */
    long getSchedulingLatencyP99Nanos();

    /** Wait times by wait reason ({@link Metrics#waitTimes()}): a table of composites in JConsole. */
    java.util.Map<String, Distribution> getWaitTimes();

    /**
     * The wait times as text, one line per reason with something recorded:
     * {@code chan receive: count=12 p50=1.2ms p90=... p99=... p99.9=... max=...}.
     */
    String getWaitTimesSummary();

    /** Preemptions by cause ({@link Metrics#preemptionsByCause()}). */
    java.util.Map<String, Long> getPreemptionsByCause();

    /** Successful steals ({@link Metrics#steals()}). */
    long getSteals();

    /** Go.dump(): every goroutine with its state, wait reason and stack (bounded: see Go.dump()). */
    String dump();

    /** One schedtrace line. */
    String schedtrace();
}
