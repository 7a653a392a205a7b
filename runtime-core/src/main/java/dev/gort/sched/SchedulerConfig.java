package dev.gort.sched;

/**
 * Every {@code -Dgort.*} knob of the scheduler, read once at start-up ({@link #fromSystemProperties})
 * and never again: the scheduler keeps this record and each owner reads its own setting from it.
 * Sysmon prints it as the first line of {@code -Dgort.schedtrace} ({@link #describe}).
 *
 * <p>The netpoll module reads its own knobs ({@code gort.netpoll}'s choice of poller,
 * {@code gort.uring.*}, {@code gort.affinity}); here {@code gort.netpoll=none} only says whether the
 * scheduler loads a poller at all.
 *
 * @param maxProcs       {@code gort.maxprocs}: Ps at start (GOMAXPROCS); default: available processors
 * @param maxThreads     {@code gort.maxthreads}: the most carrier threads; default 10,000
 * @param stackSize      {@code gort.stacksize}: a carrier thread's stack size in bytes; 0: the JVM's default
 * @param schedtraceMillis {@code gort.schedtrace}: sysmon prints a schedtrace line this often; 0: never
 * @param netpoll        false when {@code gort.netpoll=none}: no network poller is loaded
 * @param deferWake      {@code gort.deferwake} (default true): ready() may owe a carrier's wake-up
 *                       (see {@link WakePolicy})
 * @param pollWakeOwed   {@code gort.pollwake=owed} (the default; {@code eager}: false): a netpoll
 *                       batch's wake-up may be owed (see {@link WakePolicy})
 * @param spinNanos      {@code gort.spinnanos}: how long a channel wait may spin before parking;
 *                       0 (the default): never (see {@link WakePolicy#spinBeforePark})
 * @param allocStats     {@code gort.allocstats} ({@code true} or {@code false}; default
 *                       {@link #ALLOC_STATS_DEFAULT}): count the bytes each goroutine allocates
 *                       ({@link dev.gort.Goroutine#allocatedBytes()}); asked for where the counter
 *                       is unavailable ({@link AllocCounter#unavailableReason()}), it is false and a
 *                       warning says why
 * @param schedDetail    {@code gort.scheddetail} ({@code true} or {@code false}; default false):
 *                       each schedtrace line is followed by a line per P and per M (Go's
 *                       {@code GODEBUG=scheddetail=1}; see {@code Diagnostics.schedDetail})
 * @param schedStats     {@code gort.schedstats} ({@code true} or {@code false}; default true): sample
 *                       the scheduling latency and the wait times ({@link SchedStats}); false
 *                       without HdrHistogram on the path (a warning says so if it was asked for)
 * @param schedStatsSample {@code gort.schedstats.sample}: one goroutine cycle in this many is timed
 *                       (a power of two in 1..128; default {@link #SCHED_STATS_SAMPLE_DEFAULT});
 *                       1 times every one
 * @param carrierSpacers {@code gort.carrierspacers} ({@code true} or {@code false}; default true):
 *                       start an idle thread after each carrier thread, so that no two carriers
 *                       share the JDK's per-thread state in a cache line (see {@link CarrierSpacer})
 */
