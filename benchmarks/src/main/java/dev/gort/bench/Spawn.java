package dev.gort.bench;

import dev.gort.Go;
import dev.gort.sync.WaitGroup;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

/**
 * W1 spawn: start 1,000,000 goroutines / virtual threads, each does one atomic increment
 * ({@link AtomicLong#incrementAndGet()}) and signals completion; wait for all.
 * Unit: ns per goroutine (elapsed time from the first start to the end of the wait, / n).
 *
 * <ul>
 *   <li>{@code gort}: {@link Go#spawn} from the driver goroutine, completion by
 *       {@link WaitGroup#done()}, the driver waits in {@link WaitGroup#await()}.</li>
 *   <li>{@code jvm-vt}: {@code Thread.ofVirtual().start(task)} from the driver virtual thread,
 *       completion by {@link CountDownLatch#countDown()} (the anchor's body, unchanged).</li>
 * </ul>
 */
final class Spawn implements Workload {
    @Override
    public String name() {
        return "spawn";
    }

    @Override
    public List<Metric> metrics() {
        return List.of(new Metric("spawn", "ns/goroutine"));
    }

    @Override
    public List<Impl> impls() {
        return List.of(
            new Impl("gort", Driver.GOROUTINE, () -> new double[] {gort()}),
            new Impl("jvm-vt", Driver.VIRTUAL_THREAD, () -> new double[] {virtualThreads()}));
    }

    static double gort() throws InterruptedException {
        int n = Harness.size(1_000_000);
        AtomicLong counter = new AtomicLong();
        WaitGroup wg = new WaitGroup();
        wg.add(n);
        Runnable task = () -> {
            counter.incrementAndGet();
            wg.done();
        };
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) Go.spawn(task);
        wg.await();
        long el = System.nanoTime() - t0;
        if (counter.get() != n) throw new AssertionError("spawn: bad count " + counter.get());
        return (double) el / n;
    }

    static double virtualThreads() throws InterruptedException {
        int n = Harness.size(1_000_000);
        AtomicLong counter = new AtomicLong();
        CountDownLatch latch = new CountDownLatch(n);
        Runnable task = () -> {
            counter.incrementAndGet();
            latch.countDown();
        };
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) Thread.ofVirtual().start(task);
        latch.await();
        long el = System.nanoTime() - t0;
        if (counter.get() != n) throw new AssertionError("spawn: bad count " + counter.get());
        return (double) el / n;
    }
}
