package dev.gort.sched;

/**
 * What a runtime module adds to the scheduler, and what the scheduler tells it: a service found
 * with {@link java.util.ServiceLoader} when the scheduler starts, like {@link NetpollDriver}.
 * Core ships no implementation and runs the same without one; {@code runtime-gc-assist}
 * provides one (its GC monitor). Every provider on the class or module path is used.
 *
 * <h2>What the scheduler calls (the instance methods)</h2>
 * <ul>
 *   <li>{@link #started()} once per runtime, on the {@code gort-jmx} thread after the runtime is
 *       up (never on a goroutine's or sysmon's path: a provider may take its time there, register
 *       an MBean); {@link #stopped()} once at {@code Go.shutdown}, after every carrier ended.</li>
 *   <li>{@link #pausedNanos()} by sysmon, once a round: a provider's answer must be cheap (a few
 *       counter reads), must not block, and must not allocate.</li>
 *   <li>{@link #appendSchedtrace} and {@link #appendDumpHeader} while the schedtrace line or the
 *       dump's header is built (any thread).</li>
 *   <li>{@link #memoryLimit()} once while the scheduler is built, and
 *       {@link #memoryLimitExceeded()} when the memory gate closes (a carrier or sysmon: cheap,
 *       non-blocking).</li>
 * </ul>
 * A hook that throws is reported on standard error and the scheduler goes on without that
 * call's contribution.
 *
 * <h2>What the scheduler offers (the static methods)</h2>
 * The memory gate, the mechanism of a soft memory limit whose policy is the module's
 * ({@link #setMemoryLimit}, {@link #admitHeld}, {@link #memoryGate}). The current processor and the number of processors, for per-P structures such as a pool
 * (Go's {@code procPin}). Nothing here pins: a goroutine keeps its P from one safepoint
 * ({@code Go.safepoint()}, a park, a yield, a spawn, a blocking call) to the next, and the
 * runtime's own packages ({@code dev.gort.*} but the API package) are never instrumented with
 * safepoints, so code of a runtime module that calls none of these between reading
 * {@link #currentProcessorId()} and using its per-P slot runs on that P throughout, as the only
 * thread that does (the P's owner M runs one goroutine at a time and never lends the P while the
 * goroutine runs: a stuck carrier keeps its P, see {@code Procs}). The P's hand-over orders the
 * previous owner's plain writes before the next owner's reads: the releasing carrier's volatile
 * write of {@code P.m} ({@code Idle.releasep}) is read by the next owner's {@code Idle.acquirep}.
 */
public interface SchedulerHooks {
    /** The runtime has started (see the class comment for the thread). */
    default void started() {
    }

    /** The runtime has stopped (Go.shutdown): release what was registered for it (an MBean). */
    default void stopped() {
    }

    /**
     * The total time the JVM has stopped every Java thread for its collector since the JVM
     * started, in nanoseconds, as far as the provider knows (0 if it does not): non-decreasing.
     * sysmon reads it each round, and an increase since its last round is time in which no
     * goroutine ran, though the clocks said so: it is taken off every running goroutine's time
     * slice, so that a pause neither uses up a slice (a preemption) nor makes a carrier look
     * blocked. A counter the collector itself updates before the world restarts (the collectors'
     * accumulated pause time), not the JVM's notifications, which come tens of milliseconds later.
     */
    default long pausedNanos() {
        return 0;
    }

    /** Appends to the schedtrace line, after the scheduler's fields: {@code " name=value"} pairs, no newline. */
    default void appendSchedtrace(StringBuilder line) {
    }

    /** Appends whole lines (each ending in a newline) to the goroutine dump's header. */
    default void appendDumpHeader(StringBuilder header) {
    }

    /**
     * The soft memory limit to start with, in bytes of heap in use (0: none), asked once per
     * runtime while the scheduler is built, before any goroutine runs (the smallest non-zero
     * answer of all hooks wins). See {@link #setMemoryLimit} for changes at run time.
     */
    default long memoryLimit() {
        return 0;
    }

