package dev.gort.sched.jfr;

import java.util.Set;
import jdk.jfr.SettingControl;

/**
 * The {@code sampling} setting of {@code dev.gort.GoroutinePark}: which parks are timed,
 * {@code "1/N"} for one in N of each carrier's parks (N a power of two, 1 to 1024; others are
 * rounded up). Timing a park reads JFR's clock at the park and at the wake (~17 ns each where
 * the clock is {@code clock_gettime}) and allocates the event; a channel hand-off parks twice per
 * round trip of ~350 ns, so timing every park costs W2 about 50% while a recording runs, one in
 * 16 about 3%, one in 64 under 1% (docs/BENCHMARKS.md, "JFR overhead"). Untimed parks cost a
 * counter increment. The default, {@code 1/64}, applies under JFR's {@code default} settings,
 * whose budget is 3% in all: a wait that recurs past the threshold is recorded within a few
 * hundred occurrences, a single one with probability 1/64 (the wait-time histograms of
 * {@code Go.metrics()} count every kind of wait). {@code docs/gort-profile.jfc} sets {@code 1/1}.
 * With several recordings the most detailed value wins.
 */
public final class ParkSampling extends SettingControl {
    static final String DEFAULT = "1/64";

    private String value = DEFAULT;

    public ParkSampling() {}

    /** The mask for {@code "1/N"} (N - 1, N rounded up to a power of two in 1..1024), or -1 if it is not of that form. */
    static int maskOf(String v) {
        if (v == null || !v.startsWith("1/")) return -1;
        int n;
        try {
            n = Integer.parseInt(v.substring(2).trim());
        } catch (NumberFormatException e) {
            return -1;
        }
        if (n < 1) return -1;
        n = Math.min(n, 1024);
        return Integer.highestOneBit(n) == n ? n - 1 : Integer.highestOneBit(n) * 2 - 1;
    }

    @Override
    public String combine(Set<String> values) {
        String best = null;
        int bestMask = Integer.MAX_VALUE;
        for (String v : values) {
            int m = maskOf(v);
            if (m >= 0 && m < bestMask) {
                bestMask = m;
                best = v;
            }
        }
        return best != null ? best : DEFAULT;
    }

    @Override
    public void setValue(String v) {
        int m = maskOf(v);
        if (m < 0) {
            v = DEFAULT;
            m = maskOf(DEFAULT);
        }
        value = v;
        Jfr.parkSampleMask = m;
    }

    @Override
    public String getValue() {
        return value;
    }
}
