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

    /** Go.dump(): every goroutine with its state, wait reason and stack (bounded: see Go.dump()). */
    String dump();

    /** One schedtrace line. */
    String schedtrace();
}
