package dev.gort;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gort.sync.Mutex;
import dev.gort.sync.Semaphore;
import dev.gort.sync.WaitGroup;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Goroutine interrupts: every interruptible Gort wait throws InterruptedException when its
 * goroutine is interrupted while waiting or would wait with the status set, status cleared; a
 * hand-off that won the race is never lost; executor tasks' interrupts reach the carrier thread
 * and never leak to another goroutine.
 */
class InterruptTest {
    @AfterEach
    void atRest() throws InterruptedException {
        GoTestSupport.assertSchedulerAtRest();
        GoTestSupport.awaitTrue("no timer left armed", 10_000, () -> dev.gort.sched.Scheduler.get().pendingTimers() == 0);
    }

    interface Wait {
        void run() throws Exception;
    }

    /** What a goroutine's wait ended with, and its interrupt status after. */
    record Outcome(Throwable thrown, boolean interruptedAfter) {}

    private static Goroutine spawnWait(Wait wait, AtomicReference<Outcome> out) {
        return Go.spawn(() -> {
            Throwable thrown = null;
            try {
                wait.run();
            } catch (Throwable t) {
                thrown = t;
            }
            out.set(new Outcome(thrown, Go.current().isInterrupted()));
        });
    }

    /** Parks a goroutine in wait, interrupts it, and checks InterruptedException with the status cleared. */
    private static void assertInterruptsWait(Wait wait) throws Exception {
        AtomicReference<Outcome> out = new AtomicReference<>();
        Goroutine g = spawnWait(wait, out);
        GoTestSupport.awaitTrue("goroutine waiting", 10_000, () -> g.state() == Goroutine.State.WAITING);
        g.interrupt();
        g.join();
        assertInstanceOf(InterruptedException.class, out.get().thrown());
        assertFalse(out.get().interruptedAfter(), "status cleared by the throw");
    }

    /** A goroutine whose status is set on entry gets InterruptedException without waiting. */
    private static void assertThrowsWhenSetOnEntry(Wait wait) throws Exception {
        AtomicReference<Outcome> out = new AtomicReference<>();
        Goroutine g = Go.spawn(() -> {
            Go.current().interrupt();
            Throwable thrown = null;
            try {
                wait.run();
            } catch (Throwable t) {
                thrown = t;
            }
            out.set(new Outcome(thrown, Go.current().isInterrupted()));
        });
        g.join();
        assertInstanceOf(InterruptedException.class, out.get().thrown());
        assertFalse(out.get().interruptedAfter());
    }

    @Test
    void channelReceiveAndSend() throws Exception {
        Chan<Integer> unbuffered = Chan.make();
        Chan<Integer> full = Chan.make(1);
        full.send(1);
        assertInterruptsWait(unbuffered::receive);
        assertInterruptsWait(() -> unbuffered.send(7));
        assertInterruptsWait(() -> full.send(2));
        assertThrowsWhenSetOnEntry(unbuffered::receive);
        assertThrowsWhenSetOnEntry(() -> full.send(2));
        // The interrupted waiters left nothing behind: the channels work as before.
        assertEquals(0, unbuffered.queuedReceivers() + unbuffered.queuedSenders());
        assertEquals(0, full.queuedSenders());
        assertEquals(1, full.tryReceive());
    }

    @Test
    void selectSleepWaitGroupSemaphore() throws Exception {
        Chan<Integer> a = Chan.make(), b = Chan.make();
        assertInterruptsWait(() -> new Select().recv(a, v -> {}).recv(b, v -> {}).run());
        assertInterruptsWait(() -> new Select().recv(a, v -> {}).after(Duration.ofSeconds(30), () -> {}).run());
        assertInterruptsWait(() -> Go.sleep(Duration.ofSeconds(30)));
        WaitGroup wg = new WaitGroup();
        wg.add(1);
        assertInterruptsWait(wg::await);
        Semaphore sem = new Semaphore(1);
        sem.acquire();
        assertInterruptsWait(sem::acquire);
        Goroutine forever = Go.spawn(() -> {
            try {
                Chan.<Integer>make().receive();
            } catch (InterruptedException e) {
                // ended by the interrupt below
            }
        });
        assertInterruptsWait(forever::join);
        assertThrowsWhenSetOnEntry(forever::join);
        forever.interrupt();
        forever.join();
        assertThrowsWhenSetOnEntry(() -> Go.sleep(Duration.ofMillis(1)));
        assertThrowsWhenSetOnEntry(() -> new Select().recv(a, v -> {}).run());
        assertThrowsWhenSetOnEntry(wg::await);
        assertEquals(0, a.queuedReceivers() + b.queuedReceivers());
        sem.release();
        assertTrue(sem.tryAcquire(1), "the interrupted acquirer took nothing");
        wg.done();
    }

