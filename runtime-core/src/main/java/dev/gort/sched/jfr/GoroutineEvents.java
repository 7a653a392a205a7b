package dev.gort.sched.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Enabled;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * JFR events of the scheduler, so that the JVM's own tools see goroutines: enable them in a
 * recording ({@code Recording.enable("dev.gort.GoroutinePark")}, or a .jfc settings file that
 * turns on {@code dev.gort.*}). All are {@code @Enabled(false)} by default, even under JFR's
 * "profile" settings: they are on the hottest paths. When disabled, each costs one
 * check of a static flag that the JIT folds.
 */
public final class GoroutineEvents {
    private GoroutineEvents() {}

    @Name("dev.gort.GoroutinePark")
    @Label("Goroutine Park")
    @Category({"Gort", "Scheduler"})
    @Description("A goroutine parked (unmounted to wait)")
    @Enabled(false)
    @StackTrace(true)
    public static final class Park extends Event {
        @Label("Goroutine Id")
        public long goroutineId;
        @Label("Wait Reason")
        public String reason;
    }

    @Name("dev.gort.GoroutineUnpark")
    @Label("Goroutine Unpark")
    @Category({"Gort", "Scheduler"})
    @Description("A parked goroutine was made runnable")
    @Enabled(false)
    @StackTrace(false)
    public static final class Unpark extends Event {
        @Label("Goroutine Id")
        public long goroutineId;
    }

    @Name("dev.gort.GoroutinePreempt")
    @Label("Goroutine Preemption")
    @Category({"Gort", "Scheduler"})
    @Description("A goroutine yielded at a safepoint because its time slice was over")
    @Enabled(false)
    @StackTrace(true)
    public static final class Preempt extends Event {
        @Label("Goroutine Id")
        public long goroutineId;
    }

    @Name("dev.gort.Steal")
    @Label("Work Steal")
    @Category({"Gort", "Scheduler"})
    @Description("A processor took goroutines from another processor's run queue")
    @Enabled(false)
    @StackTrace(false)
    public static final class Steal extends Event {
        @Label("Thief P")
        public int thief;
        @Label("Victim P")
        public int victim;
    }
}
