package dev.gort.bench;

import dev.gort.Chan;
import dev.gort.Go;
import dev.gort.Goroutine;
import dev.gort.sync.WaitGroup;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;

/**
 * W6 parked: 1,000,000 goroutines, each blocked receiving on its own unbuffered channel; the
 * memory per parked goroutine is measured, then all are released (one send each) and waited for.
 * Metrics, both in bytes per goroutine, as anchors/jvm/Parked.java measures them:
 * <ul>
 *   <li>{@code parked}: heap used after {@code System.gc()} (twice), minus the baseline;</li>
 *   <li>{@code parked-rss}: VmRSS from /proc/self/status, minus the baseline.</li>
 * </ul>
 * The baseline is read once per process (after a GC), as the anchors do, at the first repetition
 * of this workload (before anything of it is started; the Gort runtime is already up). So the
 * heap metric counts everything the 1,000,000 parked goroutines hold: goroutine and stack,
 * channel, the two arrays of handles and channels (the anchors count the same).
 *
 * <p>{@code benchmarks/run.sh} runs each implementation in a JVM of its own ({@code -Dimpls=gort}),
 * as the anchors do. Run with several, they share one JVM, and each one's figures then depend on
 * the others: RSS does not go down when the heap is freed, so {@code parked-rss} counts what ran
 * before; the heap metric counts what an implementation before it left in the heap (the JDK's
 * virtual-thread scheduler keeps ~46 B per thread it ran). An INFO line after each repetition
 * prints what is left over, and the heap per goroutine against the heap just before the
 * repetition. {@code -Dparked.histogram=N} prints the largest lines of a class
 * histogram while everything is parked (diagnostics).
 *
 * <ul>
 *   <li>{@code gort}: {@code Go.spawn} of goroutines blocked in {@link Chan#receive()} on their own
 *       {@link Chan#make()}; a {@link WaitGroup} for "all started", then the driver waits until
 *       every handle's {@link Goroutine#state()} is {@code WAITING} (in 100 ms steps; the sleep and
 *       the GCs run inside {@link Go#blocking}); release by one send per channel, then
 *       {@link Goroutine#join()} for each.</li>
 *   <li>{@code jvm-sq}, {@code jvm-jox}: the anchor's body unchanged: virtual threads blocked in
 *       {@code SynchronousQueue.take()} / jox {@code receive()}, a {@code CountDownLatch}, a wait
 *       until every thread's state is {@code WAITING}, release, join.</li>
 * </ul>
 */
public final class Parked implements Workload {
    private static long[] base; // heap used after GC, VmRSS; read once per process

    @Override
    public String name() {
        return "parked";
    }

    @Override
    public List<Metric> metrics() {
        return List.of(new Metric("parked", "B/goroutine"), new Metric("parked-rss", "B/goroutine"));
    }

    @Override
    public List<Impl> impls() {
        return List.of(
            new Impl("gort", Driver.GOROUTINE, Parked::gort),
            new Impl("jvm-sq", Driver.VIRTUAL_THREAD, () -> jdk("sq")),
            new Impl("jvm-jox", Driver.VIRTUAL_THREAD, () -> jdk("jox")));
    }

