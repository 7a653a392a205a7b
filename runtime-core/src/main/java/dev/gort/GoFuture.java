package dev.gort;

import dev.gort.sched.SpinLock;
import dev.gort.sched.WaitQueue;
import dev.gort.sched.WaitReason;
import dev.gort.sched.Waiter;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RunnableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The future of a task of {@link GoExecutorService} (its {@code FutureTask}): {@link #get()}
 * parks a calling goroutine (its carrier runs others) and parks a calling platform thread;
 * {@link #cancel(boolean) cancel(true)} interrupts the goroutine running the task
 * ({@link Goroutine#interrupt()}, which for executor tasks also reaches the carrier thread).
 *
 * <h2>For maintainers</h2>
 * States: NEW -> RUNNING (the runner's CAS) -> NORMAL | EXCEPTIONAL (the runner's CAS, after it
 * wrote {@link #outcome}); NEW | RUNNING -> CANCELLED (cancel's CAS); RUNNING -> INTERRUPTING
 * (cancel(true)'s CAS) -> CANCELLED once the runner is interrupted. The first CAS out of
 * NEW/RUNNING to a final state wins; a final state never changes. {@link #outcome} is written
 * before the release of the final state and read only after reading a final state (volatile).
 * Waiters queue on {@link #waiters} under {@link #lock}; the completer sets the final state first
 * and then drains the queue under the lock, and a waiter reads the state under the lock before
 * queueing, so a waiter is either seen by the drain or sees the final state (none is missed).
 * A cancel(true) that interrupts the runner is complete before run() returns (run() waits out
 * INTERRUPTING, as FutureTask does), so the interrupt cannot reach whatever the runner does next.
 */
final class GoFuture<V> implements RunnableFuture<V> {
    private static final int NEW = 0, RUNNING = 1, NORMAL = 2, EXCEPTIONAL = 3, CANCELLED = 4, INTERRUPTING = 5;

    private volatile int state;
    private Callable<V> callable;
    /** The result or the exception; see the class comment for its ordering. */
    private Object outcome;
    /** The goroutine (or platform thread) running the task; claimed (CAS from null) before the RUNNING CAS. */
    private volatile Object runner;
    private final SpinLock lock = new SpinLock();
    private final WaitQueue waiters = WaitQueue.guardedBy(lock);
    /** Called once, by the completer, after the waiters are woken (invokeAny's hook); or null. */
    volatile Runnable onDone;

    private static final VarHandle STATE, RUNNER;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(GoFuture.class, "state", int.class);
            RUNNER = MethodHandles.lookup().findVarHandle(GoFuture.class, "runner", Object.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    GoFuture(Callable<V> callable) {
        this.callable = Objects.requireNonNull(callable, "task");
    }

    GoFuture(Runnable task, V result) {
        Objects.requireNonNull(task, "task");
        this.callable = () -> {
            task.run();
            return result;
        };
    }

    @Override
    public void run() {
        if (state != NEW) return;
        dev.gort.sched.StackReserve.reserve(); // for finish(), once the state is final
        Goroutine g = Go.current();
        // Claimed by CAS, as FutureTask does: a second, concurrent run() must not overwrite the
        // runner, or cancel(true) would interrupt it instead of the one running the task.
        if (!RUNNER.compareAndSet(this, null, g != null ? g : Thread.currentThread())) return;
        if (!STATE.compareAndSet(this, NEW, RUNNING)) return;
        Callable<V> c = callable;
        try {
            complete(NORMAL, c.call());
        } catch (Throwable t) {
            complete(EXCEPTIONAL, t);
        } finally {
            callable = null;
            while (state == INTERRUPTING) Thread.onSpinWait(); // a cancel(true) finishes its interrupt here
        }
    }

    /**
     * The task can never run (its executor could not start a goroutine for it): fails with t,
     * unless it was cancelled or has started. Claimed as {@link #run} claims it, so it races
     * with a cancel as a run does.
     */
    void failToStart(Throwable t) {
        dev.gort.sched.StackReserve.reserve(); // for finish(), once the state is final
        if (STATE.compareAndSet(this, NEW, RUNNING)) {
            callable = null;
            complete(EXCEPTIONAL, t);
        }
    }

    private void complete(int s, Object x) {
        outcome = x;
        if (STATE.compareAndSet(this, RUNNING, s)) finish();
    }

    /**
     * After the final state: wakes every waiter, then the hook. Within the stack reserved by
     * run() or cancel() before they changed the state: the waiters must be woken.
     */
    private void finish() {
        lock.lockWithinReserve();
        Waiter w = waiters.drain();
        lock.unlock();
        Waiter.wakeChain(w);
        Runnable hook = onDone;
        if (hook != null) hook.run();
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
        dev.gort.sched.StackReserve.reserve(); // for finish(), once the state is final
        for (;;) {
            int s = state;
            if (s >= NORMAL) return false;
            boolean interrupt = s == RUNNING && mayInterruptIfRunning;
            if (!STATE.compareAndSet(this, s, interrupt ? INTERRUPTING : CANCELLED)) continue;
            if (interrupt) {
                try {
                    Object r = runner;
                    if (r instanceof Goroutine g) g.interrupt();
                    else if (r instanceof Thread t) t.interrupt();
                } finally {
                    STATE.setRelease(this, CANCELLED);
                }
            }
            finish();
            return true;
        }
    }

    @Override
    public boolean isCancelled() {
        return state >= CANCELLED;
    }

    @Override
    public boolean isDone() {
        return state >= NORMAL;
    }

    @Override
    public V get() throws InterruptedException, ExecutionException {
        int s = state;
        if (s < NORMAL) s = await(0L);
        return report(s);
    }

    @Override
    public V get(long timeout, TimeUnit unit) throws InterruptedException, ExecutionException, TimeoutException {
        long nanos = unit.toNanos(timeout);
        int s = state;
        if (s < NORMAL) {
            if (nanos <= 0) throw new TimeoutException();
            s = await(deadline(nanos));
            if (s < NORMAL) throw new TimeoutException();
        }
        return report(s);
    }

    /** Bubble.nanoTime() (System.nanoTime(), or a test bubble's clock) + nanos, or 0 (no deadline) when that is too far to matter or overflows. */
    static long deadline(long nanos) {
        if (nanos >= dev.gort.sched.Scheduler.MAX_DELAY_NANOS) return 0L;
        long d = dev.gort.sched.Bubble.nanoTime() + nanos; // a test bubble's clock, in one

        return d == 0L ? 1L : d;
    }

    /** Waits for a final state or the deadline (0: none). @return the state then */
    private int await(long deadline) throws InterruptedException {
        lock.lock();
        int s = state;
        if (s >= NORMAL) {
            lock.unlock();
            return s;
        }
        Waiter w = Waiter.current(lock);
        waiters.enqueue(w);
        Waiter.Result r = w.awaitUntil(WaitReason.FUTURE, lock, deadline); // 0: no deadline
        if (r == Waiter.Result.WOKEN) return state;
        waiters.remove(w); // lock held again
        s = state;
        lock.unlock();
        if (r == Waiter.Result.INTERRUPTED) throw new InterruptedException();
        return s;
    }

    @SuppressWarnings("unchecked")
    private V report(int s) throws ExecutionException {
        Object x = outcome;
        if (s == NORMAL) return (V) x;
        if (s >= CANCELLED) throw new CancellationException();
        throw new ExecutionException((Throwable) x);
    }

    @Override
    @SuppressWarnings("unchecked")
    public V resultNow() {
        return switch (state) {
            case NORMAL -> (V) outcome;
            case EXCEPTIONAL -> throw new IllegalStateException("Task completed with exception");
            case CANCELLED, INTERRUPTING -> throw new IllegalStateException("Task was cancelled");
            default -> throw new IllegalStateException("Task has not completed");
        };
    }

    @Override
    public Throwable exceptionNow() {
        return switch (state) {
            case NORMAL -> throw new IllegalStateException("Task completed with a result");
            case EXCEPTIONAL -> (Throwable) outcome;
            case CANCELLED, INTERRUPTING -> throw new IllegalStateException("Task was cancelled");
            default -> throw new IllegalStateException("Task has not completed");
        };
    }

    @Override
    public State state() {
        return switch (state) {
            case NORMAL -> State.SUCCESS;
            case EXCEPTIONAL -> State.FAILED;
            case CANCELLED, INTERRUPTING -> State.CANCELLED;
            default -> State.RUNNING;
        };
    }

    @Override
    public String toString() {
        String status = switch (state) {
            case NORMAL -> "[Completed normally]";
            case EXCEPTIONAL -> "[Completed exceptionally: " + outcome + "]";
            case CANCELLED, INTERRUPTING -> "[Cancelled]";
            default -> "[Not completed]";
        };
        return super.toString() + status;
    }
}
