package dev.gort;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The ExecutorService contract, run unchanged over GoExecutorService (unbounded and bounded) and
 * three JDK executors (a cached thread pool, the virtual-thread-per-task executor and a
 * ForkJoinPool), so that it tests the contract and not Gort's quirks. The behaviours are those
 * checked by the JSR-166 TCK (AbstractExecutorServiceTest, ExecutorCompletionServiceTest, the
 * shutdown, awaitTermination and rejection tests of ThreadPoolExecutorTest) and by the JDK's
 * ExecutorService InvokeTest, CloseTest and SubmitTest; the code is written here.
 *
 * <p>Callers are platform threads (the test thread), as for any executor; GoExecutorServiceTest
 * repeats the waits from goroutines. Tasks block on latches or Thread.sleep, as the JDK's tests
 * do, and are released by the test; nothing relies on a sleep to order events.
 */
class ExecutorContractTest {
    /** Long enough never to elapse in a passing test. */
    private static final long LONG_MS = 60_000;

    static Stream<Arguments> executors() {
        List<Arguments> out = new ArrayList<>();
        out.add(Arguments.of("GoExecutorService", (Supplier<ExecutorService>) GoExecutorService::new));
        out.add(Arguments.of("GoExecutorService(8)", (Supplier<ExecutorService>) () -> new GoExecutorService(8)));
        out.add(Arguments.of("cachedThreadPool", (Supplier<ExecutorService>) Executors::newCachedThreadPool));
        out.add(Arguments.of("virtualThreadPerTask", (Supplier<ExecutorService>) Executors::newVirtualThreadPerTaskExecutor));
        out.add(Arguments.of("ForkJoinPool", (Supplier<ExecutorService>) () -> new ForkJoinPool(8)));
        return out.stream();
    }

    private final List<ExecutorService> created = new ArrayList<>();

    private ExecutorService make(Supplier<ExecutorService> factory) {
        ExecutorService e = factory.get();
        created.add(e);
        return e;
    }

    @AfterEach
    void cleanUp() throws InterruptedException {
        Thread.interrupted();
        for (ExecutorService e : created) {
            e.shutdownNow();
            assertTrue(e.awaitTermination(30, TimeUnit.SECONDS), "executor terminated after the test");
        }
        GoTestSupport.assertSchedulerAtRest();
        GoTestSupport.awaitTrue("no timer left armed", 10_000, () -> dev.gort.sched.Scheduler.get().pendingTimers() == 0);
    }

    /** Interrupts {@code t} once it blocks (WAITING or TIMED_WAITING). */
    private static void interruptWhenBlocked(Thread t) {
        Thread.ofPlatform().daemon().start(() -> {
            while (t.getState() != Thread.State.WAITING && t.getState() != Thread.State.TIMED_WAITING) {
                Thread.onSpinWait();
            }
            t.interrupt();
        });
    }

    /** A task that blocks until {@code release} opens (interruptibly), then returns {@code v}. */
    private static <T> Callable<T> awaiting(CountDownLatch release, T v) {
        return () -> {
            release.await();
            return v;
        };
    }

    /** A task that sleeps until interrupted, and records that it was. */
    private static Callable<String> sleeperRecording(AtomicInteger interrupted, CountDownLatch started) {
        return () -> {
            started.countDown();
            try {
                Thread.sleep(LONG_MS);
                return "slept";
            } catch (InterruptedException e) {
                interrupted.incrementAndGet();
                throw e;
            }
        };
    }

    /**
     * The task's exception is the cause. ForkJoinPool rethrows a copy of it made for the caller's
     * stack (its cause is the original): the contract says "the exception the computation
     * threw", so a copy of the same class with the original as its cause passes too.
     */
    private static void assertCause(Throwable expected, ExecutionException ee) {
        Throwable c = ee.getCause();
        if (c == expected) return;
        assertNotNull(c);
        assertEquals(expected.getClass(), c.getClass(), "cause " + c);
        assertSame(expected, c.getCause(), "a copy of the task's exception must carry it as its cause");
    }

    // ---- submit and execute: results and exceptions (SubmitTest, AbstractExecutorServiceTest)

