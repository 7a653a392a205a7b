package dev.gort;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gort.sched.Scheduler;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/**
 * The runtime survives an OutOfMemoryError in its own threads: sysmon goes on (its spare P for a
 * blocked carrier still comes), and a goroutine that throws while the heap is full is reported
 * and the runtime goes on. Each case runs in a child JVM with a small heap, which it fills.
 */
class OutOfMemoryTest {
    private static final RuntimeException BOOM = new RuntimeException("boom while the heap is full");

    /** Set by the child's main thread once the heap is full: the goroutines then go on. */
    private static volatile boolean heapFull;
    /** What holds the filled heap: a chain of Object[2] {chunk, next}. */
    private static Object[] heap;

    /** Fills the heap until not even a small object fits. */
    private static void fillHeap() {
        for (int size = 1 << 20; size > 0; size >>= 4) {
            try {
                for (;;) hold(new byte[size]);
            } catch (OutOfMemoryError e) {
                // next, smaller size
            }
        }
    }

    private static void hold(Object o) {
        Object[] n = new Object[2];
        n[0] = o;
        n[1] = heap;
        heap = n;
    }

    /**
     * Keeps the heap full (takes whatever a collection frees) until {@code done} or 20 s;
     * allocates nothing that it does not keep.
     */
    private static void keepHeapFull(java.util.function.BooleanSupplier done) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!done.getAsBoolean() && System.nanoTime() - deadline < 0) {
            try {
                hold(null);
            } catch (OutOfMemoryError e) {
                Thread.onSpinWait();
            }
        }
    }

    private static void parkMillis(long ms) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
        for (long left; (left = deadline - System.nanoTime()) > 0; ) LockSupport.parkNanos(left);
    }

    private static void releaseHeap() {
        heap = null;
        System.gc();
    }

    /** Child JVM: args[0] names the case; exit 0 and "OK" when the runtime went on. */
    public static void main(String[] args) throws Exception {
        Go.setMaxProcs(1);
        // What the filled phase runs must be linked and initialized before, or linking allocates.
        // A runtime that has been running a while: goroutines have ended, carriers have slept.
        for (int i = 0; i < 3; i++) {
            Goroutine w = Go.spawn(() -> { });
            while (w.state() != Goroutine.State.DEAD) parkMillis(1);
        }
        parkMillis(50);
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().equals("gort-jmx")) t.join(); // its registration allocates a lot
        }
        switch (args[0]) {
            case "sysmon" -> sysmonCase();
            case "uncaught" -> uncaughtCase();
            default -> throw new IllegalArgumentException(args[0]);
        }
        System.out.println("OK");
        System.out.flush();
        System.exit(0);
    }

    /**
     * Goroutine a blocks the only P's carrier in Thread.sleep while the heap is full, and sysmon
     * runs out of memory (its schedtrace line, maybe its spare P for a). Once the heap is free
     * again, sysmon must still be there and add the spare, so that goroutine b runs while a
     * still sleeps.
     */
    private static void sysmonCase() throws Exception {
        long[] aDone = new long[1]; // 1: slept to the end; 2: failed
        Chan<Boolean> aReady = Chan.make(1);
        Go.spawn(() -> {
            try {
                Thread.sleep(1); // what sleep runs the first time allocates
                aReady.trySend(true);
                // Spins (no safepoint: sysmon asks it to yield, in vain) until the heap is
                // full, then blocks its carrier.
                while (!heapFull) Thread.onSpinWait();
                Thread.sleep(6_000);
                aDone[0] = 1;
            } catch (Throwable e) {
                aDone[0] = 2;
            }
        });
        while (aReady.tryReceive() == null) parkMillis(1);
        SysmonReports reports = new SysmonReports(System.err);
        System.setErr(new java.io.PrintStream(reports, true));
        long[] t0 = new long[1];
        // Full for 300 ms and until sysmon has reported running out of memory: how soon that
        // comes depends on which thread's allocation a collection serves first.
        java.util.function.BooleanSupplier held = () -> System.nanoTime() - t0[0] > 300_000_000L && reports.seen;
        keepHeapFull(held); // linked before the heap is full
        fillHeap();
        heapFull = true;
        t0[0] = System.nanoTime();
        // sysmon finds a's carrier blocked ~10 ms after its request and tries to add a spare P
        keepHeapFull(held);
        releaseHeap();
        Chan<Long> b = Chan.make(1);
        Go.spawn(() -> b.trySend(aDone[0]));
        Long seen = null;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (seen == null && System.nanoTime() < deadline) {
            seen = b.tryReceive();
            parkMillis(1);
        }
        if (seen == null) throw new AssertionError("b never ran");
        if (seen == 2L) throw new AssertionError("a's sleep failed: its carrier was never blocked");
        if (seen != 0L) throw new AssertionError("b ran only after a's carrier came back: sysmon added no spare P");
        long r = Scheduler.get().sysmonRounds();
        parkMillis(100);
        if (Scheduler.get().sysmonRounds() == r) throw new AssertionError("sysmon stopped");
    }

    /** A goroutine throws while the heap is full: the handler reports it, the runtime goes on. */
    private static void uncaughtCase() throws Exception {
        Goroutine t = Go.spawn(() -> {
            while (!heapFull) Thread.onSpinWait();
            throw BOOM;
        });
        java.util.function.BooleanSupplier ended = () -> t.state() == Goroutine.State.DEAD;
        ended.getAsBoolean(); // linked before the heap is full
        fillHeap();
        heapFull = true;
        keepHeapFull(ended);
        releaseHeap();
        if (t.state() != Goroutine.State.DEAD) throw new AssertionError("the throwing goroutine did not end");
        Chan<Integer> c = Chan.make(1);
        Go.spawn(() -> c.trySend(42));
        Integer v = null;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (v == null && System.nanoTime() < deadline) {
            v = c.tryReceive();
            parkMillis(1);
        }
        if (v == null || v != 42) throw new AssertionError("the runtime did not go on: " + v);
    }

    private static String runChild(String which, String... jvmArgs) throws Exception {
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx24m", "-XX:+UseSerialGC",
            "--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED", "--enable-native-access=ALL-UNNAMED"));
        cmd.addAll(List.of(jvmArgs));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), OutOfMemoryTest.class.getName(), which));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        boolean ended = p.waitFor(60, TimeUnit.SECONDS);
        if (!ended) p.destroyForcibly();
        String s = new String(out, StandardCharsets.UTF_8);
        assertTrue(ended, s);
        assertEquals(0, p.exitValue(), s);
        assertTrue(s.contains("OK"), s);
        return s;
    }

    /**
     * Standard error, passed on, watched for sysmon's report of an error ("gort: sysmon: "),
     * without allocating: it runs while the heap is full.
     */
    private static final class SysmonReports extends java.io.OutputStream {
        private static final byte[] PREFIX = "gort: sysmon: ".getBytes(StandardCharsets.US_ASCII);
        private final java.io.OutputStream out;
        private int matched;
        volatile boolean seen;

        SysmonReports(java.io.OutputStream out) {
            this.out = out;
        }

        @Override
        public synchronized void write(int b) throws java.io.IOException {
            out.write(b);
            scan(b);
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) throws java.io.IOException {
            out.write(b, off, len);
            for (int i = off; i < off + len; i++) scan(b[i]);
        }

        private void scan(int c) {
            matched = c == PREFIX[matched] ? matched + 1 : (c == PREFIX[0] ? 1 : 0);
            if (matched == PREFIX.length) {
                seen = true;
                matched = 0;
            }
        }

        @Override
        public void flush() throws java.io.IOException {
            out.flush();
        }
    }

    @Test
    void sysmonStillAddsASparePAfterItRanOutOfMemory() throws Exception {
        // The schedtrace line every 5 ms: sysmon allocates on every few rounds, so it runs out
        // of memory while the heap is full.
        String out = runChild("sysmon", "-Dgort.schedtrace=5");
        assertTrue(out.contains("gort: sysmon: java.lang.OutOfMemoryError"), out);
    }

    @Test
    void aGoroutineThatThrowsWhileTheHeapIsFullIsReportedAndTheRuntimeGoesOn() throws Exception {
        String out = runChild("uncaught");
        assertTrue(out.contains("boom while the heap is full"), out);
    }
}
