package dev.gort;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What GoExecutorService adds to the contract (ExecutorContractTest): goroutine callers park
 * instead of blocking their carrier, on one processor too; the bound; shutdownNow's never-started
 * tasks; Gort waits inside tasks are interrupted by cancel; the shared Go.executor().
 */
class GoExecutorServiceTest {
    @AfterEach
    void atRest() throws InterruptedException {
        GoTestSupport.assertSchedulerAtRest();
        GoTestSupport.awaitTrue("no timer left armed", 10_000, () -> dev.gort.sched.Scheduler.get().pendingTimers() == 0);
    }

    /**
     * On one processor, a goroutine waits in get/invokeAll/invokeAny/awaitTermination/close for a
     * task that needs that processor to run: it must park (state WAITING, not RUNNING on a
     * blocked carrier) so that the task runs.
     */
    @Test
    void goroutineCallersParkOnOneProcessor() throws Exception {
        GoTestSupport.withMaxProcs(1, () -> {
            GoExecutorService exec = new GoExecutorService();
            Chan<Integer> gate = Chan.make();
            AtomicReference<Object> result = new AtomicReference<>();
            Goroutine caller = Go.spawn(() -> {
                try {
                    Future<Integer> f = exec.submit(gate::receive); // a Gort wait inside the task
                    int a = f.get();
                    int b = f.get(10, TimeUnit.SECONDS);
                    List<Future<Integer>> all = exec.invokeAll(List.of(() -> 1, () -> 2));
                    List<Future<Integer>> timed = exec.invokeAll(List.of(() -> 3), 10, TimeUnit.SECONDS);
                    int any = exec.invokeAny(List.of(() -> 4));
                    int anyTimed = exec.invokeAny(List.of(() -> 5), 10, TimeUnit.SECONDS);
                    exec.submit(() -> { Go.sleep(Duration.ofMillis(5)); return null; });
                    exec.shutdown();
                    boolean terminated = exec.awaitTermination(10, TimeUnit.SECONDS);
                    result.set(a + b + all.get(0).get() + all.get(1).get() + timed.get(0).get() + any + anyTimed
                            + (terminated ? 100 : 0));
                } catch (Throwable t) {
                    result.set(t);
                }
            });
            GoTestSupport.awaitTrue("caller parked in get", 10_000, () -> caller.state() == Goroutine.State.WAITING);
            gate.send(7);
            caller.join();
            assertEquals(7 + 7 + 1 + 2 + 3 + 4 + 5 + 100, result.get());
        });
    }

    @Test
    void goroutineCallerTimesOutAndIsInterrupted() throws Exception {
        GoTestSupport.withMaxProcs(1, () -> {
            try (GoExecutorService exec = new GoExecutorService()) {
                Chan<Integer> never = Chan.make();
                Future<Integer> f = exec.submit(never::receive);
                AtomicReference<Object> timedOut = new AtomicReference<>(), interrupted = new AtomicReference<>();
                Goroutine g = Go.spawn(() -> {
                    try {
                        f.get(20, TimeUnit.MILLISECONDS);
                    } catch (Throwable t) {
                        timedOut.set(t);
                    }
                    try {
                        f.get();
                    } catch (Throwable t) {
                        interrupted.set(t);
                    }
                });
                GoTestSupport.awaitTrue("timed out", 10_000, () -> timedOut.get() != null);
                GoTestSupport.awaitTrue("parked in get", 10_000, () -> g.state() == Goroutine.State.WAITING);
                g.interrupt();
                g.join();
                assertInstanceOf(TimeoutException.class, timedOut.get());
                assertInstanceOf(InterruptedException.class, interrupted.get());
                assertFalse(g.isInterrupted());
                assertTrue(f.cancel(true)); // the task's channel receive is interrupted
            }
        });
    }

    @Test
    void closeFromAGoroutineWaitsAndKeepsAnInterrupt() throws Exception {
        GoExecutorService exec = new GoExecutorService();
        AtomicInteger interruptedTasks = new AtomicInteger();
        CountDownLatch started = new CountDownLatch(1);
        exec.submit(() -> {
            started.countDown();
            try {
                Go.sleep(Duration.ofSeconds(60));
            } catch (InterruptedException e) {
                interruptedTasks.incrementAndGet();
            }
            return null;
        });
        assertTrue(started.await(10, TimeUnit.SECONDS));
        AtomicReference<Boolean> keptInterrupt = new AtomicReference<>();
        Goroutine closer = Go.spawn(() -> {
            exec.close();
            keptInterrupt.set(Go.interrupted());
        });
        GoTestSupport.awaitTrue("closer parked", 10_000, () -> closer.state() == Goroutine.State.WAITING);
        closer.interrupt();
        closer.join();
        assertTrue(keptInterrupt.get());
        assertEquals(1, interruptedTasks.get());
        assertTrue(exec.isTerminated());
    }

