package dev.gort;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gort.sync.WaitGroup;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Select, with behaviours ported from Go's chan_test.go and test/chan (doubleselect, select2, select6). */
class SelectTest {

    @AfterEach
    void schedulerAtRest() throws InterruptedException {
        GoTestSupport.assertSchedulerAtRest();
        GoTestSupport.awaitTrue("no timer left armed", 10_000, () -> dev.gort.sched.Scheduler.get().pendingTimers() == 0);
    }

    private static void run(GoTestSupport.ThrowingRunnable body) {
        GoTestSupport.runMain(body);
    }

    @Test
    void defaultRunsWhenNothingIsReadyAndNeverWaits() throws Exception {
        Chan<Integer> c = Chan.make();
        AtomicReference<String> which = new AtomicReference<>();
        new Select().recv(c, v -> which.set("recv")).send(c, 1, () -> which.set("send"))
            .otherwise(() -> which.set("default")).run();
        assertEquals("default", which.get());
    }

    @Test
    void readyCaseIsTakenWithoutWaiting() throws Exception {
        Chan<Integer> c = Chan.make(1);
        c.send(7);
        AtomicInteger got = new AtomicInteger();
        new Select().recv(c, got::set).otherwise(() -> got.set(-1)).run();
        assertEquals(7, got.get());
        new Select().send(c, 8, () -> got.set(100)).otherwise(() -> got.set(-1)).run();
        assertEquals(100, got.get());
        assertEquals(8, c.receive());
    }

    /** Go's TestSelectFairness: with two ready cases, each wins within 4.89/(2*sqrt(N)) of half. */
    @Test
    void randomChoiceAmongReadyCasesIsFair() throws Exception {
        int trials = 10_000;
        Chan<Integer> a = Chan.make(trials), b = Chan.make(trials);
        for (int i = 0; i < trials; i++) {
            a.send(1);
            b.send(2);
        }
        int[] counts = new int[3];
        for (int i = 0; i < trials; i++) {
            new Select().recv(a, v -> counts[v]++).recv(b, v -> counts[v]++).run();
        }
        double p = counts[1] / (double) trials;
        assertTrue(Math.abs(p - 0.5) <= 4.89 / (2 * Math.sqrt(trials)), "case 1 won " + counts[1] + " of " + trials);
    }

