package dev.gort.bench;

import dev.gort.Chan;
import dev.gort.sync.WaitGroup;
import java.util.List;

/**
 * W3 buffered: 1 producer sends 10,000,000 ints through a channel of capacity 1024 to 1
 * consumer (the consumer sums them; the sum is checked). Unit: ns per message (elapsed time from
 * before the two are started until both have ended, / n).
 *
 * <ul>
 *   <li>{@code gort}: {@link Chan#make(int) Chan.make(1024)}, two goroutines, the driver
 *       goroutine waits on a {@link WaitGroup} (as the Go anchor does).</li>
 *   <li>{@code jvm-abq}, {@code jvm-jox}: the anchor's body (anchors/jvm/Buffered.java)
 *       unchanged: {@code ArrayBlockingQueue(1024)} / jox {@code Channel.newBufferedChannel(1024)}
 *       through {@link Ch}, two virtual threads, joined.</li>
 * </ul>
 */
final class Buffered implements Workload {
    static final int CAPACITY = 1024;

    @Override
    public String name() {
        return "buffered";
    }

    @Override
    public List<Metric> metrics() {
        return List.of(new Metric("buffered", "ns/msg"));
    }

    @Override
    public List<Impl> impls() {
        return List.of(
            new Impl("gort", Driver.GOROUTINE, () -> new double[] {gort()}),
            new Impl("jvm-abq", Driver.VIRTUAL_THREAD, () -> new double[] {jdk("abq")}),
            new Impl("jvm-jox", Driver.VIRTUAL_THREAD, () -> new double[] {jdk("jox")}));
    }

    static double gort() throws InterruptedException {
        int n = Harness.size(10_000_000);
        Chan<Integer> ch = Chan.make(CAPACITY);
        WaitGroup wg = new WaitGroup();
        wg.add(2);
        long[] sum = new long[1];
        long t0 = System.nanoTime();
        Tasks.go(() -> { // producer
            for (int i = 0; i < n; i++) ch.send(i);
            wg.done();
        });
        Tasks.go(() -> { // consumer
            long s = 0;
            for (int i = 0; i < n; i++) s += ch.receive();
            sum[0] = s;
            wg.done();
        });
        wg.await();
        long el = System.nanoTime() - t0;
        if (sum[0] != (long) n * (n - 1) / 2) throw new AssertionError("buffered: bad checksum " + sum[0]);
        return (double) el / n;
    }

    /** The anchor's body. */
    static double jdk(String impl) throws InterruptedException {
        int n = Harness.size(10_000_000);
        Ch ch = Ch.buffered(impl, CAPACITY);
        long[] sum = new long[1];
        long t0 = System.nanoTime();
        Thread producer = Tasks.vt(() -> {
            for (int i = 0; i < n; i++) ch.send(i);
        });
        Thread consumer = Tasks.vt(() -> {
            long s = 0;
            for (int i = 0; i < n; i++) s += ch.recv();
            sum[0] = s;
        });
        producer.join();
        consumer.join();
        long el = System.nanoTime() - t0;
        if (sum[0] != (long) n * (n - 1) / 2) throw new AssertionError("buffered: bad checksum " + sum[0]);
        return (double) el / n;
    }
}
