package dev.gort;

import dev.gort.sched.Scheduler;
import dev.gort.sched.SpinLock;
import dev.gort.sched.WaitQueue;
import dev.gort.sched.WaitReason;
import dev.gort.sched.Waiter;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.RunnableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A {@link java.util.concurrent.ExecutorService} whose every task runs in its own goroutine: a
 * drop-in for {@code Executors.newFixedThreadPool(n)} ({@code new GoExecutorService(n)}: at most
 * n tasks run at once, the others wait in FIFO order) or
 * {@code Executors.newVirtualThreadPerTaskExecutor()} ({@code new GoExecutorService()}).
 * {@link Go#executor()} is a shared instance that is never shut down.
 *
 * <p>Waiting never blocks a carrier thread on another goroutine: {@link java.util.concurrent.Future#get()}
 * of its futures, {@link #invokeAll}, {@link #invokeAny}, {@link #awaitTermination} and
 * {@link #close()} park a calling goroutine (its carrier runs other goroutines) and park a
 * calling platform thread. They are interruptible as the JDK's are: an interrupted goroutine
 * ({@link Goroutine#interrupt()}) or thread gets {@link InterruptedException}, status cleared.
 *
 * <p>{@code cancel(true)} and {@link #shutdownNow()} interrupt the goroutines of running tasks.
 * Gort's waits inside the task throw InterruptedException; because task code written for thread
 * pools checks {@code Thread.currentThread().isInterrupted()} or calls JDK blocking methods
 * ({@code Thread.sleep}, {@code CountDownLatch.await}), which see the carrier thread, the
 * interrupt also interrupts the carrier while the task's goroutine is mounted on it, and the
 * carrier's flag is cleared whenever the goroutine unmounts (see {@link Goroutine#interrupt()}).
 * Each task has its own goroutine, so an interrupt never outlives its task.
 *
 * <p>A JDK blocking call inside a task ({@code Thread.sleep}, blocking I/O, a JDBC query,
 * {@code java.util.concurrent} locks and latches) blocks the goroutine's carrier thread, not just
 * the goroutine: sysmon sees the carrier blocked within a round or two (tens of microseconds
 * while the runtime is busy) and hands its processor to another carrier, as Go does for a
 * goroutine in a system call. So {@code new GoExecutorService(n)} runs n blocking tasks at once,
 * as {@code Executors.newFixedThreadPool(n)} would, each blocked task costing a carrier thread
 * (bounded by {@code gort.maxthreads}), where a virtual thread would unmount instead. (With the
 * safepoint agent, {@code -javaagent:runtime-core.jar}, {@code Thread.sleep} and
 * {@code TimeUnit.sleep} in application classes park instead: see
 * {@link dev.gort.agent.Redirects}.) Gort's waits
 * ({@link Go#sleep}, channels, this executor's futures) park and cost nothing; wrapping a known
 * blocking call in {@link Go#blocking} hands its processor off at once. Unlike a virtual
 * thread's on JDK 25, a task must not wait inside {@code synchronized} (or holding a JDK lock)
 * unless it runs under the safepoint agent: see the {@code dev.gort} package documentation.
 *
 * <p>Lifecycle as {@link java.util.concurrent.ThreadPoolExecutor}: after {@link #shutdown()}
 * every submission throws {@link RejectedExecutionException}, accepted tasks (also those waiting
 * for the bound) still run; {@link #shutdownNow()} returns the tasks that never started and
 * interrupts the running ones; the executor is terminated when no accepted task is left. An
 * exception thrown by a task given to {@link #execute} goes to the goroutine uncaught-exception
 * handler ({@link Go#setUncaughtExceptionHandler}); a submitted task's goes to its future.
 *
 * <p>Not Gort-aware, because they are the JDK's own classes: {@code ExecutorCompletionService}
 * (its {@code take()} blocks the calling carrier in a {@code LinkedBlockingQueue}) and
 * {@code CompletableFuture.get()/join()}. Both work with this executor (sysmon hands the blocked
 * carrier's processor to another carrier); from goroutines, prefer this executor's
 * futures, {@link #invokeAny} or channels.
 *
 * <h2>For maintainers</h2>
 * Guarded by {@link #lock}: {@link #runState}, the list of spawned, unfinished tasks
 * ({@link #head}), {@link #running} (its length), the {@link #backlog} (tasks over the bound, not
 * spawned yet) and the termination waiters. Invariants: {@code running <= maxRunning} when
 * bounded; the backlog is non-empty only when {@code running == maxRunning}; TERMINATED iff
 * shut down and {@code running == 0} and the backlog is empty, and the termination waiters are
 * drained exactly when it becomes so. A task's goroutine always ends in {@link #finished}, which
 * starts the next backlog task in its place, so the bound holds without a dispatcher; a linked
 * task whose goroutine cannot be spawned is taken out the same way ({@link #notStarted}).
 * A task is started by its goroutine's CAS of {@link Task#state} NEW -> STARTED, dropped by
 * shutdownNow's CAS NEW -> DROPPED: exactly one wins, so a task is either run or returned.
 * The runner goroutine is stored before that CAS, so shutdownNow, which loses the CAS, sees it.
 */
public class GoExecutorService extends AbstractExecutorService implements AutoCloseable {
    static final GoExecutorService SHARED = new GoExecutorService(0, true);

    private static final int RUNNING = 0, SHUTDOWN = 1, TERMINATED = 2;

    // immutable state
    /** The most tasks running at once; 0: no bound. */
    private final int maxRunning;
    /** Go.executor(): lifecycle calls have no effect. */
    private final boolean shared;
    private final SpinLock lock = new SpinLock();

    // mutable state, guarded by lock
    private int runState;
    /** Spawned, unfinished tasks: a doubly linked list through Task.prev/next. */
    private Task head;
    private int running;
    private final ArrayDeque<Task> backlog = new ArrayDeque<>();
    private final WaitQueue terminationWaiters = WaitQueue.guardedBy(lock);

    /** An executor without a bound: every task starts at once in its own goroutine. */
    public GoExecutorService() {
        this(0, false);
    }

    /**
     * An executor that runs at most {@code maxRunning} tasks at once (Executors.newFixedThreadPool's
     * bound); the others wait in submission order.
     */
    public GoExecutorService(int maxRunning) {
        this(checkBound(maxRunning), false);
    }

    private GoExecutorService(int maxRunning, boolean shared) {
        this.maxRunning = maxRunning;
        this.shared = shared;
    }

    private static int checkBound(int n) {
        if (n <= 0) throw new IllegalArgumentException("maxRunning must be positive: " + n);
        return n;
    }

    /** The bound on running tasks, or 0 for none. */
    public int maxRunning() {
        return maxRunning;
    }

    // ---- tasks

    /** One accepted task and its goroutine's body. */
    private final class Task implements Runnable {
        static final int NEW = 0, STARTED = 1, DROPPED = 2;
        final Runnable command;
        volatile int state;
        /** The goroutine running it; written before the start CAS. */
        volatile Goroutine runner;
        Task prev, next; // guarded by lock

        Task(Runnable command) {
            this.command = command;
        }

        @Override
        public void run() {
            runner = Go.current();
            boolean start = TASK_STATE.compareAndSet(this, NEW, STARTED);
            try {
                if (start) command.run(); // an exception goes on to the uncaught handler
            } finally {
                finished(this);
            }
        }
    }

    private static final VarHandle TASK_STATE;

    static {
        try {
            TASK_STATE = MethodHandles.privateLookupIn(Task.class, MethodHandles.lookup())
                    .findVarHandle(Task.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    @Override
    public void execute(Runnable command) {
        Objects.requireNonNull(command, "task");
        Task t = new Task(command);
        lock.lock();
        if (runState != RUNNING) {
            lock.unlock();
            throw new RejectedExecutionException("executor has been shut down");
        }
        if (maxRunning > 0 && running >= maxRunning) {
            try {
                backlog.addLast(t); // may grow the deque: running out of memory must not keep the lock
            } finally {
                lock.unlock();
            }
            return;
        }
        link(t);
        lock.unlock();
        try {
            spawn(t);
        } catch (RuntimeException | Error e) {
            // No goroutine will ever call finished(t): take t out of the count here, or close()
            // would wait for it forever. The caller gets the error (e.g. the one naming a missing
            // JVM flag); t is not reported again (shutdownNow's CAS may have returned it too).
            TASK_STATE.compareAndSet(t, Task.NEW, Task.DROPPED);
            Throwable more = notStarted(t);
            if (more != null && more != e) e.addSuppressed(more);
            throw e;
        }
    }

    /** Starts t's goroutine; t is linked (counted as running). A seam for tests, which override it. */
    void spawn(Runnable t) {
        Scheduler.get().spawn(t, null, true);
    }

    /** Holding the lock: t joins the running list. */
    private void link(Task t) {
        t.next = head;
        if (head != null) head.prev = t;
        head = t;
        running++;
    }

    /** Holding the lock. */
    private void unlink(Task t) {
        if (t.prev != null) t.prev.next = t.next; else head = t.next;
        if (t.next != null) t.next.prev = t.prev;
        t.prev = t.next = null;
        running--;
    }

    /**
     * A task's goroutine, at its end: the next backlog task takes its place. A backlog task whose
     * goroutine cannot start (see {@link #notStarted}) goes to the finishing goroutine's
     * uncaught-exception handler, thrown from here, unless it is a submitted task, whose future
     * fails instead.
     */
    private void finished(Task t) {
        Throwable failure = notStarted(t);
        if (failure instanceof RuntimeException e) throw e;
        if (failure != null) throw (Error) failure;
    }

    /**
     * Takes t (linked, counted) out of the running tasks, and starts backlog tasks in its place.
     * A backlog task whose goroutine cannot start ({@link #spawn} throws: the runtime cannot
     * start, out of memory) is taken out in turn, so the count stays right and close() does
     * not wait for it, and the next one is tried. Such a task is never lost: a submitted task's
     * future fails with the error; for a task given to {@link #execute}, the error is returned
     * (the first one, later ones suppressed), for the caller to throw. A task that shutdownNow
     * already returned is not reported again.
     *
     * @return the error of an executed backlog task that could not start, or null
     */
    private Throwable notStarted(Task t) {
        Throwable failure = null;
        while (t != null) {
            lock.lock();
            unlink(t);
            Task next = backlog.pollFirst();
            if (next != null) link(next);
            Waiter wake = tryTerminateLocked();
            lock.unlock();
            Waiter.wakeChain(wake);
            t = null;
            if (next != null) {
                try {
                    spawn(next);
                } catch (RuntimeException | Error e) {
                    if (TASK_STATE.compareAndSet(next, Task.NEW, Task.DROPPED)) {
                        if (next.command instanceof GoFuture<?> f) {
                            f.failToStart(e);
                        } else if (failure == null) {
                            failure = e;
                        } else if (failure != e) {
                            failure.addSuppressed(e);
                        }
                    }
                    t = next;
                }
            }
        }
        return failure;
    }

    /** Holding the lock: terminates if shut down and idle; returns the waiters to wake. */
    private Waiter tryTerminateLocked() {
        if (runState == SHUTDOWN && running == 0 && backlog.isEmpty()) {
            runState = TERMINATED;
            return terminationWaiters.drain();
        }
        return null;
    }

    @Override
    protected <T> RunnableFuture<T> newTaskFor(Runnable runnable, T value) {
        return new GoFuture<>(runnable, value);
    }

    @Override
    protected <T> RunnableFuture<T> newTaskFor(Callable<T> callable) {
        return new GoFuture<>(callable);
    }

    // ---- invokeAny: the JDK's version waits in a LinkedBlockingQueue, which would block a carrier

    @Override
    public <T> T invokeAny(Collection<? extends Callable<T>> tasks) throws InterruptedException, ExecutionException {
        try {
            return doInvokeAny(tasks, 0L);
        } catch (TimeoutException e) {
            throw new AssertionError(e); // no deadline
        }
    }

    @Override
    public <T> T invokeAny(Collection<? extends Callable<T>> tasks, long timeout, TimeUnit unit)
            throws InterruptedException, ExecutionException, TimeoutException {
        long nanos = unit.toNanos(timeout);
        return doInvokeAny(tasks, nanos <= 0 ? -1L : GoFuture.deadline(nanos));
    }

    /**
     * Submits every task; the first to complete normally gives the result and the others are
     * cancelled (with interrupts). Completions arrive on a channel with room for all of them, so
     * a completing task never waits; the caller receives from it (parking as a goroutine or as a
     * thread), with a select timeout when timed.
     *
     * @param deadline System.nanoTime() deadline; 0: none; -1: already passed
     */
    private <T> T doInvokeAny(Collection<? extends Callable<T>> tasks, long deadline)
            throws InterruptedException, ExecutionException, TimeoutException {
        Objects.requireNonNull(tasks, "tasks");
        int n = tasks.size();
        if (n == 0) throw new IllegalArgumentException("invokeAny of no tasks");
        List<GoFuture<T>> futures = new ArrayList<>(n);
        for (Callable<T> c : tasks) futures.add(new GoFuture<>(Objects.requireNonNull(c, "task")));
        Chan<GoFuture<T>> done = Chan.make(n);
        try {
            for (GoFuture<T> f : futures) {
                f.onDone = () -> done.trySend(f);
                execute(f);
            }
            ExecutionException failure = null;
            for (int i = 0; i < n; i++) {
                GoFuture<T> f = deadline == 0L ? done.receive() : receiveUntil(done, deadline);
                if (f == null) throw new TimeoutException();
                try {
                    return f.get(); // done: does not wait
                } catch (ExecutionException e) {
                    failure = e;
                } catch (CancellationException e) {
                    failure = new ExecutionException(e);
                }
            }
            throw failure;
        } finally {
            for (GoFuture<T> f : futures) f.cancel(true);
        }
    }

    private static <T> T receiveUntil(Chan<T> ch, long deadline) throws InterruptedException {
        T v = ch.tryReceive();
        if (v != null || deadline == -1L) return v;
        long left = deadline - dev.gort.sched.Bubble.nanoTime();
        if (left <= 0) return null;
        Object[] got = new Object[1];
        new Select().recv(ch, x -> got[0] = x).after(Duration.ofNanos(left), () -> {}).run();
        @SuppressWarnings("unchecked")
        T r = (T) got[0];
        return r;
    }

    // ---- lifecycle

    /** Stops accepting tasks; accepted ones still run. No effect on {@link Go#executor()}. */
    @Override
    public void shutdown() {
        if (shared) return;
        lock.lock();
        if (runState == RUNNING) runState = SHUTDOWN;
        Waiter wake = tryTerminateLocked();
        lock.unlock();
        Waiter.wakeChain(wake);
    }

    /**
     * Stops accepting tasks, interrupts the goroutines of running tasks, and returns the tasks
     * that never started (in submission order for those waiting for the bound; a submitted task
     * is returned as its future). No effect on {@link Go#executor()} (returns an empty list).
     */
    @Override
    public List<Runnable> shutdownNow() {
        if (shared) return new ArrayList<>();
        List<Runnable> never = new ArrayList<>();
        List<Goroutine> interrupt = new ArrayList<>();
        lock.lock();
        if (runState == RUNNING) runState = SHUTDOWN;
        for (Task t = head; t != null; t = t.next) {
            if (TASK_STATE.compareAndSet(t, Task.NEW, Task.DROPPED)) {
                never.add(t.command); // its goroutine will end without running it
            } else {
                Goroutine g = t.runner;
                if (g != null) interrupt.add(g);
            }
        }
        for (Task t; (t = backlog.pollFirst()) != null; ) never.add(t.command);
        Waiter wake = tryTerminateLocked();
        lock.unlock();
        Waiter.wakeChain(wake);
        for (Goroutine g : interrupt) g.interrupt();
        return never;
    }

    @Override
    public boolean isShutdown() {
        lock.lock();
        boolean s = runState != RUNNING;
        lock.unlock();
        return s;
    }

    @Override
    public boolean isTerminated() {
        lock.lock();
        boolean t = runState == TERMINATED;
        lock.unlock();
        return t;
    }

    /**
     * Waits until terminated, the timeout, or an interrupt; parks a calling goroutine.
     * For {@link Go#executor()}, which never terminates, it waits the whole timeout.
     */
    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
        long nanos = unit.toNanos(timeout);
        lock.lock();
        if (runState == TERMINATED) {
            lock.unlock();
            return true;
        }
        if (nanos <= 0) {
            lock.unlock();
            return false;
        }
        long deadline = GoFuture.deadline(nanos);
        Waiter w = Waiter.current(lock);
        terminationWaiters.enqueue(w);
        Waiter.Result r = w.awaitUntil(WaitReason.EXECUTOR_TERMINATION, lock, deadline); // 0: no deadline
        if (r == Waiter.Result.WOKEN) return true;
        terminationWaiters.remove(w); // lock held again
        boolean terminated = runState == TERMINATED;
        lock.unlock();
        if (r == Waiter.Result.INTERRUPTED) throw new InterruptedException();
        return terminated;
    }

    /**
     * As {@link java.util.concurrent.ExecutorService#close()}: shuts down and waits for every
     * task to finish; if the caller is interrupted while waiting, {@link #shutdownNow()} and
     * keep waiting, then return with the caller's interrupt status set (the goroutine's, for a
     * goroutine). No effect on {@link Go#executor()}.
     */
    @Override
    public void close() {
        if (shared) return;
        boolean terminated = isTerminated();
        if (terminated) return;
        shutdown();
        boolean interrupted = false;
        while (!terminated) {
            try {
                terminated = awaitTermination(1L, TimeUnit.DAYS);
            } catch (InterruptedException e) {
                if (!interrupted) {
                    shutdownNow();
                    interrupted = true;
                }
            }
        }
        if (interrupted) {
            Goroutine g = Go.current();
            if (g != null) g.interrupt(); else Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        int state, tasks, waiting;
        lock.lock();
        state = runState;
        tasks = running;
        waiting = backlog.size();
        lock.unlock();
        return super.toString() + "[" + (state == RUNNING ? "Running" : state == SHUTDOWN ? "Shutting down" : "Terminated")
                + ", running tasks = " + tasks + ", waiting tasks = " + waiting
                + (maxRunning > 0 ? ", max running = " + maxRunning : "") + (shared ? ", shared" : "") + "]";
    }
}
