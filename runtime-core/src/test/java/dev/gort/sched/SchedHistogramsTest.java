package dev.gort.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gort.Distribution;
import org.junit.jupiter.api.Test;

/** Per-P recorders merged on read: every value once, cumulative across reads and retirements. */
class SchedHistogramsTest {
    private static final int CHAN_RECEIVE = WaitReason.CHAN_RECEIVE.ordinal();

    /** Within the histograms' precision (two significant digits: 1%). */
    private static void assertNear(long expected, long actual) {
        assertTrue(Math.abs(actual - expected) <= expected / 100 + 1, "expected ~" + expected + ", got " + actual);
    }

    @Test
    void readMergesEveryProcessorAndTheSharedRecorder() {
        assertTrue(SchedStats.AVAILABLE, "HdrHistogram is on the test path");
        SchedStats stats = new SchedStats(true, 1);
        P[] ps = {new P(0), new P(1), new P(2)};
        // 100 latencies of 1..100 us spread over the three Ps
        for (int i = 1; i <= 100; i++) ps[i % 3].histograms.recordLatency(i * 1_000L);
        ps[0].histograms.recordWait(CHAN_RECEIVE, 5_000_000L);
        ps[2].histograms.recordWait(CHAN_RECEIVE, 7_000_000L);
        SchedStats.Snapshot s = stats.read(ps);
        assertEquals(100, s.latency().count());
        assertNear(50_000, s.latency().p50Nanos());
        assertNear(100_000, s.latency().maxNanos());
        assertNear(5_050_000, s.latency().totalNanos());
        Distribution recv = s.waits().get("chan receive");
        assertEquals(2, recv.count());
        assertNear(7_000_000, recv.maxNanos());
        assertEquals(Distribution.EMPTY, s.waits().get("sleep"));
    }

    @Test
    void distributionsAreCumulativeAcrossReadsAndRetiredProcessors() {
        SchedStats stats = new SchedStats(true, 1);
        P a = new P(0), b = new P(1);
        a.histograms.recordLatency(1_000);
        b.histograms.recordLatency(2_000);
        assertEquals(2, stats.read(new P[] {a, b}).latency().count());
        b.histograms.recordLatency(3_000);
        b.stole();
        stats.retired(b); // leaves allp: later reads do not see it
        a.histograms.recordLatency(4_000);
        SchedStats.Snapshot s = stats.read(new P[] {a});
        assertEquals(4, s.latency().count(), "the values before the first read, the retired P's, the new one");
        assertNear(4_000, s.latency().maxNanos());
        assertEquals(1, stats.steals(new P[] {a}));
    }

    /**
     * A retirement runs under the scheduler lock: it must not wait for a reader that holds the
     * histograms (a carrier blocked there stalls every carrier, and sysmon takes it for a blocked
     * one and adds a spare P that is never retired).
     */
    @Test
    void aRetirementDoesNotWaitForAReader() throws Exception {
        SchedHistograms h = new SchedHistograms();
        P p = new P(0);
        p.histograms.recordLatency(1_000);
        var held = new java.util.concurrent.CountDownLatch(1);
        var release = new java.util.concurrent.CountDownLatch(1);
        Thread reader = Thread.ofPlatform().start(() -> {
            synchronized (h) { // as read() holds it
                held.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });
        held.await();
        try {
            org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(5), () -> h.retired(p));
        } finally {
            release.countDown();
            reader.join();
        }
        assertEquals(1, h.read(new P[0]).latency().count(), "the next read drains the retired P");
    }

    @Test
    void waitTimesHaveEveryReasonAndTheBlockingCallInOrder() {
        SchedStats.Snapshot s = new SchedStats(true, 8).read(new P[0]);
        assertEquals(WaitReason.values().length, s.waits().size(), "every reason but NONE, and the blocking call");
        assertEquals("join", s.waits().keySet().iterator().next());
        assertTrue(s.waits().containsKey(SchedStats.BLOCKING_CALL));
    }

    @Test
    void durationsPrintWithAReadableUnit() {
        assertEquals("850ns", SchedStats.appendDuration(new StringBuilder(), 850).toString());
        assertEquals("12us", SchedStats.appendDuration(new StringBuilder(), 12_340).toString());
        assertEquals("1.5ms", SchedStats.appendDuration(new StringBuilder(), 1_500_000).toString());
        assertEquals("1.0ms", SchedStats.appendDuration(new StringBuilder(), 999_900).toString());
        assertEquals("41ms", SchedStats.appendDuration(new StringBuilder(), 41_200_000).toString());
        assertEquals("2.3s", SchedStats.appendDuration(new StringBuilder(), 2_300_000_000L).toString());
    }

    @Test
    void aSamplingPeriodThatIsNotAPowerOfTwoIsRefused() {
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> new SchedStats(true, 6));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> new SchedStats(true, 0));
    }
}
