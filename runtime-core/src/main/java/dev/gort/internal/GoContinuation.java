package dev.gort.internal;

import jdk.internal.vm.Continuation;
import jdk.internal.vm.ContinuationScope;

/**
 * The one class of Gort that names {@code jdk.internal.vm}: a goroutine's stack, which the
 * goroutine ({@code dev.gort.sched.G}) extends, so that a goroutine and its continuation are one
 * object.
 *
 * <p>Do not load this class, or a subclass, before {@link ContinuationSupport#ensureAvailable()}
 * has passed: without {@code --add-exports java.base/jdk.internal.vm=ALL-UNNAMED} its loading
 * fails with an {@link IllegalAccessError} naming a JDK class, which is the stack of reflection
 * errors the runtime promises never to show.
 *
 * <p>The JDK's continuation takes its body as a {@code Runnable} at construction, before the
 * subclass exists to be named; every goroutine therefore shares one entry ({@link Entry}), which
 * finds the continuation it runs in and calls its {@link #body()}. The entry runs once per
 * goroutine, so C1 usually compiles it; C1 inlines the body (one implementation) only because the
 * body is within C1's inline size ({@code dev.gort.sched.G#body} says how it stays so), so a
 * parked goroutine's stack holds no frame more than a continuation with its own body would.
 *
 * <p>{@link #onPinned} is overridden to do nothing, so that a yield from a pinned frame (a native
 * frame, {@link #pinCurrent()}) returns {@code false} instead of throwing; the scheduler then
 * blocks the carrier the slow way (see {@code dev.gort.sched.Scheduler#park}). A held monitor
 * does not pin on JDK 25 (the VM freezes frames that hold monitors since JEP 491, but keeps
 * their exclusion only for virtual threads): the safepoint agent pins goroutines in
 * {@code synchronized} code of the classes it instruments ({@code Scheduler.monitorEnter}).
 */
public abstract class GoContinuation extends Continuation {
    private static final ContinuationScope SCOPE = new ContinuationScope("gort");
    private static final Runnable ENTRY = new Entry();
    /** The entry's class name: where a goroutine's stack trace reaches the runtime's frames. */
    public static final String ENTRY_CLASS = "dev.gort.internal.GoContinuation$Entry"; // a constant: reading it loads nothing

    protected GoContinuation() {
        super(SCOPE, ENTRY);
    }

    /** What the continuation runs, on its own stack, the first time it is run. */
    protected abstract void body();

    /** The body every goroutine's continuation is constructed with: see the class comment. */
    private static final class Entry implements Runnable {
        @Override
        public void run() {
            ((GoContinuation) Continuation.getCurrentContinuation(SCOPE)).body();
        }
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
    protected final void onPinned(Continuation.Pinned reason) {
        // A pinned yield returns false; the caller falls back to blocking its carrier.
    }
}
