package dev.gort;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The sampled distributions of {@link Go#metrics()}: scheduling latency and wait times. Each
 * scenario runs in a child JVM of its own (a fresh runtime, whose distributions hold that
 * scenario's transitions only, since they are cumulative since start), with
 * {@code -Dgort.schedstats.sample=1} so that every transition is timed, not one in 64, and without
 * the safepoint agent, so that a loop with no Gort call is not preempted.
 */
class SchedStatsTest {
    private static final long MS = 1_000_000L;

    /** The child: runs one scenario, then prints what the test checks as {@code key=value} lines. */
    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "busy" -> busy();
            case "idle" -> idle();
            case "chan" -> chan();
            case "sleepers" -> sleepers(10);
            case "sleepers64" -> sleepers(64);
            default -> throw new IllegalArgumentException(args[0]);
        }
        Metrics m = Go.metrics();
        Distribution lat = m.schedulingLatency();
        System.out.println("latency count=" + lat.count() + " p50=" + lat.p50Nanos() + " p99=" + lat.p99Nanos()
            + " max=" + lat.maxNanos());
        for (Map.Entry<String, Distribution> e : m.waitTimes().entrySet()) {
            Distribution d = e.getValue();
            System.out.println("wait " + e.getKey() + ": count=" + d.count() + " p50=" + d.p50Nanos() + " max="
                + d.maxNanos() + " total=" + d.totalNanos());
        }
        System.out.println("steals=" + m.steals());
        Go.shutdown();
    }

    /**
     * One P; a goroutine spawns 20 others, then computes for 50 ms with no safepoint: they wait,
     * runnable, until it ends.
     */
    private static void busy() {
        Go.run(() -> {
            var done = new dev.gort.sync.WaitGroup();
            done.add(21);
            Go.spawn(() -> {
                for (int i = 0; i < 20; i++) Go.spawn(done::done);
                long end = System.nanoTime() + 50 * MS;
                while (System.nanoTime() < end) {
                    Thread.onSpinWait(); // no Gort call: nothing yields here
                }
                done.done();
            });
            done.await();
        });
    }

    /**
     * An idle runtime: a goroutine sleeps 1 ms and sends to another, 300 times, after as many
     * untimed (the carriers started, the code compiled: an idle runtime, not a cold one).
     */
    private static void idle() throws Exception {
        dev.gort.sched.Scheduler.setSchedStatsSampling(false, 1);
        pingEveryMillisecond(300);
        dev.gort.sched.Scheduler.setSchedStatsSampling(true, 1);
        pingEveryMillisecond(300);
    }

    private static void pingEveryMillisecond(int n) {
        Go.run(() -> {
            Chan<Integer> ch = Chan.make();
            Goroutine g = Go.spawn(() -> {
                for (int i = 0; i < n; i++) ch.receive();
            });
            for (int i = 0; i < n; i++) {
                Go.sleep(Duration.ofMillis(1));
                ch.send(i);
            }
            g.join();
        });
    }

    /**
     * A goroutine waits on a channel receive, the only receive that parks, until a platform
     * thread sends 100 ms after it saw the goroutine WAITING. Prints the wait as the sender saw
     * it, bracketed: at least from when it saw WAITING to just before its send (the park came
     * before the one, the ready after the other), at most from just before the spawn to just
     * after the send.
     */
    private static void chan() throws Exception {
        Chan<Integer> ch = Chan.make();
        long spawning = System.nanoTime();
        Goroutine g = Go.spawn(() -> ch.receive());
        while (g.state() != Goroutine.State.WAITING) Thread.onSpinWait();
        long seenWaiting = System.nanoTime();
        Thread.sleep(100);
        long sending = System.nanoTime();
        ch.send(1);
        long sent = System.nanoTime();
        g.join();
        System.out.println("measured=" + (sending - seenWaiting) + " upper=" + (sent - spawning));
    }

    /** 64 goroutines each sleep 1 ms {@code n} times (with 4 Ps: readied and run on every P). */
    private static void sleepers(int n) throws Exception {
        Go.run(() -> {
            var done = new dev.gort.sync.WaitGroup();
            done.add(64);
            for (int i = 0; i < 64; i++) {
                Go.spawn(() -> {
                    for (int k = 0; k < n; k++) Go.sleep(Duration.ofMillis(1));
                    done.done();
                });
            }
            done.await();
        });
    }

    private static String child(String scenario, String... flags) throws Exception {
        List<String> all = new java.util.ArrayList<>(List.of("-Dgort.schedstats.sample=1"));
        all.addAll(List.of(flags));
        ChildJvm.Result r = ChildJvm.withTestClassPath(all, SchedStatsTest.class, scenario);
        assertEquals(0, r.exit(), r.toString());
        return r.stdout();
    }

    private static long field(String out, String regex) {
        Matcher m = Pattern.compile(regex).matcher(out);
        assertTrue(m.find(), regex + " in:\n" + out);
        return Long.parseLong(m.group(1));
    }

    /**
     * One carrier too (gort.maxthreads=1): on a loaded machine the OS may deschedule the busy
     * carrier long enough for sysmon to take it for a blocked one and add a spare P, which would
     * run the others; with no carrier to spare, only the end of the computation lets them run.
     */
    @Test
    void aGoroutineThatComputesWithoutASafepointDelaysTheOthersOnItsProcessor() throws Exception {
        String out = child("busy", "-Dgort.maxprocs=1", "-Dgort.maxthreads=1");
        assertTrue(field(out, "latency count=(\\d+)") >= 20, out);
        assertTrue(field(out, "latency count=\\d+ p50=\\d+ p99=(\\d+)") >= 40 * MS, "p99 at least 40 ms:\n" + out);
    }

    @Test
    void anIdleRuntimeRunsAReadiedGoroutineWithinAMillisecond() throws Exception {
        String out = child("idle", "-Dgort.maxprocs=1");
        assertTrue(field(out, "latency count=(\\d+)") >= 250, out);
        assertTrue(field(out, "latency count=\\d+ p50=\\d+ p99=(\\d+)") < MS, "p99 under 1 ms:\n" + out);
        assertTrue(field(out, "wait chan receive: count=(\\d+)") >= 1, out);
    }

    /**
     * The recorded wait lies in the bracket the sender measured (see {@link #chan}), to the
     * histogram's 1%; the bracket is within 10% of the wait unless the machine delayed the spawn
     * or the send by more than that.
     */
    @Test
    void aHundredMillisecondChannelWaitShowsInTheChanReceiveDistribution() throws Exception {
        String out = child("chan", "-Dgort.maxprocs=2");
        long measured = field(out, "measured=(\\d+)");
        long upper = field(out, "upper=(\\d+)");
        assertTrue(measured >= 100 * MS, out);
        assertEquals(1, field(out, "wait chan receive: count=(\\d+)"), out);
        long recorded = field(out, "wait chan receive: count=\\d+ p50=\\d+ max=(\\d+)");
        assertTrue(recorded >= measured * 99 / 100 && recorded <= Math.max(upper, measured * 11 / 10) * 101 / 100,
            "recorded " + recorded + " ns within 10% of " + measured + " (or at most " + upper + "):\n" + out);
    }

    @Test
    void everyProcessorsWaitsAreMergedIntoOneDistribution() throws Exception {
        String out = child("sleepers", "-Dgort.maxprocs=4");
        assertEquals(640, field(out, "wait sleep: count=(\\d+)"), "every sleep once, whichever P recorded it:\n" + out);
        assertTrue(field(out, "wait sleep: count=\\d+ p50=\\d+ max=\\d+ total=(\\d+)") >= 640 * MS * 99 / 100, out);
        assertTrue(field(out, "wait sleep: count=\\d+ p50=(\\d+)") >= MS * 99 / 100, out);
    }

    @Test
    void samplingOffRecordsNothing() throws Exception {
        String out = child("sleepers", "-Dgort.maxprocs=2", "-Dgort.schedstats=false");
        assertEquals(0, field(out, "latency count=(\\d+)"), out);
        assertEquals(0, field(out, "wait sleep: count=(\\d+)"), out);
    }

    @Test
    void oneCycleIn64IsTimedByDefault() throws Exception {
        ChildJvm.Result r = ChildJvm.withTestClassPath(List.of("-Dgort.maxprocs=2"), SchedStatsTest.class, "sleepers64");
        assertEquals(0, r.exit(), r.toString());
        // each goroutine's counter runs through 64 consecutive values in its 64 sleeps: one is timed
        assertEquals(64, field(r.stdout(), "wait sleep: count=(\\d+)"), "64 of 4096 sleeps timed:\n" + r);
    }

    /** One P, a goroutine polling safepoints for 100 ms while another waits: sysmon asks it to yield for its time slice. */
    @Test
    void aGoroutineThatRunsAWholeTimeSliceIsPreemptedForThatCause() throws Exception {
        long before = Go.metrics().preemptionsByCause().get("time slice");
        GoTestSupport.withMaxProcs(1, () -> GoTestSupport.runMain(() -> {
            Goroutine other = Go.spawn(() -> { });
            long end = System.nanoTime() + 100 * MS;
            while (System.nanoTime() < end) Go.safepoint();
            other.join();
        }));
        assertTrue(Go.metrics().preemptionsByCause().get("time slice") > before, Go.metrics().toString());
    }

    @Test
    void metricsListEveryWaitReasonAndPreemptionCause() {
        Metrics m = Go.metrics();
        for (String key : List.of("chan receive", "chan send", "select", "sleep", "sync.Mutex.Lock", "IO wait",
            "join", "blocking call")) {
            assertTrue(m.waitTimes().containsKey(key), key + " in " + m.waitTimes().keySet());
        }
        assertEquals(List.of("time slice", "stuck carrier", "memory gate"), List.copyOf(m.preemptionsByCause().keySet()));
        org.junit.jupiter.api.Assertions.assertThrows(UnsupportedOperationException.class,
            () -> m.waitTimes().put("x", Distribution.EMPTY));
    }
}