record SchedulerConfig(int maxProcs, int maxThreads, long stackSize, long schedtraceMillis, boolean netpoll,
                       boolean deferWake, boolean pollWakeOwed, long spinNanos, boolean allocStats,
                       boolean schedDetail, boolean schedStats, int schedStatsSample, boolean carrierSpacers) {

    /**
     * Off by default: two reads of the carrier's counter per goroutine switch cost more than the
     * 3% of W2 and W5 that an always-on statistic may take (docs/BENCHMARKS.md, "Allocation
     * accounting").
     */
    static final boolean ALLOC_STATS_DEFAULT = false;

    /**
     * One goroutine cycle in 64 timed, where Go times one in 8 ({@code gTrackingPeriod}): a
     * timed cycle costs about 100 ns here (three {@code System.nanoTime()} reads at ~18 ns and
     * two recordings, each two atomic increments), so one in 8 cost W2 about 8% with one P;
     * one in 64 keeps the always-on sampling under 2% of W2 and W5 (docs/BENCHMARKS.md,
     * "Scheduler statistics").
     */
    static final int SCHED_STATS_SAMPLE_DEFAULT = 64;

    /** @throws IllegalArgumentException naming the property, when a value is out of range */
    SchedulerConfig {
        if (maxProcs < 1 || maxProcs > Scheduler.MAX_PROCS) {
            throw new IllegalArgumentException("gort.maxprocs=" + maxProcs + " is out of range 1.." + Scheduler.MAX_PROCS);
        }
        if (maxThreads < maxProcs) {
            throw new IllegalArgumentException("gort.maxthreads=" + maxThreads + " is below gort.maxprocs=" + maxProcs);
        }
        if (schedStatsSample < 1 || schedStatsSample > 128 || Integer.bitCount(schedStatsSample) != 1) {
            throw new IllegalArgumentException("gort.schedstats.sample=" + schedStatsSample + " is not a power of two in 1..128");
        }
    }

    /** The configuration the system properties give; a value that does not parse is an error, not ignored. */
    static SchedulerConfig fromSystemProperties() {
        return new SchedulerConfig(
            intProperty("gort.maxprocs", Runtime.getRuntime().availableProcessors()),
            intProperty("gort.maxthreads", 10_000),
            Long.getLong("gort.stacksize", 0L),
            Long.getLong("gort.schedtrace", 0L),
            !"none".equals(System.getProperty("gort.netpoll")),
            !"false".equals(System.getProperty("gort.deferwake")),
            !"eager".equals(System.getProperty("gort.pollwake", "owed")),
            Long.getLong("gort.spinnanos", 0L),
            allocStats(booleanProperty("gort.allocstats", ALLOC_STATS_DEFAULT)),
            booleanProperty("gort.scheddetail", false),
            schedStats(booleanProperty("gort.schedstats", true), System.getProperty("gort.schedstats") != null),
            intProperty("gort.schedstats.sample", SCHED_STATS_SAMPLE_DEFAULT),
            booleanProperty("gort.carrierspacers", true));
    }

    /** The accounting asked for, if the carrier's counter can be read here; otherwise off, with a warning. */
    private static boolean allocStats(boolean requested) {
        if (!requested) return false;
        String why = AllocCounter.unavailableReason();
        if (why == null) return true;
        System.err.println("gort: gort.allocstats=true ignored: " + why + "; goroutines' allocatedBytes() is -1");
        return false;
    }

    /** The sampling asked for, if HdrHistogram is there; otherwise off, with a warning when it was asked for explicitly. */
    private static boolean schedStats(boolean requested, boolean explicit) {
        if (!requested || SchedStats.AVAILABLE) return requested;
        if (explicit) System.err.println("gort: gort.schedstats=true ignored: HdrHistogram is not on the path (or not resolved);"
            + " the scheduling-latency and wait-time distributions are empty");
        return false;
    }

    /** A boolean system property, {@code true} or {@code false} (any case); anything else is an error, not ignored. */
    private static boolean booleanProperty(String name, boolean dflt) {
        String v = System.getProperty(name);
        if (v == null) return dflt;
        if (v.trim().equalsIgnoreCase("true")) return true;
        if (v.trim().equalsIgnoreCase("false")) return false;
        throw new IllegalArgumentException(name + " must be true or false, got \"" + v + "\"");
    }

    /** An int system property, or {@code dflt} when unset; a value that is not an int is an error, not ignored. */
    private static int intProperty(String name, int dflt) {
        String v = System.getProperty(name);
        if (v == null) return dflt;
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be an integer, got \"" + v + "\"");
        }
    }

    /** One line, in the properties' own names and values (schedtrace's first line). */
    String describe() {
        return "maxprocs=" + maxProcs + " maxthreads=" + maxThreads + " stacksize=" + stackSize
            + " schedtrace=" + schedtraceMillis + " netpoll=" + (netpoll ? "auto" : "none")
            + " deferwake=" + deferWake + " pollwake=" + (pollWakeOwed ? "owed" : "eager")
            + " spinnanos=" + spinNanos + " allocstats=" + allocStats + " scheddetail=" + schedDetail
            + " schedstats=" + schedStats + " schedstats.sample=" + schedStatsSample + " carrierspacers=" + carrierSpacers;
    }
}
