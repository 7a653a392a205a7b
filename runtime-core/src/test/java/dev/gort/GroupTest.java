package dev.gort;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gort.sync.WaitGroup;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link Group}: the first failure cancels the siblings wherever they wait, {@code await}
 * reports it with the others suppressed, the limit bounds concurrency, {@code close} leaves no
 * member behind, groups nest, and the dump shows the tree.
 */
class GroupTest {
    @RegisterExtension
    final UncaughtReports reports = new UncaughtReports();

    @AfterEach
    void atRest() throws InterruptedException {
        GoTestSupport.assertSchedulerAndTimersAtRest();
    }

    /** A sibling's wait, to be ended by the group's cancellation. */
    interface Wait {
        void run() throws Exception;
    }

    /**
     * A member parks in {@code wait}; once it is parked another member fails. await throws that
     * failure, and the parked member ended with an InterruptedException (cut short: not
     * suppressed, not reported).
     */
    private void assertFailureCancelsSiblingIn(Wait wait) throws Exception {
        AtomicReference<Goroutine> sibling = new AtomicReference<>();
        AtomicReference<Throwable> siblingEnd = new AtomicReference<>();
        IOException boom = new IOException("boom");
        try (Group g = new Group()) {
            g.go(() -> {
                sibling.set(Go.current());
                try {
                    wait.run();
                } catch (Throwable t) {
                    siblingEnd.set(t);
                    throw t;
                }
            });
            GoTestSupport.awaitTrue("sibling parked", 10_000, () -> sibling.get() != null && sibling.get().state() == Goroutine.State.WAITING);
            g.go(() -> {
                throw boom;
            });
            IOException thrown = assertThrows(IOException.class, g::await);
            assertSame(boom, thrown);
            assertEquals(0, thrown.getSuppressed().length, "a cut-short sibling is no failure");
            assertSame(Context.CANCELED, g.context().err());
        }
        assertInstanceOf(InterruptedException.class, siblingEnd.get());
        assertEquals(1, reports.size(), () -> "the failure, and not the cut-short sibling, reported: " + reports);
        assertTrue(reports.get(0).endsWith("java.io.IOException: boom"), reports.get(0));
    }

    @Test
    void firstFailureCancelsASiblingBlockedInAChannelReceive() throws Exception {
        Chan<Integer> never = Chan.make();
        assertFailureCancelsSiblingIn(never::receive);
    }

    @Test
    void firstFailureCancelsASiblingBlockedInAChannelSend() throws Exception {
        Chan<Integer> full = Chan.make();
        assertFailureCancelsSiblingIn(() -> full.send(1));
    }

    @Test
    void firstFailureCancelsASiblingBlockedInASelect() throws Exception {
        Chan<Integer> a = Chan.make(), b = Chan.make();
        assertFailureCancelsSiblingIn(() -> new Select().recv(a, v -> { }).recv(b, v -> { }).run());
    }

    @Test
    void firstFailureCancelsASiblingInGoSleep() throws Exception {
        assertFailureCancelsSiblingIn(() -> Go.sleep(Duration.ofHours(1)));
    }

    @Test
    void awaitReturnsOnceAllMembersSucceeded() throws Exception {
        int n = 100;
        long[] squares = new long[n];
        try (Group g = new Group()) {
            for (int i = 0; i < n; i++) {
                int k = i;
                g.go(() -> {
                    Go.yield();
                    squares[k] = (long) k * k;
                });
            }
            g.await();
            assertNull(g.context().err(), "success cancels nothing");
        }
        for (int i = 0; i < n; i++) assertEquals((long) i * i, squares[i]);
    }

    @Test
    void awaitThrowsTheFirstFailureWithTheOthersSuppressed() throws Exception {
        IllegalStateException first = new IllegalStateException("first");
        try (Group g = new Group()) {
            for (int i = 0; i < 3; i++) {
                int k = i;
                g.go(() -> {
                    try {
                        Go.sleep(Duration.ofHours(1)); // interrupted by the first failure
                    } catch (InterruptedException e) {
                        throw new IllegalArgumentException("later " + k); // a failure of its own, after the cancel
                    }
                });
            }
            g.go(() -> {
                throw first;
            });
            IllegalStateException thrown = assertThrows(IllegalStateException.class, g::await);
            assertSame(first, thrown);
            assertEquals(3, thrown.getSuppressed().length);
            for (Throwable s : thrown.getSuppressed()) assertInstanceOf(IllegalArgumentException.class, s);
        }
        assertEquals(4, reports.size(), () -> "each failure reported to the handler too: " + reports);
    }

