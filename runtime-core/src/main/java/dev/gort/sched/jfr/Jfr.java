package dev.gort.sched.jfr;

import dev.gort.sched.G;
import jdk.jfr.EventType;
import jdk.jfr.FlightRecorder;
import jdk.jfr.FlightRecorderListener;

/**
 * The scheduler's calls into JFR (the events are {@link GoroutineEvents}). Loaded only when the
 * {@code jdk.jfr} module is present (the scheduler checks first: {@code Scheduler.JFR}), so that a
 * trimmed runtime without it still runs goroutines. Each hook in the scheduler is one line.
 *
 * <h2>Cost</h2>
 * Until a recording has initialised JFR, every call costs one static read
 * ({@link FlightRecorder#isInitialized()}): nothing here touches JFR's metadata before that, since
 * looking up an event type initialises JFR, which costs ~0.5 s on a cold JVM and stalled the first
 * park of every program. While JFR runs but an event is off, a call costs that read and the event
 * type's enabled flag. Only an enabled event allocates it and reads the clock; the duration
 * events ({@link #parkBegin}, {@link #blockingBegin}, {@link #netpollBegin}) read JFR's own tick
 * counter ({@code Event.begin()}/{@code end()}, the JVM's intrinsic, as cheap as
 * {@code System.nanoTime()} or cheaper) at both ends and commit only past their threshold, so
 * with JFR's {@code default} settings (20 ms) a park costs two tick reads and one small
 * allocation, and a short wait is never written. The begin methods return the event as an
 * {@code Object} (null when off) so that the scheduler's classes name no {@code jdk.jfr} type.
 */
public final class Jfr {
    private Jfr() {}

    /** The event types: registered when JFR initialises ({@link #addRecorderListener}), or at first use. */
    private static final class Types {
        static final EventType PARK = EventType.getEventType(GoroutineEvents.Park.class);
        static final EventType PREEMPT = EventType.getEventType(GoroutineEvents.Preempt.class);
        static final EventType STEAL = EventType.getEventType(GoroutineEvents.Steal.class);
        static final EventType NETPOLL_WAIT = EventType.getEventType(GoroutineEvents.NetpollWait.class);
        static final EventType BLOCKING_CALL = EventType.getEventType(GoroutineEvents.BlockingCall.class);
        static final EventType STUCK = EventType.getEventType(GoroutineEvents.StuckCarrier.class);
        static final EventType STUCK_RETURNED = EventType.getEventType(GoroutineEvents.StuckCarrierReturned.class);
        static final EventType RETIRED = EventType.getEventType(GoroutineEvents.ProcessorRetired.class);

        /** Does nothing: calling it initialises the class, which registers every type. */
        static void register() {}
    }

    /**
     * Registers the event types when JFR initialises (at once if it already has), from a
     * listener JFR calls while it initialises, before the first recording exists. Registered
     * lazily instead, by the first park of a running recording, the types would get their
     * settings only then: a registration applies JFR's defaults first ({@code sampling} 1/64)
     * and the recording's own a few milliseconds later, so the parks between went untimed, and
     * a first recording that asked for every park missed some (JfrEventsTest). Adding the
     * listener loads a few of JFR's classes (~1 ms, once) but does not initialise JFR (~0.5 s),
     * so a program that never records does not pay for JFR. Called when a scheduler starts;
     * {@link #removeRecorderListener} when it stops, since JFR's list of listeners would keep
     * Gort's class loader alive.
     */
    public static synchronized void addRecorderListener() {
        if (listener != null) return;
        listener = new FlightRecorderListener() {
            @Override
            public void recorderInitialized(FlightRecorder recorder) {
                Types.register();
            }
        };
        FlightRecorder.addListener(listener);
    }

    /** The scheduler stopped: see {@link #addRecorderListener}. */
    public static synchronized void removeRecorderListener() {
        if (listener == null) return;
        FlightRecorder.removeListener(listener);
        listener = null;
    }

    /** What {@link #addRecorderListener} added, or null; guarded by the class's monitor. */
    private static FlightRecorderListener listener;

    /**
     * Which parks {@code dev.gort.GoroutinePark} times, as a mask on each carrier's count of parks:
     * a park is timed when {@code (count & mask) == 0}, so 0 times every park and 63 one in 64.
     * Written by {@link ParkSampling} when the event type is registered (when JFR initialises:
     * {@link #addRecorderListener}) and when recordings start or stop; read by every park,
     * racily: a park that sees the old mask only times one park more or less. Until JFR
     * initialises, -1: a park is timed only when its carrier's count wraps to 0, once in 2^32,
     * and then {@link #parkBegin} returns at once; so a program that never records does not call
     * into JFR at its parks. (The registration at JFR's start writes the mask before the first
     * recording can start; {@link FlightRecorder#addListener} calls a listener added after that
     * at once, so no JFR start goes unseen.)
     */
    static volatile int parkSampleMask = -1;

