package dev.gort.gc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gort.Go;
import dev.gort.Goroutine;
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

class PoolTest {
    /** A pooled object that knows who holds it: two holders at once is the bug these tests look for. */
    static final class Tagged {
        final AtomicReference<Object> owner = new AtomicReference<>();

        void acquire(Object who) {
            Object was = owner.getAndSet(who);
            if (was != null) throw new AssertionError("one object in two hands: " + was + " and " + who);
        }

        void release(Object who) {
            if (!owner.compareAndSet(who, null)) throw new AssertionError("released by " + who + " but held by " + owner.get());
        }
    }

    private static void withMaxProcs(int n, Runnable body) {
        int old = Go.setMaxProcs(n);
        try {
            body.run();
        } finally {
            Go.setMaxProcs(old);
        }
    }

    @Test
    void getAfterPutOnTheSamePReturnsTheSameObject() {
        Pool<Object> pool = Pool.of(Object::new);
        withMaxProcs(1, () -> Go.run(() -> {
            Object a = pool.get();
            pool.put(a);
            assertSame(a, pool.get());
            Object b = pool.get(); // empty now: a new one
            assertNotSame(a, b);
            pool.put(a);
            pool.put(b); // private slot taken: b goes to the P's shared stack
            Object first = pool.get(), second = pool.get();
            assertSame(a, first);
            assertSame(b, second);
        }));
    }

    @Test
    void putNullThrows() {
        Pool<Object> pool = Pool.of(Object::new);
        assertThrows(NullPointerException.class, () -> pool.put(null));
        Go.run(() -> assertThrows(NullPointerException.class, () -> pool.put(null)));
        assertThrows(NullPointerException.class, () -> Pool.of(null));
        Pool<Object> nulls = Pool.of(() -> null);
        assertThrows(NullPointerException.class, nulls::get);
    }

    /**
     * Rotations by hand (what each GC cycle's notification does). A collection of the test JVM
     * may rotate the pool once more meanwhile: such an attempt is done again (at most 5 times).
     */
    @Test
    void objectsSurviveOneRotationAndAreGoneAfterTwo() {
        for (int attempt = 0; ; attempt++) {
            if (survivesOneRotation()) return;
            if (attempt == 4) throw new AssertionError("5 attempts disturbed by the JVM's own collections");
        }
    }

    /** @return false if a collection rotated a pool beside the test's rotations (nothing said) */
    private static boolean survivesOneRotation() {
        AtomicInteger made = new AtomicInteger();
        Pool<Object> counted = Pool.of(() -> {
            made.incrementAndGet();
            return new Object();
        });
        long r0 = counted.rotations();
        Object[] seen = new Object[3];
        Go.run(() -> {
            Object a = counted.get();
            counted.put(a);
            counted.rotate();
            seen[0] = a;
            seen[1] = counted.get(); // kept by the victim generation over one cycle
            counted.put(a);
            counted.rotate();
            counted.rotate();
            seen[2] = counted.get(); // dropped after two cycles
        });
        Pool<Object> pool = Pool.of(Object::new);
        long p0 = pool.rotations();
        // From a platform thread, the same through the shared path.
        Object p = new Object();
        pool.put(p);
        pool.rotate();
        Object kept = pool.get();
        pool.put(p);
        pool.rotate();
        pool.rotate();
        Object dropped = pool.get();
        if (counted.rotations() != r0 + 3 || pool.rotations() != p0 + 3) return false;
        assertSame(seen[0], seen[1], "kept by the victim generation over one cycle");
        assertNotSame(seen[0], seen[2], "dropped after two cycles");
        assertEquals(2, made.get());
        assertSame(p, kept);
        assertNotSame(p, dropped);
        return true;
    }

    @Test
    void realCollectionsRotateAnIdlePoolEmpty() throws Exception {
        Pool<Object> pool = Pool.of(Object::new);
        WeakReference<Object> ref = putOne(pool);
        long r0 = pool.rotations();
        // Two notified cycles (the notification comes some milliseconds after the collection).
        for (int i = 0; i < 2; i++) {
            long want = r0 + i + 1;
            System.gc();
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (pool.rotations() < want) {
                if (System.nanoTime() > deadline) throw new AssertionError("no rotation within 30 s");
                LockSupport.parkNanos(1_000_000);
            }
        }
        // Nothing in the pool refers to x any more: the next collection frees it.
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (ref.get() != null) {
            if (System.nanoTime() > deadline) throw new AssertionError("the pooled object was not collected");
            System.gc();
            LockSupport.parkNanos(1_000_000);
        }
        assertNull(ref.get());
    }