    @ParameterizedTest(name = "{0}")
    @MethodSource("executors")
    void executeRunsTheTask(String name, Supplier<ExecutorService> f) throws Exception {
        ExecutorService e = make(f);
        CountDownLatch done = new CountDownLatch(1);
        e.execute(done::countDown);
        assertTrue(done.await(LONG_MS, TimeUnit.MILLISECONDS));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("executors")
    void submitRunnableCallableAndRunnableWithResult(String name, Supplier<ExecutorService> f) throws Exception {
        ExecutorService e = make(f);
        AtomicBoolean ran = new AtomicBoolean();
        Future<?> r = e.submit(() -> ran.set(true));
        assertNull(r.get());
        assertTrue(ran.get());
        assertTrue(r.isDone());
        assertFalse(r.isCancelled());
        assertEquals("result", e.submit(() -> { }, "result").get());
        assertEquals(42, e.submit(() -> 42).get());
        assertEquals(42, e.submit(() -> 42).get(LONG_MS, TimeUnit.MILLISECONDS));
        Future<Integer> one = e.submit(() -> 1);
        one.get();
        assertEquals(Future.State.SUCCESS, one.state());
        assertEquals(1, one.resultNow());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("executors")
    void aTaskExceptionIsTheCauseOfExecutionException(String name, Supplier<ExecutorService> f) throws Exception {
        ExecutorService e = make(f);
        IllegalStateException boom = new IllegalStateException("boom");
        Future<Object> c = e.submit(() -> {
            throw boom;
        });
        assertCause(boom, assertThrows(ExecutionException.class, c::get));
        Future<?> r = e.submit((Runnable) () -> {
            throw boom;
        });
        assertCause(boom, assertThrows(ExecutionException.class, () -> r.get(LONG_MS, TimeUnit.MILLISECONDS)));
        Exception checked = new java.io.IOException("checked");
        Future<Object> k = e.submit(() -> {
            throw checked;
        });
        assertCause(checked, assertThrows(ExecutionException.class, k::get));
        Throwable now = k.exceptionNow();
        assertTrue(now == checked || now.getClass() == checked.getClass(), "exceptionNow: " + now);
        assertEquals(Future.State.FAILED, k.state());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("executors")
    void nullTasksThrowNullPointerException(String name, Supplier<ExecutorService> f) throws Exception {
        ExecutorService e = make(f);
        assertThrows(NullPointerException.class, () -> e.execute(null));
        assertThrows(NullPointerException.class, () -> e.submit((Runnable) null));
        assertThrows(NullPointerException.class, () -> e.submit((Runnable) null, "x"));
        assertThrows(NullPointerException.class, () -> e.submit((Callable<String>) null));
        assertThrows(NullPointerException.class, () -> e.invokeAll(null));
        assertThrows(NullPointerException.class, () -> e.invokeAll(null, 1, TimeUnit.SECONDS));
        assertThrows(NullPointerException.class, () -> e.invokeAny(null));
        assertThrows(NullPointerException.class, () -> e.invokeAny(null, 1, TimeUnit.SECONDS));
        // A null after a task that has not completed (as the TCK does): the JDK's invokeAny
        // submits lazily and would return the first result before reaching a null after it.
        CountDownLatch never = new CountDownLatch(1);
        List<Callable<String>> withNull = new ArrayList<>();
        withNull.add(awaiting(never, "a"));
        withNull.add(null);
        assertThrows(NullPointerException.class, () -> e.invokeAll(withNull));
        assertThrows(NullPointerException.class, () -> e.invokeAll(withNull, LONG_MS, TimeUnit.MILLISECONDS));
        assertThrows(NullPointerException.class, () -> e.invokeAny(withNull));
        assertThrows(NullPointerException.class, () -> e.invokeAny(withNull, LONG_MS, TimeUnit.MILLISECONDS));
        assertThrows(NullPointerException.class, () -> e.invokeAll(List.of(() -> 1), 1, null));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("executors")
    void anInterruptedCallerCanStillSubmit(String name, Supplier<ExecutorService> f) throws Exception {
        ExecutorService e = make(f);
        Thread.currentThread().interrupt();
        Future<Integer> fut = e.submit(() -> 3);
        CountDownLatch ran = new CountDownLatch(1);
        e.execute(ran::countDown);
        assertTrue(Thread.interrupted(), "submission neither waits nor clears the status");
        assertEquals(3, fut.get());
        assertTrue(ran.await(LONG_MS, TimeUnit.MILLISECONDS));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("executors")
    void getTimesOut(String name, Supplier<ExecutorService> f) throws Exception {
        ExecutorService e = make(f);
        CountDownLatch release = new CountDownLatch(1);
        Future<String> fut = e.submit(awaiting(release, "late"));
        assertThrows(TimeoutException.class, () -> fut.get(20, TimeUnit.MILLISECONDS));
        assertThrows(TimeoutException.class, () -> fut.get(0, TimeUnit.MILLISECONDS));
        assertFalse(fut.isDone());
        release.countDown();
        assertEquals("late", fut.get());
    }

    // ---- cancellation

    @ParameterizedTest(name = "{0}")
    @MethodSource("executors")
    void cancelTrueInterruptsARunningTask(String name, Supplier<ExecutorService> f) throws Exception {
        ExecutorService e = make(f);
        AtomicInteger interrupted = new AtomicInteger();
        CountDownLatch started = new CountDownLatch(1);
        Future<String> fut = e.submit(sleeperRecording(interrupted, started));
        assertTrue(started.await(LONG_MS, TimeUnit.MILLISECONDS));
        assertTrue(fut.cancel(true));
        assertTrue(fut.isCancelled());
        assertTrue(fut.isDone());
        assertThrows(CancellationException.class, fut::get);
        assertThrows(CancellationException.class, () -> fut.get(1, TimeUnit.SECONDS));
        assertEquals(Future.State.CANCELLED, fut.state());
        fut.cancel(true); // may return true or false (Future.cancel allows both once cancelled)
        assertTrue(fut.isCancelled());
        GoTestSupport.awaitTrue("task interrupted", LONG_MS, () -> interrupted.get() == 1);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("executors")
    void cancelOfACompletedTaskFails(String name, Supplier<ExecutorService> f) throws Exception {
        ExecutorService e = make(f);
        Future<Integer> fut = e.submit(() -> 7);
        assertEquals(7, fut.get());
        assertFalse(fut.cancel(true));
        assertFalse(fut.isCancelled());
        assertEquals(7, fut.resultNow());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("executors")
    void cancelWakesAWaitingGetter(String name, Supplier<ExecutorService> f) throws Exception {
        ExecutorService e = make(f);
        CountDownLatch release = new CountDownLatch(1);
        Future<String> fut = e.submit(awaiting(release, "x"));
        AtomicReference<Throwable> got = new AtomicReference<>();
        Thread getter = Thread.ofPlatform().start(() -> {
            try {
                fut.get();
            } catch (Throwable t) {
                got.set(t);
            }
        });
        GoTestSupport.awaitTrue("getter waiting", LONG_MS, () -> getter.getState() == Thread.State.WAITING);
        fut.cancel(false);
        getter.join(LONG_MS);
        assertInstanceOf(CancellationException.class, got.get());
        release.countDown();
    }

    // ---- interrupted callers

    @ParameterizedTest(name = "{0}")
    @MethodSource("executors")
    void anInterruptedGetThrowsAndClearsTheStatus(String name, Supplier<ExecutorService> f) throws Exception {
        ExecutorService e = make(f);
        CountDownLatch release = new CountDownLatch(1);
        Future<String> fut = e.submit(awaiting(release, "x"));
        interruptWhenBlocked(Thread.currentThread());
        assertThrows(InterruptedException.class, fut::get);
        assertFalse(Thread.currentThread().isInterrupted());
        interruptWhenBlocked(Thread.currentThread());
        assertThrows(InterruptedException.class, () -> fut.get(LONG_MS, TimeUnit.MILLISECONDS));
        assertFalse(Thread.currentThread().isInterrupted());
        Thread.currentThread().interrupt();
        assertThrows(InterruptedException.class, fut::get, "status set on entry");
        assertFalse(Thread.currentThread().isInterrupted());
        assertFalse(fut.isDone(), "the task is not affected");
        release.countDown();
        assertEquals("x", fut.get());
    }

    // ---- invokeAll (AbstractExecutorServiceTest, InvokeTest)

    @ParameterizedTest(name = "{0}")
    @MethodSource("executors")
    void invokeAllReturnsDoneFuturesInOrder(String name, Supplier<ExecutorService> f) throws Exception {
        ExecutorService e = make(f);
        assertTrue(e.invokeAll(List.of()).isEmpty());
        assertTrue(e.invokeAll(List.of(), 1, TimeUnit.SECONDS).isEmpty());
        IllegalStateException boom = new IllegalStateException();
        List<Callable<String>> tasks = List.of(() -> "a", () -> {
            throw boom;
        }, () -> "c");
        for (List<Future<String>> fs : List.of(e.invokeAll(tasks), e.invokeAll(tasks, LONG_MS, TimeUnit.MILLISECONDS))) {
            assertEquals(3, fs.size());
            for (Future<String> x : fs) assertTrue(x.isDone());
            assertEquals("a", fs.get(0).get());
            assertCause(boom, assertThrows(ExecutionException.class, () -> fs.get(1).get()));
            assertEquals("c", fs.get(2).get());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("executors")
    void timedInvokeAllCancelsUnfinishedTasks(String name, Supplier<ExecutorService> f) throws Exception {
        ExecutorService e = make(f);
        AtomicInteger interrupted = new AtomicInteger();
        CountDownLatch started = new CountDownLatch(1);
        List<Future<String>> fs = e.invokeAll(List.of(() -> "quick", sleeperRecording(interrupted, started)), 200, TimeUnit.MILLISECONDS);
        assertEquals(2, fs.size());
        assertEquals("quick", fs.get(0).get());
        assertTrue(fs.get(1).isDone());
        assertTrue(fs.get(1).isCancelled());
        assertThrows(CancellationException.class, () -> fs.get(1).get());
        if (started.getCount() == 0) {
            GoTestSupport.awaitTrue("unfinished task interrupted", LONG_MS, () -> interrupted.get() == 1);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("executors")
    void anInterruptedInvokeAllCancelsItsTasks(String name, Supplier<ExecutorService> f) throws Exception {
        ExecutorService e = make(f);
        AtomicInteger interrupted = new AtomicInteger();
        CountDownLatch started = new CountDownLatch(2);
        List<Callable<String>> tasks = List.of(sleeperRecording(interrupted, started), sleeperRecording(interrupted, started));
        Thread self = Thread.currentThread();
        Thread.ofPlatform().daemon().start(() -> {
            try {
                started.await();
            } catch (InterruptedException ignored) {
                return;
            }
            interruptWhenBlocked(self);
        });
        assertThrows(InterruptedException.class, () -> e.invokeAll(tasks));
        assertFalse(Thread.currentThread().isInterrupted());
        GoTestSupport.awaitTrue("both tasks interrupted", LONG_MS, () -> interrupted.get() == 2);
        // Status set before the call: the JDK's invokeAll still submits, then throws from get.
        Thread.currentThread().interrupt();
        CountDownLatch never = new CountDownLatch(1);
        assertThrows(InterruptedException.class, () -> e.invokeAll(List.of(awaiting(never, 1)), LONG_MS, TimeUnit.MILLISECONDS));
        assertFalse(Thread.currentThread().isInterrupted());
    }

    // ---- invokeAny (AbstractExecutorServiceTest, InvokeTest)

    @ParameterizedTest(name = "{0}")
    @MethodSource("executors")
    void invokeAnyReturnsAResult(String name, Supplier<ExecutorService> f) throws Exception {
        ExecutorService e = make(f);
        assertEquals("a", e.invokeAny(List.of(() -> "a")));
        assertEquals("a", e.invokeAny(List.of(() -> "a"), LONG_MS, TimeUnit.MILLISECONDS));
        IllegalStateException boom = new IllegalStateException();
        Callable<String> failing = () -> {
            throw boom;
        };
        assertEquals("ok", e.invokeAny(List.of(failing, () -> "ok", failing)));
        assertEquals("ok", e.invokeAny(List.of(failing, () -> "ok"), LONG_MS, TimeUnit.MILLISECONDS));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("executors")
    void invokeAnyOfFailingTasksThrowsExecutionException(String name, Supplier<ExecutorService> f) throws Exception {
        ExecutorService e = make(f);
        IllegalStateException boom = new IllegalStateException();
        Callable<String> failing = () -> {
            throw boom;
        };
        assertCause(boom, assertThrows(ExecutionException.class, () -> e.invokeAny(List.of(failing, failing))));
        assertCause(boom, assertThrows(ExecutionException.class, () -> e.invokeAny(List.of(failing), LONG_MS, TimeUnit.MILLISECONDS)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("executors")
    void invokeAnyOfNoTasksThrowsIllegalArgumentException(String name, Supplier<ExecutorService> f) {
        ExecutorService e = make(f);
        assertThrows(IllegalArgumentException.class, () -> e.invokeAny(List.of()));
        assertThrows(IllegalArgumentException.class, () -> e.invokeAny(List.of(), 1, TimeUnit.SECONDS));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("executors")
    void invokeAnyCancelsTheLosers(String name, Supplier<ExecutorService> f) throws Exception {
        ExecutorService e = make(f);
        AtomicInteger interrupted = new AtomicInteger();
        CountDownLatch started = new CountDownLatch(2);
        Callable<String> winner = () -> {
            started.await(); // both losers are running: they must be interrupted, not just dropped
            return "winner";
        };
        assertEquals("winner", e.invokeAny(List.of(sleeperRecording(interrupted, started), winner, sleeperRecording(interrupted, started))));
        GoTestSupport.awaitTrue("losers interrupted", LONG_MS, () -> interrupted.get() == 2);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("executors")
    void timedInvokeAnyTimesOutAndCancels(String name, Supplier<ExecutorService> f) throws Exception {
        ExecutorService e = make(f);
        AtomicInteger interrupted = new AtomicInteger();
        CountDownLatch started = new CountDownLatch(1);
        assertThrows(TimeoutException.class, () -> e.invokeAny(List.of(sleeperRecording(interrupted, started)), 50, TimeUnit.MILLISECONDS));
        if (started.getCount() == 0) {
            GoTestSupport.awaitTrue("task interrupted", LONG_MS, () -> interrupted.get() == 1);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("executors")
    void anInterruptedInvokeAnyThrows(String name, Supplier<ExecutorService> f) throws Exception {
        ExecutorService e = make(f);
        CountDownLatch never = new CountDownLatch(1);
        interruptWhenBlocked(Thread.currentThread());
        assertThrows(InterruptedException.class, () -> e.invokeAny(List.of(awaiting(never, 1), awaiting(never, 2))));
        assertFalse(Thread.currentThread().isInterrupted());
        interruptWhenBlocked(Thread.currentThread());
        assertThrows(InterruptedException.class, () -> e.invokeAny(List.of(awaiting(never, 1)), LONG_MS, TimeUnit.MILLISECONDS));
        assertFalse(Thread.currentThread().isInterrupted());
    }

    // ---- shutdown, rejection, termination (ThreadPoolExecutorTest)

    @ParameterizedTest(name = "{0}")
    @MethodSource("executors")
    void everySubmissionIsRejectedAfterShutdown(String name, Supplier<ExecutorService> f) {
        ExecutorService e = make(f);
        assertFalse(e.isShutdown());
        e.shutdown();
        assertTrue(e.isShutdown());
        assertThrows(RejectedExecutionException.class, () -> e.execute(() -> { }));
        assertThrows(RejectedExecutionException.class, () -> e.submit(() -> { }));
        assertThrows(RejectedExecutionException.class, () -> e.submit(() -> { }, 1));
        assertThrows(RejectedExecutionException.class, () -> e.submit(() -> 1));
        assertThrows(RejectedExecutionException.class, () -> e.invokeAll(List.of(() -> 1)));
        assertThrows(RejectedExecutionException.class, () -> e.invokeAll(List.of(() -> 1), 1, TimeUnit.SECONDS));
        assertThrows(RejectedExecutionException.class, () -> e.invokeAny(List.of(() -> 1)));
        assertThrows(RejectedExecutionException.class, () -> e.invokeAny(List.of(() -> 1), 1, TimeUnit.SECONDS));
        e.shutdownNow();
        assertThrows(RejectedExecutionException.class, () -> e.execute(() -> { }));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("executors")
    void shutdownLetsAcceptedTasksFinish(String name, Supplier<ExecutorService> f) throws Exception {
        ExecutorService e = make(f);
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch started = new CountDownLatch(1);
        Future<String> fut = e.submit(() -> {
            started.countDown();
            release.await();
            return "done";
        });
        assertTrue(started.await(LONG_MS, TimeUnit.MILLISECONDS));
        e.shutdown();
        assertTrue(e.isShutdown());
        assertFalse(e.isTerminated());
        assertFalse(e.awaitTermination(20, TimeUnit.MILLISECONDS));
        assertFalse(e.awaitTermination(0, TimeUnit.MILLISECONDS));
        release.countDown();
        assertTrue(e.awaitTermination(LONG_MS, TimeUnit.MILLISECONDS));
        assertTrue(e.isTerminated());
        assertEquals("done", fut.get());
        assertTrue(e.awaitTermination(0, TimeUnit.MILLISECONDS));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("executors")
    void anUnusedExecutorTerminatesAtShutdown(String name, Supplier<ExecutorService> f) throws Exception {
        ExecutorService e = make(f);
        assertFalse(e.isTerminated());
        e.shutdown();
        assertTrue(e.awaitTermination(LONG_MS, TimeUnit.MILLISECONDS));
        assertTrue(e.isTerminated());
        e.shutdown(); // idempotent
        assertTrue(e.isTerminated());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("executors")
    void shutdownNowInterruptsRunningTasks(String name, Supplier<ExecutorService> f) throws Exception {
        ExecutorService e = make(f);
        AtomicInteger interrupted = new AtomicInteger();
        CountDownLatch started = new CountDownLatch(3);
        for (int i = 0; i < 3; i++) e.submit(sleeperRecording(interrupted, started));
        assertTrue(started.await(LONG_MS, TimeUnit.MILLISECONDS));
        List<Runnable> never = e.shutdownNow();
        assertNotNull(never);
        assertTrue(never.isEmpty(), "every task had started");
        assertTrue(e.isShutdown());
        assertTrue(e.awaitTermination(LONG_MS, TimeUnit.MILLISECONDS));
        assertEquals(3, interrupted.get());
        assertThrows(RejectedExecutionException.class, () -> e.submit(() -> 1));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("executors")
    void anInterruptedAwaitTerminationThrows(String name, Supplier<ExecutorService> f) throws Exception {
        ExecutorService e = make(f);
        CountDownLatch release = new CountDownLatch(1);
        e.submit(awaiting(release, 1));
        e.shutdown();
        interruptWhenBlocked(Thread.currentThread());
        assertThrows(InterruptedException.class, () -> e.awaitTermination(LONG_MS, TimeUnit.MILLISECONDS));
        assertFalse(Thread.currentThread().isInterrupted());
        release.countDown();
        assertTrue(e.awaitTermination(LONG_MS, TimeUnit.MILLISECONDS));
    }

    // ---- close (CloseTest)

    @ParameterizedTest(name = "{0}")
    @MethodSource("executors")
    void closeWaitsForTasks(String name, Supplier<ExecutorService> f) throws Exception {
        ExecutorService e = make(f);
        CountDownLatch started = new CountDownLatch(1);
        Future<String> fut = e.submit(() -> {
            started.countDown();
            Thread.sleep(100);
            return "slept";
        });
        assertTrue(started.await(LONG_MS, TimeUnit.MILLISECONDS));
        e.close();
        assertTrue(e.isShutdown());
        assertTrue(e.isTerminated());
        assertTrue(fut.isDone());
        assertEquals("slept", fut.resultNow());
        e.close(); // again: no effect
        assertTrue(e.isTerminated());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("executors")
    void closeOfAnUnusedOrShutdownExecutor(String name, Supplier<ExecutorService> f) throws Exception {
        ExecutorService unused = make(f);
        unused.close();
        assertTrue(unused.isTerminated());
        ExecutorService shut = make(f);
        shut.submit(() -> 1).get();
        shut.shutdown();
        shut.close();
        assertTrue(shut.isTerminated());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("executors")
    void anInterruptDuringCloseStopsTasksAndIsKept(String name, Supplier<ExecutorService> f) throws Exception {
        for (boolean before : new boolean[] {true, false}) {
            ExecutorService e = make(f);
            AtomicInteger interrupted = new AtomicInteger();
            CountDownLatch started = new CountDownLatch(1);
            Future<String> fut = e.submit(sleeperRecording(interrupted, started));
            assertTrue(started.await(LONG_MS, TimeUnit.MILLISECONDS));
            if (before) Thread.currentThread().interrupt(); else interruptWhenBlocked(Thread.currentThread());
            e.close();
            assertTrue(Thread.interrupted(), "close returns with the interrupt status set");
            assertTrue(e.isTerminated());
            assertEquals(1, interrupted.get(), "close stopped the task as shutdownNow does");
            assertTrue(fut.isDone());
        }
    }

    // ---- as the executor of JDK utilities

    @ParameterizedTest(name = "{0}")
    @MethodSource("executors")
    void completableFutureChains(String name, Supplier<ExecutorService> f) throws Exception {
        ExecutorService e = make(f);
        CompletableFuture<Integer> cf = CompletableFuture.supplyAsync(() -> 20, e)
                .thenApplyAsync(x -> x + 1, e)
                .thenCombineAsync(CompletableFuture.supplyAsync(() -> 2, e), (a, b) -> a * b, e);
        assertEquals(42, cf.get(LONG_MS, TimeUnit.MILLISECONDS));
        CompletableFuture<Integer> failed = CompletableFuture.supplyAsync(() -> {
            throw new IllegalStateException("x");
        }, e);
        assertInstanceOf(IllegalStateException.class, assertThrows(ExecutionException.class, failed::get).getCause());
        List<CompletableFuture<Integer>> many = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            int v = i;
            many.add(CompletableFuture.supplyAsync(() -> v, e));
        }
        CompletableFuture.allOf(many.toArray(CompletableFuture[]::new)).get(LONG_MS, TimeUnit.MILLISECONDS);
        int sum = 0;
        for (CompletableFuture<Integer> c : many) sum += c.join();
        assertEquals(199 * 200 / 2, sum);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("executors")
    void executorCompletionService(String name, Supplier<ExecutorService> f) throws Exception {
        ExecutorService e = make(f);
        ExecutorCompletionService<Integer> ecs = new ExecutorCompletionService<>(e);
        assertNull(ecs.poll());
        assertNull(ecs.poll(10, TimeUnit.MILLISECONDS));
        CountDownLatch release = new CountDownLatch(1);
        Future<Integer> slow = ecs.submit(awaiting(release, 2));
        Future<Integer> fast = ecs.submit(() -> 1);
        assertSame(fast, ecs.take(), "completion order, not submission order");
        assertNull(ecs.poll());
        release.countDown();
        Future<Integer> second = ecs.poll(LONG_MS, TimeUnit.MILLISECONDS);
        assertSame(slow, second);
        assertEquals(2, second.get());
        IllegalStateException boom = new IllegalStateException();
        ecs.submit(() -> {
            throw boom;
        });
        assertCause(boom, assertThrows(ExecutionException.class, () -> ecs.take().get()));
        ecs.submit(() -> { }, 5);
        assertEquals(5, ecs.take().get());
        assertThrows(NullPointerException.class, () -> ecs.submit(null));
        assertThrows(NullPointerException.class, () -> ecs.submit(null, 1));
        // A cancelled task is delivered too.
        CountDownLatch never = new CountDownLatch(1);
        Future<Integer> c = ecs.submit(awaiting(never, 0));
        c.cancel(true);
        Future<Integer> taken = ecs.poll(LONG_MS, TimeUnit.MILLISECONDS);
        assertNotNull(taken);
        assertTrue(taken.isCancelled());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("executors")
    void manyTasksAllRun(String name, Supplier<ExecutorService> f) throws Exception {
        ExecutorService e = make(f);
        int n = 5_000;
        Collection<Callable<Integer>> tasks = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int v = i;
            tasks.add(() -> v);
        }
        long sum = 0;
        for (Future<Integer> x : e.invokeAll(tasks)) sum += x.get();
        assertEquals((long) n * (n - 1) / 2, sum);
    }
}
