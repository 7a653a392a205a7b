package dev.gort.sched;

/**
 * One timer (Go's {@code runtime.timer}): when it fires, and what it does then. Lives in at
 * most one P's {@link TimerHeap}; {@link #heap} and {@link #index} are written only under that
 * heap's lock.
 */
public final class TimerEntry {
    /** System.nanoTime() at which it fires. */
    long when;
    /** Runs on a carrier (not in a goroutine) when the timer fires; must not block. */
    final Runnable action;
    /** The heap it is in, or null. Written under that heap's lock (volatile: read before locking). */
    volatile TimerHeap heap;
    int index = -1;

    public TimerEntry(Runnable action) {
        this.action = java.util.Objects.requireNonNull(action, "action");
    }

    public long when() {
        return when;
    }
}