    @Test
    void anInterruptEndsAChannelIterationWithTheGoroutinesStatusSet() throws Exception {
        Chan<Integer> ch = Chan.make(1);
        ch.send(1);
        AtomicReference<String> seen = new AtomicReference<>();
        Goroutine g = Go.spawn(() -> {
            int n = 0;
            for (int v : ch) n += v;
            seen.set(n + " " + Go.current().isInterrupted() + " " + carrierFlag());
        });
        GoTestSupport.awaitTrue("iterator waiting", 10_000, () -> g.state() == Goroutine.State.WAITING);
        g.interrupt();
        g.join();
        assertEquals("1 true false", seen.get(), "the goroutine's status, not its carrier's");
    }

    private static boolean carrierFlag() {
        return Thread.currentThread().isInterrupted();
    }

    @Test
    void goInterruptedTestsAndClears() throws Exception {
        AtomicReference<String> seen = new AtomicReference<>();
        Go.spawn(() -> {
            Goroutine me = Go.current();
            boolean before = Go.interrupted();
            me.interrupt();
            boolean set = me.isInterrupted();
            boolean first = Go.interrupted();
            boolean second = Go.interrupted();
            seen.set(before + " " + set + " " + first + " " + second);
        }).join();
        assertEquals("false true true false", seen.get());
    }

    @Test
    void mutexWaitIsNotInterruptedButKeepsTheStatus() throws Exception {
        Mutex mu = new Mutex();
        mu.lock();
        AtomicReference<Outcome> out = new AtomicReference<>();
        Goroutine g = spawnWait(() -> {
            mu.lock();
            mu.unlock();
        }, out);
        GoTestSupport.awaitTrue("goroutine waiting", 10_000, () -> g.state() == Goroutine.State.WAITING);
        g.interrupt();
        assertEquals(Goroutine.State.WAITING, g.state(), "still waiting for the mutex");
        mu.unlock();
        g.join();
        assertNull(out.get().thrown());
        assertTrue(out.get().interruptedAfter(), "the status stays set for the next interruptible wait");
    }

    @Test
    void anInterruptAfterTheHandOffDoesNotUndoIt() throws Exception {
        Chan<Integer> ch = Chan.make();
        AtomicReference<Object> got = new AtomicReference<>();
        Goroutine receiver = Go.spawn(() -> {
            try {
                got.set(ch.receive());
            } catch (Throwable t) {
                got.set(t);
            }
        });
        GoTestSupport.awaitTrue("receiver waiting", 10_000, () -> receiver.state() == Goroutine.State.WAITING);
        ch.send(42); // handed over: the receiver is readied with the value
        receiver.interrupt();
        receiver.join();
        assertEquals(42, got.get());
    }

