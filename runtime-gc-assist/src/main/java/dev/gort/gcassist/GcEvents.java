package dev.gort.gcassist;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Enabled;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * JFR events of the GC assist, off in JFR's {@code default} settings (unlike the scheduler's,
 * {@code dev.gort.sched.jfr.GoroutineEvents}): enable them in a recording
 * ({@code Recording.enable("dev.gort.MemoryLimitPacing")}) or with docs/gort-profile.jfc. Both are rare (a few per GC cycle at most), so enabling them costs nothing
 * measurable.
 */
public final class GcEvents {
    private GcEvents() {}

    /**
     * One interval of pacing: from the pacer's first look at the closed gate (the heap found
     * above the limit) to the gate's opening. An interval that ends before that look, the limit
     * removed while the pacer's thread waited for a CPU, has no event.
     */
    @Name("dev.gort.MemoryLimitPacing")
    @Label("Memory Limit Pacing")
    @Category({"Gort", "GC"})
    @Description("Goroutines were held back because the heap in use was above gort.memlimit")
    @Enabled(false)
    @StackTrace(false)
    public static final class Pacing extends Event {
        @Label("Limit")
        @DataAmount
        public long limit;
        @Label("Heap In Use At Start")
        @DataAmount
        public long heapAtStart;
        @Label("Heap In Use At End")
        @DataAmount
        public long heapAtEnd;
        @Label("Goroutines Held")
        @Description("Goroutines held at the gate during the interval (one held twice counts twice)")
        public long held;
        @Label("Collections Requested")
        public int gcRequests;
        @Label("Let Go While Idle")
        @Description("Held goroutines let go one at a time because everything else waited")
        public int trickled;
        @Label("Outcome")
        @Description("Why the goroutines were let go: the heap under the limit, the pacing budget spent, the limit removed")
        public String outcome;
    }

    /** A pool's rotation at the end of a GC cycle: its objects became the victim, the old victim was dropped. */
    @Name("dev.gort.PoolRotation")
    @Label("Pool Rotation")
    @Category({"Gort", "GC"})
    @Description("A dev.gort.gc.Pool moved its objects to the victim cache and dropped the old victim, at a GC cycle's end")
    @Enabled(false)
    @StackTrace(false)
    public static final class PoolRotation extends Event {
        @Label("Pool")
        @Description("The pool's identity hash code")
        public int pool;
        @Label("Rotation")
        @Description("The pool's rotations so far, this one included")
        public long rotation;
        @Label("Objects Dropped")
        @Description("Objects of the old victim, which the collector may now reclaim (counted racily: a get may take one meanwhile)")
        public long dropped;
    }
}
