package dev.gort.test;

import dev.gort.Chan;
import dev.gort.DeadlockException;
import dev.gort.GoRunnable;
import dev.gort.sched.Bubble;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.CompletionException;

/**
 * Tests of concurrent code with virtual time (Go's {@code testing/synctest}), from any test
 * framework.
 *
 * <p>{@link #run} runs a body as the root goroutine of a <em>bubble</em>. Every goroutine the
 * body starts, and every goroutine those start, belongs to the bubble, as do the channels,
 * timers and tickers they make. The bubble has a clock of its own, starting at
 * 2000-01-01T00:00:00Z: it stands still while any goroutine of the bubble can run, and when
 * every one of them is <em>durably blocked</em> it jumps to the bubble's next timer, which fires.
 * So a test of code that waits an hour for a ticker, or five minutes for a
 * {@code Context.withTimeout}, runs in milliseconds and always sees the same times.
 *
 * <pre>{@code
 * GoTest.run(() -> {
 *     long start = GoTest.nanoTime();
 *     Go.sleep(Duration.ofHours(1));                       // returns at once, in real time
 *     assertEquals(Duration.ofHours(1).toNanos(), GoTest.nanoTime() - start); // exactly
 * });
 * }</pre>
 *
 * <p>Inside a bubble, {@code Go.sleep}, {@code Timer}, {@code Ticker}, {@code Time.after},
 * {@code Select.after}, {@code Context} deadlines, timed joins and future gets use the bubble's
 * clock; {@link #nanoTime()} and {@link #now()} read it, and outside a bubble read the real one,
 * so code under test that reads the time through them can be tested either way.
 *
 * <p><b>Durably blocked</b>: waiting on a channel made in the bubble, in a select over such
 * channels only, in a sleep or for a timer, on a {@code dev.gort.sync} primitive, a join, a
 * group or a future, or in {@link #waitIdle()}. Not durably: waiting for I/O, or on a channel
 * made outside the bubble (something outside may end those waits: while a goroutine of the
 * bubble waits so, the clock does not move), and a goroutine blocked in a JDK call on its
 * carrier thread (a JDK lock, {@code Thread.sleep} without the safepoint agent) counts as running.
 *
 * <p><b>Rules</b>: a goroutine outside the bubble (or in another) that uses one of its channels
 * gets an {@link IllegalStateException}, as Go panics. Bubbles do not nest. Bubbles run in
 * parallel with each other and with goroutines outside them.
 */
public final class GoTest {
    private GoTest() {}

    /**
     * Runs {@code body} as the root of a new bubble and returns once every goroutine of the
     * bubble has ended. Called from a platform thread it parks the thread; from a goroutine,
     * the goroutine. The wait is not interruptible (an interrupt is kept for after).
     *
     * @throws DeadlockException if every goroutine of the bubble is durably blocked with no timer
     *         of the bubble left to wake one: it names them, with their stacks; they are then
     *         interrupted, and this returns without waiting for them
     * @throws RuntimeException or {@link Error} the root's failure, else the first failure of
     *         another goroutine of the bubble (a checked one wrapped in {@link CompletionException})
     * @throws IllegalStateException if called from a goroutine of a bubble
     */
    public static void run(GoRunnable body) {
        Objects.requireNonNull(body, "body");
        if (Bubble.current() != null) throw new IllegalStateException("GoTest.run called from within a bubble");
        Chan<Object> done = Chan.make(); // outside the bubble: closed when it ends
        Bubble b = Bubble.spawnRoot(body, "GoTest.run", done::close);
        boolean interrupted = false;
        for (;;) {
            try {
                done.receiveOrNull();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
        DeadlockException d = b.deadlock();
        if (d != null) throw d;
        Throwable f = b.failure();
        if (f == null) return;
        if (f instanceof RuntimeException r) throw r;
        if (f instanceof Error e) throw e;
        throw new CompletionException(f);
    }

    /**
     * Waits until every other goroutine of the calling goroutine's bubble is durably blocked
     * (Go's {@code synctest.Wait}): what they were going to do without the clock moving is done.
     * The clock does not move while it waits.
     *
     * @throws IllegalStateException outside a bubble, or while another goroutine of the bubble waits here
     */
    public static void waitIdle() {
        Bubble.waitIdle();
    }

    /** The calling goroutine's bubble's clock in nanoseconds; outside a bubble, {@link System#nanoTime()}. */
    public static long nanoTime() {
        return Bubble.nanoTime();
    }

    /** The calling goroutine's bubble's clock as a wall-clock time; outside a bubble, {@link Instant#now()}. */
    public static Instant now() {
        return Bubble.instant();
    }

    /** Whether the caller is a goroutine of a bubble. */
    public static boolean inBubble() {
        return Bubble.current() != null;
    }
}
