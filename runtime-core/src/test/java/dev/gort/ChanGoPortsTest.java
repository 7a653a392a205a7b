package dev.gort;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * More behaviours of Go's runtime/chan_test.go and test/chan/*.go: non-blocking races, the
 * pseudo-random send choice, FIFO through a chain, a chain of 10,000 goroutines.
 */
class ChanGoPortsTest {
    @AfterEach
    void schedulerAtRest() throws InterruptedException {
        GoTestSupport.assertSchedulerAtRest();
        GoTestSupport.awaitTrue("no timer left armed", 10_000, () -> dev.gort.sched.Scheduler.get().pendingTimers() == 0);
    }

    private static void run(GoTestSupport.ThrowingRunnable body) {
        GoTestSupport.runMain(body);
    }

    /** TestNonblockRecvRace: a ready-then-closed channel is never seen as not ready. */
    @Test
    void nonblockRecvRace() {
        run(() -> {
            AtomicInteger notReady = new AtomicInteger();
            for (int i = 0; i < 1000; i++) {
                Chan<Integer> c = Chan.make(1);
                c.send(1);
                Goroutine g = Go.spawn(() -> {
                    try {
                        new Select().recv(c, v -> { }).otherwise(notReady::incrementAndGet).run();
                    } catch (InterruptedException e) {
                        throw new AssertionError(e);
                    }
                });
                c.close();
                c.receiveOrNull();
                g.join();
            }
            assertEquals(0, notReady.get(), "chan is not ready");
        });
    }

    /** TestNonblockSelectRace and TestNonblockSelectRace2: one of two channels is always ready. */
    @Test
    void nonblockSelectRace() {
        for (boolean close : new boolean[] {false, true}) {
            run(() -> {
                AtomicInteger neither = new AtomicInteger();
                for (int i = 0; i < 1000; i++) {
                    Chan<Integer> c1 = Chan.make(1), c2 = Chan.make(1);
                    c1.send(1);
                    Goroutine g = Go.spawn(() -> {
                        try {
                            new Select().recv(c1, v -> { }).recv(c2, v -> { }).otherwise(neither::incrementAndGet).run();
                        } catch (InterruptedException e) {
                            throw new AssertionError(e);
                        }
                    });
                    if (close) c2.close(); else c2.send(1);
                    new Select().recv(c1, v -> { }).otherwise(() -> { }).run();
                    g.join();
                }
                assertEquals(0, neither.get(), "no channel is ready");
            });
        }
    }

    /** TestPseudoRandomSend: a select with two ready send cases picks both, not always the first. */
    @WithCapacities({0, 100})
    void pseudoRandomSend(int cap) {
        run(() -> {
            int n = 100;
            Chan<Integer> c = Chan.make(cap);
            int[] got = new int[n];
            Goroutine r = Go.spawn(() -> {
                try {
                    for (int i = 0; i < n; i++) {
                        got[i] = c.receive();
                        if (cap == 0) Go.yield();
                    }
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            });
            for (int i = 0; i < n; i++) {
                new Select().send(c, 1, () -> { }).send(c, 0, () -> { }).run();
            }
            r.join();
            int ones = 0;
            for (int v : got) ones += v;
            int zeros = n - ones;
            assertTrue(zeros > n / 10 && ones > n / 10, "want pseudo-random, got " + zeros + " zeros and " + ones + " ones");
        });
    }

    /** test/chan/fifo.go: asynchronous FIFO, and a synchronous FIFO through a chain of goroutines. */
    @Test
    void fifo() {
        run(() -> {
            int n = 10;
            Chan<Integer> ch = Chan.make(n);
            for (int i = 0; i < n; i++) ch.send(i);
            for (int i = 0; i < n; i++) assertEquals(i, ch.receive());
            // SynchFifo: goroutine i waits for its turn on in, appends to the output, passes the turn on.
            Chan<Integer> out = Chan.make(n);
            Chan<Integer> start = Chan.make();
            Chan<Integer> in = start;
            for (int i = 0; i < n; i++) {
                Chan<Integer> myIn = in, next = Chan.make();
                int value = i;
                Go.spawn(() -> {
                    try {
                        myIn.receive();
                        out.send(value);
                        next.send(0);
                    } catch (InterruptedException e) {
                        throw new AssertionError(e);
                    }
                });
                in = next;
            }
            start.send(0);
            for (int i = 0; i < n; i++) assertEquals(i, out.receive());
            in.receive();
        });
    }

    /** test/chan/goroutines.go: a chain of 10,000 goroutines, each adds one to what it receives. */
    @Test
    void chainOfTenThousandGoroutines() {
        run(() -> {
            int n = 10_000;
            Chan<Integer> leftmost = Chan.make();
            Chan<Integer> right = leftmost;
            for (int i = 0; i < n; i++) {
                Chan<Integer> left = right;
                Chan<Integer> r = Chan.make();
                Go.spawn(() -> {
                    try {
                        left.send(1 + r.receive());
                    } catch (InterruptedException e) {
                        throw new AssertionError(e);
                    }
                });
                right = r;
            }
            right.send(0);
            assertEquals(n, leftmost.receive());
        });
    }

    /** test/chan/nonblock.go, in part: non-blocking sends and receives on every capacity. */
    @WithCapacities({0, 1, 2, 10})
    void nonblock(int cap) throws Exception {
        Chan<Integer> c = Chan.make(cap);
        assertEquals(null, c.tryReceive());
        for (int i = 0; i < cap; i++) assertTrue(c.trySend(i));
        AtomicBoolean sent = new AtomicBoolean(c.trySend(99));
        assertTrue(!sent.get(), "cap " + cap + ": send to a full channel did not block");
        // A waiting receiver makes a non-blocking send on an unbuffered channel succeed.
        if (cap == 0) {
            AtomicInteger got = new AtomicInteger();
            Goroutine r = Go.spawn(() -> {
                try {
                    got.set(c.receive());
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            });
            GoTestSupport.awaitTrue("receiver waiting", 10_000, () -> r.state() == Goroutine.State.WAITING);
            assertTrue(c.trySend(7));
            r.join();
            assertEquals(7, got.get());
        }
    }
}
