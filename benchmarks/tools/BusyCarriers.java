import dev.gort.Chan;
import dev.gort.Go;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.util.ArrayList;
import java.util.List;

/**
 * Two independent rings of goroutines on two Ps, with and without the carriers' spacers
 * (docs/BENCHMARKS.md, "Two busy carriers"; {@code sched/CarrierSpacer}). In each child JVM ring
 * A runs alone, then ring B starts beside it; the figures are ns per hop of A alone, then of A
 * and of B together, over 1 s windows. With nothing shared between the rings, each should keep
 * its time alone.
 *
 * <p>Run: {@code java -cp benchmarks/target/benchmarks.jar benchmarks/tools/BusyCarriers.java
 * [PAIRS]} (PAIRS, default 7: child JVMs with {@code -Dgort.carrierspacers=false} and with the
 * default, alternated). A child is counted as slowed when a ring's median window is over 1.5x
 * A's time alone.
 */
public class BusyCarriers {
    static final int K = 64;

    static final class Ring {
        volatile long hops;
    }

    static void ring(Ring r) throws InterruptedException {
        @SuppressWarnings("unchecked")
        Chan<Integer>[] chs = new Chan[K];
        for (int i = 0; i < K; i++) chs[i] = Chan.make();
        for (int i = 0; i < K; i++) {
            Chan<Integer> in = chs[i], out = chs[(i + 1) % K];
            Go.spawn(() -> {
                long n = 0;
                for (;;) {
                    Integer v = in.receive();
                    if ((++n & 255) == 0) r.hops += 256; // one member at a time holds the token: no lost update
                    out.send(v);
                }
            });
        }
        chs[0].send(1);
    }

    static double[] window(Ring a, Ring b) throws InterruptedException {
        long a0 = a.hops, b0 = b.hops, t0 = System.nanoTime();
        Thread.sleep(1000);
        long el = System.nanoTime() - t0;
        return new double[] {(double) el / (a.hops - a0), b.hops == b0 ? 0 : (double) el / (b.hops - b0)};
    }

    static void child() throws Exception {
        Ring a = new Ring(), b = new Ring();
        Go.spawn(() -> ring(a));
        Thread.sleep(2000); // warm-up
        List<Double> alone = new ArrayList<>(), withA = new ArrayList<>(), withB = new ArrayList<>();
        for (int i = 0; i < 3; i++) alone.add(window(a, b)[0]);
        Go.spawn(() -> ring(b));
        Thread.sleep(1000);
        for (int i = 0; i < 4; i++) {
            double[] w = window(a, b);
            withA.add(w[0]);
            withB.add(w[1]);
        }
        System.out.printf("RESULT %.1f %.1f %.1f%n", median(alone), median(withA), median(withB));
        System.exit(0);
    }

    static double median(List<Double> xs) {
        List<Double> s = new ArrayList<>(xs);
        s.sort(null);
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    static double[] run(boolean spacers) throws Exception {
        String source = java.util.Arrays.stream(ProcessHandle.current().info().arguments().orElse(new String[0]))
            .filter(x -> x.endsWith("BusyCarriers.java")).findFirst().orElseThrow(() -> new IllegalStateException("run as a source file"));
        Process p = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"),
            "--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED", "--enable-native-access=ALL-UNNAMED",
            "--sun-misc-unsafe-memory-access=allow", "-XX:+UseG1GC", "-Dgort.maxprocs=2", "-Dgort.carrierspacers=" + spacers,
            "-cp", System.getProperty("java.class.path"), source, "child")
            .redirectErrorStream(true).start();
        double[] out = null;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream()))) {
            for (String line; (line = r.readLine()) != null; ) {
                if (!line.startsWith("RESULT ")) continue;
                String[] v = line.substring(7).split(" ");
                out = new double[] {Double.parseDouble(v[0]), Double.parseDouble(v[1]), Double.parseDouble(v[2])};
            }
        }
        if (p.waitFor() != 0 || out == null) throw new IllegalStateException("child failed");
        return out;
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 1 && args[0].equals("child")) {
            child();
            return;
        }
        int pairs = args.length > 0 ? Integer.parseInt(args[0]) : 7;
        int[] slowed = new int[2];
        List<List<Double>> ratios = List.of(new ArrayList<>(), new ArrayList<>());
        for (int i = 0; i < pairs; i++) {
            for (int s = 0; s < 2; s++) {
                double[] r = run(s == 1);
                double worst = Math.max(r[1], r[2]) / r[0];
                ratios.get(s).add(worst);
                if (worst > 1.5) slowed[s]++;
                System.out.printf("spacers %-5s A alone %6.1f ns/hop; together A %6.1f, B %6.1f (worst %.2fx A alone)%n",
                    s == 1, r[0], r[1], r[2], worst);
            }
        }
        for (int s = 0; s < 2; s++) {
            System.out.printf("spacers %-5s: slowed (a ring over 1.5x A alone) in %d of %d children; median worst ratio %.2f%n",
                s == 1, slowed[s], pairs, median(ratios.get(s)));
        }
    }
}
