package dev.gort.sched.jfr;

import static dev.gort.GoTestSupport.awaitTrue;
import static dev.gort.GoTestSupport.awaitWaiting;
import static dev.gort.GoTestSupport.withMaxProcs;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gort.Chan;
import dev.gort.Go;
import dev.gort.GoTestSupport;
import dev.gort.Goroutine;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;
import jdk.jfr.Configuration;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The scheduler's JFR events under JFR's own {@code default} settings, which apply the events'
 * annotations (docs/DESIGN.md, "JFR events"): they are on, with their fields, and the park
 * event's 20 ms threshold keeps short waits out.
 */
class JfrEventsTest {
    @AfterEach
    void schedulerAtRest() throws InterruptedException {
        GoTestSupport.assertSchedulerAndTimersAtRest();
    }

    /**
     * Runs body under a recording with JFR's "default" settings, every park timed (sampling 1/1,
     * so that each wait the test makes is seen), and returns what it recorded.
     */
    static List<RecordedEvent> recordDefault(GoTestSupport.ThrowingRunnable body) throws Exception {
        return record("1/1", body);
    }

    /** {@link #recordDefault} with the park event's sampling setting; null: its default. */
    static List<RecordedEvent> record(String sampling, GoTestSupport.ThrowingRunnable body) throws Exception {
        Path file = Files.createTempFile("gort", ".jfr");
        try (Recording r = new Recording(Configuration.getConfiguration("default"))) {
            if (sampling != null) r.enable("dev.gort.GoroutinePark").with("sampling", sampling);
            r.start();
            body.run();
            r.stop();
            r.dump(file);
            return RecordingFile.readAllEvents(file);
        } finally {
            Files.deleteIfExists(file);
        }
    }

    static List<RecordedEvent> named(List<RecordedEvent> events, String name, Predicate<RecordedEvent> filter) {
        return events.stream().filter(e -> e.getEventType().getName().equals(name)).filter(filter).toList();
    }

    static Predicate<RecordedEvent> goroutine(Goroutine g) {
        return e -> e.getLong("goroutineId") == g.id();
    }

    @Test
    void aParkUnderTheDefaultThresholdIsNotRecordedAndOneOverItIs() throws Exception {
        Goroutine[] g = new Goroutine[2];
        List<RecordedEvent> events = recordDefault(() -> {
            g[0] = Go.spawn("short-sleeper", () -> Go.sleep(Duration.ofMillis(1)));
            g[1] = Go.spawn("long-sleeper", () -> Go.sleep(Duration.ofMillis(50)));
            g[0].join();
            g[1].join();
        });
        assertEquals(List.of(), named(events, "dev.gort.GoroutinePark", goroutine(g[0])), "a 1 ms park is under the 20 ms threshold");
        List<RecordedEvent> parks = named(events, "dev.gort.GoroutinePark", goroutine(g[1]));
        assertEquals(1, parks.size(), parks.toString());
        RecordedEvent park = parks.get(0);
        assertTrue(park.getDuration().toMillis() >= 45, "duration " + park.getDuration());
        assertEquals("sleep", park.getString("reason"));
        assertEquals("long-sleeper", park.getString("goroutineName"));
        assertNotNull(park.getThread("parkCarrier"), "the carrier it parked on");
        assertNotNull(park.getClass("blockerClass"), "what it parked on");
        assertNotNull(park.getStackTrace(), "the goroutine's stack");
        assertTrue(park.getStackTrace().getFrames().stream().anyMatch(f -> f.getMethod().getName().equals("sleep")),
            park.getStackTrace().toString());
    }

    /**
     * Under the default sampling (one park in 64 of each carrier timed), 256 goroutines that each
     * wait past the threshold at once give a few events: at least one (however the parks fall on
     * two or three carriers, one of them counts past a multiple of 64), far fewer than 256.
     */
    @Test
    void theDefaultSamplingTimesOneParkInSixtyFour() throws Exception {
        List<Goroutine> sleepers = new java.util.ArrayList<>();
        List<RecordedEvent> events = record(null, () -> {
            for (int i = 0; i < 256; i++) sleepers.add(Go.spawn("sampled-sleeper", () -> Go.sleep(Duration.ofMillis(25))));
            for (Goroutine g : sleepers) g.join();
        });
        long recorded = named(events, "dev.gort.GoroutinePark", e -> "sampled-sleeper".equals(e.getString("goroutineName"))).size();
        assertTrue(recorded >= 1 && recorded <= 32, recorded + " of 256 parks recorded");
    }

    /** Two goroutines receiving on one channel park on the same wait queue: the same blocker. */
    @Test
    void receiversOfOneChannelShareTheBlockerIdentity() throws Exception {
        Chan<Integer> c = Chan.make();
        Chan<Integer> other = Chan.make();
        Goroutine[] g = new Goroutine[3];
        List<RecordedEvent> events = recordDefault(() -> {
            g[0] = Go.spawn(() -> c.receive());
            g[1] = Go.spawn(() -> c.receive());
            g[2] = Go.spawn(() -> other.receive());
            for (Goroutine x : g) awaitWaiting(x);
            Go.sleep(Duration.ofMillis(30)); // what is measured: each waits past the 20 ms threshold
            c.send(1);
            c.send(2);
            other.send(3);
            for (Goroutine x : g) x.join();
        });
        RecordedEvent[] park = new RecordedEvent[3];
        for (int i = 0; i < 3; i++) {
            List<RecordedEvent> p = named(events, "dev.gort.GoroutinePark", goroutine(g[i]));
            assertEquals(1, p.size(), "goroutine " + i + ": " + p);
            park[i] = p.get(0);
            assertEquals("chan receive", park[i].getString("reason"));
        }
        assertEquals(park[0].getInt("blockerId"), park[1].getInt("blockerId"), "one channel, one identity");
        assertFalse(park[0].getInt("blockerId") == park[2].getInt("blockerId"), "another channel, another identity");
        assertEquals(park[0].getClass("blockerClass").getName(), park[2].getClass("blockerClass").getName());
    }