    /**
     * Races interrupts against hand-offs: values 1..N go through an unbuffered channel while both
     * the sender and the receiver are interrupted at random; interrupted sends are retried. Every
     * value must arrive exactly once and in order (a value handed over is never lost, a wait is
     * never readied twice, which would throw in the scheduler).
     */
    @Test
    void stressInterruptsAgainstHandOffs() throws Exception {
        long seed = System.nanoTime();
        int n = 20_000;
        try {
            Chan<Integer> ch = Chan.make();
            List<Integer> received = new ArrayList<>(n);
            AtomicBoolean done = new AtomicBoolean();
            AtomicInteger interrupts = new AtomicInteger();
            Goroutine receiver = Go.spawn(() -> {
                while (received.size() < n) {
                    try {
                        received.add(ch.receive());
                    } catch (InterruptedException e) {
                        // retry
                    }
                }
                Go.interrupted();
            });
            Goroutine sender = Go.spawn(() -> {
                // On one P the pair can hand all n values over through runnext before the
                // interrupter is ever scheduled (seen once: no interrupt at all, the last assert
                // failed): start only once it runs.
                while (interrupts.get() == 0) Go.yield();
                for (int i = 1; i <= n; ) {
                    try {
                        ch.send(i);
                        i++;
                    } catch (InterruptedException e) {
                        // not sent: retry the same value
                    }
                }
                Go.interrupted();
            });
            Goroutine interrupter = Go.spawn(() -> {
                SplittableRandom rnd = new SplittableRandom(seed);
                while (!done.get()) {
                    (rnd.nextBoolean() ? receiver : sender).interrupt();
                    interrupts.incrementAndGet();
                    if (rnd.nextInt(4) == 0) Go.yield();
                }
            });
            sender.join();
            receiver.join();
            done.set(true);
            interrupter.join();
            for (Goroutine g : List.of(sender, receiver, interrupter)) assertNull(g.failure(), g + " failed");
            assertEquals(n, received.size());
            for (int i = 0; i < n; i++) assertEquals(i + 1, received.get(i));
            assertTrue(interrupts.get() > 0);
        } catch (Throwable t) {
            throw new AssertionError("seed " + seed, t);
        }
    }

    /**
     * Joins racing with interrupts and with the joined goroutine's end: a join either returns
     * with the goroutine dead or throws InterruptedException with it maybe still running; never
     * a double wake-up (the scheduler would throw) or a lost one (a hang).
     */
    @Test
    void stressInterruptsAgainstJoins() throws Exception {
        long seed = System.nanoTime();
        try {
            AtomicInteger joined = new AtomicInteger(), interrupted = new AtomicInteger();
            Goroutine joiner = Go.spawn(() -> {
                SplittableRandom rnd = new SplittableRandom(seed);
                for (int i = 0; i < 3_000; i++) {
                    int work = rnd.nextInt(3);
                    Goroutine target = Go.spawn(() -> {
                        for (int k = 0; k < work; k++) Go.yield();
                    });
                    for (;;) {
                        try {
                            target.join();
                            if (target.isAlive()) throw new AssertionError("join returned early");
                            joined.incrementAndGet();
                            break;
                        } catch (InterruptedException e) {
                            interrupted.incrementAndGet();
                        }
                    }
                }
                Go.interrupted();
            });
            AtomicBoolean done = new AtomicBoolean();
            Goroutine interrupter = Go.spawn(() -> {
                SplittableRandom rnd = new SplittableRandom(seed + 1);
                while (!done.get()) {
                    joiner.interrupt();
                    for (int k = rnd.nextInt(3); k > 0; k--) Go.yield();
                }
            });
            joiner.join();
            done.set(true);
            interrupter.join();
            for (Goroutine g : List.of(joiner, interrupter)) assertNull(g.failure(), g + " failed");
            assertEquals(3_000, joined.get());
        } catch (Throwable t) {
            throw new AssertionError("seed " + seed, t);
        }
    }

    /** The same race for sleeps and selects with timeouts: a wake is never doubled or lost. */
    @Test
    void stressInterruptsAgainstTimers() throws Exception {
        long seed = System.nanoTime();
        try {
            int rounds = 2_000;
            AtomicInteger interrupted = new AtomicInteger(), completed = new AtomicInteger();
            AtomicBoolean done = new AtomicBoolean();
            Goroutine sleeper = Go.spawn(() -> {
                Chan<Integer> never = Chan.make();
                for (int i = 0; i < rounds; i++) {
                    try {
                        if (i % 2 == 0) Go.sleep(Duration.ofNanos(20_000 + (i % 7) * 10_000));
                        else new Select().recv(never, v -> {}).after(Duration.ofNanos(30_000), () -> {}).run();
                        completed.incrementAndGet();
                    } catch (InterruptedException e) {
                        interrupted.incrementAndGet();
                    }
                }
                Go.interrupted();
            });
            Goroutine interrupter = Go.spawn(() -> {
                SplittableRandom rnd = new SplittableRandom(seed);
                while (!done.get()) {
                    sleeper.interrupt();
                    for (int k = rnd.nextInt(3); k > 0; k--) Go.yield();
                }
            });
            sleeper.join();
            done.set(true);
            interrupter.join();
            for (Goroutine g : List.of(sleeper, interrupter)) assertNull(g.failure(), g + " failed");
            assertEquals(rounds, interrupted.get() + completed.get());
        } catch (Throwable t) {
            throw new AssertionError("seed " + seed, t);
        }
    }

