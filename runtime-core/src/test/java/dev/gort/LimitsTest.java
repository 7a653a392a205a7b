package dev.gort;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gort.sched.Scheduler;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The runtime's limits: processors, threads; out-of-range settings are clear errors. */
class LimitsTest {

    /** Child JVM: starts the runtime with the properties given on its command line (or runs the program named by args[0]). */
    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("locked")) {
            lockedGoroutinesAtTheThreadLimit();
            return;
        }
        try {
            Go.run(() -> { });
            System.out.println("started with maxProcs " + Go.maxProcs());
            System.exit(0);
        } catch (IllegalArgumentException e) {
            System.out.println(e.getMessage());
            System.exit(3);
        }
    }

    /** Runs this class's main (or {@code mainClass}) in a child JVM with the runtime's flags and {@code jvmArgs}. */
    static ChildResult runChild(List<String> jvmArgs, String mainClass, String... args) throws Exception {
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        List<String> cmd = new ArrayList<>(List.of(java, "--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED",
            "--enable-native-access=ALL-UNNAMED"));
        cmd.addAll(jvmArgs);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), mainClass));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        // Read on another thread, so that a hung child is killed at the deadline and not waited for.
        StringBuilder out = new StringBuilder();
        Thread reader = Thread.ofPlatform().daemon().start(() -> {
            try {
                String s = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                synchronized (out) {
                    out.append(s);
                }
            } catch (java.io.IOException ignored) {
                // the child was killed
            }
        });
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            reader.join(5_000);
            synchronized (out) {
                return new ChildResult(-1, out.toString());
            }
        }
        reader.join(10_000);
        synchronized (out) {
            return new ChildResult(p.exitValue(), out.toString());
        }
    }

    record ChildResult(int exit, String out) {}

    /**
     * The child program of {@link #lockingBeyondTheThreadLimitFailsLoudlyAndNobodyStarves}
     * (-Dgort.maxthreads=50 -Dgort.maxprocs=2): 100 goroutines try to lock their thread, then
     * sleep and wait on a channel; while they wait, 1,000 ordinary goroutines sleep and hand
     * values around. Prints what happened; a hang prints the dump and exits 4.
     */
    static void lockedGoroutinesAtTheThreadLimit() throws Exception {
        Thread.ofPlatform().daemon().start(() -> {
            try {
                Thread.sleep(20_000);
            } catch (InterruptedException e) {
                return;
            }
            System.out.println("HUNG\n" + Go.dump());
            System.exit(4);
        });
        java.util.concurrent.atomic.AtomicInteger locked = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicInteger rejected = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicReference<String> message = new java.util.concurrent.atomic.AtomicReference<>();
        Go.run(() -> {
            try {
                Chan<Object> gate = Chan.make();
                dev.gort.sync.WaitGroup waiting = new dev.gort.sync.WaitGroup();
                dev.gort.sync.WaitGroup done = new dev.gort.sync.WaitGroup();
                for (int i = 0; i < 100; i++) {
                    waiting.add(1);
                    done.add(1);
                    Go.spawn(() -> {
                        boolean mine = false;
                        try {
                            Go.lockOSThread();
                            mine = true;
                            locked.incrementAndGet();
                        } catch (IllegalStateException e) {
                            rejected.incrementAndGet();
                            message.compareAndSet(null, e.getMessage());
                        }
                        try {
                            Go.sleep(Duration.ofMillis(5));
                            waiting.done();
                            gate.receiveOrNull(); // until closed
                        } catch (InterruptedException e) {
                            throw new AssertionError(e);
                        } finally {
                            if (mine) Go.unlockOSThread();
                            done.done();
                        }
                    });
                }
                waiting.await();
                // Every locked goroutine blocks a carrier now: the others still run.
                dev.gort.sync.WaitGroup ordinary = new dev.gort.sync.WaitGroup();
                Chan<Integer> ping = Chan.make();
                for (int i = 0; i < 1_000; i++) {
                    ordinary.add(2);
                    Go.spawn(() -> {
                        try {
                            Go.sleep(Duration.ofMillis(1));
                            ping.send(1);
                        } catch (InterruptedException e) {
                            throw new AssertionError(e);
                        }
                        ordinary.done();
                    });
                    Go.spawn(() -> {
                        try {
                            ping.receive();
                        } catch (InterruptedException e) {
                            throw new AssertionError(e);
                        }
                        ordinary.done();
                    });
                }
                ordinary.await();
                System.out.println("ordinary goroutines done");
                gate.close();
                done.await();
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        });
        System.out.println("locked=" + locked.get() + " rejected=" + rejected.get());
        System.out.println("message: " + message.get());
        System.exit(0);
    }

    @Test
    void lockingBeyondTheThreadLimitFailsLoudlyAndNobodyStarves() throws Exception {
        ChildResult r = runChild(List.of("-Dgort.maxthreads=50", "-Dgort.maxprocs=2"), LimitsTest.class.getName(), "locked");
        assertEquals(0, r.exit(), r.out());
        assertTrue(r.out().contains("ordinary goroutines done"), r.out());
        assertTrue(r.out().contains("locked=48 rejected=52"), r.out());
        assertTrue(r.out().contains("gort.maxthreads=50"), r.out());
    }

    @Test
    void maxProcsOutOfRangeAtStartUpIsAClearError() throws Exception {
        String[][] cases = {
            {"-Dgort.maxprocs=100000", "gort.maxprocs=100000 is out of range 1.." + Scheduler.MAX_PROCS},
            {"-Dgort.maxprocs=0", "gort.maxprocs=0 is out of range"},
            {"-Dgort.maxprocs=two", "gort.maxprocs must be an integer, got \"two\""},
            {"-Dgort.maxthreads=lots", "gort.maxthreads must be an integer"},
        };
        for (String[] c : cases) {
            ChildResult r = runChild(List.of(c[0]), LimitsTest.class.getName());
            assertEquals(3, r.exit(), c[0] + ":\n" + r.out());
            assertTrue(r.out().contains(c[1]), c[0] + ":\n" + r.out());
        }
        ChildResult ok = runChild(List.of("-Dgort.maxprocs=3"), LimitsTest.class.getName());
        assertEquals(0, ok.exit(), ok.out());
        assertTrue(ok.out().contains("started with maxProcs 3"), ok.out());
    }

    @Test
    void setMaxProcsRejectsValuesOutsideTheBound() {
        int before = Go.maxProcs();
        for (int n : new int[] {0, -1, Integer.MIN_VALUE, Scheduler.MAX_PROCS + 1, 100_000, Integer.MAX_VALUE}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Go.setMaxProcs(n));
            assertTrue(e.getMessage().contains(String.valueOf(n)), e.getMessage());
            assertEquals(before, Go.maxProcs(), "a rejected value changes nothing");
        }
    }

    /**
     * Growing to the bound and shrinking back stalls nobody: a sleeper goroutine measures how
     * late each of its 1 ms sleeps wakes while the test resizes. A resize first tries a count
     * far beyond the bound (rejected; accepted, its shrink back retired one P at a time under
     * the scheduler lock, copying allp for each: 50,000 Ps stalled every goroutine for seconds).
     */
    @Test
    void resizingToTheBoundAndBackNeverStallsAGoroutine() throws Exception {
        int before = Go.maxProcs();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong worst = new AtomicLong();
        AtomicLong sleeps = new AtomicLong();
        Goroutine sleeper = Go.spawn("sleeper", () -> {
            try {
                while (!stop.get()) {
                    long t0 = System.nanoTime();
                    Go.sleep(Duration.ofMillis(1));
                    long late = System.nanoTime() - t0 - 1_000_000L;
                    worst.accumulateAndGet(late, Math::max);
                    sleeps.incrementAndGet();
                }
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        });
        boolean hugeRejected = false;
        long longestResize = 0;
        try {
            GoTestSupport.awaitTrue("the sleeper runs", 10_000, () -> sleeps.get() > 3);
            try {
                Go.setMaxProcs(50_000);
            } catch (IllegalArgumentException e) {
                hugeRejected = true;
            }
            Go.setMaxProcs(before);
            for (int round = 0; round < 5; round++) {
                long t0 = System.nanoTime();
                Go.setMaxProcs(Scheduler.MAX_PROCS);
                Go.setMaxProcs(before);
                longestResize = Math.max(longestResize, System.nanoTime() - t0);
                long n = sleeps.get();
                GoTestSupport.awaitTrue("the sleeper sleeps on", 10_000, () -> sleeps.get() > n + 1);
            }
        } finally {
            Go.setMaxProcs(before);
            stop.set(true);
            sleeper.join();
        }
        assertTrue(worst.get() < 1_000_000_000L, "a resize stalled the sleeper for " + worst.get() / 1_000_000 + " ms");
        assertTrue(longestResize < 1_000_000_000L, "a resize to " + Scheduler.MAX_PROCS + " Ps and back took " + longestResize / 1_000_000 + " ms");
        assertTrue(hugeRejected, "setMaxProcs(50000) was accepted");
        GoTestSupport.awaitTrue("processors back to " + before, 10_000, () -> Go.metrics().processors() == before);
    }
}
