package dev.gort;

import dev.gort.sched.Bubble;
import dev.gort.sched.Scheduler;
import dev.gort.sched.SpinLock;
import dev.gort.time.Timer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CancellationException;

/**
 * Go's {@code context.Context}: a cancellation signal, an optional deadline and request-scoped
 * values, passed down a tree of goroutines. Cancelling a context cancels every context derived
 * from it; a derived context's cancellation never reaches its parent.
 *
 * <pre>{@code
 * Context.Cancellable ctx = Context.withTimeout(Context.background(), Duration.ofSeconds(1));
 * try {
 *     new Select().recv(results, r -> use(r)).recv(ctx.done(), x -> giveUp(ctx.err())).run();
 * } finally {
 *     ctx.cancel(); // always: releases the timer and the parent's reference
 * }
 * }</pre>
 *
 * <p>{@link #done()} is a channel that is closed when the context is cancelled (receiving from it
 * then returns at once, with null), or null for a context that can never be cancelled, which a
 * {@link Select} treats as a case that is never ready, as Go treats a nil channel.
 */
public abstract class Context {
    /**
     * {@link #err()} after {@link Cancellable#cancel()} (Go's context.Canceled): prints as
     * Go's error does, {@code context canceled}.
     */
    public static final CancellationException CANCELED = new ContextError("context canceled");

    /**
     * {@link #err()} after the deadline passed (Go's context.DeadlineExceeded): prints as Go's
     * error does, {@code context deadline exceeded}.
     */
    public static final CancellationException DEADLINE_EXCEEDED = new ContextError("context deadline exceeded");

    /**
     * The type of {@link #CANCELED} and {@link #DEADLINE_EXCEEDED}: shared constants, so without
     * a stack trace (one would show whoever first loaded this class), and printed as their
     * message alone, as Go prints {@code ctx.Err()}, not as {@code dev.gort.Context$1: ...}.
     */
    private static final class ContextError extends CancellationException {
        ContextError(String message) {
            super(message);
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            return this;
        }

        @Override
        public String toString() {
            return getMessage();
        }
    }

    private static final Context BACKGROUND = new Context(null) {
        @Override
        public String toString() {
            return "context.Background";
        }
    };

    private final Context parent;

    private Context(Context parent) {
        this.parent = parent;
    }

    /** The root: never cancelled, no deadline, no values. */
    public static Context background() {
        return BACKGROUND;
    }

    /** A channel closed when this context is cancelled; null if it never can be. */
    public Chan<Object> done() {
        return parent == null ? null : parent.done();
    }

    /** Null while not cancelled; then {@link #CANCELED} or {@link #DEADLINE_EXCEEDED}. */
    public CancellationException err() {
        return parent == null ? null : parent.err();
    }

    /** When this context will be cancelled at the latest, if it has a deadline. */
    public Optional<Instant> deadline() {
        return parent == null ? Optional.empty() : parent.deadline();
    }

    /** The value stored under {@code key} here or in an ancestor, or null. */
    public Object value(Object key) {
        return parent == null ? null : parent.value(key);
    }

    /** A child that {@link Cancellable#cancel()} cancels, and that is cancelled with this one. */
    public static Cancellable withCancel(Context parent) {
        return new Cancellable(Objects.requireNonNull(parent, "parent"), null);
    }

    /** A child cancelled at {@code deadline} at the latest (or its parent's deadline, if earlier). */
    public static Cancellable withDeadline(Context parent, Instant deadline) {
        Objects.requireNonNull(parent, "parent");
        Objects.requireNonNull(deadline, "deadline");
        Optional<Instant> inherited = parent.deadline();
        if (inherited.isPresent() && inherited.get().isBefore(deadline)) {
            return new Cancellable(parent, null); // the parent's deadline comes first anyway
        }
        return new Cancellable(parent, deadline);
    }

    /**
     * {@code withDeadline(parent, now + timeout)}. A timeout longer than the runtime's timers
     * reach (~73 years, {@code Scheduler.MAX_DELAY_NANOS}) is that long, as for {@code Go.sleep}:
     * "forever" in practice, never an overflow; a negative one is zero.
     */
    public static Cancellable withTimeout(Context parent, Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        // delayNanos: a negative timeout is 0 (cancelled at once), a huge one saturates
        return withDeadline(parent, Bubble.instant().plus(Duration.ofNanos(Scheduler.delayNanos(timeout))));
    }

