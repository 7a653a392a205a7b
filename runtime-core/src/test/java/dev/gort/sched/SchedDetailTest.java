package dev.gort.sched;

import static dev.gort.GoTestSupport.awaitTrue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gort.Go;
import dev.gort.Goroutine;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** {@code -Dgort.scheddetail=true}: a line per P and per M after each schedtrace line (Go's scheddetail=1). */
class SchedDetailTest {
    private static final Pattern P_LINE = Pattern.compile(
        "  P(\\d+): status=(idle|running|dead)( stuck=true)? schedtick=\\d+ m=(\\d+|nil) runqsize=\\d+ timerslen=\\d+");
    private static final Pattern M_LINE = Pattern.compile(
        "  M(\\d+): p=(\\d+|nil) curg=(\\d+|nil) spinning=(true|false) blocked=(true|false) lockedg=(\\d+|nil) thread=[A-Z_]+");

    /** Child JVM: runs a little, so that sysmon prints a few SCHED lines. */
    public static void main(String[] args) throws Exception {
        Go.run(() -> Go.spawn(() -> { }));
        Thread.sleep(300);
    }

    private static String runChild(String... props) throws Exception {
        String java = System.getProperty("java.home") + "/bin/java";
        List<String> cmd = new ArrayList<>(List.of(java, "--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED",
            "-Dgort.schedtrace=50", "-Dgort.maxprocs=3"));
        cmd.addAll(List.of(props));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), SchedDetailTest.class.getName()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        return out;
    }

    /**
     * Each SCHED line (after the configuration's) is followed by P0, P1, P2 in order, then one
     * line per M (none on a line printed before the first carrier started: {@code threads=0});
     * nothing else between them.
     */
    @Test
    void schedDetailAddsALinePerProcessorAndCarrierAfterEachSchedLine() throws Exception {
        String out = runChild("-Dgort.scheddetail=true");
        List<String> lines = out.lines().toList();
        int blocks = 0, blocksWithCarriers = 0;
        for (int i = 0; i < lines.size(); i++) {
            Matcher sched = Pattern.compile("SCHED \\d+ms: .* threads=(\\d+) .*").matcher(lines.get(i));
            if (!sched.matches()) continue;
            blocks++;
            for (int p = 0; p < 3; p++) {
                Matcher m = P_LINE.matcher(lines.get(i + 1 + p));
                assertTrue(m.matches(), "P line " + p + ": " + lines.get(i + 1 + p) + "\n" + out);
                assertEquals(String.valueOf(p), m.group(1), out);
            }
            int ms = 0;
            for (int k = i + 4; k < lines.size() && lines.get(k).startsWith("  M"); k++) {
                assertTrue(M_LINE.matcher(lines.get(k)).matches(), "M line: " + lines.get(k));
                ms++;
            }
            // A line printed before the first carrier started has threads=0 and no M line.
            assertTrue(ms >= 1 || sched.group(1).equals("0"), "M lines after " + lines.get(i) + "\n" + out);
            if (ms >= 1) blocksWithCarriers++;
        }
        assertTrue(blocks >= 2, "SCHED lines every 50 ms:\n" + out);
        assertTrue(blocksWithCarriers >= 1, "M lines once carriers run:\n" + out);
        assertTrue(out.contains("scheddetail=true"), "the configuration line names it:\n" + out);
    }

    @Test
    void withoutSchedDetailTheSchedLinesStandAlone() throws Exception {
        String out = runChild();
        assertTrue(out.lines().anyMatch(l -> l.startsWith("SCHED ") && l.contains("ms: ")), out);
        assertTrue(out.lines().noneMatch(l -> l.startsWith("  P") || l.startsWith("  M")), out);
    }

    /**
     * In process: every P and every live carrier has its line, and a goroutine computing on a
     * carrier shows on both sides: its M's {@code curg} and {@code p}, that P's {@code m} and
     * {@code status=running}.
     */
    @Test
    void theLinesNameEachProcessorAndCarrierAndTheRunningGoroutine() throws Exception {
        Scheduler s = Scheduler.get();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicBoolean started = new AtomicBoolean();
        Goroutine spinner = Go.spawn(() -> {
            started.set(true);
            while (!stop.get()) Go.safepoint();
        });
        try {
            awaitTrue("the spinner runs", 10_000, started::get);
            // Its carrier, found from the detail itself: the M line whose curg is the spinner
            // (it may yield at a safepoint and move; retry until one reading agrees on both sides).
            awaitTrue("an M running the spinner and its P holding that M", 10_000, () -> {
                String detail = s.diagnostics.schedDetail();
                Matcher m = Pattern.compile("  M(\\d+): p=(\\d+) curg=" + spinner.id() + " ").matcher(detail);
                return m.find() && detail.contains("  P" + m.group(2) + ": status=running schedtick=")
                    && Pattern.compile("  P" + m.group(2) + ": status=running schedtick=\\d+ m=" + m.group(1) + " ").matcher(detail).find();
            });
            String detail = s.diagnostics.schedDetail();
            for (P p : s.procs.allp()) {
                assertTrue(Pattern.compile("^  P" + p.id + ": ", Pattern.MULTILINE).matcher(detail).find(), "P" + p.id + "\n" + detail);
            }
            for (M m : s.idle.allm) {
                if (m.thread.isAlive()) {
                    assertTrue(Pattern.compile("^  M" + m.id + ": ", Pattern.MULTILINE).matcher(detail).find(), "M" + m.id + "\n" + detail);
                }
            }
            for (String line : detail.split("\n")) {
                assertTrue(P_LINE.matcher(line).matches() || M_LINE.matcher(line).matches(), line);
            }
        } finally {
            stop.set(true);
            spinner.join();
        }
    }
}
