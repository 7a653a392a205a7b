import dev.gort.Chan;
import dev.gort.Go;
import dev.gort.Goroutine;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import jdk.internal.vm.Continuation;
import jdk.internal.vm.ContinuationScope;

/**
 * The stack a parked goroutine keeps, as the JDK stores it: the words of its stack chunks and
 * the compiled frames they hold (each frame ends with a return address into its caller, named
 * from the JIT's perf map). Three shapes (docs/BENCHMARKS.md, "Where a hop goes"):
 * <ul>
 *   <li>{@code ring}: a W5 member parked in {@code Chan.receive}, after rings of 503 members have
 *       passed a token 3,000,000 hops (a hop's freeze and thaw copy these words);</li>
 *   <li>{@code parked}: W6's goroutines parked in their only receive (these words are most of
 *       their bytes): how many keep how many words, and the frames of the commonest;</li>
 *   <li>{@code floor}: 503 bare continuations yielding from {@code depth} frames down, resumed in
 *       turn as {@code floor-ring} does, with ns per hop: what each word of stack costs a hop.</li>
 * </ul>
 * Run: {@code java --add-exports java.base/jdk.internal.vm=ALL-UNNAMED --add-opens
 * java.base/jdk.internal.vm=ALL-UNNAMED -XX:+UseG1GC -cp benchmarks/target/benchmarks.jar
 * benchmarks/tools/StackChunkFrames.java}
 */
@SuppressWarnings("removal")
public class StackChunkFrames {
    private static final Field TAIL, SP, BOTTOM, PARENT;
    private static final sun.misc.Unsafe U;
    /** Where a chunk's stack words start: after StackChunk's fields (the largest offset, rounded up). */
    private static final long STACK_BASE;

