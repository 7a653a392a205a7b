package dev.gort;

/**
 * The scheduler as seen from JMX ({@code dev.gort:type=Scheduler}), registered when the runtime
 * starts and {@code java.management} is present: jconsole, VisualVM and JMX exporters see the
 * same gauges and counters as {@link Go#metrics()}, and can take the goroutine dump (text or
 * JSON) and profile, or have them written to a file ({@code jcmd <pid> ManagementAgent.start}
 * makes them reachable from outside a process that did not enable JMX).
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

    /** Go.profile(): the goroutines grouped by state and stack, largest group first (pprof's goroutine?debug=1). */
    String profile();

    /** Go.dumpJson(): the dump in the JSON shape of jcmd's Thread.dump_to_file -format=json (bounded: see Go.dumpJson()). */
    String dumpJson();

    /**
     * Writes every goroutine to a new file, as jcmd's {@code Thread.dump_to_file} does for
     * threads: {@code format} {@code "text"} (Go.dump), {@code "json"} (the JDK's JSON shape) or
     * {@code "profile"} (Go.profile), in UTF-8, however many goroutines there are.
     *
     * @param path an absolute path of a file that does not exist yet (a dump never overwrites)
     * @return {@code "Created <path>"}
     * @throws IllegalArgumentException if {@code path} is null, relative or exists, or
     *         {@code format} is none of the three
     * @throws java.io.IOException if the file cannot be written
     */
    String writeDump(String path, String format) throws java.io.IOException;
}
