package dev.gort.time;

import dev.gort.Chan;
import java.time.Duration;
import java.time.Instant;

/** Go's {@code time.After} and friends. */
public final class Time {
    private Time() {}

    /** A channel that receives the time once, after {@code d} (Go's time.After). */
    public static Chan<Instant> after(Duration d) {
        return Timer.start(d).c();
    }

    /** Runs {@code f} in a new goroutine after {@code d}; the timer can stop it. */
    public static Timer afterFunc(Duration d, Runnable f) {
        return Timer.afterFunc(d, f);
    }
}