    @Test
    void theBoundLimitsRunningTasksAndKeepsOrder() throws Exception {
        int bound = 3;
        try (GoExecutorService exec = new GoExecutorService(bound)) {
            assertEquals(bound, exec.maxRunning());
            AtomicInteger running = new AtomicInteger(), maxSeen = new AtomicInteger();
            List<Integer> startOrder = java.util.Collections.synchronizedList(new ArrayList<>());
            List<Future<?>> fs = new ArrayList<>();
            AtomicInteger finished = new AtomicInteger();
            int[] finishedAtStart = new int[60];
            for (int i = 0; i < 60; i++) {
                int id = i;
                fs.add(exec.submit(() -> {
                    startOrder.add(id);
                    finishedAtStart[id] = finished.get();
                    int now = running.incrementAndGet();
                    maxSeen.accumulateAndGet(now, Math::max);
                    Go.sleep(Duration.ofMillis(1));
                    running.decrementAndGet();
                    finished.incrementAndGet();
                    return null;
                }));
            }
            for (Future<?> f : fs) f.get(); // also publishes finishedAtStart
            assertTrue(maxSeen.get() <= bound, "at most " + bound + " at once, saw " + maxSeen.get());
            // The backlog is admitted in submission order: task k (k >= bound) is admitted by the
            // (k - bound + 1)-th task to finish, so that many had finished when it started. (The
            // order in which admitted tasks' goroutines reach their first line is up to the
            // scheduler: two tasks admitted together on two Ps race, so startOrder is not checked.)
            for (int k = bound; k < 60; k++) {
                assertTrue(finishedAtStart[k] >= k - bound + 1,
                    "task " + k + " started after only " + finishedAtStart[k] + " finished; start order " + startOrder);
            }
        }
        assertThrows(IllegalArgumentException.class, () -> new GoExecutorService(0));
    }

    @Test
    void shutdownNowReturnsTheTasksThatNeverStarted() throws Exception {
        GoExecutorService exec = new GoExecutorService(1);
        CountDownLatch started = new CountDownLatch(1);
        AtomicInteger interrupted = new AtomicInteger();
        exec.execute(() -> {
            started.countDown();
            try {
                Thread.sleep(60_000);
            } catch (InterruptedException e) {
                interrupted.incrementAndGet();
            }
        });
        assertTrue(started.await(10, TimeUnit.SECONDS));
        Runnable r1 = () -> { }, r2 = () -> { };
        exec.execute(r1);
        Future<Integer> f = exec.submit(() -> 3);
        exec.execute(r2);
        List<Runnable> never = exec.shutdownNow();
        assertEquals(3, never.size());
        assertSame(r1, never.get(0));
        assertSame(f, never.get(1), "a submitted task is returned as its future");
        assertSame(r2, never.get(2));
        assertFalse(f.isDone(), "never run, and not cancelled by shutdownNow (as ThreadPoolExecutor)");
        assertTrue(exec.awaitTermination(10, TimeUnit.SECONDS));
        assertEquals(1, interrupted.get());
    }

    @Test
    void cancelInterruptsGortWaitsInsideATask() throws Exception {
        try (GoExecutorService exec = new GoExecutorService()) {
            Chan<Integer> never = Chan.make();
            List<Callable<Object>> waits = List.of(
                    () -> never.receive(),
                    () -> {
                        Go.sleep(Duration.ofSeconds(60));
                        return null;
                    },
                    () -> {
                        new Select().recv(never, v -> { }).run();
                        return null;
                    });
            for (Callable<Object> w : waits) {
                AtomicReference<Throwable> thrown = new AtomicReference<>();
                CountDownLatch started = new CountDownLatch(1), ended = new CountDownLatch(1);
                Future<Object> f = exec.submit(() -> {
                    started.countDown();
                    try {
                        return w.call();
                    } catch (Throwable t) {
                        thrown.set(t);
                        throw t;
                    } finally {
                        ended.countDown();
                    }
                });
                assertTrue(started.await(10, TimeUnit.SECONDS));
                // Cancel while parked or before the wait: either way it must end with InterruptedException.
                f.cancel(true);
                assertTrue(ended.await(10, TimeUnit.SECONDS));
                assertInstanceOf(InterruptedException.class, thrown.get());
                assertThrows(CancellationException.class, f::get);
            }
        }
    }

