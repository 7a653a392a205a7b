package dev.gort.test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gort.Chan;
import dev.gort.Context;
import dev.gort.DeadlockException;
import dev.gort.Go;
import dev.gort.Goroutine;
import dev.gort.Group;
import dev.gort.Select;
import dev.gort.sync.Mutex;
import dev.gort.sync.WaitGroup;
import dev.gort.time.Ticker;
import dev.gort.time.Time;
import dev.gort.time.Timer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class BubbleTest {
    private static final long HOUR = Duration.ofHours(1).toNanos();

    @Test
    void anHourlyTickerTicks24TimesWithoutWaitingForReal() {
        long realStart = System.nanoTime();
        List<Long> ticks = new ArrayList<>();
        GoTest.run(() -> {
            long start = GoTest.nanoTime();
            try (Ticker t = Ticker.start(Duration.ofHours(1))) {
                for (int i = 0; i < 24; i++) {
                    t.c().receive();
                    ticks.add(GoTest.nanoTime() - start);
                }
            }
        });
        long realMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - realStart);
        System.out.println("24 hourly ticks took " + realMillis + " ms of real time");
        for (int i = 0; i < 24; i++) assertEquals((i + 1) * HOUR, ticks.get(i), "tick " + (i + 1));
        assertTrue(realMillis < 10_000, "24 virtual hours took " + realMillis + " ms of real time");
    }

    @Test
    void sleepsAndTimersTakeExactlyTheirDurationOnTheBubblesClock() {
        GoTest.run(() -> {
            long t0 = GoTest.nanoTime();
            Instant w0 = GoTest.now();
            assertEquals(Instant.parse("2000-01-01T00:00:00Z"), w0);
            Go.sleep(Duration.ofMillis(1500));
            assertEquals(1_500_000_000L, GoTest.nanoTime() - t0);
            Instant fired = Time.after(Duration.ofDays(3)).receive();
            assertEquals(w0.plus(Duration.ofMillis(1500)).plus(Duration.ofDays(3)), fired);
            Timer stopped = Timer.start(Duration.ofMinutes(1));
            assertTrue(stopped.stop());
            Go.sleep(Duration.ofMinutes(2));
            assertNull(stopped.c().tryReceive(), "a stopped timer never fires");
        });
    }

    @Test
    void aFiveMinuteContextTimeoutExpiresExactlyAtFiveMinutes() {
        GoTest.run(() -> {
            long start = GoTest.nanoTime();
            Context.Cancellable ctx = Context.withTimeout(Context.background(), Duration.ofMinutes(5));
            assertEquals(GoTest.now().plus(Duration.ofMinutes(5)), ctx.deadline().orElseThrow());
            assertNull(ctx.done().receiveOrNull(), "done closes");
            assertEquals(Duration.ofMinutes(5).toNanos(), GoTest.nanoTime() - start);
            assertSame(Context.DEADLINE_EXCEEDED, ctx.err());
        });
    }

    @Test
    void aSelectTimeoutRacingASlowProducerHasTheSameWinnerEveryRun() {
        int timeouts = 0, values = 0;
        for (int run = 0; run < 1000; run++) {
            boolean producerFirst = run % 2 == 0;
            AtomicReference<String> winner = new AtomicReference<>();
            GoTest.run(() -> {
                Chan<String> ch = Chan.make();
                Duration produce = producerFirst ? Duration.ofMillis(100) : Duration.ofMillis(300);
                Go.spawn(() -> {
                    Go.sleep(produce);
                    ch.trySend("value"); // the select may have timed out: nobody receives then
                });
                new Select()
                    .recv(ch, v -> winner.set(v))
                    .after(Duration.ofMillis(200), () -> winner.set("timeout"))
                    .run();
            });
            if (producerFirst) {
                assertEquals("value", winner.get(), "run " + run);
                values++;
            } else {
                assertEquals("timeout", winner.get(), "run " + run);
                timeouts++;
            }
        }
        assertEquals(500, timeouts);
        assertEquals(500, values);
    }

    /** A cache whose entries expire a time-to-live after they were put, swept by a janitor goroutine. */
    static final class TtlCache implements AutoCloseable {
        private final ConcurrentHashMap<String, long[]> entries = new ConcurrentHashMap<>(); // value, expiry
        private final long ttl;
        private final Chan<Object> closed = Chan.make();
        private final Goroutine janitor;

        TtlCache(Duration ttl) {
            this.ttl = ttl.toNanos();
            janitor = Go.spawn(() -> {
                try (Ticker sweep = Ticker.start(Duration.ofSeconds(10))) {
                    boolean[] open = {true};
                    while (open[0]) {
                        new Select()
                            .recv(sweep.c(), t -> {
                                long now = GoTest.nanoTime();
                                entries.values().removeIf(e -> now - e[1] >= 0);
                            })
                            .recv(closed, x -> open[0] = false)
                            .run();
                    }
                }
            });
        }

        void put(String k, long v) {
            entries.put(k, new long[] {v, GoTest.nanoTime() + ttl});
        }

        Long get(String k) {
            long[] e = entries.get(k);
            return e == null || GoTest.nanoTime() - e[1] >= 0 ? null : e[0];
        }

        int size() {
            return entries.size();
        }

        @Override
        public void close() throws InterruptedException {
            closed.close();
            janitor.join();
        }
    }

    @Test
    void aCacheEvictsAfterItsTimeToLiveWithoutTheTestSleepingForReal() {
        GoTest.run(() -> {
            try (TtlCache cache = new TtlCache(Duration.ofMinutes(1))) {
                cache.put("a", 1);
                Go.sleep(Duration.ofSeconds(59));
                assertEquals(1L, cache.get("a"));
                cache.put("b", 2);
                Go.sleep(Duration.ofSeconds(2));
                assertNull(cache.get("a"), "expired at 60 s");
                assertEquals(2L, cache.get("b"));
                GoTest.waitIdle(); // the janitor has swept at 60 s
                assertEquals(1, cache.size(), "the sweep at 60 s removed a");
                Go.sleep(Duration.ofMinutes(1));
                GoTest.waitIdle();
                assertEquals(0, cache.size());
            }
        });
    }

    @Test
    void twoBubblesRunAtOnceEachOnItsOwnClockBesideOrdinaryGoroutines() throws Exception {
        Chan<Integer> outside = Chan.make();
        Goroutine ordinary = Go.spawn(() -> {
            for (int i = 0; i < 1000; i++) {
                Go.sleep(Duration.ofNanos(1000));
            }
            outside.close();
        });
        long[] elapsed = new long[2];
        Thread[] ts = new Thread[2];
        for (int i = 0; i < 2; i++) {
            int k = i;
            ts[i] = new Thread(() -> GoTest.run(() -> {
                long start = GoTest.nanoTime();
                for (int j = 0; j < 50; j++) Go.sleep(Duration.ofSeconds(k + 1));
                elapsed[k] = GoTest.nanoTime() - start;
            }));
            ts[i].start();
        }
        for (Thread t : ts) t.join();
        ordinary.join();
        assertEquals(Duration.ofSeconds(50).toNanos(), elapsed[0]);
        assertEquals(Duration.ofSeconds(100).toNanos(), elapsed[1]);
        assertTrue(outside.isClosed());
    }

    @Test
    void aDeadlockInsideABubbleFailsTheRunNamingItsGoroutines() {
        DeadlockException e = assertThrows(DeadlockException.class, () -> GoTest.run(() -> {
            Chan<Integer> never = Chan.make();
            Go.spawn("stuck-sender", () -> {
                Chan<Integer> other = Chan.make();
                other.send(1);
            });
            never.receive();
        }));
        assertTrue(e.getMessage().startsWith("all goroutines in the bubble are asleep - deadlock!"), e.getMessage());
        assertTrue(e.dump().contains("\"GoTest.run\""), e.dump());
        assertTrue(e.dump().contains("chan receive"), e.dump());
        assertTrue(e.dump().contains("\"stuck-sender\""), e.dump());
        assertTrue(e.dump().contains("chan send"), e.dump());
        assertTrue(java.util.Arrays.stream(e.getStackTrace()).anyMatch(f -> f.getClassName().equals(BubbleTest.class.getName())),
            "made on the caller's thread, with the caller's stack");
    }

    @Test
    void aBubbleWhoseRootEndedStillDeadlocksOnAMemberLeftBlocked() throws InterruptedException {
        Mutex m = new Mutex();
        Goroutine[] waiter = new Goroutine[1];
        DeadlockException e = assertThrows(DeadlockException.class, () -> GoTest.run(() -> {
            m.lock();
            waiter[0] = Go.spawn("waits-for-the-lock", m::lock);
        }));
        assertTrue(e.dump().contains("\"waits-for-the-lock\""), e.dump());
        assertFalse(e.dump().contains("\"GoTest.run\""), e.dump());
        m.unlock(); // a lock wait is not interruptible: the interrupted waiter still waits for it
        assertTrue(waiter[0].join(Duration.ofSeconds(10)), "the waiter took the lock and ended");
    }

    @Test
    void theBubbleEndsWithItsLastGoroutineAndATimerLeftArmedNeverFires() {
        AtomicLong fired = new AtomicLong();
        GoTest.run(() -> Time.afterFunc(Duration.ofHours(5), () -> fired.incrementAndGet()));
        assertEquals(0, fired.get(), "as in Go: run waits for goroutines, not for timers");
    }

    @Test
    void waitIdleReturnsOnceTheOtherGoroutinesAreDurablyBlockedWithoutMovingTheClock() {
        GoTest.run(() -> {
            long start = GoTest.nanoTime();
            Chan<Integer> in = Chan.make(), out = Chan.make(16);
            WaitGroup started = new WaitGroup();
            started.add(3);
            for (int i = 0; i < 3; i++) {
                Go.spawn(() -> {
                    started.done();
                    for (Integer v; (v = in.receiveOrNull()) != null; ) {
                        long x = 0;
                        for (int k = 0; k < 100_000; k++) x += k ^ v; // work that takes real time
                        out.send((int) (x & 1) + v);
                    }
                });
            }
            for (int i = 0; i < 3; i++) in.send(i * 2);
            GoTest.waitIdle();
            assertEquals(3, out.len(), "every worker finished its work and waits again");
            assertEquals(0, GoTest.nanoTime() - start, "the clock stood still");
            in.close();
        });
    }

    @Test
    void aWaitOnAChannelMadeOutsideTheBubbleKeepsTheClockStill() throws Exception {
        Chan<String> outside = Chan.make();
        List<String> events = java.util.Collections.synchronizedList(new ArrayList<>());
        Thread feeder = new Thread(() -> {
            try {
                Thread.sleep(50); // real time: the bubble's clock must not run ahead meanwhile
                outside.send("from outside");
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        });
        feeder.start();
        GoTest.run(() -> {
            Go.spawn(() -> events.add(outside.receive()));
            Go.sleep(Duration.ofHours(1));
            events.add("slept an hour");
        });
        feeder.join();
        assertEquals(List.of("from outside", "slept an hour"), events);
    }

    @Test
    void aGoroutineOfOneBubbleTouchingAnothersChannelIsAnError() throws Exception {
        AtomicReference<Chan<Integer>> leaked = new AtomicReference<>();
        GoTest.run(() -> leaked.set(Chan.make(1)));
        Chan<Integer> foreign = leaked.get();
        IllegalStateException inOther = assertThrows(IllegalStateException.class, () -> GoTest.run(() -> foreign.trySend(1)));
        assertTrue(inOther.getMessage().contains("channel of bubble"), inOther.getMessage());
        java.util.concurrent.CompletableFuture<Object> fromOrdinary = new java.util.concurrent.CompletableFuture<>();
        Go.spawn(() -> {
            try {
                foreign.tryReceive();
                fromOrdinary.complete("no error");
            } catch (IllegalStateException e) {
                fromOrdinary.complete(e);
            }
        });
        assertTrue(fromOrdinary.get(10, TimeUnit.SECONDS) instanceof IllegalStateException, "a goroutine outside any bubble");
        assertThrows(IllegalStateException.class, () -> GoTest.run(() -> new Select().recv(foreign, v -> {}).otherwise(() -> {}).run()));
    }

    @Test
    void timedJoinsFutureGetsAndGroupsUseTheBubblesClock() {
        GoTest.run(() -> {
            long start = GoTest.nanoTime();
            java.util.concurrent.Future<String> hourLong = Go.executor().submit(() -> {
                Go.sleep(Duration.ofHours(1));
                return "done";
            });
            assertThrows(TimeoutException.class, () -> hourLong.get(7, TimeUnit.SECONDS));
            assertEquals(Duration.ofSeconds(7).toNanos(), GoTest.nanoTime() - start);
            Goroutine sleeper = Go.spawn(() -> Go.sleep(Duration.ofMinutes(10)));
            assertFalse(sleeper.join(Duration.ofMinutes(3)));
            assertEquals(Duration.ofMinutes(3).plusSeconds(7).toNanos(), GoTest.nanoTime() - start);
            try (Group g = new Group()) {
                g.go(() -> Go.sleep(Duration.ofMinutes(1)));
                g.go(() -> Go.sleep(Duration.ofMinutes(2)));
                g.await();
            }
            assertEquals(Duration.ofMinutes(5).plusSeconds(7).toNanos(), GoTest.nanoTime() - start);
            sleeper.join();
            assertEquals(Duration.ofMinutes(10).plusSeconds(7).toNanos(), GoTest.nanoTime() - start);
            assertEquals("done", hourLong.get());
            assertEquals(HOUR, GoTest.nanoTime() - start);
        });
    }

    @Test
    void aFailureInAnyGoroutineOfTheBubbleIsRethrownByRun() {
        Go.setUncaughtExceptionHandler((g, t) -> {}); // the member's failure is also reported there
        try {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GoTest.run(() -> {
                Go.spawn(() -> {
                    Go.sleep(Duration.ofSeconds(1));
                    throw new IllegalArgumentException("member failed");
                });
                Go.sleep(Duration.ofSeconds(2));
            }));
            assertEquals("member failed", e.getMessage());
        } finally {
            Go.setUncaughtExceptionHandler(null);
        }
    }

    @Test
    void runFromAGoroutineParksItAndBubblesDoNotNest() {
        AtomicLong elapsed = new AtomicLong();
        Go.run(() -> {
            GoTest.run(() -> {
                long s = GoTest.nanoTime();
                Go.sleep(Duration.ofDays(1));
                elapsed.set(GoTest.nanoTime() - s);
                IllegalStateException nested = assertThrows(IllegalStateException.class, () -> GoTest.run(() -> {}));
                assertTrue(nested.getMessage().contains("within a bubble"));
            });
        });
        assertEquals(Duration.ofDays(1).toNanos(), elapsed.get());
    }

    @Test
    void aGoroutineLockedToItsCarrierSleepsOnTheBubblesClockToo() {
        GoTest.run(() -> {
            long start = GoTest.nanoTime();
            Goroutine locked = Go.spawn(() -> {
                Go.lockOSThread();
                try {
                    Go.sleep(Duration.ofMinutes(30)); // parks its carrier: the carrier counts it blocked
                } finally {
                    Go.unlockOSThread();
                }
            });
            locked.join();
            assertEquals(Duration.ofMinutes(30).toNanos(), GoTest.nanoTime() - start);
        });
    }

    @Test
    void outsideABubbleTheClockIsTheRealOneAndWaitIdleIsRefused() {
        long before = System.nanoTime();
        long t = GoTest.nanoTime();
        assertTrue(t - before >= 0 && t - before < TimeUnit.SECONDS.toNanos(10));
        assertFalse(GoTest.inBubble());
        assertThrows(IllegalStateException.class, GoTest::waitIdle);
        assertThrows(NullPointerException.class, () -> GoTest.run(null));
    }
}