    /**
     * Executor tasks: an interrupt reaches JDK blocking code on the carrier, and is cleared when
     * the goroutine unmounts. On one processor, short goroutines that run on the carriers
     * between and after the cancelled tasks never see a carrier's flag. (Each check reads
     * Thread.currentThread() once, in a fresh goroutine: a compiled loop may keep one read of it
     * across yields, see the dev.gort package documentation.)
     */
    @Test
    void carrierInterruptNeverLeaksToOtherGoroutines() throws Exception {
        GoTestSupport.withMaxProcs(1, () -> {
            long seed = System.nanoTime();
            try (GoExecutorService exec = new GoExecutorService()) {
                AtomicInteger leaks = new AtomicInteger(), checks = new AtomicInteger();
                AtomicBoolean stop = new AtomicBoolean();
                Goroutine spawner = Go.spawn(() -> {
                    while (!stop.get()) {
                        Go.spawn(() -> {
                            checks.incrementAndGet();
                            if (Thread.currentThread().isInterrupted()) leaks.incrementAndGet();
                        });
                        Go.yield();
                    }
                });
                SplittableRandom rnd = new SplittableRandom(seed);
                AtomicInteger sawInterrupt = new AtomicInteger(), started = new AtomicInteger();
                int tasks = 300;
                for (int i = 0; i < tasks; i++) {
                    boolean yieldFirst = rnd.nextBoolean();
                    var f = exec.submit(() -> {
                        started.incrementAndGet();
                        if (yieldFirst) Go.yield(); // unmount and remount once
                        // Thread-pool style: block the carrier until the thread is interrupted.
                        while (!Thread.currentThread().isInterrupted()) {
                            java.util.concurrent.locks.LockSupport.parkNanos(200_000);
                        }
                        sawInterrupt.incrementAndGet();
                        return null;
                    });
                    int spin = rnd.nextInt(200);
                    for (int k = 0; k < spin; k++) Thread.onSpinWait();
                    f.cancel(true);
                }
                GoTestSupport.awaitTrue("cancelled tasks ended", 10_000, () -> exec.toString().contains("running tasks = 0"));
                stop.set(true);
                spawner.join();
                assertEquals(started.get(), sawInterrupt.get(), "every started task saw its interrupt (seed " + seed + ")");
                assertTrue(checks.get() > 0);
                assertEquals(0, leaks.get(), "carrier flag seen by an unrelated goroutine (seed " + seed + ")");
            }
        });
    }

    /**
     * A plain goroutine that interrupts its carrier (Java's idiom) parks in a future's get: its
     * flag becomes its own status at the park (that get throws: InterruptIdiomTest), and an
     * executor task mounted on the carrier meanwhile must not see it.
     */
    @Test
    void aStrayCarrierFlagDoesNotReachAnExecutorTask() throws Exception {
        GoTestSupport.withMaxProcs(1, () -> {
            try (GoExecutorService exec = new GoExecutorService()) {
                for (int i = 0; i < 20; i++) {
                    AtomicReference<Object> seen = new AtomicReference<>();
                    Go.spawn(() -> {
                        Thread.currentThread().interrupt(); // the carrier's flag, taken at the park below
                        try {
                            // On one P the task runs next on this carrier, while this goroutine is parked.
                            var f = exec.submit(() -> Thread.currentThread().isInterrupted());
                            try {
                                f.get();
                            } catch (InterruptedException e) {
                                // the flag, become this goroutine's status at the park
                            }
                            seen.set(f.get());
                        } catch (Throwable t) {
                            seen.set(t);
                        } finally {
                            Go.interrupted(); // leave nothing behind for other tests, whatever happened
                        }
                    }).join();
                    assertEquals(false, seen.get(), "round " + i);
                }
            }
        });
    }