    /**
     * The memory gate has just closed: the heap in use was found above the limit, and new
     * goroutines are being held (see {@code Admission}). Called on the carrier or on sysmon that
     * found it: must not block or take long (wake the policy's own thread). Only
     * {@link #admitHeld()} opens the gate again.
     */
    default void memoryLimitExceeded() {
    }

    /**
     * The memory gate of the running runtime, now: its limit, whether it is closed, the
     * goroutines held; null if no runtime runs.
     *
     * @param limit       the heap in use above which the gate closes, bytes (0: no limit)
     * @param closed      new goroutines and the heaviest allocators are held
     * @param held        goroutines held now
     * @param heldTotal   goroutines held since the runtime started (a goroutine held twice counts twice)
     * @param closings    times the gate closed
     * @param closedNanos time the gate has been closed, in all, the current closing included
     * @param runtimeIdle nothing runs and nothing waits for a P (every P idle, no carrier spinning
     *                    or in a blocking call, the queues empty): every goroutine not held waits
     * @param goroutines  goroutines alive, the held ones included (Go.numGoroutine)
     * @param ended       goroutines ended so far on the current processors: grows as goroutines end
     *                    (a racy sum, which drops when {@code setMaxProcs} retires a processor)
     */
    record MemoryGate(long limit, boolean closed, int held, long heldTotal, long closings, long closedNanos,
                      boolean runtimeIdle, long goroutines, long ended) {
    }

    /** The running runtime's memory gate (see {@link MemoryGate}), or null if none runs (nothing is started). */
    static MemoryGate memoryGate() {
        Scheduler s = Scheduler.running();
        return s != null ? s.admission.snapshot() : null;
    }

    /**
     * Sets the running runtime's memory limit (bytes of heap in use; 0: none, which also opens
     * the gate and lets every held goroutine go). Nothing if no runtime runs: the next one asks
     * {@link #memoryLimit()}.
     *
     * @throws IllegalArgumentException if bytes is negative
     */
    static void setMemoryLimit(long bytes) {
        if (bytes < 0) throw new IllegalArgumentException("memory limit " + bytes + " < 0");
        Scheduler s = Scheduler.running();
        if (s != null) s.admission.setLimit(bytes);
    }

    /**
     * Opens the running runtime's memory gate: every held goroutine goes back to the global
     * queue, oldest first. If the heap is still above the limit, the next sample closes the
     * gate again (and the policy is told again). Nothing if the gate is open or no runtime runs.
     */
    static void admitHeld() {
        Scheduler s = Scheduler.running();
        if (s != null) s.admission.open();
    }

    /**
     * Lets the running runtime's oldest held goroutine go, leaving the gate closed (see
     * {@code Admission.openOne}): false if none was held or no runtime runs.
     */
    static boolean admitOldest() {
        Scheduler s = Scheduler.running();
        return s != null && s.admission.openOne();
    }

    /** The heap in use now, as the gate samples it (bytes, garbage included). */
    static long heapUsed() {
        return Admission.heapUsed();
    }

    /**
     * The id of the P the calling thread holds, or -1 on a platform thread or a carrier without a
     * P (inside {@code Go.blocking}, whose P was handed off). Ids start at 0 and are never reused:
     * a P retired by {@code setMaxProcs} and spare Ps for stuck carriers take new ones, so ids
     * may exceed {@link #processors()}. Valid until the caller's next safepoint (see the class
     * comment). Does not start the runtime.
     */
    static int currentProcessorId() {
        P p = Scheduler.currentP();
        return p != null ? p.id : -1;
    }

    /** GOMAXPROCS of the running runtime, or the number of available processors if none runs (nothing is started). */
    static int processors() {
        Scheduler s = Scheduler.running();
        return s != null ? s.procs.nprocs() : Runtime.getRuntime().availableProcessors();
    }
}
