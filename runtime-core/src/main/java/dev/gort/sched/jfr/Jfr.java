package dev.gort.sched.jfr;

import jdk.jfr.EventType;
import jdk.jfr.FlightRecorder;

/**
 * The scheduler's calls into JFR. Loaded only when the {@code jdk.jfr} module is present (the
 * scheduler checks first), so that a trimmed runtime without it still runs goroutines.
 *
 * <p>Nothing here touches JFR's metadata until a recording has initialised JFR
 * ({@link FlightRecorder#isInitialized()}, one static read): looking up an event type
 * initialises JFR, which costs ~0.5 s on a cold JVM and stalled the first park of every program.
 */
public final class Jfr {
    private Jfr() {}

    /** The event types, looked up on first use after JFR is up. */
    private static final class Types {
        static final EventType PARK = EventType.getEventType(GoroutineEvents.Park.class);
        static final EventType UNPARK = EventType.getEventType(GoroutineEvents.Unpark.class);
        static final EventType PREEMPT = EventType.getEventType(GoroutineEvents.Preempt.class);
        static final EventType STEAL = EventType.getEventType(GoroutineEvents.Steal.class);
    }

    public static void park(long goroutineId, Object reason) {
        if (FlightRecorder.isInitialized() && Types.PARK.isEnabled()) {
            GoroutineEvents.Park e = new GoroutineEvents.Park();
            e.goroutineId = goroutineId;
            e.reason = String.valueOf(reason);
            e.commit();
        }
    }

    public static void unpark(long goroutineId) {
        if (FlightRecorder.isInitialized() && Types.UNPARK.isEnabled()) {
            GoroutineEvents.Unpark e = new GoroutineEvents.Unpark();
            e.goroutineId = goroutineId;
            e.commit();
        }
    }

    public static void preempt(long goroutineId) {
        if (FlightRecorder.isInitialized() && Types.PREEMPT.isEnabled()) {
            GoroutineEvents.Preempt e = new GoroutineEvents.Preempt();
            e.goroutineId = goroutineId;
            e.commit();
        }
    }

    public static void steal(int thief, int victim) {
        if (FlightRecorder.isInitialized() && Types.STEAL.isEnabled()) {
            GoroutineEvents.Steal e = new GoroutineEvents.Steal();
            e.thief = thief;
            e.victim = victim;
            e.commit();
        }
    }
}