    /** invokeAny from a goroutine: the losers, parked in Gort waits, are interrupted. */
    @Test
    void invokeAnyFromAGoroutineInterruptsLosersInGortWaits() throws Exception {
        try (GoExecutorService exec = new GoExecutorService()) {
            Chan<Integer> never = Chan.make();
            WaitGroupCounter losers = new WaitGroupCounter();
            Callable<String> loserInReceive = () -> {
                losers.started.countDown();
                try {
                    never.receive();
                    return "impossible";
                } catch (InterruptedException e) {
                    losers.interrupted.incrementAndGet();
                    throw e;
                }
            };
            Callable<String> loserInSleep = () -> {
                losers.started.countDown();
                try {
                    Go.sleep(Duration.ofSeconds(60));
                    return "impossible";
                } catch (InterruptedException e) {
                    losers.interrupted.incrementAndGet();
                    throw e;
                }
            };
            Callable<String> winner = () -> {
                losers.started.await(); // both losers are waiting (or about to)
                return "winner";
            };
            AtomicReference<Object> got = new AtomicReference<>();
            Go.spawn(() -> {
                try {
                    got.set(exec.invokeAny(List.of(loserInReceive, winner, loserInSleep)));
                } catch (Throwable t) {
                    got.set(t);
                }
            }).join();
            assertEquals("winner", got.get());
            GoTestSupport.awaitTrue("losers interrupted", 10_000, () -> losers.interrupted.get() == 2);
        }
    }

    private static final class WaitGroupCounter {
        final CountDownLatch started = new CountDownLatch(2);
        final AtomicInteger interrupted = new AtomicInteger();
    }

    @Test
    void executeExceptionGoesToTheUncaughtHandler() throws Exception {
        AtomicReference<Throwable> seen = new AtomicReference<>();
        Go.setUncaughtExceptionHandler((g, t) -> seen.set(t));
        try (GoExecutorService exec = new GoExecutorService()) {
            IllegalStateException boom = new IllegalStateException("boom");
            exec.execute(() -> {
                throw boom;
            });
            GoTestSupport.awaitTrue("handler called", 10_000, () -> seen.get() != null);
            assertSame(boom, seen.get());
            assertEquals(1, exec.submit(() -> 1).get(), "the executor goes on");
        } finally {
            Go.setUncaughtExceptionHandler(null);
        }
    }

    /** An executor whose goroutine spawns fail where {@code fails} says (by spawn number, from 1). */
    private static final class FailingSpawns extends GoExecutorService {
        final java.util.function.IntPredicate fails;
        final AtomicInteger spawns = new AtomicInteger();

        FailingSpawns(int maxRunning, java.util.function.IntPredicate fails) {
            super(maxRunning);
            this.fails = fails;
        }

        @Override
        void spawn(Runnable t) {
            if (fails.test(spawns.incrementAndGet())) throw new UnsupportedOperationException("spawn " + spawns.get() + " fails");
            super.spawn(t);
        }
    }

    /** Runs close() on a platform thread; fails if it does not return within 10 s. */
    private static void closeWithin10s(GoExecutorService exec) throws InterruptedException {
        Thread closer = new Thread(exec::close, "closer");
        closer.setDaemon(true); // a hung close must not keep the JVM alive
        closer.start();
        closer.join(10_000);
        assertFalse(closer.isAlive(), "close() hangs: " + exec);
        assertTrue(exec.isTerminated(), exec.toString());
    }

