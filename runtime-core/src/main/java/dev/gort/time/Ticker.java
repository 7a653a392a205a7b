package dev.gort.time;

import dev.gort.Chan;
import dev.gort.sched.Bubble;
import dev.gort.sched.Scheduler;
import dev.gort.sched.SpinLock;
import dev.gort.sched.TimerEntry;
import java.time.Duration;
import java.time.Instant;

/**
 * Sends the time on {@link #c()} every period (Go's {@code time.Ticker}). The channel holds one
 * value: ticks are dropped for a slow receiver, as in Go. Stop it when done: {@link #close()} is
 * {@link #stop()}, so try-with-resources does it.
 */
public final class Ticker implements AutoCloseable {
    private final Chan<Instant> c = Chan.make(1);
    /** The test bubble it was made in (its clock), or null. */
    private final Bubble bubble = Bubble.current();
    private final SpinLock lock = new SpinLock();
    // guarded by lock
    private long period;
    private long next;
    private boolean stopped;
    private TimerEntry entry;

    private Ticker(long period) {
        this.period = period;
    }

    /** A ticker with the given period (> 0). */
    public static Ticker start(Duration period) {
        long p = Scheduler.delayNanos(period); // 0 when negative
        if (p <= 0) throw new IllegalArgumentException("non-positive interval for Ticker: " + period);
        Ticker t = new Ticker(p);
        t.lock.lock();
        t.next = Bubble.nanoTime(t.bubble) + p;
        t.armLocked();
        t.lock.unlock();
        return t;
    }

    public Chan<Instant> c() {
        return c;
    }

    /** Stops the ticks (no more are sent; one already sent may still be received). */
    public void stop() {
        lock.lock();
        stopped = true;
        if (entry != null) Scheduler.get().deleteTimer(entry);
        lock.unlock();
    }

    /**
     * {@link #stop()}, for try-with-resources: no tick is sent after it returns (one sent before
     * may still be received). Idempotent; throws nothing.
     */
    @Override
    public void close() {
        stop();
    }

    /** Stops and restarts with a new period. */
    public void reset(Duration period) {
        long p = Scheduler.delayNanos(period); // 0 when negative
        if (p <= 0) throw new IllegalArgumentException("non-positive interval for Ticker: " + period);
        lock.lock();
        if (entry != null) Scheduler.get().deleteTimer(entry);
        this.period = p;
        stopped = false;
        next = Bubble.nanoTime(bubble) + p;
        armLocked();
        lock.unlock();
    }

    private void armLocked() {
        TimerEntry[] self = new TimerEntry[1];
        entry = self[0] = new TimerEntry(() -> tick(self[0]), bubble);
        Scheduler.get().addTimer(entry, next);
    }

    /**
     * The timer {@code self} fired. It ticks and re-arms only if it is still the ticker's timer:
     * a stop() or reset() that ran after it fired (so its deleteTimer found nothing to delete)
     * has stopped it or replaced it, and a stale timer must neither send (a tick after stop()
     * returned) nor re-arm (a second chain of timers that stop() would never delete). The send
     * is under the lock (trySend never blocks), so no tick is sent after stop() returns.
     */
    private void tick(TimerEntry self) {
        lock.lock();
        try {
            if (stopped || entry != self) return;
            c.trySend(bubble != null ? bubble.instantNow() : Instant.now());
            long now = Bubble.nanoTime(bubble);
            next += period;
            if (next - now < 0) next = now + period; // fell behind: skip the missed ticks
            armLocked();
        } finally {
            lock.unlock();
        }
    }
}
