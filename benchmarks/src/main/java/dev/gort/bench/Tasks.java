package dev.gort.bench;

import dev.gort.Go;
import dev.gort.Goroutine;

/**
 * Starting the workers of a repetition, with the anchors' failure rule ({@code H.vt} in
 * anchors/jvm): an exception that escapes a worker prints its stack trace and ends the process
 * with status 1 (a worker that dies would otherwise leave the driver waiting forever).
 */
final class Tasks {
    private Tasks() {}

    /** A worker body that may throw (channel operations throw InterruptedException). */
    @FunctionalInterface
    interface Task {
        void run() throws Exception;
    }

    /** A JDK virtual thread running task (the anchors' {@code H.vt}). */
    static Thread vt(Task task) {
        return Thread.ofVirtual().start(() -> {
            try {
                task.run();
            } catch (Throwable e) {
                die("virtual thread", e);
            }
        });
    }

    /** A Gort goroutine running task ({@link Go#spawn}). */
    static Goroutine go(Task task) {
        return Go.spawn(() -> {
            try {
                task.run();
            } catch (Throwable e) {
                die("goroutine", e);
            }
        });
    }

    /**
     * {@code -Dschedstats.variant=true}: the workload's {@code gort} implementation is followed by
     * {@code gort-nostats}, the same body with the scheduler's sampled statistics switched off for
     * its repetitions (benchmarks/overhead.sh: the two alternate within one JVM).
     */
    static final boolean SCHED_STATS_VARIANT = Boolean.getBoolean("schedstats.variant");

    /** body with the sampling off, then back to the start-up setting. */
    static double[] withoutSchedStats(Workload.Body body) throws Exception {
        int period = dev.gort.sched.Scheduler.schedStatsSample();
        dev.gort.sched.Scheduler.setSchedStatsSampling(false, period);
        try {
            return body.run();
        } finally {
            dev.gort.sched.Scheduler.setSchedStatsSampling(true, period);
        }
    }

    private static void die(String what, Throwable e) {
        System.out.println("INFO a " + what + " failed: " + e);
        e.printStackTrace(System.out);
        System.out.flush();
        System.exit(1);
    }
}
