package dev.gort.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gort.Go;
import dev.gort.Goroutine;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Mutex, RWMutex, Once, Cond, Semaphore: from goroutines and platform threads together. */
class SyncTest {
    @org.junit.jupiter.api.AfterEach
    void schedulerAtRest() throws InterruptedException {
        dev.gort.GoTestSupport.assertSchedulerAtRest();
    }

    /** Starts n goroutines and n platform threads running body; waits for all; rethrows failures. */
    private static void both(int n, Runnable body) throws Exception {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Runnable guarded = () -> {
            try {
                body.run();
            } catch (Throwable e) {
                failure.compareAndSet(null, e);
            }
        };
        List<Goroutine> gs = new ArrayList<>();
        List<Thread> ts = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            gs.add(Go.spawn(guarded));
            ts.add(Thread.ofPlatform().start(guarded));
        }
        for (Goroutine g : gs) g.join();
        for (Thread t : ts) t.join();
        if (failure.get() != null) throw new AssertionError(failure.get());
    }

    private static void spin(long nanos) {
        long end = System.nanoTime() + nanos;
        while (System.nanoTime() < end) Go.safepoint();
    }

    @Test
    void mutexExcludes() throws Exception {
        Mutex m = new Mutex();
        int[] counter = {0};
        AtomicInteger inside = new AtomicInteger();
        both(8, () -> {
            for (int i = 0; i < 20_000; i++) {
                m.lock();
                if (inside.incrementAndGet() != 1) throw new AssertionError("two holders");
                counter[0]++;
                inside.decrementAndGet();
                m.unlock();
            }
        });
        assertEquals(16 * 20_000, counter[0]);
        assertFalse(m.isLocked());
    }

    @Test
    void mutexMisuse() {
        Mutex m = new Mutex();
        assertThrows(IllegalStateException.class, m::unlock);
        assertTrue(m.tryLock());
        assertFalse(m.tryLock());
        m.unlock();
    }

    /**
     * Go's TestMutexFairness: one goroutine holds the lock most of the time, re-locking at once;
     * another must still get it 10 times, within 10 s (starvation mode hands it over). On one
     * processor, without starvation mode, the waiter only gets a chance when the hog is
     * preempted, almost always while holding the lock.
     */
    @Test
    void mutexStarvationModeLetsAWaiterThrough() throws Exception {
        int procs = Go.setMaxProcs(1);
        try {
            mutexFairness();
        } finally {
            Go.setMaxProcs(procs);
        }
    }

    private static void mutexFairness() throws Exception {
        Mutex m = new Mutex();
        AtomicInteger stop = new AtomicInteger();
        Goroutine hog = Go.spawn(() -> {
            while (stop.get() == 0) {
                m.lock();
                spin(100_000);
                m.unlock();
            }
        });
        Goroutine other = Go.spawn(() -> {
            for (int i = 0; i < 10; i++) {
                spin(100_000);
                m.lock();
                m.unlock();
            }
        });
        boolean finished = other.join(java.time.Duration.ofSeconds(10));
        stop.set(1);
        hog.join();
        assertTrue(finished, "the waiter starved");
    }

    @Test
    void rwMutexAllowsReadersTogetherAndWritersAlone() throws Exception {
        RWMutex rw = new RWMutex();
        AtomicInteger readers = new AtomicInteger(), writers = new AtomicInteger();
        AtomicInteger maxReaders = new AtomicInteger();
        both(6, () -> {
            for (int i = 0; i < 3_000; i++) {
                if (i % 10 == 0) {
                    rw.lock();
                    if (writers.incrementAndGet() != 1 || readers.get() != 0) throw new AssertionError("writer not alone");
                    writers.decrementAndGet();
                    rw.unlock();
                } else {
                    rw.rlock();
                    int r = readers.incrementAndGet();
                    maxReaders.accumulateAndGet(r, Math::max);
                    if (writers.get() != 0) throw new AssertionError("reader with a writer");
                    readers.decrementAndGet();
                    rw.runlock();
                }
            }
        });
        // Readers really share: several hold it at once.
        rw.rlock();
        Goroutine g = Go.spawn(() -> {
            rw.rlock();
            rw.runlock();
        });
        g.join(); // would hang if a second reader could not get in
        rw.runlock();
        assertThrows(IllegalStateException.class, rw::unlock);
        assertThrows(IllegalStateException.class, rw::runlock);
    }

    @Test
    void rwMutexWaitingWriterBlocksNewReaders() throws Exception {
        RWMutex rw = new RWMutex();
        rw.rlock();
        Goroutine writer = Go.spawn(() -> {
            rw.lock();
            rw.unlock();
        });
        dev.gort.GoTestSupport.awaitWaiting(writer);
        assertFalse(rw.tryRLock(), "a new reader overtook a waiting writer");
        rw.runlock();
        writer.join();
        assertTrue(rw.tryRLock());
        rw.runlock();
    }

    @Test
    void onceRunsOnce() throws Exception {
        Once once = new Once();
        AtomicInteger runs = new AtomicInteger();
        both(8, () -> once.run(() -> {
            spin(1_000_000);
            runs.incrementAndGet();
        }));
        assertEquals(1, runs.get());
        assertTrue(once.isDone());
        Once failing = new Once();
        assertThrows(IllegalStateException.class, () -> failing.run(() -> {
            throw new IllegalStateException("boom");
        }));
        failing.run(runs::incrementAndGet); // done despite the failure, as in Go
        assertEquals(1, runs.get());
    }

    @Test
    void condProducerConsumer() throws Exception {
        Mutex m = new Mutex();
        Cond notEmpty = new Cond(m);
        java.util.ArrayDeque<Integer> q = new java.util.ArrayDeque<>();
        AtomicInteger sum = new AtomicInteger();
        int items = 10_000;
        List<Goroutine> consumers = new ArrayList<>();
        for (int c = 0; c < 4; c++) {
            consumers.add(Go.spawn(() -> {
                for (;;) {
                    m.lock();
                    while (q.isEmpty()) notEmpty.await();
                    int v = q.poll();
                    m.unlock();
                    if (v < 0) return;
                    sum.addAndGet(v);
                }
            }));
        }
        for (int i = 1; i <= items; i++) {
            m.lock();
            q.add(i);
            notEmpty.signal();
            m.unlock();
        }
        m.lock();
        for (int c = 0; c < 4; c++) q.add(-1);
        notEmpty.broadcast();
        m.unlock();
        for (Goroutine g : consumers) g.join();
        assertEquals(items * (items + 1) / 2, sum.get());
    }

    @Test
    void semaphoreBoundsConcurrency() throws Exception {
        Semaphore sem = new Semaphore(3);
        AtomicInteger inside = new AtomicInteger(), max = new AtomicInteger();
        both(8, () -> {
            for (int i = 0; i < 500; i++) {
                try {
                    sem.acquire();
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
                max.accumulateAndGet(inside.incrementAndGet(), Math::max);
                if (i % 50 == 0) Go.yield();
                inside.decrementAndGet();
                sem.release();
            }
        });
        assertTrue(max.get() <= 3, "max inside " + max.get());
        assertEquals(3, sem.available());
        assertThrows(IllegalStateException.class, sem::release);
        assertThrows(IllegalArgumentException.class, () -> sem.acquire(4));
        assertThrows(IllegalArgumentException.class, () -> new Semaphore(-1));
    }

    @Test
    void semaphoreServesALargeRequestBeforeLaterSmallOnes() throws Exception {
        Semaphore sem = new Semaphore(4);
        sem.acquire(3);
        AtomicInteger order = new AtomicInteger();
        int[] seen = new int[2];
        Goroutine big = Go.spawn(() -> {
            try {
                sem.acquire(4);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
            seen[0] = order.incrementAndGet();
            sem.release(4);
        });
        dev.gort.GoTestSupport.awaitWaiting(big);
        assertFalse(sem.tryAcquire(1), "a small request overtook the waiting large one");
        Goroutine small = Go.spawn(() -> {
            try {
                sem.acquire(1);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
            seen[1] = order.incrementAndGet();
            sem.release(1);
        });
        dev.gort.GoTestSupport.awaitWaiting(small);
        sem.release(3);
        big.join();
        small.join();
        assertEquals(1, seen[0]);
        assertEquals(2, seen[1]);
    }

    @Test
    void interruptedPlatformAcquireGivesUp() throws Exception {
        Semaphore sem = new Semaphore(1);
        sem.acquire();
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread t = Thread.ofPlatform().start(() -> {
            try {
                sem.acquire();
            } catch (Throwable e) {
                thrown.set(e);
            }
        });
        dev.gort.GoTestSupport.awaitTrue("thread waiting", 10_000, () -> t.getState() == Thread.State.WAITING);
        t.interrupt();
        t.join();
        assertTrue(thrown.get() instanceof InterruptedException);
        sem.release();
        assertEquals(1, sem.available());
    }
    /**
     * await() without holding the mutex throws IllegalStateException and leaves the Cond as it
     * was: a throw with the Cond's own lock still held and its waiter still queued would make
     * every later signal() spin forever.
     */
    @Test
    void condAwaitWithoutTheMutexLeavesTheCondUsable() throws Exception {
        for (boolean inGoroutine : new boolean[] {false, true}) {
            Cond c = new Cond(new Mutex());
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            Runnable misuse = () -> {
                try {
                    c.await();
                } catch (Throwable t) {
                    thrown.set(t);
                }
            };
            if (inGoroutine) Go.spawn(misuse).join(); else misuse.run();
            assertTrue(thrown.get() instanceof IllegalStateException, String.valueOf(thrown.get()));
            Thread signaller = Thread.ofPlatform().daemon().start(() -> {
                c.signal();
                c.broadcast();
            });
            signaller.join(10_000);
            assertFalse(signaller.isAlive(), "signal() spins: await() left the Cond's lock held");
            Mutex m = c.mutex();
            java.util.concurrent.atomic.AtomicBoolean ready = new java.util.concurrent.atomic.AtomicBoolean();
            Goroutine waiter = Go.spawn(() -> {
                m.lock();
                while (!ready.get()) c.await();
                m.unlock();
            });
            m.lock();
            ready.set(true);
            c.broadcast();
            m.unlock();
            assertTrue(waiter.join(java.time.Duration.ofSeconds(10)), "the Cond works again");
        }
    }
}
