package dev.gort.sched;

/**
 * One timer (Go's {@code runtime.timer}): when it fires, and what it does then. Lives in at
 * most one {@link TimerHeap}, a P's or, for a timer of a test bubble, its {@link Bubble}'s;
 * {@link #heap} and {@link #index} are written only under that heap's lock.
 */
public final class TimerEntry {
    /** When it fires: System.nanoTime(), or its bubble's clock. */
    long when;
    /** The test bubble whose clock it runs on, or null (the real clock). */
    final Bubble bubble;
    /** Runs on a carrier (not in a goroutine) when the timer fires; must not block. */
    final Runnable action;
    /** The heap it is in, or null. Written under that heap's lock (volatile: read before locking). */
    volatile TimerHeap heap;
    int index = -1;

    /** A timer on the calling goroutine's clock: its bubble's, or the real one. */
    public TimerEntry(Runnable action) {
        this(action, Bubble.current());
    }

    /** A timer on {@code bubble}'s clock (null: the real one). */
    public TimerEntry(Runnable action, Bubble bubble) {
        this.action = java.util.Objects.requireNonNull(action, "action");
        this.bubble = bubble;
    }

    /** The clock it runs on, now: {@code System.nanoTime()}, or its bubble's. */
    public long now() {
        return Bubble.nanoTime(bubble);
    }

    public long when() {
        return when;
    }
}
