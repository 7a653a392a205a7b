package dev.gort.sched.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Enabled;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.SettingDefinition;
import jdk.jfr.StackTrace;
import jdk.jfr.Threshold;
import jdk.jfr.Throttle;
import jdk.jfr.Timespan;

/**
 * JFR events of the scheduler, so that the JVM's own tools see goroutines. Their annotations are
 * the defaults that JFR's {@code default} settings apply (a user-defined event has no entry in
 * {@code default.jfc}, so its annotations rule there): every event is on, the frequent ones
 * only past a threshold or a rate, as the JDK's own {@code jdk.ThreadPark} (20 ms):
 * <table>
 *   <caption>The events and their defaults</caption>
 *   <tr><th>Event</th><th>Kind</th><th>default</th><th>gort-profile.jfc</th></tr>
 *   <tr><td>{@code dev.gort.GoroutinePark}</td><td>duration, stack</td><td>one park in 64 timed
 *       ({@link ParkSampling}), recorded over 20 ms</td><td>every park timed, over 1 ms</td></tr>
 *   <tr><td>{@code dev.gort.GoroutinePreempt}</td><td>instant, stack</td><td>on (sysmon asks at most once per 10 ms per P)</td><td>on</td></tr>
 *   <tr><td>{@code dev.gort.Steal}</td><td>instant</td><td>at most 100/s</td><td>every one</td></tr>
 *   <tr><td>{@code dev.gort.NetpollWait}</td><td>duration</td><td>over 20 ms</td><td>every one</td></tr>
 *   <tr><td>{@code dev.gort.BlockingCall}</td><td>duration, stack</td><td>over 20 ms</td><td>over 1 ms</td></tr>
 *   <tr><td>{@code dev.gort.StuckCarrier}, {@code dev.gort.StuckCarrierReturned},
 *       {@code dev.gort.ProcessorRetired}</td><td>instant</td><td>on (rare)</td><td>on</td></tr>
 * </table>
 * The project's {@code docs/gort-profile.jfc} holds the detailed settings; combine it with JFR's
 * own: {@code
 * -XX:StartFlightRecording:settings=default,settings=docs/gort-profile.jfc} (a later file wins
 * for the events it names). {@link Jfr} emits them; nothing here is API: the names and fields are.
 */
public final class GoroutineEvents {
    private GoroutineEvents() {}

    /**
     * One wait of a goroutine: from its park to its running again (its wait, then its wait for a
     * processor), committed on the carrier that resumes it, with the goroutine's stack at the
     * park. The event's thread is that carrier; {@link #parkCarrier} is the one it parked on.
     */
    @Name("dev.gort.GoroutinePark")
    @Label("Goroutine Park")
    @Category({"Gort", "Scheduler"})
    @Description("A goroutine waited (unmounted from its carrier): from its park to its running again")
    @Enabled(true)
    @Threshold("20 ms")
    @StackTrace(true)
    public static final class Park extends Event {
        @Label("Goroutine Id")
        public long goroutineId;
        @Label("Goroutine Name")
        public String goroutineName;
        @Label("Wait Reason")
        @Description("What the goroutine waited for, as Go.dump() shows it: chan receive, select, sleep, IO wait ...")
        public String reason;
        @Label("Blocker Class")
        @Description("The class of what the wait parked on (a channel's wait queue, a mutex's, a poll descriptor's commit ...)")
        public Class<?> blockerClass;
        @Label("Blocker Identity")
        @Description("System.identityHashCode of that object: the same value for waits on the same queue (a channel has one for receivers, one for senders)")
        public int blockerId;
        @Label("Park Carrier")
        @Description("The carrier thread the goroutine parked on")
        public Thread parkCarrier;

        /** Which parks are timed: see {@link ParkSampling}. Filters nothing at commit. */
        @Name("sampling")
        @Label("Parks Timed")
        @Description("1/N: one in N of each carrier's parks is timed (and recorded if over the threshold); 1/1: every park")
        @SettingDefinition
        protected boolean sampling(ParkSampling control) {
            return true;
        }
    }

