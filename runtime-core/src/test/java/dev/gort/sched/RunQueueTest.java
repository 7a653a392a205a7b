package dev.gort.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** The P-local run queue: single-threaded behaviour, then the owner against concurrent thieves. */
class RunQueueTest {
    private static G[] goroutines(int n) {
        G[] gs = new G[n];
        for (int i = 0; i < n; i++) gs[i] = new G(i, null, () -> {});
        return gs;
    }

    @Test
    void fifoThenRunnextFirst() {
        RunQueue.Owner q = new RunQueue.Owner();
        GlobalQueue global = new GlobalQueue();
        G[] gs = goroutines(4);
        q.put(gs[0], false, global);
        q.put(gs[1], false, global);
        q.put(gs[2], true, global);
        q.put(gs[3], true, global); // kicks gs[2] to the tail
        assertSame(gs[3], q.poll());
        assertSame(gs[0], q.poll());
        assertSame(gs[1], q.poll());
        assertSame(gs[2], q.poll());
        assertNull(q.poll());
        assertEquals(true, global.isEmpty());
    }

    @Test
    void overflowMovesHalfPlusOneToTheGlobalQueue() {
        RunQueue.Owner q = new RunQueue.Owner();
        GlobalQueue global = new GlobalQueue();
        G[] gs = goroutines(RunQueue.CAPACITY + 1);
        for (int i = 0; i < RunQueue.CAPACITY; i++) assertFalse(q.put(gs[i], false, global));
        assertTrue(q.put(gs[RunQueue.CAPACITY], false, global), "the 257th put spills");
        assertEquals(1, global.size(), "one batch entry");
        // Order is kept: the oldest half went to the global queue, then the newcomer.
        RunQueue.Owner taker = new RunQueue.Owner();
        assertSame(gs[0], global.pollInto(taker));
        for (int i = 1; i < RunQueue.CAPACITY / 2; i++) assertSame(gs[i], taker.poll());
        assertSame(gs[RunQueue.CAPACITY], taker.poll());
        assertNull(taker.poll());
        assertTrue(global.isEmpty());
        for (int i = RunQueue.CAPACITY / 2; i < RunQueue.CAPACITY; i++) assertSame(gs[i], q.poll());
        assertNull(q.poll());
    }

    @Test
    void stealTakesHalfAndRunnextOnlyWhenAsked() {
        RunQueue.Owner victim = new RunQueue.Owner(), thief = new RunQueue.Owner();
        RunQueue.Thief stealer = victim.thief();
        GlobalQueue global = new GlobalQueue();
        G[] gs = goroutines(11);
        for (int i = 0; i < 10; i++) victim.put(gs[i], false, global);
        victim.put(gs[10], true, global);
        G got = stealer.stealInto(thief, false, false);
        assertSame(gs[4], got); // five taken, the last one returned to run
        for (int i = 0; i < 4; i++) assertSame(gs[i], thief.poll());
        assertNull(thief.poll());
        assertEquals(6, victim.size()); // five left plus runnext
        int taken = 0;
        while (stealer.stealInto(thief, false, false) != null) {
            taken++;
            while (thief.poll() != null) taken++;
        }
        assertEquals(5, taken);
        // Only runnext is left now.
        assertNull(stealer.stealInto(thief, false, false));
        assertSame(gs[10], stealer.stealInto(thief, true, false));
        assertNull(victim.poll());
    }

    /**
     * The owner pushes (sometimes to runnext, sometimes overflowing) and pops while 1-3 thieves
     * steal into their own queues and run what they took; every goroutine must be taken exactly
     * once across the owner, the thieves and the global queue.
     */
    @ParameterizedTest(name = "{0} thieves")
    @ValueSource(ints = {1, 2, 3})
    void ownerAgainstThievesTakesEveryGoroutineExactlyOnce(int thieves) throws Exception {
        long seed = 0x5EED0000L + thieves;
        int total = 2_000_000;
        G[] gs = goroutines(total);
        AtomicIntegerArray seen = new AtomicIntegerArray(total);
        RunQueue.Owner owner = new RunQueue.Owner();
        RunQueue.Thief stealer = owner.thief();
        GlobalQueue global = new GlobalQueue();
        AtomicBoolean done = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        CyclicBarrier start = new CyclicBarrier(thieves + 1);
        List<Thread> ts = new ArrayList<>();
        for (int t = 0; t < thieves; t++) {
            int id = t;
            Thread th = new Thread(() -> {
                RunQueue.Owner mine = new RunQueue.Owner();
                SplittableRandom r = new SplittableRandom(seed * 31 + id);
                try {
                    start.await();
                    while (!done.get() || !stealer.isEmpty()) {
                        G g = stealer.stealInto(mine, r.nextInt(4) == 0, false);
                        if (g == null) { Thread.onSpinWait(); continue; }
                        seen.incrementAndGet((int) g.id);
                        G x;
                        while ((x = mine.poll()) != null) seen.incrementAndGet((int) x.id);
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }, "thief-" + t);
            ts.add(th);
            th.start();
        }
        SplittableRandom r = new SplittableRandom(seed);
        start.await();
        int next = 0;
        while (next < total) {
            int burst = 1 + r.nextInt(300); // bursts above 256 overflow to the global queue
            for (int i = 0; i < burst && next < total; i++) owner.put(gs[next++], r.nextInt(8) == 0, global);
            int pops = r.nextInt(burst + 1);
            for (int i = 0; i < pops; i++) {
                G g = owner.poll();
                if (g == null) break;
                seen.incrementAndGet((int) g.id);
            }
        }
        G g;
        while ((g = owner.poll()) != null) seen.incrementAndGet((int) g.id);
        done.set(true);
        for (Thread th : ts) th.join(60_000);
        RunQueue.Owner scratch = new RunQueue.Owner();
        while ((g = global.pollInto(scratch)) != null) {
            seen.incrementAndGet((int) g.id);
            G x;
            while ((x = scratch.poll()) != null) seen.incrementAndGet((int) x.id);
        }
        if (failure.get() != null) throw new AssertionError("seed " + seed, failure.get());
        for (int i = 0; i < total; i++) {
            if (seen.get(i) != 1) fail("seed " + seed + ": goroutine " + i + " taken " + seen.get(i) + " times");
        }
    }
}
