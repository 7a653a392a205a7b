package dev.gort;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Channel behaviour, ported from Go's runtime/chan_test.go TestChan and friends: every test at
 * each capacity of {@link WithCapacities}, with the other parties as goroutines and as platform
 * threads (the test body itself is a platform thread).
 */
class ChanTest {
    enum Mode { GOROUTINE, PLATFORM }

    interface Body {
        void run() throws Exception;
    }

    /** A started party: a goroutine or a platform thread. */
    static final class Party {
        private final Goroutine g;
        private final Thread t;
        private final AtomicReference<Throwable> failure = new AtomicReference<>();

        Party(Mode mode, Body body) {
            Runnable r = () -> {
                try {
                    body.run();
                } catch (Throwable e) {
                    failure.set(e);
                }
            };
            if (mode == Mode.GOROUTINE) {
                g = Go.spawn(r);
                t = null;
            } else {
                g = null;
                t = Thread.ofPlatform().daemon().start(r);
            }
        }

        boolean waiting() {
            return g != null ? g.state() == Goroutine.State.WAITING
                : t.getState() == Thread.State.WAITING || t.getState() == Thread.State.TIMED_WAITING;
        }

        boolean alive() {
            return g != null ? g.isAlive() : t.isAlive();
        }

        void join() throws Exception {
            if (g != null) g.join(); else t.join();
            if (failure.get() != null) throw new AssertionError("party failed", failure.get());
        }
    }

    @AfterEach
    void schedulerAtRest() throws InterruptedException {
        GoTestSupport.assertSchedulerAtRest();
        GoTestSupport.awaitTrue("no timer left armed", 10_000, () -> dev.gort.sched.Scheduler.get().pendingTimers() == 0);
    }

    private static void awaitWaiting(Party p) throws InterruptedException {
        GoTestSupport.awaitTrue("party waiting", 10_000, p::waiting);
    }

    @WithCapacities
    void receiveFromEmptyChannelWaitsForASend(int cap, Mode mode) throws Exception {
        Chan<Integer> c = Chan.make(cap);
        AtomicLong got = new AtomicLong(-1);
        Party r = new Party(mode, () -> got.set(c.receive()));
        awaitWaiting(r);
        assertEquals(-1, got.get(), "received from an empty channel");
        assertNull(c.tryReceive());
        c.send(42);
        r.join();
        assertEquals(42, got.get());
    }

    @WithCapacities
    void sendToFullChannelWaitsForAReceive(int cap, Mode mode) throws Exception {
        Chan<Integer> c = Chan.make(cap);
        for (int i = 0; i < cap; i++) assertTrue(c.trySend(i), "send " + i + " of " + cap);
        assertFalse(c.trySend(-1), "non-blocking send to a full channel succeeded");
        assertEquals(cap, c.len());
        assertEquals(cap, c.cap());
        Party s = new Party(mode, () -> c.send(cap));
        awaitWaiting(s);
        assertTrue(s.alive());
        for (int i = 0; i <= cap; i++) assertEquals(i, c.receive()); // FIFO, then the waiting sender's
        s.join();
        assertEquals(0, c.len());
    }

    @WithCapacities
    void closeWakesEveryWaitingReceiver(int cap, Mode mode) throws Exception {
        Chan<Integer> c = Chan.make(cap);
        List<Party> receivers = new ArrayList<>();
        AtomicLong ended = new AtomicLong();
        for (int i = 0; i < 5; i++) {
            receivers.add(new Party(mode, () -> {
                if (c.receiveOrNull() == null) ended.incrementAndGet();
            }));
        }
        for (Party p : receivers) awaitWaiting(p);
        c.close();
        for (Party p : receivers) p.join();
        assertEquals(5, ended.get());
        assertThrows(ChannelClosedException.class, c::receive);
        assertNull(c.tryReceive());
        assertTrue(c.isClosed());
    }

    @WithCapacities
    void closeMakesWaitingSendersThrow(int cap, Mode mode) throws Exception {
        Chan<Integer> c = Chan.make(cap);
        for (int i = 0; i < cap; i++) c.send(i);
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Party s = new Party(mode, () -> {
            try {
                c.send(-1);
            } catch (ChannelClosedException e) {
                thrown.set(e);
            }
        });
        awaitWaiting(s);
        c.close();
        s.join();
        assertTrue(thrown.get() instanceof ChannelClosedException);
        // Buffered values survive the close, then the channel ends.
        for (int i = 0; i < cap; i++) assertEquals(i, c.receive());
        assertNull(c.receiveOrNull());
    }