    /** A child that carries {@code key -> value} (keys compared with equals). */
    public static Context withValue(Context parent, Object key, Object value) {
        Objects.requireNonNull(parent, "parent");
        Objects.requireNonNull(key, "key");
        return new Context(parent) {
            @Override
            public Object value(Object k) {
                return key.equals(k) ? value : super.value(k);
            }
        };
    }

    /** The nearest cancellable ancestor (or this), or null. */
    private Cancellable nearestCancellable() {
        for (Context c = this; c != null; c = c.parent) {
            if (c instanceof Cancellable x) return x;
        }
        return null;
    }

    /**
     * A context with its own cancellation (Go's cancelCtx / timerCtx). Call {@link #cancel()}
     * when the work it guards is over, whether or not it finished: that releases its timer and
     * its registration in the parent.
     *
     * <p>For maintainers: {@link #lock} guards err, children and the cancel actions. Setting err
     * and closing the done channel happen in one critical section, and {@link #err()} reads under
     * the lock, so err() is null exactly while done() is open (Go's contract for Err); closing a
     * channel never waits, it only readies its receivers. The cancel actions run after, then the
     * children are cancelled with the same error, all outside the lock. An action registered
     * under the lock before err was set runs in cancel(); one registered after runs at once in
     * its registrar: either way exactly once.
     */
    public static final class Cancellable extends Context {
        private final SpinLock lock = new SpinLock();
        private final Chan<Object> done = Chan.make();
        private final Instant deadline;
        private final Cancellable cancelParent;
        private Timer timer;
        // guarded by lock
        private CancellationException err;
        private Set<Cancellable> children = new LinkedHashSet<>();
        private List<Runnable> onCancel;

        private Cancellable(Context parent, Instant deadline) {
            super(parent);
            this.deadline = deadline;
            this.cancelParent = parent.nearestCancellable();
            if (cancelParent != null && !cancelParent.adopt(this)) {
                cancel(cancelParent.err());
                return;
            }
            if (deadline != null) {
                Duration left = Duration.between(Bubble.instant(), deadline);
                if (left.isNegative() || left.isZero()) {
                    cancel(DEADLINE_EXCEEDED);
                } else {
                    Timer t = Timer.afterFunc(left, () -> cancel(DEADLINE_EXCEEDED));
                    lock.lock();
                    if (err == null) timer = t; else t.stop();
                    lock.unlock();
                }
            }
        }

        /** Registers a child; false if this is already cancelled (the child must cancel itself). */
        private boolean adopt(Cancellable child) {
            lock.lock();
            try {
                if (err != null) return false;
                children.add(child);
                return true;
            } finally {
                lock.unlock();
            }
        }

        /**
         * Runs {@code action} once this context is cancelled, on the cancelling thread (at once,
         * on this thread, if it is already): how a {@link Group} interrupts its members. The
         * action must not throw.
         */
        void afterCancel(Runnable action) {
            List<Runnable> one = new ArrayList<>(1); // allocated before the lock, as SpinLock asks
            one.add(action);
            lock.lock();
            if (err == null) {
                if (onCancel == null) onCancel = one; else onCancel.add(action);
                lock.unlock();
                return;
            }
            lock.unlock();
            action.run();
        }

        private void forget(Cancellable child) {
            lock.lock();
            if (children != null) children.remove(child);
            lock.unlock();
        }

        /** Cancels this context and everything derived from it; idempotent. */
        public void cancel() {
            cancel(CANCELED);
        }

        private void cancel(CancellationException why) {
            List<Cancellable> kids;
            List<Runnable> actions;
            Timer t;
            lock.lock();
            if (err != null) {
                lock.unlock();
                return;
            }
            err = why;
            kids = new ArrayList<>(children);
            children = null;
            actions = onCancel;
            onCancel = null;
            t = timer;
            timer = null;
            done.close(); // under the lock: see err()
            lock.unlock();
            if (t != null) t.stop();
            if (actions != null) for (Runnable a : actions) a.run();
            for (Cancellable k : kids) k.cancel(why);
            if (cancelParent != null) cancelParent.forget(this);
        }

        @Override
        public Chan<Object> done() {
            return done;
        }

        @Override
        public CancellationException err() {
            lock.lock();
            CancellationException e = err;
            lock.unlock();
            return e;
        }

        @Override
        public Optional<Instant> deadline() {
            return deadline != null ? Optional.of(deadline) : super.deadline();
        }

        int childCount() {
            lock.lock();
            int n = children == null ? 0 : children.size();
            lock.unlock();
            return n;
        }
    }
}
