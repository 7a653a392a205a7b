package dev.gort.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gort.Chan;
import dev.gort.ChildJvm;
import dev.gort.Go;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The JIT keeps the carrier's scheduling loop compiled (see {@code Schedule.schedule}): code it
 * throws away is recompiled only after a while (seconds, under load), and meanwhile every
 * goroutine switch on that carrier runs in the interpreter. Checked in child JVMs with
 * {@code -XX:+PrintCompilation}.
 */
class CarrierLoopCompilationTest {
    /** HotSpot's {@code -XX:+PrintCompilation} line of a normal (not OSR: no '%') compilation of {@code Schedule.schedule}. */
    private static final Pattern SCHEDULE_COMPILED = Pattern.compile("(?m)^\\s*\\d+\\s+\\d+\\s+[^%\\s]*\\s+[1-4]\\s+dev\\.gort\\.sched\\.Schedule::schedule \\(");

    /**
     * Child JVM: 200,000 round trips between two goroutines (400,000 goroutine runs); with the
     * argument "retire", then four times a processor taken away ({@code Go.setMaxProcs}: its
     * carrier gives it up and waits for another), 100,000 round trips, the processor back and
     * 100,000 more; then "done" on standard error.
     */
    public static void main(String[] args) throws Exception {
        pingPong(200_000);
        if (args.length > 0 && args[0].equals("retire")) {
            int procs = Go.maxProcs();
            for (int i = 0; i < 4; i++) {
                Go.setMaxProcs(procs - 1);
                pingPong(100_000);
                Go.setMaxProcs(procs);
                pingPong(100_000);
            }
        }
        System.err.println("done"); // stdout carries -XX:+PrintCompilation's lines, written by the JIT's threads
    }

    private static void pingPong(int n) throws Exception {
        Go.run(() -> {
            Chan<Integer> ping = Chan.make(), pong = Chan.make();
            Go.spawn(() -> {
                for (;;) {
                    Integer v = ping.receiveOrNull();
                    if (v == null) return;
                    pong.send(v);
                }
            });
            for (int i = 0; i < n; i++) {
                ping.send(i);
                if (pong.receive() != i) throw new AssertionError("round trip " + i);
            }
            ping.close();
        });
    }

    /**
     * A carrier's rare turn (here: its P retired) discards none of the loop's compiled code: the
     * loop has no branch of its own for the JIT to compile as an uncommon trap.
     */
    @Test
    void aRetiredProcessorDiscardsNoneOfTheSchedulingLoopsCode() throws Exception {
        ChildJvm.Result r = ChildJvm.withTestClassPath(
            List.of("-XX:+PrintCompilation", "-Dgort.maxprocs=2"), CarrierLoopCompilationTest.class, "retire");
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.stderr().lines().anyMatch("done"::equals), r.toString());
        List<String> trapped = r.stdout().lines()
            .filter(l -> l.contains("dev.gort.sched.Schedule::schedule") && l.contains("made not entrant: uncommon trap")).toList();
        assertTrue(trapped.isEmpty(), "the scheduling loop's code was discarded: " + trapped);
    }

    /**
     * The loop is compiled through its method's normal entry, not only by on-stack replacement
     * (OSR): with OSR off, a loop entered once per carrier would never be compiled at all, which
     * is what a carrier's frame goes through whenever its OSR code is discarded.
     */
    @Test
    void theSchedulingLoopIsCompiledWhereOnStackReplacementIsNot() throws Exception {
        ChildJvm.Result r = ChildJvm.withTestClassPath(
            List.of("-XX:-UseOnStackReplacement", "-XX:+PrintCompilation", "-Dgort.maxprocs=1"), CarrierLoopCompilationTest.class);
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.stderr().lines().anyMatch("done"::equals), r.toString());
        assertTrue(SCHEDULE_COMPILED.matcher(r.stdout()).find(),
            "Schedule.schedule was never compiled: the carrier ran its scheduling loop in the interpreter\n"
                + r.stdout().lines().filter(l -> l.contains("dev.gort.sched.Schedule::")).toList());
    }

    /**
     * The loop's two callees stay out of it: over C2's {@code FreqInlineSize} (325 bytes of
     * bytecode), the most it inlines at a hot call site, so that a trap in them discards their own
     * code, not the loop's.
     */
    @Test
    void findRunnableAndExecuteAreTooLargeToBeInlinedIntoTheLoop() throws Exception {
        for (String name : List.of("findRunnable", "execute")) {
            int length = BytecodeSize.of(Schedule.class, name);
            assertTrue(length > BytecodeSize.C2_FREQ_INLINE_SIZE,
                "Schedule." + name + " is " + length + " bytes of bytecode: C2 may inline it into the scheduling loop");
        }
    }
}
