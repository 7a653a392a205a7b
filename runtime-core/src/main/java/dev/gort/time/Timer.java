package dev.gort.time;

import dev.gort.Chan;
import dev.gort.Go;
import dev.gort.sched.Bubble;
import dev.gort.sched.Scheduler;
import dev.gort.sched.SpinLock;
import dev.gort.sched.TimerEntry;
import java.time.Duration;
import java.time.Instant;

/**
 * A one-shot timer (Go's {@code time.Timer}): after its duration, the time is sent on
 * {@link #c()} (a channel of capacity 1), or, for {@link #afterFunc}, a function runs in its own
 * goroutine. Timers live in the runtime's per-processor timer heaps; an idle runtime sleeps until
 * the earliest one.
 *
 * <p>{@link #close()} is {@link #stop()}, so a timer that guards a block can be released with
 * try-with-resources:
 * <pre>{@code
 * try (Timer timeout = Timer.start(Duration.ofSeconds(1))) {
 *     new Select().recv(results, r -> use(r)).recv(timeout.c(), t -> giveUp()).run();
 * }
 * }</pre>
 */
public final class Timer implements AutoCloseable {
    private final Chan<Instant> c;
    private final Runnable func;
    /** The test bubble it was made in (its clock, and its afterFunc goroutines' bubble), or null. */
    private final Bubble bubble = Bubble.current();
    private final SpinLock lock = new SpinLock();
    private TimerEntry entry; // guarded by lock: the armed entry, replaced on reset

    private Timer(Chan<Instant> c, Runnable func) {
        this.c = c;
        this.func = func;
    }

    /** A timer that sends the time on {@link #c()} after {@code d} (Go's time.NewTimer). */
    public static Timer start(Duration d) {
        Timer t = new Timer(Chan.make(1), null);
        t.arm(d);
        return t;
    }

    /** A timer that runs {@code f} in a new goroutine after {@code d} (Go's time.AfterFunc). */
    public static Timer afterFunc(Duration d, Runnable f) {
        java.util.Objects.requireNonNull(f, "f");
        Timer t = new Timer(null, f);
        t.arm(d);
        return t;
    }

    /** The channel the time is sent on; null for an {@link #afterFunc} timer. */
    public Chan<Instant> c() {
        return c;
    }

    /** Stops the timer. @return true if it had not fired yet (it never will now) */
    public boolean stop() {
        lock.lock();
        try {
            return entry != null && Scheduler.get().deleteTimer(entry);
        } finally {
            lock.unlock();
        }
    }

    /**
     * {@link #stop()}, for try-with-resources: a timer not yet due never fires once it returns;
     * one that has fired (or is firing at this moment) may have sent its value on {@link #c()},
     * where it stays, or started its function. Idempotent; throws nothing.
     */
    @Override
    public void close() {
        stop();
    }

    /**
     * Re-arms the timer for {@code d} from now (Go's Reset; as there, a value already sent on
     * {@link #c()} stays there). @return true if the timer had been active
     */
    public boolean reset(Duration d) {
        java.util.Objects.requireNonNull(d, "d"); // before stopping anything: a bad call changes nothing
        lock.lock();
        try {
            boolean active = entry != null && Scheduler.get().deleteTimer(entry);
            armLocked(d);
            return active;
        } finally {
            lock.unlock();
        }
    }

    private void arm(Duration d) {
        lock.lock();
        try {
            armLocked(d);
        } finally {
            lock.unlock();
        }
    }

    private void armLocked(Duration d) {
        long nanos = Scheduler.delayNanos(d); // saturates: a huge duration never overflows the deadline
        entry = new TimerEntry(this::fire, bubble);
        Scheduler.get().addTimer(entry, Bubble.nanoTime(bubble) + nanos);
    }

    /** On a carrier, when the timer fires: must not block. */
    private void fire() {
        if (func != null) {
            if (bubble != null) bubble.spawn(func); else Go.spawn(func);
        } else {
            c.trySend(bubble != null ? bubble.instantNow() : Instant.now()); // capacity 1: a value not yet received is kept, as in Go
        }
    }
}
