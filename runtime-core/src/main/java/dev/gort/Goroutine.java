package dev.gort;

import java.time.Duration;

/**
 * A handle on a goroutine, returned by {@link Go#spawn(GoRunnable)}.
 *
 * <p>A goroutine is not a {@link Thread}: inside one, {@code Thread.currentThread()} is the
 * carrier thread that happens to run it, and {@code ThreadLocal}s are the carrier's. Use
 * {@link GoLocal} for values that belong to the goroutine.
 */
public interface Goroutine {

    /** The life of a goroutine (Go's {@code _Grunnable}, {@code _Grunning}, ...). */
    enum State {
        /** On a run queue, waiting for a P. */
        RUNNABLE,
        /** Running on a carrier that holds a P. */
        RUNNING,
        /** Parked: waiting for a channel, a lock, a timer, another goroutine... */
        WAITING,
        /** Inside {@link Go#blocking}: it keeps its carrier, its P went to other goroutines. */
        SYSCALL,
        /** Finished (normally or with an exception). */
        DEAD
    }

    /** Unique, positive, increasing in spawn order per processor. */
    long id();

    /** The name given at spawn, or {@code "goroutine-<id>"}. */
    String name();

    /** A snapshot of the state; it may change as soon as it is read. */
    State state();

    /** @return {@code state() != DEAD} */
    default boolean isAlive() {
        return state() != State.DEAD;
    }

    /**
     * Waits until this goroutine has finished, and rethrows its {@link #failure()} if it has one
     * (a {@code RuntimeException} or {@code Error} as it is, a checked exception wrapped in a
     * {@link java.util.concurrent.CompletionException}; see {@link GoRunnable} for which
     * exceptions are failures). From a goroutine it parks the goroutine (the carrier runs
     * others); from a platform thread it parks the thread.
     *
     * @throws InterruptedException if the calling goroutine or platform thread is interrupted
     *         while waiting, or (a goroutine) would wait with its status set (status cleared)
     * @throws IllegalStateException if a goroutine joins itself
     */
    void join() throws InterruptedException;

    /**
     * Like {@link #join()}, giving up after {@code timeout}: a joining goroutine parks with a
     * runtime timer, a platform thread parks with a timeout. A goroutine that finished in time
     * with a failure rethrows it, as {@link #join()} does.
     *
     * @return true if the goroutine finished in time
     */
    boolean join(Duration timeout) throws InterruptedException;

    /**
     * The exception that ended this goroutine, or null: while it runs, after it returned, and
     * after an {@code InterruptedException} of an interrupted goroutine ended it quietly (see
     * {@link GoRunnable}).
     */
    Throwable failure();

    /**
     * Interrupts this goroutine (Thread.interrupt() for goroutines): sets its interrupt status
     * and ends the interruptible wait it is parked in, if any. Gort's interruptible waits
     * ({@link Chan#send}, {@link Chan#receive}, {@link Select#run}, {@link Go#sleep},
     * {@link dev.gort.sync.WaitGroup#await}, {@link dev.gort.sync.Semaphore#acquire}, the
     * futures and waits of {@link GoExecutorService}) then throw {@link InterruptedException}
     * with the status cleared; so do they when they would wait with the status already set.
     * A wait that has already been satisfied (a value handed over) is not undone: the status
     * stays set for the next wait. {@link #join()} is interruptible too. Go's
     * {@code sync.Mutex}, {@code RWMutex} and {@code Cond} are not (as in Go): the status stays
     * set.
     *
     * <p>A goroutine is not its carrier thread: {@code Thread.currentThread().isInterrupted()}
     * and JDK blocking methods ({@code Thread.sleep}, {@code CountDownLatch.await}) see the
     * carrier's flag. The flag follows the goroutine: Java's idiom
     * {@code Thread.currentThread().interrupt()} (in a catch block) sets it while the goroutine
     * runs; when the goroutine next leaves its carrier (parks, yields, is preempted), the flag
     * becomes its interrupt status and the carrier's is cleared, so the goroutine's next
     * interruptible wait throws, as a thread's would (a wait it parks in at once is ended), and
     * no other goroutine ever sees it; a goroutine that ends with the flag set drops it.
     * {@link Go#interrupted()} counts a flag so set at once. Once resumed with its status set,
     * a plain goroutine's {@code Thread.currentThread().isInterrupted()} is false (its carrier's
     * flag; the status is {@link #isInterrupted()}). For the tasks of {@link GoExecutorService}
     * (code written for thread pools), an interrupt also interrupts the carrier while the task's
     * goroutine is mounted on it, so there it is true; see the {@code dev.gort} package
     * documentation.
     */
    void interrupt();

    /** This goroutine's interrupt status (not cleared). */
    boolean isInterrupted();

    /**
     * Bytes this goroutine has allocated on the heap since it started, or -1 when the runtime
     * does not count them. Counting is off by default (it costs two reads of a per-thread
     * counter at each goroutine switch): {@code -Dgort.allocstats=true} turns it on; on a
     * runtime without the {@code jdk.management} module, or a JVM that does not count
     * allocations per thread, it stays off (with a warning at start-up).
     *
     * <p>What it counts: the JVM's count of bytes allocated by the carrier thread
     * ({@code com.sun.management.ThreadMXBean#getCurrentThreadAllocatedBytes}), read when the
     * goroutine is mounted and when it leaves the carrier (parks, yields, is preempted, ends);
     * the difference is the goroutine's. So it includes everything allocated while the goroutine
     * was mounted: its own objects and arrays, those of the JDK and Gort code it calls (a
     * channel operation's, a timer's), the stack chunks the JVM allocates when it unmounts the
     * goroutine's frames at a park, and, inside {@link Go#blocking}, what the blocking call
     * allocates. Memory allocated and later collected still counts (it is a count of
     * allocation, not of live memory). Platform threads are not counted.
     *
     * <p>Granularity: a goroutine's count grows when one of its slices ends. Read by the
     * goroutine itself, it is exact up to the call; read from elsewhere while the goroutine
     * runs, it lacks the running slice (at most one time slice of allocation, about 10 ms).
     * The count survives parks and moves between carriers; after the goroutine ends it stays.
     */
    long allocatedBytes();
}
