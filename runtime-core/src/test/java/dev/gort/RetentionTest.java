package dev.gort;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.gort.sync.WaitGroup;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * What the runtime keeps reachable after the program has let go of it: nothing. A dead
 * goroutine's handle (a run queue's stale slot, the caller of spawn, a join) keeps neither what
 * its body captured nor the last value it received, and a running goroutine keeps no value of its
 * earlier waits: otherwise a server's finished requests stay in the heap until their
 * slots are overwritten.
 */
class RetentionTest {
    /** A value whose collection a weak reference observes. */
    private static final class Payload {
        final byte[] bytes = new byte[4096];
    }

    /** How many of refs are still reachable after collections (asks the JVM up to 20 times, stops when all are cleared). */
    private static int reachable(List<WeakReference<Payload>> refs) throws InterruptedException {
        int left = refs.size();
        for (int i = 0; i < 20 && left > 0; i++) {
            System.gc();
            Thread.sleep(10);
            left = 0;
            for (WeakReference<Payload> r : refs) if (r.get() != null) left++;
        }
        return left;
    }

    @Test
    void anEndedGoroutineKeepsNothingItsBodyCaptured() throws Exception {
        List<WeakReference<Payload>> refs = new ArrayList<>();
        WaitGroup wg = new WaitGroup();
        Go.run(() -> {
            // Spawned from a goroutine: they go through its P's run queue, whose slots outlive them.
            for (int i = 0; i < 500; i++) {
                Payload p = new Payload();
                refs.add(new WeakReference<>(p));
                wg.add(1);
                Go.spawn(() -> {
                    if (p.bytes.length != 4096) throw new AssertionError();
                    wg.done();
                });
            }
            try {
                wg.await();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        assertEquals(0, reachable(refs), "payloads captured by ended goroutines still reachable");
    }

    @Test
    void aGoroutineKeepsNoValueItReceivedWhileItRunsOn() throws Exception {
        Chan<Payload> values = Chan.make();
        AtomicBoolean received = new AtomicBoolean(), stop = new AtomicBoolean();
        List<WeakReference<Payload>> refs = new ArrayList<>();
        Goroutine g = Go.spawn(() -> {
            consume(values);
            received.set(true);
            while (!stop.get()) Go.safepoint(); // runs on, with no wait that would reuse its waiter
        });
        sendTracked(g, values, refs);
        while (!received.get()) Thread.onSpinWait();
        try {
            assertEquals(0, reachable(refs), "a value received earlier still reachable from the running goroutine");
        } finally {
            stop.set(true);
            g.join();
        }
    }

    @Test
    void anEndedGoroutineKeepsNoValueItReceived() throws Exception {
        Chan<Payload> values = Chan.make();
        List<WeakReference<Payload>> refs = new ArrayList<>();
        Goroutine g = Go.spawn(() -> consume(values));
        sendTracked(g, values, refs);
        g.join();
        assertEquals(0, reachable(refs), "a value received by an ended goroutine still reachable from its handle");
    }

    /**
     * Sends g, once it is parked in its receive on {@code values}, a payload that refs tracks: the
     * value is then handed into the receiver's own waiter. Nothing of the caller keeps it.
     */
    private static void sendTracked(Goroutine g, Chan<Payload> values, List<WeakReference<Payload>> refs) throws InterruptedException {
        GoTestSupport.awaitWaiting(g);
        Payload p = new Payload();
        refs.add(new WeakReference<>(p));
        values.send(p);
    }

    /** Receives one value and drops it (in a frame of its own, so no local of the caller holds it). */
    private static void consume(Chan<Payload> c) throws InterruptedException {
        if (c.receive().bytes.length != 4096) throw new AssertionError();
    }
}
