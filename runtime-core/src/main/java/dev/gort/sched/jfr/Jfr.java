package dev.gort.sched.jfr;

import jdk.jfr.EventType;

/**
 * The scheduler's calls into JFR. Loaded only when the {@code jdk.jfr} module is present (the
 * scheduler checks first), so that a trimmed runtime without it still runs goroutines.
 */
public final class Jfr {
    private static final EventType PARK = EventType.getEventType(GoroutineEvents.Park.class);
    private static final EventType UNPARK = EventType.getEventType(GoroutineEvents.Unpark.class);
    private static final EventType PREEMPT = EventType.getEventType(GoroutineEvents.Preempt.class);
    private static final EventType STEAL = EventType.getEventType(GoroutineEvents.Steal.class);

    private Jfr() {}

    public static void park(long goroutineId, Object reason) {
        if (PARK.isEnabled()) {
            GoroutineEvents.Park e = new GoroutineEvents.Park();
            e.goroutineId = goroutineId;
            e.reason = String.valueOf(reason);
            e.commit();
        }
    }

    public static void unpark(long goroutineId) {
        if (UNPARK.isEnabled()) {
            GoroutineEvents.Unpark e = new GoroutineEvents.Unpark();
            e.goroutineId = goroutineId;
            e.commit();
        }
    }

    public static void preempt(long goroutineId) {
        if (PREEMPT.isEnabled()) {
            GoroutineEvents.Preempt e = new GoroutineEvents.Preempt();
            e.goroutineId = goroutineId;
            e.commit();
        }
    }

    public static void steal(int thief, int victim) {
        if (STEAL.isEnabled()) {
            GoroutineEvents.Steal e = new GoroutineEvents.Steal();
            e.thief = thief;
            e.victim = victim;
            e.commit();
        }
    }
}
