package dev.gort;

import dev.gort.sync.WaitGroup;
import dev.gort.time.Timer;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import javax.management.ObjectName;

/**
 * The scenarios of {@link ShutdownTest}, each run in a class loader of its own (with its own Gort:
 * a runtime stopped here is not the one the other test classes of this JVM use, and goroutines
 * they left behind do not keep it from stopping). Each scenario is a static method that throws
 * AssertionError on failure. No JUnit here: the loader sees runtime-core and this class only.
 */
public final class ShutdownScenarios {
    private ShutdownScenarios() {}

    private static void check(boolean ok, String what) {
        if (!ok) throw new AssertionError(what);
    }

    /** This loader's Gort threads still alive: gort-* threads with a frame of a class this loader loaded. */
    static List<String> gortThreads() {
        String mine = ShutdownScenarios.class.getClassLoader().getName();
        List<String> names = new ArrayList<>();
        for (var e : Thread.getAllStackTraces().entrySet()) {
            Thread t = e.getKey();
            if (!t.getName().startsWith("gort-") || !t.isAlive()) continue;
            for (StackTraceElement f : e.getValue()) {
                if (mine != null && mine.equals(f.getClassLoaderName())) {
                    names.add(t.getName());
                    break;
                }
            }
        }
        return names;
    }

    private static void noGortThreads(String when) {
        List<String> left = gortThreads();
        check(left.isEmpty(), when + ": Gort threads still alive: " + left);
    }

    /** Some work of every kind: goroutines, a channel, a WaitGroup, sleeps (timers), the shared executor. */
    static void work() throws Exception {
        AtomicInteger sum = new AtomicInteger();
        Go.run(() -> {
            Chan<Integer> c = Chan.make();
            WaitGroup wg = new WaitGroup();
            for (int i = 1; i <= 100; i++) {
                int v = i;
                wg.add(1);
                Go.spawn(() -> {
                    try {
                        Go.sleep(Duration.ofMillis(1));
                        c.send(v);
                    } catch (InterruptedException e) {
                        throw new AssertionError(e);
                    } finally {
                        wg.done();
                    }
                });
            }
            try {
                for (int i = 0; i < 100; i++) sum.addAndGet(c.receive());
                wg.await();
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        });
        check(sum.get() == 5050, "sum " + sum.get());
        Future<Integer> f = Go.executor().submit(() -> 42);
        check(f.get(10, TimeUnit.SECONDS) == 42, "executor");
    }

    /** (b) Work, shutdown, work again on a fresh runtime, shutdown again. */
    public static void restart() throws Exception {
        for (int round = 0; round < 3; round++) {
            work();
            check(Go.shutdown(Duration.ofSeconds(10)), "round " + round + ": shutdown refused: " + dev.gort.sched.Scheduler.leftOver());
            noGortThreads("round " + round);
        }
    }

    /** The MXBean is unregistered by the stop and registered again by the restart. */
    public static void mxBeanFollowsTheRuntime() throws Exception {
        var server = ManagementFactory.getPlatformMBeanServer();
        ObjectName name = new ObjectName("dev.gort:type=Scheduler");
        if (server.isRegistered(name)) {
            // Another Gort of this JVM (the test classes' own) holds the name: ours never
            // registers, and its stop must not unregister the other's.
            work();
            check(Go.shutdown(Duration.ofSeconds(10)), "shutdown");
            check(server.isRegistered(name), "the other Gort's MXBean was unregistered");
            return;
        }
        for (int round = 0; round < 2; round++) {
            work();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!server.isRegistered(name)) { // registered by the gort-jmx thread, off the caller's path
                check(System.nanoTime() < deadline, "MXBean not registered after start");
                Thread.sleep(1);
            }
            check(Go.shutdown(Duration.ofSeconds(10)), "shutdown");
            check(!server.isRegistered(name), "MXBean still registered after shutdown");
        }
    }

