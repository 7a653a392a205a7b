package dev.gort.usercode;

import dev.gort.Go;
import dev.gort.Goroutine;
import dev.gort.agent.SafepointAgent;

/**
 * "Application code" for SafepointAgentTest: a package the agent instruments. Its methods'
 * expected polls are listed in SafepointAgentTest; {@link #main} is the child JVM's program.
 */
public final class AgentFixture {
    static volatile boolean stop;
    static long sink;

    private int field;

    public AgentFixture() {
        for (int i = 0; i < 3; i++) field += i; // a loop in a constructor: polled, no entry poll
    }

    /** One back-edge, no call: one poll. */
    public static long loop(long n) {
        long x = 1;
        for (long i = 0; i < n; i++) x = x * 6364136223846793005L + 1442695040888963407L;
        return x;
    }

    /** No loop, no call: no poll. */
    public static int leaf(int a) {
        return a * 31 + 7;
    }

    /** A call, no loop: an entry poll. */
    public static int caller(int a) {
        return leaf(a) + 1;
    }

    /** Nested loops and a switch that jumps back: entry (it calls) + 3 back-edges. */
    public static int nested(int n) {
        int s = 0;
        for (int i = 0; i < n; i++) {
            int j = 0;
            do {
                s += leaf(j);
                j++;
            } while (j < i);
        }
        int k = 0;
        while (true) {
            switch (k++) {
                case 0, 1, 2 -> s++;
                default -> {
                    return s;
                }
            }
        }
    }

    /** The JDK's sleeps: the agent redirects all four. */
    static void sleeps() throws InterruptedException {
        Thread.sleep(200); // long: main looks at the sleeper's state during it, even on a loaded machine
        Thread.sleep(0, 500);
        Thread.sleep(java.time.Duration.ofMillis(20));
        java.util.concurrent.TimeUnit.MILLISECONDS.sleep(20);
    }

    public int field() {
        return field;
    }

    /** Spins with no runtime call until stop: only the agent's back-edge poll can preempt it. */
    static long spinUntilStopped() {
        long x = 1;
        while (!stop) x = x * 6364136223846793005L + 1442695040888963407L;
        return x;
    }

    /** Recursion with no loop until stop: only the agent's entry polls can preempt it. */
    static long fib(int n) {
        if (stop) return 0;
        return n < 2 ? n : fib(n - 1) + fib(n - 2);
    }

    /**
     * The child JVM's program (-javaagent, -Dgort.maxprocs=1): one goroutine spins in a loop, one
     * recurses, both without runtime calls; the main goroutine, which needs the only processor,
     * sleeps, then stops them. Prints the agent's and the scheduler's counters.
     */
    public static void main(String[] args) {
        Go.run(() -> {
            try {
                Goroutine a = Go.spawn(() -> sink += spinUntilStopped());
                Goroutine b = Go.spawn(() -> {
                    while (!stop) sink += fib(60); // fib(60) never ends by itself
                });
                Go.sleep(java.time.Duration.ofMillis(50)); // runs only if the spinners are preempted
                stop = true;
                a.join();
                b.join();
                // Two goroutines sleeping the JDK's way on the only processor: redirected, they
                // park (WAITING, wait reason sleep) and main runs meanwhile; the JDK's sleep would
                // block the carrier (the goroutine RUNNING, main not running until sysmon lends a
                // spare processor, 20 ms or more later) and they would take turns.
                long[] spans = new long[4];
                Goroutine s1 = Go.spawn(() -> timed(spans, 0));
                Goroutine s2 = Go.spawn(() -> timed(spans, 2));
                while (started.get() < 2) Go.yield(); // both are in (or about to enter) their 200 ms sleep
                Go.sleep(java.time.Duration.ofMillis(5));
                sleeperState = s1.state();
                s1.join();
                s2.join();
                overlapped = spans[0] < spans[3] && spans[2] < spans[1];
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        var m = Go.metrics();
        System.out.println("agent=" + SafepointAgent.isInstalled() + " instrumented=" + SafepointAgent.instrumentedClasses()
            + " failed=" + SafepointAgent.failedClasses() + " preemptions=" + m.preemptions() + " stuckRetakes=" + m.stuckRetakes()
            + " sleepers overlapped=" + overlapped + " sleeperState=" + sleeperState);
    }

    static boolean overlapped;
    static Goroutine.State sleeperState;

    static final java.util.concurrent.atomic.AtomicInteger started = new java.util.concurrent.atomic.AtomicInteger();

    private static void timed(long[] spans, int i) {
        try {
            started.incrementAndGet();
            spans[i] = System.nanoTime();
            sleeps();
            spans[i + 1] = System.nanoTime();
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }
}
