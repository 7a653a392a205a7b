import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import jdk.internal.vm.Continuation;
import jdk.internal.vm.ContinuationScope;

/**
 * Two busy continuation carriers in one JVM, with and without an idle thread started between
 * them (docs/BENCHMARKS.md, "Two busy carriers"). Each carrier is a platform thread resuming 503
 * bare continuations in turn, as {@code floor-ring} does (no runtime: the JDK's switch only);
 * the figure is ns per hop, each carrier's median over its last repetitions.
 *
 * <p>The JDK writes per-thread state at every mount and unmount of a continuation (the carrier's
 * scoped-value cache, among others, some of it in native memory allocated when a thread starts,
 * in the order threads start). Two carriers started back to back may share cache lines there,
 * and then each switch of one invalidates the other's: the "spacer" variant starts a thread that
 * only parks after each carrier, and the two carriers' state no longer shares a line.
 *
 * <p>Run: {@code java --add-exports java.base/jdk.internal.vm=ALL-UNNAMED
 * benchmarks/tools/CarrierPairs.java [PAIRS]} (PAIRS, default 6: child JVMs of each variant,
 * alternated, plus one with a single carrier).
 */
public class CarrierPairs {
    private static final ContinuationScope SCOPE = new ContinuationScope("carrier-pairs");
    private static final int RING = 503;
    private static volatile boolean go;

    /** One repetition on the calling thread: ns per hop over {@code hops} resumptions. */
    static double ring(int hops) {
        Continuation[] ring = new Continuation[RING];
        for (int i = 0; i < RING; i++) {
            ring[i] = new Continuation(SCOPE, () -> {
                for (;;) Continuation.yield(SCOPE);
            });
        }
        long t0 = System.nanoTime();
        for (int n = 0; n < hops; n++) ring[n % RING].run();
        return (double) (System.nanoTime() - t0) / hops;
    }

    /** Child: {@code carriers} threads (a spacer after each when asked); prints each one's ns per hop. */
    static void child(int carriers, boolean spacer) throws InterruptedException {
        double[] result = new double[carriers];
        Thread[] threads = new Thread[carriers];
        for (int k = 0; k < carriers; k++) {
            int id = k;
            threads[k] = new Thread(() -> {
                ring(2_000_000); // warm-up
                while (!go) Thread.onSpinWait();
                double[] reps = new double[5];
                for (int r = 0; r < reps.length; r++) reps[r] = ring(5_000_000);
                java.util.Arrays.sort(reps);
                result[id] = reps[reps.length / 2];
            }, "carrier-" + k);
            threads[k].start();
            if (spacer) {
                Thread s = new Thread(() -> {
                    for (;;) LockSupport.park();
                }, "spacer-" + k);
                s.setDaemon(true);
                s.start();
            }
        }
        Thread.sleep(1000);
        go = true;
        for (Thread t : threads) t.join();
        StringBuilder sb = new StringBuilder("RESULT");
        for (double r : result) sb.append(String.format(" %.1f", r));
        System.out.println(sb);
    }

    static List<Double> run(int carriers, boolean spacer) throws Exception {
        String source = java.util.Arrays.stream(ProcessHandle.current().info().arguments().orElse(new String[0]))
            .filter(a -> a.endsWith("CarrierPairs.java")).findFirst().orElseThrow(() -> new IllegalStateException("run as a source file"));
        Process p = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"),
            "--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED", "-XX:+UseG1GC",
            source, "child", String.valueOf(carriers), String.valueOf(spacer))
            .redirectErrorStream(true).start();
        List<Double> out = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream()))) {
            for (String line; (line = r.readLine()) != null; ) {
                if (!line.startsWith("RESULT")) continue;
                for (String v : line.substring(7).trim().split(" ")) out.add(Double.parseDouble(v));
            }
        }
        if (p.waitFor() != 0 || out.size() != carriers) throw new IllegalStateException("child failed: " + out);
        return out;
    }

    static double median(List<Double> xs) {
        List<Double> s = new ArrayList<>(xs);
        s.sort(null);
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 3 && args[0].equals("child")) {
            child(Integer.parseInt(args[1]), Boolean.parseBoolean(args[2]));
            return;
        }
        int pairs = args.length > 0 ? Integer.parseInt(args[0]) : 6;
        List<Double> one = run(1, false), plain = new ArrayList<>(), spaced = new ArrayList<>();
        System.out.printf("one carrier: %.1f ns/hop%n", one.get(0));
        for (int i = 0; i < pairs; i++) {
            List<Double> a = run(2, false), b = run(2, true);
            plain.addAll(a);
            spaced.addAll(b);
            System.out.printf("two carriers: back to back %s, spacer between %s ns/hop%n", a, b);
        }
        System.out.printf("medians: one carrier %.1f; two carriers back to back %.1f (max %.1f), spacer between %.1f (max %.1f) ns/hop%n",
            one.get(0), median(plain), plain.stream().mapToDouble(d -> d).max().orElse(0), median(spaced),
            spaced.stream().mapToDouble(d -> d).max().orElse(0));
    }
}
