package dev.gort;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gort.usercode.AllocStatsProgram;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Allocation accounting per goroutine ({@code -Dgort.allocstats}, {@link Goroutine#allocatedBytes()},
 * {@link Metrics#allocatedBytes()}, the dump's top allocators). The setting is read once per
 * runtime, so each case runs {@link AllocStatsProgram} in a child JVM with the flags it needs.
 */
class AllocStatsTest {
    private static final long MIB = 1 << 20;

    /**
     * The case: on one carrier, a goroutine that allocates 64 MiB reports 64 MiB within
     * 5% (from its handle after it ended, and from itself while it ran), while the goroutine its
     * slices alternate with reports close to 0; the dump's header lists the allocator first; a
     * platform thread's allocation counts for nobody.
     */
    @Test
    void anAllocatorReportsItsBytesAndTheGoroutineBesideItNearlyNone() throws Exception {
        Map<String, String> r = run(List.of("-Dgort.allocstats=true", "-Dgort.maxprocs=1"), "interleaved");
        long allocator = Long.parseLong(r.get("allocator"));
        long self = Long.parseLong(r.get("allocatorSelf"));
        long quiet = Long.parseLong(r.get("quiet"));
        long total = Long.parseLong(r.get("total"));
        assertWithin(64 * MIB, allocator, 0.05, "the allocator's count: " + r);
        assertWithin(64 * MIB, self, 0.05, "the allocator's count of itself: " + r);
        assertTrue(self <= allocator, "the count read by the goroutine grows after: " + r);
        assertTrue(quiet >= 0 && quiet < MIB / 4, "the quiet goroutine, interleaved on the same carrier: " + r);
        assertTrue(total >= allocator + quiet && total < allocator + quiet + 4 * MIB,
            "the metrics' total is the goroutines' (and little else ran): " + r);
        assertTrue(Long.parseLong(r.get("platformDelta")) < MIB,
            "64 MiB allocated by a platform thread count for no goroutine: " + r);
        assertTrue(r.get("dumpHeader").startsWith("allocated by goroutines: ") && r.get("dumpHeader").endsWith("most by"),
            "the dump's header: " + r);
        assertTrue(r.get("dumpFirst").matches("goroutine " + r.get("allocatorId") + " \"allocator\": 6[0-9]\\.\\d MiB \\(\\d+ bytes\\)"),
            "the dump names the allocator first: " + r);
    }

    /** A goroutine's count survives parks, yields and moves between carriers, and only grows. */
    @Test
    void aGoroutinesCountSurvivesParksAndMovesBetweenCarriers() throws Exception {
        Map<String, String> r = run(List.of("-Dgort.allocstats=true", "-Dgort.maxprocs=2"), "moves");
        long rounds = Long.parseLong(r.get("rounds"));
        assertTrue(Integer.parseInt(r.get("carriers")) >= 2, "the goroutine ran on two carriers or more within 4,000 rounds: " + r);
        assertEquals("0", r.get("decreasing"), "its count never went down: " + r);
        long mover = Long.parseLong(r.get("mover"));
        assertWithin(rounds * MIB, mover, 0.05, "1 MiB per round, on whichever carrier: " + r);
        assertTrue(Long.parseLong(r.get("self")) <= mover, r.toString());
        assertTrue(Long.parseLong(r.get("total")) >= mover, r.toString());
    }

    /** Off (the default): -1 for a goroutine and for the total, and no header in the dump. */
    @Test
    void offByDefault() throws Exception {
        Map<String, String> r = run(List.of(), "off");
        assertEquals(Map.of("goroutine", "-1", "total", "-1", "dumpHeader", "false"), r, r.toString());
    }

    /** Asked for on a runtime without jdk.management: Gort runs, says why, and counts nothing. */
    @Test
    void withoutJdkManagementItWarnsAndRunsWithout() throws Exception {
        List<String> flags = List.of("--limit-modules", "java.base,java.instrument", "-Dgort.allocstats=true");
        ChildJvm.Result res = runRaw(flags, "off");
        assertEquals(0, res.exit(), res.toString());
        assertTrue(res.stderr().contains("gort: gort.allocstats=true ignored: the runtime has no jdk.management module"),
            res.toString());
        assertEquals(Map.of("goroutine", "-1", "total", "-1", "dumpHeader", "false"), parse(res.stdout()), res.toString());
    }

    /** A value that is not true or false is an error naming the property, not silently ignored. */
    @Test
    void aMisspelledSettingIsAnError() throws Exception {
        ChildJvm.Result res = runRaw(List.of("-Dgort.allocstats=yes"), "off");
        assertEquals(3, res.exit(), res.toString());
        assertTrue(res.stdout().contains("error=gort.allocstats must be true or false, got \"yes\""), res.toString());
    }

    private static void assertWithin(long expected, long actual, double tolerance, String what) {
        assertTrue(Math.abs(actual - expected) <= expected * tolerance,
            what + ": expected " + expected + " within " + (int) (tolerance * 100) + "%, got " + actual);
    }

    // ---- the child JVM

    /** Runs a scenario that must end with {@code done}; its {@code key=value} lines. */
    private static Map<String, String> run(List<String> flags, String scenario) throws Exception {
        ChildJvm.Result res = runRaw(flags, scenario);
        assertEquals(0, res.exit(), res.toString());
        assertTrue(res.stdout().endsWith("done"), res.toString());
        return parse(res.stdout());
    }

    private static Map<String, String> parse(String stdout) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String line : stdout.split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) m.put(line.substring(0, eq), line.substring(eq + 1));
        }
        return m;
    }

    /** The scenario in a child JVM (-Xmx256m), runtime-core and the test classes on its class path. */
    private static ChildJvm.Result runRaw(List<String> flags, String scenario) throws Exception {
        List<String> all = new ArrayList<>(List.of("-Xmx256m"));
        all.addAll(flags);
        return ChildJvm.withTestClasses(all, AllocStatsProgram.class, scenario);
    }
}
