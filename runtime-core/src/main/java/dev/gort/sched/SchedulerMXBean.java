package dev.gort.sched;

/**
 * The scheduler as seen from JMX ({@code dev.gort:type=Scheduler}), registered when the runtime
 * starts and {@code java.management} is present: jconsole, VisualVM and JMX exporters see the
 * same gauges and counters as {@code Go.metrics()}.
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

    /** Go.dump(): every goroutine with its state, wait reason and stack (bounded: see Scheduler.DUMP_STRING_LIMIT). */
    String dump();

    /** One schedtrace line. */
    String schedtrace();
}