    @Test
    void cancelReachesThreadSleepAndLatchAwaitInATask() throws Exception {
        try (GoExecutorService exec = new GoExecutorService()) {
            for (int kind = 0; kind < 2; kind++) {
                CountDownLatch started = new CountDownLatch(1);
                CountDownLatch never = new CountDownLatch(1);
                AtomicReference<Throwable> thrown = new AtomicReference<>();
                int k = kind;
                var f = exec.submit(() -> {
                    started.countDown();
                    try {
                        if (k == 0) Thread.sleep(60_000); else never.await();
                    } catch (Throwable t) {
                        thrown.set(t);
                    }
                    return null;
                });
                assertTrue(started.await(10, TimeUnit.SECONDS));
                GoTestSupport.awaitTrue("task blocked", 10_000, () -> f.isDone() || f.state() == java.util.concurrent.Future.State.RUNNING);
                f.cancel(true);
                GoTestSupport.awaitTrue("task interrupted", 10_000, () -> thrown.get() != null);
                assertInstanceOf(InterruptedException.class, thrown.get());
            }
        }
    }
    /**
     * One interrupt ends one wait. A goroutine receives in a loop from a channel, and counts the
     * InterruptedExceptions it gets; a feeder goroutine sends whenever it waits there (so that
     * each receive parks, and sees the interrupt); a platform thread interrupts the receiver and
     * waits for its count to go up by one before the next interrupt. The goroutine reuses one
     * waiter, and a wait that ended normally stays installed for an interrupter to find: an
     * interrupter that arrives late, after the goroutine has already thrown for this interrupt
     * (its next wait saw the status at once) and queued the same waiter again, must not end that
     * next wait too (which shows as, e.g., 56,625 exceptions after 56,624 interrupts). Run from
     * the test's platform thread, which joins everything without holding a carrier.
     */
    @Test
    void oneInterruptEndsOneWait() throws Exception {
        int pairs = 6, rounds = 60_000;
        List<String> errors = java.util.Collections.synchronizedList(new ArrayList<>());
        List<Goroutine> gs = new ArrayList<>();
        List<Thread> interrupters = new ArrayList<>();
        for (int p = 0; p < pairs; p++) {
            Chan<Integer> ch = Chan.make();
            AtomicInteger exceptions = new AtomicInteger();
            AtomicBoolean stop = new AtomicBoolean();
            gs.add(Go.spawn(() -> { // the feeder
                try {
                    for (int i = 0; !stop.get(); i++) {
                        if (ch.queuedReceivers() == 0) {
                            Go.yield();
                        } else {
                            ch.send(i);
                        }
                    }
                    ch.close();
                } catch (InterruptedException e) {
                    throw new RuntimeException(e);
                }
            }));
            Goroutine target = Go.spawn(() -> {
                for (;;) {
                    try {
                        if (ch.receiveOrNull() == null) return;
                    } catch (InterruptedException e) {
                        exceptions.incrementAndGet();
                    }
                }
            });
            gs.add(target);
            int pair = p;
            Thread t = new Thread(() -> {
                try {
                    for (int i = 1; i <= rounds; i++) {
                        target.interrupt();
                        int e;
                        long deadline = System.nanoTime() + 10_000_000_000L;
                        while ((e = exceptions.get()) < i) {
                            if (System.nanoTime() - deadline > 0) {
                                errors.add("pair " + pair + ": interrupt " + i + " ended no wait in 10 s");
                                return;
                            }
                            Thread.onSpinWait();
                        }
                        if (e > i) {
                            errors.add("pair " + pair + ": " + e + " InterruptedExceptions after " + i + " interrupts");
                            return;
                        }
                    }
                } finally {
                    stop.set(true);
                }
            });
            t.start();
            interrupters.add(t);
        }
        for (Thread t : interrupters) t.join();
        for (Goroutine g : gs) g.join();
        assertTrue(errors.isEmpty(), errors.toString());
    }
    /**
     * A platform thread's wait that a waker has already completed is not undone by an interrupt.
     * The waker unlinks the waiter and hands it a value or a permit under the queue's lock, and
     * marks it woken just after unlocking. A waiter interrupted in between asks whether it is
     * still linked, not whether it was woken: one that threw because it was not yet marked would
     * lose the handed value or permit (or, for a send, have the value the receiver already has
     * sent again by a retrying sender). Each test interrupts the waiting thread non-stop.
     */
    @Test
    void platformReceiveInterruptedWhileHandedAValueKeepsIt() throws Exception {
        for (int round = 0; round < 10; round++) {
            Chan<Integer> c = Chan.make();
            int n = 20_000;
            AtomicInteger got = new AtomicInteger();
            java.util.concurrent.atomic.AtomicLong sum = new java.util.concurrent.atomic.AtomicLong();
            AtomicBoolean stop = new AtomicBoolean();
            Thread receiver = Thread.ofPlatform().daemon().start(() -> {
                for (;;) {
                    try {
                        Integer v = c.receiveOrNull();
                        if (v == null) return;
                        got.incrementAndGet();
                        sum.addAndGet(v);
                    } catch (InterruptedException e) {
                        // nothing was received: receive again
                    }
                }
            });
            Thread interrupter = interruptNonStop(stop, receiver);
            Goroutine sender = Go.spawn(() -> {
                try {
                    for (int i = 1; i <= n; i++) c.send(i);
                } catch (InterruptedException e) {
                    throw new RuntimeException(e);
                }
            });
            sender.join();
            stop.set(true);
            interrupter.join();
            c.close();
            receiver.join();
            assertEquals(n, got.get(), "round " + round + ": values lost");
            assertEquals((long) n * (n + 1) / 2, sum.get());
        }
    }

