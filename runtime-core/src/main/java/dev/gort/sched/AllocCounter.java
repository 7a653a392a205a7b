package dev.gort.sched;

/**
 * The carrier's allocated-bytes counter, for the allocation accounting of goroutines
 * ({@code -Dgort.allocstats}, {@link dev.gort.Goroutine#allocatedBytes()}).
 *
 * <h2>The counter</h2>
 * HotSpot counts, per thread, the bytes the thread has allocated on the heap: the TLABs it
 * filled plus the used part of its current TLAB plus its allocations outside a TLAB (large
 * arrays). {@code com.sun.management.ThreadMXBean#getCurrentThreadAllocatedBytes()} reads the
 * calling thread's count: one JNI call ({@code getThreadAllocatedMemory0(0)}), no thread lookup,
 * no safepoint. {@code getThreadAllocatedBytes(id)} with another thread's id takes a thread-list
 * lock and a lookup, and cannot be read at the moment the goroutine leaves the carrier anyway;
 * so the carrier reads its own count, before it mounts a goroutine and after the goroutine
 * comes back ({@code Schedule.execute}), and the difference is the goroutine's. Cost
 * (benchmarks' {@code AllocCounterBench}, JMH): see docs/BENCHMARKS.md.
 *
 * <h2>Optional modules</h2>
 * The counter's interface is in {@code jdk.management} (service-bound to {@code java.management}
 * on a full JDK). runtime-core declares {@code requires static jdk.management}: compiled against
 * it, and reading it at run time when the boot layer has it; a trimmed runtime without it still
 * runs Gort, with the accounting off ({@link #unavailableReason()}). The interface is touched
 * only by {@link Bean}, which is initialized only after that check, so a runtime without the
 * module never loads it. Direct calls, not reflection: the JIT inlines the monomorphic
 * interface call down to the native method.
 *
 * <p>State: {@link #enabled}, written by each runtime's start-up ({@code Scheduler}'s
 * constructor), read by {@link G#allocatedBytes()} (volatile: a handle read on any thread).
 */
final class AllocCounter {
    private AllocCounter() {}

    /** The last runtime started counts allocations ({@code gort.allocstats} and the counter available). */
    private static volatile boolean enabled;

    static boolean enabled() {
        return enabled;
    }

    static void setEnabled(boolean on) {
        enabled = on;
    }

    /**
     * Why the counter cannot be read here, or null when it can: {@code jdk.management} absent
     * from the boot layer or not read by this module, or the JVM does not count allocations.
     */
    static String unavailableReason() {
        java.util.Optional<Module> mgmt = ModuleLayer.boot().findModule("jdk.management");
        if (mgmt.isEmpty()) return "the runtime has no jdk.management module";
        if (!AllocCounter.class.getModule().canRead(mgmt.get())) return "module dev.gort.core does not read jdk.management";
        try {
            return Bean.THREADS == null ? "this JVM does not count allocated bytes per thread" : null;
        } catch (Throwable t) { // a platform MXBean that fails to start: say why, run without
            return "the thread MXBean is unavailable: " + t;
        }
    }

    /**
     * The calling thread's allocated bytes since it started, or -1 when the counting is switched
     * off ({@code ThreadMXBean.setThreadAllocatedMemoryEnabled(false)}). Call only after
     * {@link #unavailableReason()} returned null.
     */
    static long currentThreadAllocatedBytes() {
        return Bean.THREADS.getCurrentThreadAllocatedBytes();
    }

    /** {@link #unavailableReason()} is null: computed once, at the first call. */
    private static final class Available {
        static final boolean YES = unavailableReason() == null;
    }

    /**
     * The bytes thread t has allocated since it started, or -1 when the counter is not available
     * or switched off: a thread lookup in the JVM (sysmon's reads of the carriers, not a hot path).
     */
    static long threadAllocatedBytes(Thread t) {
        return Available.YES ? Bean.THREADS.getThreadAllocatedBytes(t.threadId()) : -1;
    }

    /** Initialized only once the module is known to be there (a class of its own: see above). */
    private static final class Bean {
        static final com.sun.management.ThreadMXBean THREADS = threads();

        private static com.sun.management.ThreadMXBean threads() {
            if (java.lang.management.ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean t
                && t.isThreadAllocatedMemorySupported()) {
                return t;
            }
            return null;
        }
    }
}
