package dev.gort.bench;

import dev.gort.Go;
import dev.gort.Goroutine;
import dev.gort.gc.Pool;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * pool: get and put back a 4 KiB buffer, 10,000,000 times in all, from 64 goroutines (on the
 * runtime's Ps: 2 on a 2-core machine, {@code -Dgort.maxprocs} to choose), each writing one byte
 * of the buffer and reading another between the two, and yielding every 1,000 operations so that
 * the goroutines interleave on each P. Four ways to get the buffer, all on the same goroutines:
 *
 * <ul>
 *   <li>{@code gort-pool}: {@link Pool} ({@code dev.gort.gc}, Go's {@code sync.Pool});</li>
 *   <li>{@code gort-new}: {@code new byte[4096]} each time (the collector recycles);</li>
 *   <li>{@code gort-threadlocal}: a one-buffer cache in a {@link ThreadLocal} (the carrier's,
 *       since a goroutine runs on its carrier thread; correct here only because nothing yields
 *       between the get and the put);</li>
 *   <li>{@code gort-clq}: a {@link ConcurrentLinkedQueue} of buffers ({@code poll}, or a new one;
 *       {@code offer});</li>
 *   <li>{@code gort-loop}: the same loop with no get or put (each goroutine writes its own
 *       buffer): what the loop, the yields and the fan-out cost, to subtract from the others.</li>
 * </ul>
 * Metrics: {@code pool} ns per get+put (the elapsed time of the whole fan-out over the number
 * of operations), and {@code pool-alloc} bytes allocated per operation (every thread's
 * allocated-bytes counter, {@code com.sun.management.ThreadMXBean#getTotalThreadAllocatedBytes},
 * before and after). Target (issue 17): a pool hit in at most 25 ns with no allocation.
 */
final class PoolBench implements Workload {
    static final int SIZE = 4096, GOROUTINES = 64, YIELD_EVERY = 1_000;

    @Override
    public String name() {
        return "pool";
    }

    @Override
    public List<Metric> metrics() {
        return List.of(new Metric("pool", "ns/op"), new Metric("pool-alloc", "B/op"));
    }

    /** A way to get and give back a buffer. */
    interface Source {
        byte[] get();

        void put(byte[] b);
    }

    @Override
    public List<Impl> impls() {
        return List.of(
            new Impl("gort-pool", Driver.GOROUTINE, () -> run(pool())),
            new Impl("gort-new", Driver.GOROUTINE, () -> run(() -> new Source() {
                @Override public byte[] get() { return new byte[SIZE]; }
                @Override public void put(byte[] b) { }
            })),
            new Impl("gort-threadlocal", Driver.GOROUTINE, () -> run(threadLocal())),
            new Impl("gort-clq", Driver.GOROUTINE, () -> run(queue())),
            new Impl("gort-loop", Driver.GOROUTINE, () -> run(() -> null)));
    }

    private static Supplier<Source> pool() {
        return () -> {
            Pool<byte[]> p = Pool.of(() -> new byte[SIZE]);
            return new Source() {
                @Override public byte[] get() { return p.get(); }
                @Override public void put(byte[] b) { p.put(b); }
            };
        };
    }

    private static Supplier<Source> threadLocal() {
        return () -> {
            ThreadLocal<byte[][]> cache = ThreadLocal.withInitial(() -> new byte[1][]);
            return new Source() {
                @Override public byte[] get() {
                    byte[][] c = cache.get();
                    byte[] b = c[0];
                    if (b == null) return new byte[SIZE];
                    c[0] = null;
                    return b;
                }

                @Override public void put(byte[] b) { cache.get()[0] = b; }
            };
        };
    }

    private static Supplier<Source> queue() {
        return () -> {
            ConcurrentLinkedQueue<byte[]> q = new ConcurrentLinkedQueue<>();
            return new Source() {
                @Override public byte[] get() {
                    byte[] b = q.poll();
                    return b != null ? b : new byte[SIZE];
                }

                @Override public void put(byte[] b) { q.offer(b); }
            };
        };
    }

    private static final com.sun.management.ThreadMXBean THREADS =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    /** One repetition: {ns/op, B/op}. */
    static double[] run(Supplier<Source> make) throws InterruptedException {
        Source src = make.get();
        int per = Math.max(YIELD_EVERY, Harness.size(10_000_000) / GOROUTINES);
        long ops = (long) per * GOROUTINES;
        AtomicLong check = new AtomicLong();
        List<Goroutine> gs = new ArrayList<>(GOROUTINES);
        long a0 = THREADS.getTotalThreadAllocatedBytes();
        long t0 = System.nanoTime();
        for (int g = 0; g < GOROUTINES; g++) {
            gs.add(Go.spawn(src == null ? () -> {
                byte[] own = new byte[SIZE];
                long sum = 0;
                for (int i = 0; i < per; i++) {
                    sum += own[(i * 31) & (SIZE - 1)];
                    own[i & (SIZE - 1)] = (byte) i;
                    if (i % YIELD_EVERY == YIELD_EVERY - 1) Go.yield();
                }
                check.addAndGet(sum);
            } : () -> {
                long sum = 0;
                for (int i = 0; i < per; i++) {
                    byte[] b = src.get();
                    sum += b[(i * 31) & (SIZE - 1)];
                    b[i & (SIZE - 1)] = (byte) i;
                    src.put(b);
                    if (i % YIELD_EVERY == YIELD_EVERY - 1) Go.yield();
                }
                check.addAndGet(sum);
            }));
        }
        for (Goroutine g : gs) g.join();
        long el = System.nanoTime() - t0;
        long bytes = THREADS.getTotalThreadAllocatedBytes() - a0;
        if (check.get() == Long.MIN_VALUE) System.out.print(""); // keeps the reads
        return new double[] {(double) el / ops, (double) bytes / ops};
    }
}