    @Test
    void theOwnersWaitParksAGoroutine() throws Exception {
        Chan<Integer> release = Chan.make();
        AtomicReference<Goroutine> owner = new AtomicReference<>();
        Goroutine o = Go.spawn("owner", () -> {
            owner.set(Go.current());
            try (Group g = new Group()) {
                g.go(release::receive);
                g.await();
            }
        });
        GoTestSupport.awaitWaiting(o);
        assertTrue(Go.dump().contains("goroutine " + o.id() + " \"owner\" [waiting, sync.WaitGroup.Wait"), Go.dump());
        release.send(1);
        o.join();
    }

    @Test
    void theLimitIsRespectedUnderTenThousandGoCalls() throws Exception {
        int limit = 8, calls = 10_000;
        AtomicInteger running = new AtomicInteger(), peak = new AtomicInteger(), done = new AtomicInteger();
        GoTestSupport.runMain(() -> {
            try (Group g = new Group()) {
                g.setLimit(limit);
                for (int i = 0; i < calls; i++) {
                    g.go(() -> {
                        int now = running.incrementAndGet();
                        peak.accumulateAndGet(now, Math::max);
                        Go.yield(); // let others start while this one holds its place
                        running.decrementAndGet();
                        done.incrementAndGet();
                    });
                }
                g.await();
            }
        });
        System.out.println("GroupTest: limit " + limit + ", " + calls + " go calls, peak concurrency " + peak.get());
        assertEquals(calls, done.get());
        assertTrue(peak.get() <= limit, "peak " + peak.get() + " over the limit " + limit);
        assertTrue(peak.get() >= 2, "peak " + peak.get() + ": the members never overlapped");
    }

    @Test
    void tryGoSaysFalseWhenTheGroupIsFull() throws Exception {
        Chan<Integer> release = Chan.make();
        try (Group g = new Group()) {
            g.setLimit(2);
            assertTrue(g.tryGo(release::receive));
            assertTrue(g.tryGo(release::receive));
            assertFalse(g.tryGo(() -> { }), "full");
            release.send(1);
            GoTestSupport.awaitTrue("a place free", 10_000, () -> g.tryGo(release::receive));
            release.send(1);
            release.send(1);
            g.await();
        }
    }

    @Test
    void closeOfAGroupWhoseOwnerThrewInterruptsAndWaitsForItsMembers() {
        AtomicReference<Throwable> memberEnd = new AtomicReference<>();
        AtomicReference<Goroutine> member = new AtomicReference<>();
        IllegalStateException ownerFailure = assertThrows(IllegalStateException.class, () -> {
            try (Group g = new Group()) {
                g.go(() -> {
                    member.set(Go.current());
                    try {
                        Go.sleep(Duration.ofHours(1));
                    } catch (InterruptedException e) {
                        memberEnd.set(e);
                        throw e;
                    }
                });
                GoTestSupport.awaitTrue("member parked", 10_000, () -> member.get() != null && member.get().state() == Goroutine.State.WAITING);
                throw new IllegalStateException("owner failed");
            }
        });
        assertEquals("owner failed", ownerFailure.getMessage());
        assertEquals(0, ownerFailure.getSuppressed().length);
        assertInstanceOf(InterruptedException.class, memberEnd.get(), "close interrupted the member");
        assertFalse(member.get().isAlive(), "no member outlives its group");
    }

