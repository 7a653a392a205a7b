package dev.gort.usercode;

import dev.gort.Go;
import dev.gort.Goroutine;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * "Application code" for SafepointAgentTest's monitor test, run in a child JVM with the agent:
 * goroutines that sleep (Thread.sleep, redirected to Go.sleep) inside a synchronized block, and
 * goroutines preempted at the agent's polls inside a synchronized method, holding a
 * ReentrantLock (lock/unlock) and holding a ReentrantReadWriteLock's write lock taken through the
 * Lock interface (tryLock with a timeout). Each critical section
 * counts the goroutines inside it and notes whether its goroutine changed carriers; main prints
 * the largest count (1 when the monitor excludes) and the number of moves.
 */
public final class AgentMonitorFixture {
    static final Object LOCK = new Object();
    /** Goroutines inside each of the two monitors (LOCK's and the shared instance's). */
    static final AtomicInteger insideLock = new AtomicInteger(), insideThis = new AtomicInteger();
    static final java.util.concurrent.locks.ReentrantLock JDK_LOCK = new java.util.concurrent.locks.ReentrantLock();
    static final java.util.concurrent.locks.Lock WRITE_LOCK = new java.util.concurrent.locks.ReentrantReadWriteLock().writeLock();
    static final AtomicInteger insideJdkLock = new AtomicInteger(), insideWriteLock = new AtomicInteger();
    static final AtomicInteger maxInside = new AtomicInteger(), moved = new AtomicInteger();
    static long sink;

    private static void enter(AtomicInteger inside) {
        int n = inside.incrementAndGet();
        maxInside.accumulateAndGet(n, Math::max);
    }

    /** Sleeps the JDK's way while holding LOCK: the agent makes it a Go.sleep, a park. */
    static void sleepHoldingTheMonitor() throws InterruptedException {
        synchronized (LOCK) {
            enter(insideLock);
            Thread before = Thread.currentThread();
            Thread.sleep(5);
            if (Thread.currentThread() != before) moved.incrementAndGet();
            insideLock.decrementAndGet();
        }
    }

    /** Spins past a time slice while holding the object's monitor: sysmon asks it to yield at a poll. */
    synchronized void spinHoldingTheMonitor() {
        spinPastASlice(insideThis);
    }

    /** The same holding a ReentrantLock: the agent rewrites lock() and unlock(). */
    static void spinHoldingAJdkLock() {
        JDK_LOCK.lock();
        try {
            spinPastASlice(insideJdkLock);
        } finally {
            JDK_LOCK.unlock();
        }
    }

    /** The same holding a write lock taken through the Lock interface, with tryLock(time, unit). */
    static void spinHoldingAWriteLock() throws InterruptedException {
        if (!WRITE_LOCK.tryLock(20, java.util.concurrent.TimeUnit.SECONDS)) throw new IllegalStateException("tryLock timed out");
        try {
            spinPastASlice(insideWriteLock);
        } finally {
            WRITE_LOCK.unlock();
        }
    }

    /** Counts itself inside, spins 25 ms (two time slices: polls at the loop's back-edge), notes a carrier change. */
    private static void spinPastASlice(AtomicInteger inside) {
        enter(inside);
        Thread before = Thread.currentThread();
        long x = 1;
        long end = System.nanoTime() + 25_000_000L;
        while (System.nanoTime() < end) x = x * 6364136223846793005L + 1442695040888963407L;
        sink += x;
        if (Thread.currentThread() != before) moved.incrementAndGet();
        inside.decrementAndGet();
    }

    public static void main(String[] args) throws Exception {
        Thread watchdog = Thread.ofPlatform().daemon().start(() -> {
            try {
                Thread.sleep(30_000);
            } catch (InterruptedException e) {
                return;
            }
            System.out.println("hung: maxInside=" + maxInside.get() + " moved=" + moved.get() + "\n" + Go.dump());
            System.out.flush();
            Runtime.getRuntime().halt(1);
        });
        AgentMonitorFixture shared = new AgentMonitorFixture();
        Go.run(() -> {
            try {
                List<Goroutine> gs = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    gs.add(Go.spawn(() -> {
                        try {
                            for (int k = 0; k < 4; k++) sleepHoldingTheMonitor();
                        } catch (InterruptedException e) {
                            throw new IllegalStateException(e);
                        }
                    }));
                    gs.add(Go.spawn(() -> {
                        for (int k = 0; k < 2; k++) shared.spinHoldingTheMonitor();
                    }));
                    gs.add(Go.spawn(() -> {
                        for (int k = 0; k < 2; k++) spinHoldingAJdkLock();
                    }));
                    gs.add(Go.spawn(() -> {
                        try {
                            for (int k = 0; k < 2; k++) spinHoldingAWriteLock();
                        } catch (InterruptedException e) {
                            throw new IllegalStateException(e);
                        }
                    }));
                }
                for (Goroutine g : gs) {
                    g.join();
                    if (g.failure() != null) throw new IllegalStateException("goroutine failed", g.failure());
                }
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        watchdog.interrupt();
        System.out.println("done: maxInside=" + maxInside.get() + " moved=" + moved.get() + " preemptions=" + Go.metrics().preemptions());
    }
}