    /** (c) Shutdown without a runtime starts none; twice in a row; from several threads at once. */
    public static void idempotentAndConcurrent() throws Exception {
        check(Go.shutdown(Duration.ZERO), "shutdown with no runtime");
        noGortThreads("shutdown with no runtime");
        work();
        Go.shutdown();
        Go.shutdown();
        noGortThreads("two shutdowns");
        work();
        int n = 8;
        CountDownLatch go = new CountDownLatch(1);
        AtomicInteger stopped = new AtomicInteger();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            threads.add(Thread.ofPlatform().start(() -> {
                try {
                    go.await();
                    if (Go.shutdown(Duration.ofSeconds(10))) stopped.incrementAndGet();
                    noGortThreads("after a concurrent shutdown returned");
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                }
            }));
        }
        go.countDown();
        for (Thread t : threads) t.join();
        if (failure.get() != null) throw new AssertionError(failure.get());
        check(stopped.get() == n, "concurrent shutdowns that returned true: " + stopped.get() + " of " + n);
    }

    /**
     * (c) Platform threads spawn goroutines (and Go.run, and arm timers) while another shuts the
     * runtime down again and again: each spawn gets a goroutine that runs, on this runtime or the
     * next, and nothing throws or hangs.
     */
    public static void spawnRacingWithShutdown() throws Exception {
        int spawners = 3, perSpawner = 2_000;
        AtomicInteger ran = new AtomicInteger(), issued = new AtomicInteger();
        AtomicInteger stops = new AtomicInteger();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        CountDownLatch done = new CountDownLatch(spawners);
        List<Thread> threads = new ArrayList<>();
        for (int s = 0; s < spawners; s++) {
            int kind = s;
            threads.add(Thread.ofPlatform().start(() -> {
                try {
                    // Until each has done its share and the stopper has stopped the runtime a few
                    // times: on a loaded machine the spawners may finish their share before the
                    // stopper ever finds the runtime idle (the 60 s below bounds a hang).
                    for (int i = 0; i < perSpawner || stops.get() < 3; i++) {
                        issued.incrementAndGet();
                        switch (kind) {
                            case 0 -> Go.spawn(ran::incrementAndGet);
                            case 1 -> Go.run(ran::incrementAndGet);
                            default -> {
                                CountDownLatch fired = new CountDownLatch(1);
                                Timer.afterFunc(Duration.ZERO, fired::countDown); // a platform thread's timer
                                check(fired.await(10, TimeUnit.SECONDS), "a timer armed during the shutdowns never fired");
                                ran.incrementAndGet();
                            }
                        }
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                } finally {
                    done.countDown();
                }
            }));
        }
        Thread stopper = Thread.ofPlatform().start(() -> {
            try {
                while (done.getCount() > 0) {
                    if (Go.shutdown(Duration.ZERO)) stops.incrementAndGet();
                }
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            }
        });
        check(done.await(60, TimeUnit.SECONDS), "spawners hung; ran " + ran.get());
        stopper.join();
        for (Thread t : threads) t.join();
        if (failure.get() != null) throw new AssertionError(failure.get());
        check(Go.shutdown(Duration.ofSeconds(10)), "final shutdown: " + dev.gort.sched.Scheduler.leftOver());
        check(ran.get() == issued.get(), "goroutines and timers run: " + ran.get() + " of " + issued.get());
        check(stops.get() >= 3, "the runtime stopped " + stops.get() + " times during the race");
        noGortThreads("after the race");
    }

    /**
     * A goroutine still parked (or a timer still armed) keeps the runtime: shutdown says so after
     * its timeout and leaves everything working; once they are gone it stops.
     */
    public static void refusesWhileSomethingIsLeft() throws Exception {
        Chan<String> c = Chan.make();
        CountDownLatch got = new CountDownLatch(1);
        Goroutine g = Go.spawn(() -> {
            try {
                if ("bye".equals(c.receive())) got.countDown();
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        });
        check(!Go.shutdown(Duration.ofMillis(50)), "stopped with a goroutine parked");
        String left = dev.gort.sched.Scheduler.leftOver(); // what Go.shutdown()'s exception says
        check(left.startsWith("1 goroutine(s), 0 armed timer(s)"), "left over: " + left);
        c.send("bye"); // the runtime still runs: the parked goroutine gets it
        check(got.await(10, TimeUnit.SECONDS), "goroutine not woken after a refused shutdown");
        g.join();
        Timer t = Timer.start(Duration.ofHours(1));
        check(!Go.shutdown(Duration.ZERO), "stopped with a timer armed");
        t.stop();
        check(Go.shutdown(Duration.ofSeconds(10)), "not stopped once nothing was left: " + dev.gort.sched.Scheduler.leftOver());
        noGortThreads("after the refusals");
    }

    /** Waits for goroutines that end within the timeout. */
    public static void waitsForGoroutinesThatEnd() throws Exception {
        AtomicInteger ended = new AtomicInteger();
        for (int i = 0; i < 10; i++) {
            Go.spawn(() -> {
                try {
                    Go.sleep(Duration.ofMillis(100));
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
                ended.incrementAndGet();
            });
        }
        check(Go.shutdown(Duration.ofSeconds(30)), "not stopped after the goroutines ended");
        check(ended.get() == 10, "stopped before every goroutine ended: " + ended.get());
        noGortThreads("after waiting");
    }

    /**
     * After the keep-alive of idleness the idle carriers end, and the next work starts fresh ones;
     * a carrier keeping an armed timer (the timer sleeper) stays, and the timer fires.
     */
    public static void idleCarriersEndAfterTheKeepAlive() throws Exception {
        dev.gort.sched.Scheduler.setCarrierKeepAliveForTests(Duration.ofMillis(50));
        dev.gort.sched.Scheduler s = dev.gort.sched.Scheduler.get();
        for (int round = 0; round < 2; round++) {
            work(); // several carriers: the goroutines sleep, and the timers wake carriers
            long before = s.carriersForTests()[1];
            check(s.carriersForTests()[0] > 0, "no carrier started");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (s.carriersForTests()[0] != 0) { // GC-free and timer-free: the retirement is sysmon's, after 50 ms idle
                check(System.nanoTime() < deadline, "idle carriers still alive: " + gortThreads());
                Thread.sleep(5);
            }
            check(s.carriersForTests()[1] > before, "no carrier retired");
            while (gortThreads().stream().anyMatch(n -> n.startsWith("gort-m"))) { // their threads end
                check(System.nanoTime() < deadline, "retired carriers' threads still alive: " + gortThreads());
                Thread.sleep(5);
            }
        }
        // An armed timer keeps its sleeper through the idleness, and fires.
        CountDownLatch fired = new CountDownLatch(1);
        Timer t = Timer.afterFunc(Duration.ofMillis(300), fired::countDown);
        check(fired.await(30, TimeUnit.SECONDS), "a timer armed across the carriers' retirement never fired");
        check(!t.stop(), "the timer did not fire");
        work();
        check(Go.shutdown(Duration.ofSeconds(10)), "shutdown");
    }

    /**
     * A timer sleeper left watching nothing (its timer stopped after it took the role, before it
     * read the timers: a scheduler hook stops it in exactly that window) ends after the
     * keep-alive like every idle carrier; a timer armed afterwards still fires.
     */
    public static void aSleeperWatchingNothingEndsAfterTheKeepAlive() throws Exception {
        dev.gort.sched.Scheduler.setCarrierKeepAliveForTests(Duration.ofMillis(50));
        dev.gort.sched.Scheduler s = dev.gort.sched.Scheduler.get();
        work();
        CountDownLatch hooked = new CountDownLatch(1);
        AtomicReference<Timer> first = new AtomicReference<>();
        dev.gort.sched.Scheduler.setSleeperHookForTests(() -> {
            Timer t;
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10); // bounded: a failure must not wedge a carrier
            while ((t = first.get()) == null && System.nanoTime() - until < 0) Thread.onSpinWait();
            if (t != null && hooked.getCount() > 0) {
                t.stop(); // the sleeper now reads no timer at all, and sleeps until poked
                hooked.countDown();
            }
        });
        try {
            first.set(Timer.start(Duration.ofSeconds(60))); // from this platform thread: an idle M wakes and takes the role for it
            check(hooked.await(30, TimeUnit.SECONDS), "no M took the timer-sleeper role");
        } finally {
            dev.gort.sched.Scheduler.setSleeperHookForTests(null);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (s.carriersForTests()[0] != 0) { // the retirement is sysmon's, after 50 ms idle
            check(System.nanoTime() < deadline, "carriers still alive, the sleeper without a timer among them: " + gortThreads());
            Thread.sleep(5);
        }
        CountDownLatch fired = new CountDownLatch(1);
        Timer.afterFunc(Duration.ofMillis(20), fired::countDown);
        check(fired.await(30, TimeUnit.SECONDS), "a timer armed after the carriers ended never fired");
        work();
        check(Go.shutdown(Duration.ofSeconds(10)), "shutdown");
    }

    /** From a goroutine: IllegalStateException, and the runtime goes on. */
    public static void fromGoroutineThrows() throws Exception {
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Go.run(() -> {
            try {
                Go.shutdown(Duration.ZERO);
            } catch (Throwable t) {
                thrown.set(t);
            }
        });
        check(thrown.get() instanceof IllegalStateException && thrown.get().getMessage().contains("from a goroutine"),
            "from a goroutine: " + thrown.get());
        work();
        check(Go.shutdown(Duration.ofSeconds(10)), "shutdown");
    }

    /** A platform thread blocked in a channel receive across a shutdown is woken by a goroutine of the next runtime. */
    public static void platformThreadInChannelOp() throws Exception {
        work();
        Chan<String> c = Chan.make();
        AtomicReference<String> got = new AtomicReference<>();
        Thread reader = Thread.ofPlatform().start(() -> {
            try {
                got.set(c.receive());
            } catch (InterruptedException e) {
                got.set("interrupted");
            }
        });
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (reader.getState() != Thread.State.WAITING) { // parked in the receive
            check(System.nanoTime() < deadline, "the reader never parked: " + reader.getState());
            Thread.onSpinWait();
        }
        check(Go.shutdown(Duration.ofSeconds(10)), "a platform thread's wait kept the runtime");
        noGortThreads("with a platform thread in a receive");
        Go.run(() -> {
            try {
                c.send("hello");
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        });
        reader.join(10_000);
        check("hello".equals(got.get()), "the platform reader got " + got.get());
        check(Go.shutdown(Duration.ofSeconds(10)), "shutdown");
    }
}