    /** Puts a new object into the pool from a goroutine; nothing but the pool refers to it. */
    private static WeakReference<Object> putOne(Pool<Object> pool) {
        AtomicReference<WeakReference<Object>> ref = new AtomicReference<>();
        Go.run(() -> {
            Object x = new Object();
            ref.set(new WeakReference<>(x));
            pool.put(x);
        });
        return ref.get();
    }

    /**
     * Goroutines and platform threads take and give back tagged objects, hold them across yields,
     * and sometimes keep two, while another thread rotates the pool: no object is ever in two
     * hands, and the Ps' slots are used (hits). Seed printed.
     */
    @Test
    void neverOneObjectInTwoHands() throws Exception {
        long seed = System.nanoTime();
        System.out.println("PoolTest.neverOneObjectInTwoHands seed=" + seed);
        stress(seed, 2, false);
    }

    /** The same while GOMAXPROCS goes up and down (new P ids, retired Ps). Seed printed. */
    @Test
    void setMaxProcsUpAndDownDuringUse() throws Exception {
        long seed = System.nanoTime();
        System.out.println("PoolTest.setMaxProcsUpAndDownDuringUse seed=" + seed);
        stress(seed, 2, true);
    }

    private static void stress(long seed, int procs, boolean resize) throws Exception {
        Pool<Tagged> pool = Pool.of(Tagged::new);
        AtomicLong made = new AtomicLong();
        Pool<Tagged> counting = Pool.of(() -> {
            made.incrementAndGet();
            return new Tagged();
        });
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        int goroutines = 32, platforms = 4, ops = 10_000;
        SplittableRandom root = new SplittableRandom(seed);
        int old = Go.setMaxProcs(procs);
        Thread rotator = Thread.ofPlatform().start(() -> {
            SplittableRandom r = root.split();
            int k = 0;
            while (!stop.get()) {
                pool.rotate();
                counting.rotate();
                if (resize) Go.setMaxProcs(1 + (k++ % 4));
                LockSupport.parkNanos(r.nextInt(50_000, 500_000));
            }
        });
        try {
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < platforms; t++) {
                SplittableRandom r = root.split();
                threads.add(Thread.ofPlatform().start(() -> work(counting, r, ops, failure, false)));
            }
            List<SplittableRandom> rs = new ArrayList<>();
            for (int i = 0; i < goroutines; i++) rs.add(root.split());
            Go.run(() -> {
                List<Goroutine> gs = new ArrayList<>();
                for (int i = 0; i < goroutines; i++) {
                    SplittableRandom r = rs.get(i);
                    gs.add(Go.spawn(() -> work(counting, r, ops, failure, true)));
                }
                for (Goroutine g : gs) {
                    try {
                        g.join();
                    } catch (InterruptedException e) {
                        throw new AssertionError(e);
                    }
                }
            });
            for (Thread t : threads) t.join();
        } finally {
            stop.set(true);
            rotator.join();
            Go.setMaxProcs(old);
        }
        if (failure.get() != null) throw new AssertionError("seed " + seed, failure.get());
        long total = (long) (goroutines + platforms) * ops;
        System.out.println("PoolTest seed=" + seed + ": " + made.get() + " objects made for " + total + " gets");
        assertTrue(made.get() < total / 2, "the pool hardly ever hit: " + made.get() + " made for " + total + " gets");
        assertTrue(pool.rotations() > 0);
    }

    private static void work(Pool<Tagged> pool, SplittableRandom r, int ops, AtomicReference<Throwable> failure, boolean goroutine) {
        Object me = new Object();
        try {
            for (int i = 0; i < ops && failure.get() == null; i++) {
                Tagged a = pool.get();
                a.acquire(me);
                Tagged b = null;
                if (r.nextBoolean()) {
                    b = pool.get();
                    b.acquire(me);
                }
                if (goroutine && r.nextInt(8) == 0) Go.yield();
                else if (!goroutine && r.nextInt(64) == 0) Thread.onSpinWait();
                a.release(me);
                pool.put(a);
                if (b != null) {
                    b.release(me);
                    pool.put(b);
                }
            }
        } catch (Throwable t) {
            failure.compareAndSet(null, t);
        }
    }
}