    @Test
    void aFailureGoesToTheHandlerEvenWithNoAwait() {
        try (Group g = new Group()) {
            g.go(() -> {
                throw new IOException("unheard");
            });
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        assertEquals(1, reports.size(), () -> "reports: " + reports);
        assertTrue(reports.get(0).endsWith("java.io.IOException: unheard"), reports.get(0));
    }

    @Test
    void nestedGroupsAreCancelledFromTheTop() throws Exception {
        int fanOut = 3;
        ConcurrentLinkedQueue<Throwable> leafEnds = new ConcurrentLinkedQueue<>();
        WaitGroup leavesParked = new WaitGroup();
        leavesParked.add(2 * fanOut);
        RuntimeException top = new RuntimeException("top failed");
        GoTestSupport.runMain(() -> {
            try (Group outer = new Group()) {
                for (int r = 0; r < 2; r++) {
                    outer.go(() -> { // a "request" with its own fan-out
                        try (Group inner = Group.withContext(outer.context())) {
                            for (int i = 0; i < fanOut; i++) {
                                inner.go(() -> {
                                    Chan<Integer> never = Chan.make();
                                    leavesParked.done();
                                    try {
                                        never.receive();
                                    } catch (Throwable t) {
                                        leafEnds.add(t);
                                        throw t;
                                    }
                                });
                            }
                            inner.await();
                        }
                    });
                }
                leavesParked.await();
                String dump = Go.dump();
                assertTreeNests(dump);
                outer.go(() -> {
                    throw top;
                });
                assertSame(top, assertThrows(RuntimeException.class, outer::await));
            }
        });
        assertEquals(2 * fanOut, leafEnds.size());
        for (Throwable t : leafEnds) assertInstanceOf(InterruptedException.class, t);
        assertEquals(1, reports.size(), () -> "the top failure, and no cut-short leaf, reported: " + reports);
    }

    /** The dump's tree: main owns the outer group, whose two members each own a group of three. */
    private static void assertTreeNests(String dump) {
        int tree = dump.indexOf("groups:\n");
        assertTrue(tree >= 0, dump);
        String[] lines = dump.substring(tree).split("\n");
        int groups = 0, leaves = 0;
        for (String line : lines) {
            if (line.isBlank() || line.startsWith("goroutine ") || line.startsWith("SCHED")) break;
            if (line.matches(" {4}group \\d+")) groups++; // the outer group, under main
            if (line.matches(" {8}group \\d+")) groups++; // an inner group, under its request
            if (line.matches(" {10}goroutine \\d+")) leaves++; // a member, unnamed
        }
        assertEquals(3, groups, dump.substring(tree));
        assertEquals(6, leaves, dump.substring(tree));
        Matcher m = Pattern.compile("\\[waiting, chan receive, \\d+ ms, group (\\d+) of goroutine (\\d+)]").matcher(dump);
        int entries = 0;
        while (m.find()) entries++;
        assertEquals(6, entries, "each leaf's entry names its group and its owner:\n" + dump);
    }

    @Test
    void aTimeoutOfTheParentContextCutsTheMembersShort() throws Exception {
        Context.Cancellable ctx = Context.withTimeout(Context.background(), Duration.ofMillis(50));
        AtomicInteger cut = new AtomicInteger();
        long t0 = System.nanoTime();
        try (Group g = Group.withContext(ctx)) {
            g.go(() -> {
                try {
                    Go.sleep(Duration.ofHours(1)); // interrupted at the deadline
                } catch (InterruptedException e) {
                    cut.incrementAndGet();
                    throw e;
                }
            });
            g.go(() -> {
                new Select().recv(g.context().done(), x -> { }).run(); // Go's way: watch ctx.Done()
                cut.incrementAndGet();
                throw g.context().err();
            });
            assertSame(Context.DEADLINE_EXCEEDED, assertThrows(java.util.concurrent.CancellationException.class, g::await));
        } finally {
            ctx.cancel();
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(2, cut.get());
        assertTrue(ms >= 45 && ms < 10_000, ms + " ms");
        assertTrue(reports.isEmpty(), () -> "reported: " + reports);
    }

    @Test
    void aMemberStartedOnACancelledGroupStartsInterrupted() throws Exception {
        Context.Cancellable ctx = Context.withCancel(Context.background());
        ctx.cancel();
        AtomicReference<Throwable> end = new AtomicReference<>();
        try (Group g = Group.withContext(ctx)) {
            g.go(() -> {
                try {
                    Chan.<Integer>make().receive();
                } catch (InterruptedException e) {
                    end.set(e);
                    throw e;
                }
            });
            assertSame(Context.CANCELED, assertThrows(java.util.concurrent.CancellationException.class, g::await));
        }
        assertInstanceOf(InterruptedException.class, end.get());
    }

    @Test
    void aRunnableVariableIsAMemberToo() throws Exception {
        AtomicInteger runs = new AtomicInteger();
        Runnable task = runs::incrementAndGet;
        try (Group g = new Group()) {
            g.go(task);
            assertTrue(g.tryGo(task));
            g.await();
        }
        assertEquals(2, runs.get());
    }

    @Test
    void badUseFailsClearly() throws Exception {
        Group g = new Group();
        assertThrows(NullPointerException.class, () -> g.go((GoRunnable) null));
        assertThrows(NullPointerException.class, () -> g.tryGo((Runnable) null));
        assertThrows(NullPointerException.class, () -> Group.withContext(null));
        assertThrows(IllegalArgumentException.class, () -> g.setLimit(0));
        Chan<Integer> release = Chan.make();
        g.go(release::receive);
        assertThrows(IllegalStateException.class, () -> g.setLimit(4), "members run");
        release.send(1);
        g.await();
        AtomicReference<Throwable> fromMember = new AtomicReference<>();
        g.go(() -> {
            try {
                g.await();
            } catch (IllegalStateException e) {
                fromMember.set(e);
            }
        });
        g.await();
        assertTrue(fromMember.get().getMessage().contains("would wait for itself"), fromMember.get().getMessage());
        g.setLimit(-1); // no limit, allowed once none run
        g.close();
        g.close(); // idempotent
        IllegalStateException closed = assertThrows(IllegalStateException.class, () -> g.go(() -> { }));
        assertTrue(closed.getMessage().contains("closed"), closed.getMessage());
        assertThrows(IllegalStateException.class, () -> g.tryGo(() -> { }));
    }

    @Test
    void aGoWaitingForAPlaceWhenTheGroupClosesStartsNothing() throws Exception {
        AtomicInteger started = new AtomicInteger();
        AtomicReference<Throwable> goResult = new AtomicReference<>();
        Group g = new Group();
        g.setLimit(1);
        g.go(() -> Chan.<Integer>make().receive()); // holds the only place until close interrupts it
        Goroutine caller = Go.spawn(() -> {
            try {
                g.go(started::incrementAndGet);
            } catch (Throwable t) {
                goResult.set(t);
            }
        });
        GoTestSupport.awaitWaiting(caller); // parked for a place
        g.close();
        caller.join();
        assertInstanceOf(IllegalStateException.class, goResult.get());
        assertEquals(0, started.get(), "nothing starts after close");
    }

    @Test
    void closeFromAnInterruptedOwnerStillWaitsAndKeepsTheInterrupt() throws Exception {
        AtomicReference<Boolean> interruptedAfter = new AtomicReference<>();
        AtomicReference<Goroutine> member = new AtomicReference<>();
        Goroutine owner = Go.spawn(() -> {
            Group g = new Group();
            g.go(() -> {
                member.set(Go.current());
                try {
                    Go.sleep(Duration.ofHours(1));
                } finally {
                    Go.sleep(Duration.ofMillis(20)); // an interrupted member that takes a moment to end
                }
            });
            Go.current().interrupt();
            g.close();
            interruptedAfter.set(Go.interrupted());
        });
        owner.join();
        assertEquals(Boolean.TRUE, interruptedAfter.get());
        assertFalse(member.get().isAlive());
    }

    /** Many groups failing at random points: every await throws its own first failure, nothing leaks. */
    @Test
    void stressFailuresAtRandomPoints() throws Exception {
        long seed = System.nanoTime();
        System.out.println("GroupTest.stressFailuresAtRandomPoints seed " + seed);
        SplittableRandom rnd = new SplittableRandom(seed);
        int failures = 0;
        for (int round = 0; round < 200; round++) {
            int members = 1 + rnd.nextInt(20), failAt = rnd.nextInt(members + 1);
            long[] sleeps = new long[members];
            for (int i = 0; i < members; i++) sleeps[i] = rnd.nextInt(3);
            AtomicInteger ended = new AtomicInteger();
            ConcurrentLinkedQueue<Goroutine> goroutines = new ConcurrentLinkedQueue<>();
            int r = round;
            try (Group g = new Group()) {
                for (int i = 0; i < members; i++) {
                    int k = i;
                    g.go(() -> {
                        goroutines.add(Go.current());
                        try {
                            if (k == failAt) throw new IllegalStateException("round " + r);
                            Go.sleep(Duration.ofMillis(sleeps[k]));
                        } finally {
                            ended.incrementAndGet();
                        }
                    });
                }
                if (failAt < members) {
                    failures++;
                    IllegalStateException e = assertThrows(IllegalStateException.class, g::await, "seed " + seed);
                    assertEquals("round " + r, e.getMessage(), "seed " + seed);
                } else {
                    g.await();
                }
            }
            assertEquals(members, ended.get(), "seed " + seed);
            for (Goroutine m : goroutines) assertFalse(m.isAlive(), "a member outlived its group, seed " + seed);
        }
        assertEquals(failures, reports.size(), "one report per failure (none for the cut-short members), seed " + seed);
    }

    @Test
    void checkedFailuresAreThrownAsTheyAre() throws Exception {
        try (Group g = new Group()) {
            g.go(() -> {
                throw new IOException("disk");
            });
            IOException e = assertThrows(IOException.class, g::await);
            assertEquals("disk", e.getMessage()); // not wrapped in a CompletionException
        }
    }
}
