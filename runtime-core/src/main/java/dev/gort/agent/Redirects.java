package dev.gort.agent;

import dev.gort.Go;
import dev.gort.sched.Scheduler;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * What the safepoint agent puts in place of the JDK's sleeps in application classes
 * ({@code Thread.sleep(long)}, {@code Thread.sleep(long, int)}, {@code Thread.sleep(Duration)},
 * {@code TimeUnit.sleep(long)}): in a goroutine, {@link Go#sleep}, which parks the goroutine and
 * leaves its carrier to others, where the JDK's sleep would block the carrier (as a virtual
 * thread's sleep unmounts it); anywhere else (a platform thread, or a goroutine inside
 * {@link Go#blocking}, which has lent its processor out for exactly such calls), the JDK's own
 * call, unchanged. Argument checks are
 * the JDK's: a negative {@code Thread.sleep} throws IllegalArgumentException, a non-positive
 * {@code TimeUnit.sleep} returns at once.
 *
 * <p>Interrupts, in a goroutine, are the goroutine's ({@link dev.gort.Goroutine#interrupt()}; for
 * executor tasks also their carrier's flag while they run, see {@link dev.gort.GoExecutorService}):
 * a sleep interrupted, or started with the status set, throws InterruptedException with the
 * status cleared, as {@code Thread.sleep} does.
 *
 * <p>Public only because instrumented classes in any package call it; not an API to call directly.
 */
public final class Redirects {
    private Redirects() {}

    /**
     * Whether the caller is a goroutine running on a processor: not a platform thread, and not
     * a goroutine inside {@link Go#blocking}, whose call was meant to block its carrier (it has
     * handed its processor off already).
     */
    private static boolean parks() {
        dev.gort.Goroutine g = Go.current();
        return g != null && g.state() == dev.gort.Goroutine.State.RUNNING;
    }

    public static void sleep(long millis) throws InterruptedException {
        if (!parks()) {
            Thread.sleep(millis);
            return;
        }
        if (millis < 0) throw new IllegalArgumentException("timeout value is negative");
        Go.sleep(Duration.ofMillis(millis));
    }

    public static void sleep(long millis, int nanos) throws InterruptedException {
        if (!parks()) {
            Thread.sleep(millis, nanos);
            return;
        }
        if (millis < 0) throw new IllegalArgumentException("timeout value is negative");
        if (nanos < 0 || nanos > 999_999) throw new IllegalArgumentException("nanosecond timeout value out of range");
        Go.sleep(Duration.ofMillis(millis).plusNanos(nanos));
    }

    public static void sleep(Duration d) throws InterruptedException {
        if (!parks()) {
            Thread.sleep(d);
            return;
        }
        if (d.isNegative()) { // Thread.sleep(Duration) sleeps not at all for a negative duration
            d = Duration.ZERO;
        }
        Go.sleep(d);
    }

    /**
     * Inserted before each {@code monitorenter} of an instrumented class, with the monitor's
     * object (a {@code dup} of it): pins a goroutine to its carrier while it holds the monitor
     * (see {@link dev.gort.sched.Scheduler#monitorEnter}). A null object throws here, before the
     * pin, as {@code monitorenter} would.
     */
    public static void monitorEnter(Object lock) {
        Objects.requireNonNull(lock);
        Scheduler.monitorEnter();
    }

    /** At the start of a {@code synchronized} method of an instrumented class. */
    public static void monitorEnter() {
        Scheduler.monitorEnter();
    }

    /** Before each {@code monitorexit}, and before the exits of a {@code synchronized} method. */
    public static void monitorExit() {
        Scheduler.monitorExit();
    }

    // ---- the JDK's locks (SafepointTransformer.lockRedirect): pinned while held, as a monitor

    /** For {@code lock.lock()}: takes it, then pins a goroutine until the matching {@link #unlock}. */
    public static void lock(java.util.concurrent.locks.Lock lock) {
        lock.lock();
        Scheduler.monitorEnter(); // no poll between the two: the agent never instruments this class
    }

    /** For {@code lock.lockInterruptibly()}: as {@link #lock}; nothing is pinned when it throws. */
    public static void lockInterruptibly(java.util.concurrent.locks.Lock lock) throws InterruptedException {
        lock.lockInterruptibly();
        Scheduler.monitorEnter();
    }

    /** For {@code lock.tryLock()}: pins only when it took the lock. */
    public static boolean tryLock(java.util.concurrent.locks.Lock lock) {
        boolean got = lock.tryLock();
        if (got) Scheduler.monitorEnter();
        return got;
    }

    /** For {@code lock.tryLock(time, unit)}: pins only when it took the lock. */
    public static boolean tryLock(java.util.concurrent.locks.Lock lock, long time, TimeUnit unit) throws InterruptedException {
        boolean got = lock.tryLock(time, unit);
        if (got) Scheduler.monitorEnter();
        return got;
    }

    /**
     * For {@code lock.unlock()}: releases it, then the pin. An unlock that throws (not held)
     * keeps the pin: a goroutine stays pinned too long (slower), never too short.
     */
    public static void unlock(java.util.concurrent.locks.Lock lock) {
        lock.unlock();
        Scheduler.monitorExit();
    }

    /** For {@code unit.sleep(timeout)}: the receiver comes first on the operand stack. */
    public static void sleep(TimeUnit unit, long timeout) throws InterruptedException {
        if (!parks()) {
            unit.sleep(timeout);
            return;
        }
        if (timeout <= 0) return;
        Go.sleep(Duration.ofNanos(unit.toNanos(timeout)));
    }
}