    /** {@link #parkSampleMask}, for Scheduler.park's hook (a volatile read: a plain load on x86). */
    public static int parkSampleMask() {
        return parkSampleMask;
    }

    /**
     * A sampled park of a goroutine on {@code carrier}: the event with its start tick, or null
     * when {@code dev.gort.GoroutinePark} is off. Pass it to {@link #parkEnd} once the goroutine
     * runs again.
     */
    public static Object parkBegin(long goroutineId, Thread carrier) {
        if (!FlightRecorder.isInitialized() || !Types.PARK.isEnabled()) return null;
        GoroutineEvents.Park e = new GoroutineEvents.Park();
        e.begin();
        e.goroutineId = goroutineId;
        e.parkCarrier = carrier;
        return e;
    }

    /**
     * The goroutine of {@code event} (from {@link #parkBegin}, not null) runs again: commits it if
     * it lasted past the threshold. The name, reason and blocker are read only then.
     */
    public static void parkEnd(Object event, String goroutineName, Object reason, Object blocker) {
        GoroutineEvents.Park e = (GoroutineEvents.Park) event;
        e.end();
        if (e.shouldCommit()) {
            e.goroutineName = goroutineName;
            e.reason = String.valueOf(reason);
            if (blocker != null) {
                e.blockerClass = blocker.getClass();
                e.blockerId = System.identityHashCode(blocker);
            }
            e.commit();
        }
    }

    public static void preempt(long goroutineId, String cause) {
        if (FlightRecorder.isInitialized() && Types.PREEMPT.isEnabled()) {
            GoroutineEvents.Preempt e = new GoroutineEvents.Preempt();
            e.goroutineId = goroutineId;
            e.cause = cause;
            e.commit();
        }
    }

    public static void steal(int thief, int victim, int count) {
        if (FlightRecorder.isInitialized() && Types.STEAL.isEnabled()) {
            GoroutineEvents.Steal e = new GoroutineEvents.Steal();
            e.thief = thief;
            e.victim = victim;
            e.count = count;
            e.commit();
        }
    }

    /** A blocking poll is about to start: the event, or null when {@code dev.gort.NetpollWait} is off. */
    public static Object netpollBegin() {
        if (!FlightRecorder.isInitialized() || !Types.NETPOLL_WAIT.isEnabled()) return null;
        GoroutineEvents.NetpollWait e = new GoroutineEvents.NetpollWait();
        e.begin();
        return e;
    }

    /** The blocking poll of {@code event} (not null) returned {@code readied} goroutines. */
    public static void netpollEnd(Object event, long timeoutNanos, int readied) {
        GoroutineEvents.NetpollWait e = (GoroutineEvents.NetpollWait) event;
        e.end();
        if (e.shouldCommit()) {
            e.timeout = timeoutNanos;
            e.readied = readied;
            e.commit();
        }
    }

    /** Go.blocking is about to hand its processor off: the event, or null when {@code dev.gort.BlockingCall} is off. */
    public static Object blockingBegin(long goroutineId) {
        if (!FlightRecorder.isInitialized() || !Types.BLOCKING_CALL.isEnabled()) return null;
        GoroutineEvents.BlockingCall e = new GoroutineEvents.BlockingCall();
        e.begin();
        e.goroutineId = goroutineId;
        return e;
    }

    /** The call of {@code event} (not null) is over and its goroutine holds a processor again. */
    public static void blockingEnd(Object event) {
        GoroutineEvents.BlockingCall e = (GoroutineEvents.BlockingCall) event;
        e.end();
        if (e.shouldCommit()) e.commit();
    }

    /** sysmon marked {@code processor} stuck on goroutine {@code g} (null if none was seen) on {@code carrier}. */
    public static void stuckCarrier(int processor, int spare, G g, Thread carrier) {
        if (FlightRecorder.isInitialized() && Types.STUCK.isEnabled()) {
            GoroutineEvents.StuckCarrier e = new GoroutineEvents.StuckCarrier();
            e.processor = processor;
            e.spare = spare;
            e.goroutineId = g != null ? g.id() : 0;
            e.carrier = carrier;
            e.commit();
        }
    }

    public static void stuckCarrierReturned(int processor) {
        if (FlightRecorder.isInitialized() && Types.STUCK_RETURNED.isEnabled()) {
            GoroutineEvents.StuckCarrierReturned e = new GoroutineEvents.StuckCarrierReturned();
            e.processor = processor;
            e.commit();
        }
    }

    public static void processorRetired(int processor, int remaining) {
        if (FlightRecorder.isInitialized() && Types.RETIRED.isEnabled()) {
            GoroutineEvents.ProcessorRetired e = new GoroutineEvents.ProcessorRetired();
            e.processor = processor;
            e.remaining = remaining;
            e.commit();
        }
    }
}
