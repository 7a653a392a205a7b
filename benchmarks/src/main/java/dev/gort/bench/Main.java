package dev.gort.bench;

import dev.gort.Go;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The Gort benchmark runner: the anchors' workloads (W1 spawn, ...), each run by Gort and by the
 * JDK implementations the anchors measure, in this one JVM, so that Gort's numbers can be read
 * as ratios against virtual threads (and, through benchmarks/run.sh, against Go) from one run.
 *
 * <pre>
 *   java &lt;Gort JVM flags&gt; -XX:+UseG1GC -Djdk.virtualThreadScheduler.parallelism=2 -Dgort.maxprocs=2 \
 *        -jar benchmarks/target/benchmarks.jar [workload...] [-Dwarmup=1] [-Dreps=5] [-Dn=N]
 *        [-Dimpls=gort,jvm-vt] [-Dorder=interleaved|sequential]
 *   java -jar benchmarks/target/benchmarks.jar --list      # the workload names
 * </pre>
 * No workload (or {@code all}) runs every one. {@code -D} options may also follow the jar, as
 * program arguments. Prints one INFO line, then per workload the {@code WARMUP}, {@code REP} and
 * {@code RESULT <metric> <impl> <value> <unit>} lines (see {@link Harness} for the method).
 * Exit status 1 when any implementation failed. benchmarks/run.sh runs this once per workload,
 * next to the Go anchor program, and prints the comparison table.
 */
public final class Main {
    /** Every workload, in the anchors' order, then Gort's own (no Go anchor: exec-submit, exec-sleep, exec-block, floor). */
    static final List<Workload> WORKLOADS =
        List.of(new Spawn(), new PingPong(), new Buffered(), new Sieve(), new Ring(), new Parked(),
            new Fairness(), new ExecSubmit(), new ExecSleep(), new ExecBlock(), new Floor(), new PoolBench());

    private Main() {}

    public static void main(String[] args) {
        List<String> names = new ArrayList<>();
        for (String a : args) {
            if (a.equals("--list")) {
                WORKLOADS.forEach(w -> System.out.println(w.name()));
                return;
            } else if (a.equals("-h") || a.equals("--help")) {
                usage();
                return;
            } else if (a.startsWith("-D") && a.indexOf('=') > 2) {
                System.setProperty(a.substring(2, a.indexOf('=')), a.substring(a.indexOf('=') + 1));
            } else if (a.startsWith("-")) {
                System.err.println("unknown option: " + a);
                usage();
                System.exit(2);
            } else if (!a.equals("all")) {
                names.add(a);
            }
        }
        List<Workload> selected = new ArrayList<>();
        for (String n : names) {
            Workload w = WORKLOADS.stream().filter(x -> x.name().equals(n)).findFirst().orElse(null);
            if (w == null) {
                System.err.println("unknown workload: " + n + " (one of: "
                    + String.join(" ", WORKLOADS.stream().map(Workload::name).toList()) + ")");
                System.exit(2);
            }
            selected.add(w);
        }
        if (selected.isEmpty()) selected.addAll(WORKLOADS);

        info();
        boolean ok = true;
        for (Workload w : selected) {
            List<Workload.Impl> impls = Harness.select(w, System.getProperty("impls"));
            if (impls.isEmpty()) {
                System.out.println("INFO " + w.name() + ": no implementation selected by -Dimpls");
                continue;
            }
            ok &= Harness.run(w, impls);
        }
        System.out.flush();
        // Gort's and the JDK's carrier threads may still be around: end the process explicitly.
        System.exit(ok ? 0 : 1);
    }

    /** The INFO line: JDK, CPUs, both schedulers' sizes, heap, GC and the method's settings. Starts Gort. */
    private static void info() {
        String maxProcs;
        try {
            maxProcs = Integer.toString(Go.maxProcs());
        } catch (RuntimeException | Error e) {
            maxProcs = "unavailable(" + e.getMessage() + ")";
        }
        List<String> gcs = ManagementFactory.getGarbageCollectorMXBeans().stream()
            .map(GarbageCollectorMXBean::getName).toList();
        System.out.println(String.format(Locale.ROOT,
            "INFO java=%s cpus=%d maxprocs=%s parallelism=%s maxHeap=%dMiB gc=%s warmup=%d reps=%d order=%s n=%s",
            Runtime.version(), Runtime.getRuntime().availableProcessors(), maxProcs,
            System.getProperty("jdk.virtualThreadScheduler.parallelism", "(default)"),
            Runtime.getRuntime().maxMemory() >> 20, gcs, Harness.WARMUP, Harness.REPS,
            Harness.INTERLEAVED ? "interleaved" : "sequential", System.getProperty("n", "(default)")));
    }

    private static void usage() {
        System.out.println("usage: java <Gort JVM flags> -jar benchmarks.jar [workload...|all] [--list]"
            + " [-Dwarmup=1] [-Dreps=5] [-Dn=N] [-Dimpls=a,b] [-Dorder=interleaved|sequential]");
        System.out.println("workloads: " + String.join(" ", WORKLOADS.stream().map(Workload::name).toList()));
    }
}