    /** Waits on several channels; the first to fire wins; the losers leave every queue (select6). */
    @Test
    void waitingSelectWakesOnFirstAndLeavesNoStaleWaiters() {
        run(() -> {
            Chan<Integer> c1 = Chan.make(), c2 = Chan.make();
            AtomicInteger got = new AtomicInteger();
            Goroutine sel = Go.spawn(() -> {
                try {
                    new Select().recv(c1, v -> got.set(v)).recv(c2, v -> got.set(-v)).run();
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            });
            while (sel.state() != Goroutine.State.WAITING) Go.yield();
            c1.send(5);
            sel.join();
            assertEquals(5, got.get());
            // No receiver may be left on c2 by the finished select.
            assertEquals(0, c2.queuedReceivers(), "the finished select left a waiter on c2");
            assertFalse(c2.trySend(1), "a stale select waiter took a value");
        });
    }

    /** Go's test/chan/doubleselect: a select never completes two cases. */
    @Test
    void twoCasesNeverBothFire() {
        int n = 20_000;
        run(() -> {
            Chan<Integer> c1 = Chan.make(), c2 = Chan.make(), c3 = Chan.make(), c4 = Chan.make();
            Chan<Integer> done = Chan.make(4);
            // The sender offers each value on all four channels at once; only one may take it.
            Go.spawn(() -> {
                try {
                    for (int i = 0; i < n; i++) {
                        new Select().send(c1, i, () -> { }).send(c2, i, () -> { })
                            .send(c3, i, () -> { }).send(c4, i, () -> { }).run();
                    }
                    c1.close();
                    c2.close();
                    c3.close();
                    c4.close();
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            });
            int[] seen = new int[n];
            AtomicInteger total = new AtomicInteger();
            for (Chan<Integer> c : java.util.List.of(c1, c2, c3, c4)) {
                Go.spawn(() -> {
                    for (int v : c) {
                        synchronized (seen) {
                            seen[v]++;
                        }
                        total.incrementAndGet();
                    }
                    try {
                        done.send(1);
                    } catch (InterruptedException e) {
                        throw new AssertionError(e);
                    }
                });
            }
            for (int i = 0; i < 4; i++) done.receive();
            assertEquals(n, total.get());
            for (int i = 0; i < n; i++) assertEquals(1, seen[i], "value " + i);
        });
    }

    /** Go's TestSelfSelect: a goroutine's send and receive cases on one channel never pair up. */
    @WithCapacities({0, 10})
    void selectNeverPairsWithItself(int cap) {
        run(() -> {
            Chan<Integer> c = Chan.make(cap);
            WaitGroup wg = new WaitGroup();
            wg.add(2);
            AtomicReference<Throwable> bad = new AtomicReference<>();
            for (int p = 0; p < 2; p++) {
                int me = p;
                Go.spawn(() -> {
                    try {
                        for (int i = 0; i < 1000; i++) {
                            if ((me == 0 ? i : i + 1) % 2 == 0) {
                                new Select().send(c, me, () -> { }).recv(c, v -> {
                                    if (cap == 0 && v == me) bad.set(new AssertionError("received own value"));
                                }).run();
                            } else {
                                new Select().recv(c, v -> {
                                    if (cap == 0 && v == me) bad.set(new AssertionError("received own value"));
                                }).send(c, me, () -> { }).run();
                            }
                        }
                    } catch (InterruptedException e) {
                        bad.set(e);
                    }
                    wg.done();
                });
            }
            wg.await();
            assertNull(bad.get());
        });
    }

    /** Go's test/chan/select2: many selects that lose on one channel do not pile up waiters there. */
    @Test
    void losingCasesDoNotAccumulate() {
        run(() -> {
            Chan<Integer> hot = Chan.make(), cold = Chan.make();
            Go.spawn(() -> {
                try {
                    for (int i = 0; i < 100_000; i++) hot.send(i);
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            });
            AtomicInteger n = new AtomicInteger();
            for (int i = 0; i < 100_000; i++) {
                new Select().recv(hot, v -> n.incrementAndGet()).recv(cold, v -> { throw new AssertionError(); }).run();
            }
            assertEquals(100_000, n.get());
            assertEquals(0, cold.queuedReceivers(), "stale receivers left on the losing channel");
        });
    }

    /** Go's TestSelectDuplicateChannel: the same channel in several cases. */
    @Test
    void sameChannelInSeveralCases() {
        run(() -> {
            Chan<Integer> c = Chan.make();
            AtomicInteger sum = new AtomicInteger();
            Goroutine g = Go.spawn(() -> {
                try {
                    new Select().recv(c, sum::addAndGet).recv(c, v -> sum.addAndGet(10 * v)).run();
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            });
            while (g.state() != Goroutine.State.WAITING) Go.yield();
            c.send(1);
            g.join();
            assertTrue(sum.get() == 1 || sum.get() == 10, "sum " + sum.get());
            assertEquals(0, c.queuedReceivers(), "the select's other case is still queued");
            assertFalse(c.trySend(2), "a second case of the same select fired");
        });
    }

    @Test
    void nullChannelIsNeverReady() throws Exception {
        Chan<Integer> c = Chan.make(1);
        c.send(3);
        AtomicInteger got = new AtomicInteger();
        new Select().recv(null, v -> got.set(-1)).recv(c, got::set).run();
        assertEquals(3, got.get());
    }

    @Test
    void closedChannelCases() throws Exception {
        Chan<Integer> c = Chan.make();
        c.close();
        AtomicReference<Object> got = new AtomicReference<>("unset");
        new Select().recv(c, got::set).run();
        assertNull(got.get(), "a receive case on a closed channel fires with null");
        assertThrows(ChannelClosedException.class, () -> new Select().send(c, 1, () -> { }).run());
        // a waiting send case throws when its channel is closed
        Chan<Integer> d = Chan.make();
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Goroutine g = Go.spawn(() -> {
            try {
                new Select().send(d, 1, () -> { }).run();
            } catch (Throwable e) {
                thrown.set(e);
            }
        });
        GoTestSupport.awaitTrue("select waiting", 10_000, () -> g.state() == Goroutine.State.WAITING);
        d.close();
        g.join();
        assertTrue(thrown.get() instanceof ChannelClosedException, String.valueOf(thrown.get()));
    }

    @Test
    void platformThreadSelectWaitsAndIsInterruptible() throws Exception {
        Chan<Integer> a = Chan.make(), b = Chan.make();
        AtomicInteger got = new AtomicInteger();
        Thread t = Thread.ofPlatform().start(() -> {
            try {
                new Select().recv(a, got::set).recv(b, got::set).run();
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        });
        GoTestSupport.awaitTrue("platform select waiting", 10_000, () -> t.getState() == Thread.State.WAITING);
        Go.spawn(() -> {
            try {
                b.send(9);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }).join();
        t.join();
        assertEquals(9, got.get());

        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread u = Thread.ofPlatform().start(() -> {
            try {
                new Select().recv(a, v -> { }).run();
            } catch (Throwable e) {
                thrown.set(e);
            }
        });
        GoTestSupport.awaitTrue("platform select waiting", 10_000, () -> u.getState() == Thread.State.WAITING);
        u.interrupt();
        u.join();
        assertTrue(thrown.get() instanceof InterruptedException, String.valueOf(thrown.get()));
        assertEquals(0, a.queuedReceivers(), "the interrupted select left a receiver behind");
    }

    @Test
    void badInput() {
        assertThrows(IllegalStateException.class, () -> new Select().run());
        assertThrows(NullPointerException.class, () -> new Select().send(Chan.make(), null, () -> { }));
        assertThrows(NullPointerException.class, () -> new Select().recv(Chan.make(), null));
        assertThrows(IllegalStateException.class, () -> new Select().otherwise(() -> { }).otherwise(() -> { }));
    }
}