    static long heapUsedAfterGc() {
        System.gc();
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    static long vmRss() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) return Long.parseLong(line.split("\\s+")[1]) * 1024;
        }
        return 0;
    }

    static long[] mem() throws IOException {
        long heap = heapUsedAfterGc();
        return new long[] {heap, vmRss()};
    }

    /** The baseline, read at the first call (the harness has just run a GC and settled). */
    private static synchronized long[] baseline() throws IOException {
        if (base == null) {
            base = mem();
            System.out.printf("INFO baseline heapUsed=%d rss=%d%n", base[0], base[1]);
        }
        return base;
    }

    /**
     * The INFO line after a repetition: what is left over against the baseline after the release,
     * and the heap per goroutine against the heap just before this repetition (which leaves out
     * what earlier repetitions, of any implementation, left in the heap; not an anchor metric).
     */
    private static void afterRelease(String impl, long[] before, long[] parked, long[] after, long[] b, int n) {
        System.out.println(String.format(Locale.ROOT,
            "INFO parked %s: before-baseline heapUsed=%d rss=%d; after release heapUsed=%d rss=%d;"
                + " heap per goroutine against the heap just before this repetition: %.1f B",
            impl, before[0] - b[0], before[1] - b[1], after[0] - b[0], after[1] - b[1],
            (double) (parked[0] - before[0]) / n));
    }

    /**
     * With {@code -Dparked.histogram=N}: the N largest lines of the heap's class histogram while
     * everything is parked (diagnostic; it runs a full GC, outside the measurement).
     */
    private static void histogram(String impl) throws Exception {
        int lines = Integer.getInteger("parked.histogram", 0);
        if (lines <= 0) return;
        String h = (String) ManagementFactory.getPlatformMBeanServer().invoke(
            new javax.management.ObjectName("com.sun.management:type=DiagnosticCommand"), "gcClassHistogram",
            new Object[] {new String[0]}, new String[] {String[].class.getName()});
        System.out.println("INFO parked " + impl + " class histogram while parked (largest " + lines + "):");
        h.lines().limit(lines + 2).forEach(l -> System.out.println("INFO   " + l));
    }

    static double[] gort() throws Exception {
        long[] b = Go.blocking(Parked::baseline);
        long[] before = Go.blocking(Parked::mem);
        int n = Harness.size(1_000_000);
        @SuppressWarnings("unchecked")
        Chan<Integer>[] chans = new Chan[n];
        Goroutine[] gs = parkAll(chans);
        long[] s = Go.blocking(Parked::mem);
        Go.blocking(() -> {
            histogram("gort");
            return null;
        });
        for (Chan<Integer> ch : chans) ch.send(1); // release them all
        for (Goroutine g : gs) g.join();
        double[] r = {(double) (s[0] - b[0]) / n, (double) (s[1] - b[1]) / n};
        chans = null;
        gs = null;
        afterRelease("gort", before, s, Go.blocking(Parked::mem), b, n);
        return r;
    }

    /**
     * W6's goroutines, run from a goroutine: makes a channel into each slot of {@code chans} and
     * spawns a goroutine parked in its receive, the body as the anchor's; returns their handles
     * once every one is WAITING. Public for {@code benchmarks/tools/StackChunkFrames.java}, which
     * counts the frames of these very goroutines.
     */
    public static Goroutine[] parkAll(Chan<Integer>[] chans) throws Exception {
        int n = chans.length;
        Goroutine[] gs = new Goroutine[n];
        WaitGroup started = new WaitGroup();
        started.add(n);
        for (int i = 0; i < n; i++) {
            Chan<Integer> ch = Chan.make();
            chans[i] = ch;
            // Go.spawn directly (no Tasks.go wrapper, which would add a closure per goroutine)
            gs[i] = Go.spawn(() -> {
                started.done();
                try {
                    ch.receive();
                } catch (InterruptedException e) {
                    throw new RuntimeException(e);
                }
            });
        }
        started.await();
        // wait until every goroutine is really parked in its receive
        for (int waiting = 0; waiting < n; ) {
            Go.blocking(() -> {
                Thread.sleep(100);
                return null;
            });
            waiting = 0;
            for (Goroutine g : gs) if (g.state() == Goroutine.State.WAITING) waiting++;
        }
        return gs;
    }

    /** The anchor's body. */
    static double[] jdk(String impl) throws Exception {
        long[] b = baseline();
        long[] before = mem();
        int n = Harness.size(1_000_000);
        Ch[] chans = new Ch[n];
        Thread[] threads = new Thread[n];
        CountDownLatch started = new CountDownLatch(n);
        for (int i = 0; i < n; i++) {
            Ch ch = Ch.rendezvous(impl);
            chans[i] = ch;
            threads[i] = Thread.ofVirtual().start(() -> {
                started.countDown();
                try {
                    ch.recv();
                } catch (InterruptedException e) {
                    throw new RuntimeException(e);
                }
            });
        }
        started.await();
        // wait until every thread is really parked in its receive
        for (int waiting = 0; waiting < n; ) {
            Thread.sleep(100);
            waiting = 0;
            for (Thread t : threads) if (t.getState() == Thread.State.WAITING) waiting++;
        }
        long[] s = mem();
        histogram("jvm-" + impl);
        for (Ch ch : chans) ch.send(1); // release them all
        for (Thread t : threads) t.join();
        double[] r = {(double) (s[0] - b[0]) / n, (double) (s[1] - b[1]) / n};
        chans = null;
        threads = null;
        afterRelease("jvm-" + impl, before, s, mem(), b, n);
        return r;
    }
}