    @WithCapacities
    void fifoOfAHundredValues(int cap, Mode mode) throws Exception {
        Chan<Integer> c = Chan.make(cap);
        Party s = new Party(mode, () -> {
            for (int i = 0; i < 100; i++) c.send(i);
            c.close();
        });
        int expect = 0;
        for (int v : c) assertEquals(expect++, v);
        assertEquals(100, expect);
        s.join();
    }

    /** 4 senders x 1000 values arrive as the same multiset (Go's TestChan "Send 1000 integers in 4 goroutines"). */
    @WithCapacities
    void fourSendersArriveAsTheSameMultiset(int cap, Mode mode) throws Exception {
        Chan<Integer> c = Chan.make(cap);
        List<Party> senders = new ArrayList<>();
        for (int p = 0; p < 4; p++) {
            senders.add(new Party(mode, () -> {
                for (int i = 0; i < 1000; i++) c.send(i);
            }));
        }
        int[] seen = new int[1000];
        for (int i = 0; i < 4000; i++) seen[c.receive()]++;
        for (int i = 0; i < 1000; i++) assertEquals(4, seen[i], "value " + i);
        for (Party p : senders) p.join();
        assertNull(c.tryReceive());
    }

    /** Go's TestMultiConsumer: 23 workers pass on 271,828 items; the sums match. */
    @WithCapacities
    void multiConsumer(int cap, Mode mode) throws Exception {
        int workers = 23, items = mode == Mode.PLATFORM ? 27_182 : 271_828;
        Chan<Integer> q = Chan.make(cap);
        Chan<Integer> r = Chan.make(cap);
        List<Party> ws = new ArrayList<>();
        for (int w = 0; w < workers; w++) {
            ws.add(new Party(mode, () -> {
                for (int v : q) r.send(v);
            }));
        }
        AtomicLong expected = new AtomicLong();
        Party feeder = new Party(mode, () -> {
            for (int i = 0; i < items; i++) {
                int v = (i * 31) % 1000;
                expected.addAndGet(v);
                q.send(v);
            }
            q.close();
        });
        long sum = 0;
        for (int i = 0; i < items; i++) sum += r.receive();
        feeder.join();
        for (Party w : ws) w.join();
        assertEquals(expected.get(), sum);
        assertNull(r.tryReceive());
    }

    @WithCapacities
    void interruptedPlatformThreadGivesUpWithNothingLost(int cap, Mode mode) throws Exception {
        if (mode != Mode.PLATFORM) return; // goroutines are not interrupted (yet)
        Chan<Integer> c = Chan.make(cap);
        for (int i = 0; i < cap; i++) c.send(i);
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread sender = Thread.ofPlatform().start(() -> {
            try {
                c.send(-1);
            } catch (Throwable e) {
                thrown.set(e);
            }
        });
        GoTestSupport.awaitTrue("sender waiting", 10_000, () -> sender.getState() == Thread.State.WAITING);
        sender.interrupt();
        sender.join();
        assertTrue(thrown.get() instanceof InterruptedException, String.valueOf(thrown.get()));
        assertEquals(cap, c.len(), "the interrupted send left nothing behind");
        for (int i = 0; i < cap; i++) assertEquals(i, c.receive());
        assertNull(c.tryReceive());
        Thread.currentThread().interrupt();
        assertThrows(InterruptedException.class, c::receive);
        assertFalse(Thread.currentThread().isInterrupted(), "interrupt status cleared");
    }

    @Test
    void badInput() throws Exception {
        assertThrows(IllegalArgumentException.class, () -> Chan.make(-1));
        Chan<Integer> c = Chan.make(1);
        assertThrows(NullPointerException.class, () -> c.send(null));
        assertThrows(NullPointerException.class, () -> c.trySend(null));
        c.close();
        assertThrows(ChannelClosedException.class, () -> c.send(1));
        assertThrows(ChannelClosedException.class, () -> c.trySend(1));
        assertThrows(ChannelClosedException.class, c::close);
        assertThrows(ChannelClosedException.class, c::receive);
        assertNull(c.receiveOrNull());
        assertEquals(0, Chan.make().cap());
    }