    @Test
    void aTaskWhoseGoroutineCannotStartIsRejectedToTheCallerAndCloseDoesNotWaitForIt() throws Exception {
        FailingSpawns exec = new FailingSpawns(2, n -> n == 1);
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class, () -> exec.execute(() -> { }));
        assertEquals("spawn 1 fails", e.getMessage(), "the caller sees spawn's own error");
        // the count is right: both permits of the bound are free again
        CountDownLatch both = new CountDownLatch(2);
        Chan<Boolean> release = Chan.make(2);
        for (int i = 0; i < 2; i++) {
            exec.execute(() -> {
                both.countDown();
                try {
                    release.receive();
                } catch (InterruptedException x) {
                    throw new RuntimeException(x);
                }
            });
        }
        assertTrue(both.await(10, TimeUnit.SECONDS), "two tasks run at once under a bound of 2");
        release.send(true);
        release.send(true);
        closeWithin10s(exec);
    }

    @Test
    void backlogTasksWhoseGoroutineCannotStartFailTheirFutureOrGoToTheHandler() throws Exception {
        AtomicReference<Throwable> seen = new AtomicReference<>();
        Go.setUncaughtExceptionHandler((g, t) -> seen.compareAndSet(null, t));
        try {
            // spawns 2 and 3 (the backlog tasks started by the first task's end) fail
            FailingSpawns exec = new FailingSpawns(1, n -> n == 2 || n == 3);
            Chan<Boolean> release = Chan.make();
            exec.execute(() -> {
                try {
                    release.receive();
                } catch (InterruptedException x) {
                    throw new RuntimeException(x);
                }
            });
            Future<Integer> submitted = exec.submit(() -> 1); // spawn 2
            AtomicInteger ran = new AtomicInteger();
            exec.execute(ran::incrementAndGet); // spawn 3
            Future<Integer> after = exec.submit(() -> 4); // spawn 4: starts
            release.send(true);
            java.util.concurrent.ExecutionException failed =
                assertThrows(java.util.concurrent.ExecutionException.class, () -> submitted.get(10, TimeUnit.SECONDS));
            assertEquals("spawn 2 fails", failed.getCause().getMessage());
            GoTestSupport.awaitTrue("the executed task's error reaches the uncaught handler", 10_000, () -> seen.get() != null);
            assertEquals("spawn 3 fails", seen.get().getMessage());
            assertEquals(4, after.get(10, TimeUnit.SECONDS), "the task after them runs");
            assertEquals(0, ran.get());
            assertEquals(5, exec.submit(() -> 5).get(10, TimeUnit.SECONDS), "the bound's permit is free again");
            closeWithin10s(exec);
        } finally {
            Go.setUncaughtExceptionHandler(null);
        }
    }

    @Test
    void theSharedExecutorIsNeverShutDown() throws Exception {
        GoExecutorService shared = Go.executor();
        assertSame(shared, Go.executor());
        assertEquals(5, shared.submit(() -> 5).get());
        shared.shutdown();
        assertTrue(shared.shutdownNow().isEmpty());
        shared.close();
        assertFalse(shared.isShutdown());
        assertFalse(shared.isTerminated());
        assertFalse(shared.awaitTermination(10, TimeUnit.MILLISECONDS), "never terminates: waits the timeout");
        assertEquals(6, shared.submit(() -> 6).get());
    }

    /**
     * Timed gets racing with completions: the timeout's timer and the completer may both try to
     * end the same wait, and a goroutine reuses its waiter for the next wait at once, so a late
     * timer must never end a later wait (Waiter.cancel's wait number). A double wake-up throws
     * in the scheduler (the goroutine fails), a lost one hangs.
     */
    @Test
    void stressTimedGetsAgainstCompletions() throws Exception {
        long seed = System.nanoTime();
        try (GoExecutorService exec = new GoExecutorService()) {
            SplittableRandom root = new SplittableRandom(seed);
            AtomicInteger timeouts = new AtomicInteger(), results = new AtomicInteger();
            List<Goroutine> gs = new ArrayList<>();
            for (int c = 0; c < 3; c++) {
                SplittableRandom rnd = root.split();
                gs.add(Go.spawn(() -> {
                    for (int i = 0; i < 1_500; i++) {
                        long taskNanos = 5_000 + rnd.nextInt(60_000);
                        Future<Integer> f = exec.submit(() -> {
                            Go.sleep(Duration.ofNanos(taskNanos));
                            return 1;
                        });
                        try {
                            try {
                                results.addAndGet(f.get(5_000 + rnd.nextInt(60_000), TimeUnit.NANOSECONDS));
                            } catch (TimeoutException e) {
                                timeouts.incrementAndGet();
                                results.addAndGet(f.get()); // the same waiter, a new wait
                            }
                        } catch (Exception e) {
                            throw new AssertionError(e);
                        }
                    }
                }));
            }
            for (Goroutine g : gs) {
                g.join();
                assertNull(g.failure(), "seed " + seed);
            }
            assertEquals(3 * 1_500, results.get(), "seed " + seed);
        } catch (Throwable t) {
            throw new AssertionError("seed " + seed, t);
        }
    }

    /**
     * Random submit / cancel / get from goroutines and a platform thread at once, bounded and
     * not: every future ends exactly one way, and the executor terminates.
     */
    @Test
    void stressSubmitCancelGet() throws Exception {
        long seed = System.nanoTime();
        try {
            for (int bound : new int[] {0, 4}) {
                GoExecutorService exec = bound == 0 ? new GoExecutorService() : new GoExecutorService(bound);
                SplittableRandom root = new SplittableRandom(seed);
                AtomicInteger ok = new AtomicInteger(), cancelled = new AtomicInteger();
                int perCaller = 400, callers = 4;
                List<Goroutine> gs = new ArrayList<>();
                for (int c = 0; c < callers; c++) {
                    SplittableRandom rnd = root.split();
                    gs.add(Go.spawn(() -> {
                        for (int i = 0; i < perCaller; i++) {
                            int v = i;
                            int kind = rnd.nextInt(3);
                            Future<Integer> f = exec.submit(() -> {
                                if (kind == 1) Go.yield();
                                if (kind == 2) Go.sleep(Duration.ofNanos(50_000));
                                return v;
                            });
                            if (rnd.nextInt(4) == 0) f.cancel(rnd.nextBoolean());
                            try {
                                assertEquals(v, f.get());
                                ok.incrementAndGet();
                            } catch (CancellationException e) {
                                cancelled.incrementAndGet();
                            } catch (Exception e) {
                                throw new AssertionError(e);
                            }
                        }
                    }));
                }
                for (Goroutine g : gs) {
                    g.join();
                    assertNull(g.failure(), "seed " + seed);
                }
                assertEquals(perCaller * callers, ok.get() + cancelled.get());
                exec.shutdown();
                assertTrue(exec.awaitTermination(10, TimeUnit.SECONDS));
            }
        } catch (Throwable t) {
            throw new AssertionError("seed " + seed, t);
        }
    }
    /**
     * Two parties running one future at once (allowed, as for FutureTask: the second returns at
     * once): cancel(true) interrupts the one that runs the task. The runner is claimed by CAS, as
     * FutureTask does: were both to store themselves as the runner, the loser possibly last,
     * cancel(true) would interrupt it and the task would sleep on.
     */
    @Test
    void cancelInterruptsTheRunnerWhenTwoRunTheFuture() throws Exception {
        int wrong = 0;
        for (int round = 0; round < 2000; round++) {
            CountDownLatch started = new CountDownLatch(1);
            GoFuture<Integer> f = new GoFuture<>(() -> {
                started.countDown();
                if (Go.current() != null) Go.sleep(Duration.ofSeconds(20)); else Thread.sleep(20_000);
                return 1;
            });
            java.util.concurrent.CyclicBarrier both = new java.util.concurrent.CyclicBarrier(2);
            Runnable runIt = () -> {
                try {
                    both.await();
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
                f.run();
            };
            Thread t = Thread.ofPlatform().daemon().start(runIt);
            Goroutine g = Go.spawn(runIt);
            started.await();
            assertTrue(f.cancel(true));
            t.join(5_000);
            if (t.isAlive() || !g.join(Duration.ofSeconds(5))) {
                wrong++;
                t.interrupt();
                g.interrupt();
                t.join();
                g.join();
            }
        }
        assertEquals(0, wrong, "cancel(true) interrupted the party that did not run the task");
    }

    /**
     * The bound's permits under everything that ends a task early: futures cancelled before
     * they start (or while running), tasks that throw, and shutdown/shutdownNow racing submits
     * from a goroutine and a platform thread. After each storm exactly n blockers must run at
     * once (a leaked permit makes fewer), never more than n ran, termination comes, and every
     * future is done unless shutdownNow returned it as never started.
     */
    @Test
    void boundedPermitsSurviveCancelsThrowsAndShutdownRaces() throws Exception {
        long seed = Long.getLong("seed", 20260604L);
        SplittableRandom r = new SplittableRandom(seed);
        for (int iter = 0; iter < 150; iter++) {
            int n = 1 + r.nextInt(4);
            String where = "seed " + seed + " iteration " + iter + " (bound " + n + ")";
            GoExecutorService exec = new GoExecutorService(n);
            AtomicInteger running = new AtomicInteger(), maxSeen = new AtomicInteger();
            java.util.concurrent.ConcurrentLinkedQueue<Future<?>> futures = new java.util.concurrent.ConcurrentLinkedQueue<>();
            long taskSeed = r.nextLong();
            Callable<Object> task = () -> {
                int now = running.incrementAndGet();
                maxSeen.accumulateAndGet(now, Math::max);
                try {
                    SplittableRandom tr = new SplittableRandom(taskSeed ^ now ^ System.nanoTime());
                    int what = tr.nextInt(4);
                    if (what == 0) throw new IllegalStateException("task fails on purpose");
                    if (what == 1) Go.yield();
                    if (what == 2) Go.sleep(Duration.ofNanos(tr.nextInt(200_000)));
                    return null;
                } finally {
                    running.decrementAndGet();
                }
            };
            // a storm of submits, some cancelled at once, from here and from a goroutine
            int m = 10 + r.nextInt(40);
            long stormSeed = r.nextLong();
            Goroutine g = Go.spawn(() -> {
                SplittableRandom gr = new SplittableRandom(stormSeed);
                for (int i = 0; i < m; i++) {
                    Future<?> f = exec.submit(task);
                    futures.add(f);
                    if (gr.nextInt(3) == 0) f.cancel(gr.nextBoolean());
                }
            });
            for (int i = 0; i < m; i++) {
                Future<?> f = exec.submit(task);
                futures.add(f);
                if (r.nextInt(3) == 0) f.cancel(r.nextBoolean());
            }
            g.join();
            for (Future<?> f : futures) {
                try {
                    f.get(10, TimeUnit.SECONDS);
                } catch (java.util.concurrent.ExecutionException | CancellationException expected) {
                    // thrown on purpose, or cancelled
                } catch (TimeoutException e) {
                    throw new AssertionError(where + ": a task never completed: " + exec, e);
                }
            }
            // exactly n at once now
            AtomicInteger blocked = new AtomicInteger();
            dev.gort.sync.WaitGroup gate = new dev.gort.sync.WaitGroup();
            gate.add(1);
            List<Future<?>> blockers = new ArrayList<>();
            for (int i = 0; i < n + 1; i++) {
                blockers.add(exec.submit(() -> {
                    int now = running.incrementAndGet();
                    maxSeen.accumulateAndGet(now, Math::max);
                    blocked.incrementAndGet();
                    try {
                        gate.await();
                    } finally {
                        running.decrementAndGet();
                    }
                    return null;
                }));
            }
            GoTestSupport.awaitTrue(where + ": " + n + " blockers running at once (" + exec + ")", 10_000, () -> blocked.get() == n);
            gate.done();
            for (Future<?> f : blockers) f.get(10, TimeUnit.SECONDS);
            assertTrue(maxSeen.get() <= n, where + ": " + maxSeen.get() + " ran at once");
            // shutdown or shutdownNow, from a platform thread, racing submits from a goroutine
            boolean now = r.nextBoolean();
            java.util.concurrent.ConcurrentLinkedQueue<Future<?>> late = new java.util.concurrent.ConcurrentLinkedQueue<>();
            Goroutine submitter = Go.spawn(() -> {
                try {
                    for (int i = 0; i < 200; i++) late.add(exec.submit(task));
                } catch (java.util.concurrent.RejectedExecutionException expected) {
                    // shut down
                }
            });
            AtomicReference<List<Runnable>> never = new AtomicReference<>(List.of());
            Thread stopper = Thread.ofPlatform().start(() -> {
                if (now) never.set(exec.shutdownNow()); else exec.shutdown();
            });
            stopper.join();
            submitter.join();
            assertTrue(exec.awaitTermination(10, TimeUnit.SECONDS), where + ": not terminated: " + exec);
            assertTrue(maxSeen.get() <= n, where + ": " + maxSeen.get() + " ran at once");
            for (Future<?> f : late) {
                assertTrue(f.isDone() || never.get().contains(f), where + ": a late task neither ran nor was returned by shutdownNow");
            }
            assertEquals(0, running.get(), where);
        }
    }
}
