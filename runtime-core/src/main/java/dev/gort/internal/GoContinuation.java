package dev.gort.internal;

import jdk.internal.vm.Continuation;
import jdk.internal.vm.ContinuationScope;

/**
 * The one class of Gort that touches {@code jdk.internal.vm}: a goroutine's stack.
 *
 * <p>Do not load this class before {@link ContinuationSupport#ensureAvailable()} has passed:
 * without {@code --add-exports java.base/jdk.internal.vm=ALL-UNNAMED} its loading fails with
 * an {@link IllegalAccessError} naming a JDK class, which is the stack of reflection errors the
 * runtime promises never to show.
 *
 * <p>{@link #onPinned} is overridden to do nothing, so that a yield from a pinned frame (a native
 * frame, {@link #pinCurrent()}) returns {@code false} instead of throwing; the scheduler then
 * blocks the carrier the slow way (see {@code dev.gort.sched.Scheduler#park}). A held monitor
 * does not pin on JDK 25 (the VM freezes frames that hold monitors since JEP 491, but keeps
 * their exclusion only for virtual threads): the safepoint agent pins goroutines in
 * {@code synchronized} code of the classes it instruments ({@code Scheduler.monitorEnter}).
 */
public final class GoContinuation extends Continuation {
    private static final ContinuationScope SCOPE = new ContinuationScope("gort");

    public GoContinuation(Runnable body) {
        super(SCOPE, body);
    }

    /**
     * Unmounts the calling goroutine: its carrier returns from {@link #run()}.
     *
     * @return true once resumed after a successful yield; false at once when the stack is pinned
     */
    public static boolean yieldNow() {
        return Continuation.yield(SCOPE);
    }

    /** Forbids yields until {@link #unpinCurrent()} (for tests and for code that must stay on its carrier). */
    public static void pinCurrent() {
        Continuation.pin();
    }

    public static void unpinCurrent() {
        Continuation.unpin();
    }

    @Override
    protected void onPinned(Continuation.Pinned reason) {
        // A pinned yield returns false; the caller falls back to blocking its carrier.
    }
}