    /** A goroutine gave up its processor at a safepoint because sysmon asked it to. */
    @Name("dev.gort.GoroutinePreempt")
    @Label("Goroutine Preemption")
    @Category({"Gort", "Scheduler"})
    @Description("A goroutine yielded its processor at a safepoint because sysmon asked it to")
    @Enabled(true)
    @StackTrace(true)
    public static final class Preempt extends Event {
        @Label("Goroutine Id")
        public long goroutineId;
        @Label("Cause")
        @Description("time slice (ran 10 ms or more), stuck carrier (its carrier blocked and a spare processor took over), memory gate (a heavy allocator while the heap is above gort.memlimit)")
        public String cause;
    }

    @Name("dev.gort.Steal")
    @Label("Work Steal")
    @Category({"Gort", "Scheduler"})
    @Description("A processor with nothing to run took goroutines from another processor's run queue")
    @Enabled(true)
    @Throttle("100/s")
    @StackTrace(false)
    public static final class Steal extends Event {
        @Label("Thief P")
        public int thief;
        @Label("Victim P")
        public int victim;
        @Label("Goroutines")
        @Description("How many it took (half the victim's queue, or its runnext)")
        public int count;
    }

    /**
     * The one blocking wait of the network poller: the timer sleeper's, an idle carrier waiting
     * for I/O and the earliest timer at once. Non-blocking polls are not recorded.
     */
    @Name("dev.gort.NetpollWait")
    @Label("Netpoll Wait")
    @Category({"Gort", "Network"})
    @Description("An idle carrier blocked in the network poller (epoll, io_uring, kqueue) until I/O, a timer or a wake-up")
    @Enabled(true)
    @Threshold("20 ms")
    @StackTrace(false)
    public static final class NetpollWait extends Event {
        @Label("Timeout")
        @Description("How long it was allowed to block: the earliest timer, or -1 for no limit")
        @Timespan(Timespan.NANOSECONDS)
        public long timeout;
        @Label("Goroutines Readied")
        @Description("Goroutines whose I/O became ready in this wait")
        public int readied;
    }

    /**
     * A {@code Go.blocking} call that handed its processor off (Go's entersyscall to
     * exitsyscall), from the hand-off to having a processor again.
     */
    @Name("dev.gort.BlockingCall")
    @Label("Blocking Call")
    @Category({"Gort", "Scheduler"})
    @Description("A goroutine ran Go.blocking: its processor was handed off for the call and taken back after")
    @Enabled(true)
    @Threshold("20 ms")
    @StackTrace(true)
    public static final class BlockingCall extends Event {
        @Label("Goroutine Id")
        public long goroutineId;
    }

    /** sysmon found a carrier blocked with its goroutine mounted and gave its work to a spare processor. */
    @Name("dev.gort.StuckCarrier")
    @Label("Stuck Carrier")
    @Category({"Gort", "Scheduler"})
    @Description("sysmon found a carrier blocked inside a goroutine (a call that was not Go.blocking) and added a spare processor for the work that waited on its processor")
    @Enabled(true)
    @StackTrace(false)
    public static final class StuckCarrier extends Event {
        @Label("Stuck P")
        public int processor;
        @Label("Spare P")
        @Description("The processor added, or -1 when a pending retirement was cancelled instead")
        public int spare;
        @Label("Goroutine Id")
        @Description("The goroutine on the stuck carrier, or 0 if sysmon saw none (it had just left)")
        public long goroutineId;
        @Label("Carrier")
        public Thread carrier;
    }

    /** A stuck processor's goroutine came back (or left it): one processor is to retire. */
    @Name("dev.gort.StuckCarrierReturned")
    @Label("Stuck Carrier Returned")
    @Category({"Gort", "Scheduler"})
    @Description("A stuck processor's goroutine came back to the scheduler, or left the processor: one processor too many, to retire")
    @Enabled(true)
    @StackTrace(false)
    public static final class StuckCarrierReturned extends Event {
        @Label("P")
        public int processor;
    }

    /** A processor left the set: after a stuck carrier returned, or GOMAXPROCS shrank. */
    @Name("dev.gort.ProcessorRetired")
    @Label("Processor Retired")
    @Category({"Gort", "Scheduler"})
    @Description("A processor was retired (a spare no longer needed, or Go.setMaxProcs shrank the set); its queue went to the global queue")
    @Enabled(true)
    @StackTrace(false)
    public static final class ProcessorRetired extends Event {
        @Label("P")
        public int processor;
        @Label("Processors Left")
        public int remaining;
    }
}