    /**
     * A JVM's first recording applies its park sampling from its start: the event types were
     * registered when JFR initialised. (Registered by the first park instead, they took JFR's
     * default sampling, 1/64, for the ~10 ms that registration takes before the recording's own,
     * and a goroutine parking on another carrier meanwhile went untimed: a recording asking for
     * every park missed some.) Before JFR starts, parks time nothing (mask -1) and so never call
     * into JFR. A child JVM, where nothing has initialised JFR yet.
     */
    @Test
    void aFirstRecordingAppliesItsParkSamplingFromItsStart() throws Exception {
        dev.gort.ChildJvm.Result r = dev.gort.ChildJvm.withTestClassPath(List.of(), FirstRecording.class);
        assertEquals(0, r.exit(), r.toString());
        assertEquals("before -1, registered true, mask 3", r.stdout().strip(), r.toString());
    }

    /** The child of {@link #aFirstRecordingAppliesItsParkSamplingFromItsStart}. */
    static final class FirstRecording {
        public static void main(String[] args) throws Exception {
            Go.spawn(() -> {}).join(); // the scheduler runs, as in a program that records later
            System.out.print("before " + Jfr.parkSampleMask + ", ");
            try (Recording r = new Recording(Configuration.getConfiguration("default"))) {
                r.enable("dev.gort.GoroutinePark").with("sampling", "1/4");
                r.start(); // no goroutine parks from here on
                boolean registered = jdk.jfr.FlightRecorder.getFlightRecorder().getEventTypes().stream()
                    .anyMatch(t -> t.getName().equals("dev.gort.GoroutinePark"));
                System.out.println("registered " + registered + ", mask " + Jfr.parkSampleMask);
            }
        }
    }

    /**
     * A goroutine that computes past its time slice with another one queued is preempted, cause
     * "time slice"; or, where this machine starved its carrier of CPU so that sysmon took it for
     * blocked (a stuck retake, counted in the metrics), "stuck carrier".
     */
    @Test
    void aTimeSlicePreemptionIsRecordedWithItsCause() throws Exception {
        Goroutine[] spinner = new Goroutine[1];
        long retakesBefore = Go.metrics().stuckRetakes();
        List<RecordedEvent> events = recordDefault(() -> withMaxProcs(1, () -> {
            AtomicBoolean stop = new AtomicBoolean();
            Go.run(() -> {
                spinner[0] = Go.spawn(() -> {
                    Go.spawn(() -> stop.set(true)); // runs only once the spinner yields its only P
                    while (!stop.get()) Go.safepoint();
                });
                spinner[0].join();
            });
        }));
        List<RecordedEvent> preempts = named(events, "dev.gort.GoroutinePreempt", goroutine(spinner[0]));
        assertFalse(preempts.isEmpty(), "no preemption of the spinner recorded");
        String cause = preempts.get(0).getString("cause");
        if (Go.metrics().stuckRetakes() == retakesBefore) {
            assertEquals("time slice", cause);
        } else {
            assertTrue(cause.equals("time slice") || cause.equals("stuck carrier"), cause);
        }
        assertNotNull(preempts.get(0).getStackTrace(), "where it was preempted");
    }

    /** Go.blocking past the threshold is recorded with its goroutine and stack. */
    @Test
    void aLongBlockingCallIsRecorded() throws Exception {
        Goroutine[] g = new Goroutine[1];
        List<RecordedEvent> events = recordDefault(() -> {
            g[0] = Go.spawn(() -> Go.blocking(() -> {
                Thread.sleep(50); // what is measured: a call that blocks its carrier
                return null;
            }));
            g[0].join();
        });
        List<RecordedEvent> calls = named(events, "dev.gort.BlockingCall", goroutine(g[0]));
        assertEquals(1, calls.size(), calls.toString());
        assertTrue(calls.get(0).getDuration().toMillis() >= 45, "duration " + calls.get(0).getDuration());
    }

    /**
     * A goroutine that blocks its carrier without Go.blocking, with work queued behind it on the
     * only P: sysmon marks the P stuck (a spare takes over), and when it comes back the P is
     * released and one retires.
     */
    @Test
    void aStuckCarrierItsReturnAndTheRetirementAreRecorded() throws Exception {
        Goroutine[] sleeper = new Goroutine[1];
        List<RecordedEvent> events = recordDefault(() -> withMaxProcs(1, () -> Go.run(() -> {
            AtomicBoolean otherRan = new AtomicBoolean();
            sleeper[0] = Go.spawn(() -> {
                Go.spawn(() -> otherRan.set(true)); // queued behind the sleeper on the only P
                try {
                    Thread.sleep(300); // blocks the carrier; Gort is not told
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            });
            sleeper[0].join();
            awaitTrue("the queued goroutine ran", 10_000, otherRan::get);
        })));
        List<RecordedEvent> stuck = named(events, "dev.gort.StuckCarrier", goroutine(sleeper[0]));
        assertEquals(1, stuck.size(), stuck.toString());
        int p = stuck.get(0).getInt("processor");
        assertTrue(stuck.get(0).getInt("spare") != p, stuck.toString());
        assertNotNull(stuck.get(0).getThread("carrier"));
        assertFalse(named(events, "dev.gort.StuckCarrierReturned", e -> e.getInt("processor") == p).isEmpty(), "the stuck P came back");
        assertFalse(named(events, "dev.gort.ProcessorRetired", e -> true).isEmpty(), "one P retired");
    }
}