    static {
        try {
            Field f = sun.misc.Unsafe.class.getDeclaredField("theUnsafe");
            f.setAccessible(true);
            U = (sun.misc.Unsafe) f.get(null);
            TAIL = Continuation.class.getDeclaredField("tail");
            Class<?> sc = Class.forName("jdk.internal.vm.StackChunk");
            SP = sc.getDeclaredField("sp");
            BOTTOM = sc.getDeclaredField("bottom");
            PARENT = sc.getDeclaredField("parent");
            long max = 0;
            for (Field x : sc.getDeclaredFields()) {
                x.setAccessible(true);
                if (!java.lang.reflect.Modifier.isStatic(x.getModifiers())) max = Math.max(max, U.objectFieldOffset(x));
            }
            for (Field x : new Field[] {TAIL, SP, BOTTOM, PARENT}) x.setAccessible(true);
            STACK_BASE = (max + 4 + 7) / 8 * 8;
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    public static void main(String[] args) throws Exception {
        List<String> chunks = new ArrayList<>();
        Go.run(() -> {
            chunks.add(ring());
            chunks.add(parked());
        });
        TreeMap<Long, String> code = perfMap();
        for (String c : chunks) System.out.print(name(c, code));
        for (int depth : new int[] {2, 4, 8, 16}) floor(depth);
    }

    /** A W5 member's chunks after warm rings. */
    private static String ring() throws Exception {
        final int members = 503;
        String last = null;
        for (int round = 0; round < 12; round++) { // the first rings' bottom frames stay interpreted
            @SuppressWarnings("unchecked") Chan<Integer>[] chs = new Chan[members];
            for (int i = 0; i < members; i++) chs[i] = Chan.make();
            Chan<Boolean> done = Chan.make();
            Goroutine[] gs = new Goroutine[members];
            for (int i = 0; i < members; i++) {
                Chan<Integer> in = chs[i], out = chs[(i + 1) % members];
                gs[i] = Go.spawn(() -> {
                    for (;;) {
                        int v = in.receive();
                        if (v < 0) {
                            if (v < -1) out.send(v + 1);
                            return;
                        }
                        if (v == 0) {
                            done.send(Boolean.TRUE);
                            continue;
                        }
                        out.send(v - 1);
                    }
                });
            }
            chs[0].send(3_000_000);
            done.receive();
            last = words("ring", gs[7]);
            chs[0].send(-members);
            for (Goroutine g : gs) g.join();
        }
        return last;
    }

    /**
     * W6's goroutines, made by the benchmark's own code ({@code Parked.parkAll}): 1,000,000, each
     * marking a WaitGroup and parking in its first receive, three rounds. Prints each round's
     * count of goroutines by words of stack (the JIT's state when a goroutine parked decides its frames, and a process
     * settles on one shape: docs/BENCHMARKS.md, W6) and returns the last round's commonest chunk.
     */
    private static String parked() throws Exception {
        int n = 1_000_000;
        String last = null;
        for (int round = 0; round < 3; round++) {
            @SuppressWarnings("unchecked") Chan<Integer>[] chans = new Chan[n];
            Goroutine[] gs = dev.gort.bench.Parked.parkAll(chans); // the benchmark's own goroutines
            TreeMap<Integer, Integer> byWords = new TreeMap<>();
            int commonest = -1, at = -1;
            for (int i = 0; i < n; i++) {
                int w = 0;
                for (Object t = TAIL.get(gs[i]); t != null; t = PARENT.get(t)) w += BOTTOM.getInt(t) - SP.getInt(t);
                int c = byWords.merge(w, 1, Integer::sum);
                if (commonest < 0 || c > byWords.get(commonest)) {
                    commonest = w;
                    at = i;
                }
            }
            System.out.println("PARKED round " + round + ": goroutines by words of stack " + byWords);
            last = words("parked", gs[at]);
            for (Chan<Integer> ch : chans) ch.send(1);
            for (Goroutine g : gs) g.join();
        }
        return last;
    }

    /** The used words of each chunk of {@code cont} (top chunk first), as "index value" lines. */
    private static String words(String what, Object cont) throws Exception {
        StringBuilder sb = new StringBuilder();
        for (Object t = TAIL.get(cont); t != null; t = PARENT.get(t)) {
            int sp = SP.getInt(t), bottom = BOTTOM.getInt(t);
            sb.append("CHUNK ").append(what).append(' ').append(bottom - sp).append(" words\n");
            for (int i = sp; i < bottom; i++) sb.append(i).append(' ').append(U.getLong(t, STACK_BASE + 8L * i)).append('\n');
        }
        return sb.toString();
    }

    /** The JIT's code, from the perf map the running JVM writes on request (jcmd Compiler.perfmap). */
    private static TreeMap<Long, String> perfMap() throws Exception {
        java.lang.management.ManagementFactory.getPlatformMBeanServer().invoke(
            new javax.management.ObjectName("com.sun.management:type=DiagnosticCommand"), "compilerPerfmap",
            new Object[] {null}, new String[] {String[].class.getName()});
        TreeMap<Long, String> map = new TreeMap<>();
        for (String line : Files.readAllLines(Path.of("/tmp/perf-" + ProcessHandle.current().pid() + ".map"))) {
            String[] p = line.split(" ", 3);
            long start = Long.parseUnsignedLong(p[0].replace("0x", ""), 16);
            map.put(start, Long.parseUnsignedLong(p[1].replace("0x", ""), 16) + " " + p[2]);
        }
        return map;
    }

    /**
     * The frames of a chunk dump: a word that points into compiled code or the interpreter is
     * taken as a return address (a spilled value can look like one: a "frame" of 1-3 words is
     * usually that).
     */
    private static String name(String chunk, TreeMap<Long, String> code) {
        StringBuilder sb = new StringBuilder();
        int last = -1;
        for (String line : chunk.split("\n")) {
            if (line.startsWith("CHUNK")) {
                sb.append(line).append('\n');
                last = -1;
                continue;
            }
            String[] p = line.split(" ");
            int i = Integer.parseInt(p[0]);
            long v = Long.parseLong(p[1]);
            var e = code.floorEntry(v);
            if (e == null) continue;
            String[] sizeName = e.getValue().split(" ", 2);
            if (v >= e.getKey() + Long.parseLong(sizeName[0])) continue;
            sb.append(String.format("  word %3d: return into %s%s%n", i, sizeName[1].length() > 100 ? sizeName[1].substring(0, 100) : sizeName[1],
                last < 0 ? "" : " (frame of " + (i - last) + " words)"));
            last = i;
        }
        return sb.toString();
    }

    private static final ContinuationScope SCOPE = new ContinuationScope("floor");
    private static long sink;

    /** 503 bare continuations yielding {@code depth} frames down: chunk words and ns per hop. */
    private static void floor(int depth) throws Exception {
        int k = 503, rounds = 10_000_000 / k;
        double best = Double.MAX_VALUE;
        Continuation[] cs = null;
        for (int rep = 0; rep < 5; rep++) {
            cs = new Continuation[k];
            for (int i = 0; i < k; i++) cs[i] = new Continuation(SCOPE, () -> {
                for (;;) sink += down(depth, 1, 2, 3);
            });
            long t0 = System.nanoTime();
            for (int r = 0; r < rounds; r++) for (Continuation c : cs) c.run();
            best = Math.min(best, (double) (System.nanoTime() - t0) / ((long) rounds * k));
        }
        int used = 0;
        for (Object t = TAIL.get(cs[0]); t != null; t = PARENT.get(t)) used += BOTTOM.getInt(t) - SP.getInt(t);
        System.out.printf("FLOOR depth %d: %d words, %.1f ns/hop (best of 5)%n", depth, used, best);
    }

    /** Yields {@code d} calls down, each keeping a few values live across the yield. */
    private static long down(int d, long x, long y, long z) {
        if (d == 0) {
            Continuation.yield(SCOPE);
            return x;
        }
        return down(d - 1, x + 1, y * 3, z ^ x) + x + y + z;
    }
}