    /** A capacity beyond the stated bound is a clear IllegalArgumentException, never an OutOfMemoryError. */
    @Test
    void aCapacityAboveTheBoundIsRejectedWithoutAllocating() {
        for (int cap : new int[] {Integer.MAX_VALUE, Integer.MAX_VALUE - 8, Chan.MAX_CAPACITY + 1, Integer.MIN_VALUE}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Chan.make(cap));
            assertTrue(e.getMessage().contains(String.valueOf(cap)), e.getMessage());
        }
        assertTrue(Chan.MAX_CAPACITY >= 1 << 20, "a bound that still allows large buffers");
        assertEquals(1 << 16, Chan.make(1 << 16).cap());
    }

    /** Go's test/chan/sieve1: the concurrent prime sieve, a chain of goroutines over unbuffered channels. */
    @Test
    void primeSieve() {
        int[] primes = new int[100];
        Go.run(() -> {
            try {
                Chan<Integer> ch = Chan.make();
                Go.spawn(() -> {
                    try {
                        for (int i = 2; ; i++) ch.send(i);
                    } catch (InterruptedException | ChannelClosedException e) {
                        // ends when the program does
                    }
                });
                Chan<Integer> in = ch;
                for (int i = 0; i < primes.length; i++) {
                    int prime = in.receive();
                    primes[i] = prime;
                    Chan<Integer> src = in, out = Chan.make();
                    Go.spawn(() -> {
                        try {
                            for (;;) {
                                int v = src.receive();
                                if (v % prime != 0) out.send(v);
                            }
                        } catch (InterruptedException | ChannelClosedException e) {
                            // ends when the program does
                        }
                    });
                    in = out;
                }
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        });
        assertEquals(2, primes[0]);
        assertEquals(541, primes[99]);
    }

    /**
     * A goroutine parked in a receive: its dump stack runs from the receive down to its task and
     * stops there; the runtime's entry into the goroutine (the continuation's frames) is left out.
     */
    @Test
    void aParkedReceiversDumpShowsItsStackDownToItsTask() throws Exception {
        Chan<Integer> c = Chan.make();
        Goroutine g = Go.spawn("dumped-receiver", () -> {
            try {
                c.receive();
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        });
        GoTestSupport.awaitWaiting(g);
        String dump = Go.dump();
        c.send(1);
        g.join();
        int from = dump.indexOf("\"dumped-receiver\"");
        assertTrue(from >= 0, dump);
        int to = dump.indexOf("\ngoroutine ", from);
        String entry = dump.substring(from, to < 0 ? dump.length() : to);
        assertTrue(entry.contains("dev.gort.Chan.receive"), entry);
        assertTrue(entry.contains("ChanTest"), entry);
        assertFalse(entry.contains("GoContinuation$Entry"), entry);
        assertFalse(entry.contains("jdk.internal.vm.Continuation"), entry);
    }

    /** {@link #platformThreadsNeedNoExportForChannels}, in a child JVM without --add-exports. */
    static final class WithoutExport {
        public static void main(String[] args) throws Exception {
            Chan<Integer> c = Chan.make();
            Thread t = Thread.ofPlatform().start(() -> {
                try {
                    for (int i = 1; i <= 100; i++) c.send(i);
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
                c.close();
            });
            int sum = 0;
            for (int v : c) sum += v;
            t.join();
            System.out.println(sum);
        }
    }

    /**
     * Channels between platform threads start no goroutine, so they work on a JVM that does not
     * export jdk.internal.vm: nothing on their path loads the goroutine class (a continuation).
     */
    @Test
    void platformThreadsNeedNoExportForChannels() throws Exception {
        String javaBin = System.getProperty("java.home") + java.io.File.separator + "bin" + java.io.File.separator + "java";
        Process p = new ProcessBuilder(List.of(javaBin, "-cp", System.getProperty("java.class.path"),
            WithoutExport.class.getName())).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).trim();
        assertEquals(0, p.waitFor(), out);
        assertEquals("5050", out);
    }
}