    @Test
    void platformSendInterruptedAfterItsValueWasTakenIsNotRepeated() throws Exception {
        for (int round = 0; round < 10; round++) {
            Chan<Integer> c = Chan.make();
            int n = 20_000;
            AtomicBoolean stop = new AtomicBoolean();
            Thread sender = Thread.ofPlatform().daemon().start(() -> {
                for (int i = 1; i <= n + 1; i++) {
                    int v = i <= n ? i : -1;
                    for (;;) {
                        try {
                            c.send(v);
                            break;
                        } catch (InterruptedException e) {
                            // not delivered: send it again
                        }
                    }
                }
            });
            Thread interrupter = interruptNonStop(stop, sender);
            List<Integer> twice = new ArrayList<>();
            AtomicInteger got = new AtomicInteger();
            Goroutine receiver = Go.spawn(() -> {
                try {
                    int last = 0;
                    for (int v; (v = c.receive()) != -1; last = v) {
                        if (v == last) twice.add(v);
                        got.incrementAndGet();
                    }
                } catch (InterruptedException e) {
                    throw new RuntimeException(e);
                }
            });
            receiver.join();
            stop.set(true);
            interrupter.join();
            sender.join();
            assertEquals(List.of(), twice, "round " + round + ": values delivered twice");
            assertEquals(n, got.get());
        }
    }

    @Test
    void platformAcquireInterruptedAfterItsGrantKeepsThePermit() throws Exception {
        for (int round = 0; round < 10; round++) {
            Semaphore s = new Semaphore(2);
            AtomicBoolean stop = new AtomicBoolean();
            Thread[] ts = new Thread[3];
            for (int k = 0; k < ts.length; k++) {
                ts[k] = Thread.ofPlatform().daemon().start(() -> {
                    while (!stop.get()) {
                        try {
                            s.acquire();
                        } catch (InterruptedException e) {
                            continue; // not acquired
                        }
                        s.release();
                    }
                });
            }
            Thread interrupter = interruptNonStop(stop, ts);
            long end = System.nanoTime() + 200_000_000L; // 200 ms of acquires racing interrupts
            while (System.nanoTime() - end < 0) Thread.onSpinWait();
            stop.set(true);
            interrupter.join();
            for (Thread t : ts) {
                t.join(10_000);
                assertFalse(t.isAlive(), "round " + round + ": a thread waits forever, available=" + s.available());
            }
            assertEquals(2, s.available(), "round " + round + ": permits leaked");
        }
    }
    /** A daemon platform thread that interrupts the targets over and over until stop is set. */
    private static Thread interruptNonStop(AtomicBoolean stop, Thread... targets) {
        return Thread.ofPlatform().daemon().start(() -> {
            while (!stop.get()) {
                for (Thread t : targets) t.interrupt();
                Thread.onSpinWait();
            }
        });
    }
}
