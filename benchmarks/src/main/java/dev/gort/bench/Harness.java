package dev.gort.bench;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Runs a workload's implementations with the anchors' method, in one JVM:
 * {@code -Dwarmup} (default 1) warm-up repetitions and {@code -Dreps} (default 5) measured ones
 * per implementation; the median of the measured ones is the result. Before every repetition the
 * process is settled: a GC, then a wait until it used less than 5 ms of CPU in a 100 ms window
 * (at most 30 s). Settling runs on the calling platform thread, outside any timing.
 *
 * <p>Order, so that drift on a noisy machine (CPU steal, a GC left over from the previous
 * repetition) does not fall on one implementation only: first each implementation's warm-ups,
 * in the workload's order; then measured repetition i runs every implementation once, in the
 * workload's order for even i and in reverse order for odd i (order {@code interleaved}, the
 * default). {@code -Dorder=sequential} instead runs each implementation's warm-ups and
 * repetitions back to back, one implementation after the other, as separate processes would.
 *
 * <p>Output lines, as the anchors print them: {@code WARMUP|REP <metric> <impl> <i> <value> <unit>},
 * then {@code RESULT <metric> <impl> <median> <unit>} for every implementation, in the workload's
 * order. An implementation that throws is reported as {@code RESULT <metric> <impl> FAILED -}
 * and not run again. Each repetition also prints {@code INFO busy <workload> <impl> <i>: wall=... cpu=...
 * (n CPUs)}: the process's CPU time over the repetition's wall time (setup included).
 */
final class Harness {
    static final int WARMUP = Integer.getInteger("warmup", 1);
    static final int REPS = Integer.getInteger("reps", 5);
    static final boolean INTERLEAVED = !"sequential".equals(System.getProperty("order", "interleaved"));

    private Harness() {}

    /** The problem size: {@code def}, or {@code -Dn} (for smoke tests only). */
    static int size(int def) {
        return Integer.getInteger("n", def);
    }

    /** Runs impls of w as described above; returns false if any of them failed. */
    static boolean run(Workload w, List<Workload.Impl> impls) {
        List<Workload.Metric> metrics = w.metrics();
        int k = impls.size();
        double[][][] vals = new double[k][metrics.size()][REPS]; // impl, metric, rep
        boolean[] failed = new boolean[k];
        if (INTERLEAVED) {
            for (int j = 0; j < k; j++) {
                for (int i = 0; i < WARMUP && !failed[j]; i++) failed[j] = !once(w, impls.get(j), "WARMUP", i, null);
            }
            for (int i = 0; i < REPS; i++) {
                for (int step = 0; step < k; step++) {
                    int j = i % 2 == 0 ? step : k - 1 - step;
                    if (!failed[j]) failed[j] = !once(w, impls.get(j), "REP", i, vals[j]);
                }
            }
        } else {
            for (int j = 0; j < k; j++) {
                for (int i = 0; i < WARMUP && !failed[j]; i++) failed[j] = !once(w, impls.get(j), "WARMUP", i, null);
                for (int i = 0; i < REPS && !failed[j]; i++) failed[j] = !once(w, impls.get(j), "REP", i, vals[j]);
            }
        }
        boolean ok = true;
        for (int j = 0; j < k; j++) {
            for (int m = 0; m < metrics.size(); m++) {
                Workload.Metric metric = metrics.get(m);
                if (failed[j] || REPS == 0) {
                    System.out.printf("RESULT %s %s FAILED -%n", metric.name(), impls.get(j).name());
                } else {
                    print("RESULT", metric.name(), impls.get(j).name(), "", median(vals[j][m]), metric.unit());
                }
            }
            ok &= !failed[j];
        }
        System.out.flush();
        return ok;
    }

    /** One repetition of impl, after settling; stores its values at index i of into (unless null). */
    private static boolean once(Workload w, Workload.Impl impl, String kind, int i, double[][] into) {
        List<Workload.Metric> metrics = w.metrics();
        double[] v;
        try {
            settle();
            long c0 = cpuNanos(), t0 = System.nanoTime();
            v = impl.driver().run(impl.body());
            long wall = System.nanoTime() - t0, cpu = cpuNanos() - c0;
            // How many CPUs the repetition kept busy (all threads: carriers, GC, JIT): tells a
            // scaling loss from idle CPUs apart from one of more CPU per operation.
            System.out.println(String.format(Locale.ROOT, "INFO busy %s %s %d: wall=%.1f ms cpu=%.1f ms (%.2f CPUs)",
                w.name(), impl.name(), i, wall / 1e6, cpu / 1e6, wall > 0 ? (double) cpu / wall : 0.0));
            if (v == null || v.length != metrics.size()) {
                throw new IllegalStateException("body returned " + (v == null ? "null" : v.length + " values")
                    + ", expected " + metrics.size());
            }
        } catch (Throwable t) {
            System.out.printf("INFO %s %s failed in %s %d: %s%n", w.name(), impl.name(), kind, i, t);
            t.printStackTrace(System.out);
            return false;
        }
        for (int m = 0; m < metrics.size(); m++) {
            if (into != null) into[m][i] = v[m];
            print(kind, metrics.get(m).name(), impl.name(), i + " ", v[m], metrics.get(m).unit());
        }
        return true;
    }

    static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
            .getProcessCpuTime();
    }

    /** GC, then wait (at most 30 s) until the process used less than 5 ms CPU in a 100 ms window. */
    static void settle() throws InterruptedException {
        System.gc();
        long deadline = System.nanoTime() + 30_000_000_000L;
        long prev = cpuNanos();
        while (System.nanoTime() < deadline) {
            Thread.sleep(100);
            long cur = cpuNanos();
            if (cur - prev < 5_000_000L) return;
            prev = cur;
        }
        System.out.println("INFO settle: process did not become quiet within 30 s");
    }

    static double median(double[] xs) {
        double[] s = xs.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    private static void print(String kind, String metric, String impl, String idx, double v, String unit) {
        System.out.println(String.format(Locale.ROOT, "%s %s %s %s%.3f %s", kind, metric, impl, idx, v, unit));
    }

    /** The implementations of w whose names are in the comma-separated filter (all when it is null or empty). */
    static List<Workload.Impl> select(Workload w, String filter) {
        if (filter == null || filter.isBlank()) return w.impls();
        List<String> wanted = Arrays.asList(filter.split(","));
        List<Workload.Impl> out = new ArrayList<>();
        for (Workload.Impl impl : w.impls()) if (wanted.contains(impl.name())) out.add(impl);
        return out;
    }
}
