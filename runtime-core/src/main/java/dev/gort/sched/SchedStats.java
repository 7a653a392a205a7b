package dev.gort.sched;

import dev.gort.Distribution;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** The scheduler's sampled distributions and counters by cause (see {@code Go.metrics()}). */
final class SchedStats {
    private SchedStats() {}

    /** The key of {@code Go.blocking}'s time in the wait times. */
    static final String BLOCKING_CALL = "blocking call";

    /** Every wait reason's key, in the order of {@link WaitReason}, then {@link #BLOCKING_CALL}, each with nothing recorded. */
    static Map<String, Distribution> emptyWaitTimes() {
        Map<String, Distribution> m = new LinkedHashMap<>();
        for (WaitReason r : WaitReason.values()) {
            if (r != WaitReason.NONE) m.put(r.toString(), Distribution.EMPTY);
        }
        m.put(BLOCKING_CALL, Distribution.EMPTY);
        return Collections.unmodifiableMap(m);
    }

    /** Every preemption cause's key with 0. */
    static Map<String, Long> emptyPreemptions() {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("time slice", 0L);
        m.put("memory gate", 0L);
        m.put("stuck carrier", 0L);
        return Collections.unmodifiableMap(m);
    }

    /** One line per distribution with something recorded: {@code key: count=.. p50=.. p90=.. p99=.. p99.9=.. max=..}. */
    static String summary(Map<String, Distribution> ds) {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, Distribution> e : ds.entrySet()) {
            Distribution d = e.getValue();
            if (d.count() == 0) continue;
            if (!sb.isEmpty()) sb.append('\n');
            sb.append(e.getKey()).append(": count=").append(d.count());
            appendDuration(sb.append(" p50="), d.p50Nanos());
            appendDuration(sb.append(" p90="), d.p90Nanos());
            appendDuration(sb.append(" p99="), d.p99Nanos());
            appendDuration(sb.append(" p99.9="), d.p999Nanos());
            appendDuration(sb.append(" max="), d.maxNanos());
        }
        return sb.toString();
    }

    /** nanos with the unit that keeps it short: {@code 850ns}, {@code 12us}, {@code 1.5ms}, {@code 41ms}, {@code 2.3s}. */
    static StringBuilder appendDuration(StringBuilder sb, long nanos) {
        if (nanos < 1_000) return sb.append(nanos).append("ns");
        if (nanos < 1_000_000) return appendScaled(sb, nanos, 1_000).append("us");
        if (nanos < 1_000_000_000) return appendScaled(sb, nanos, 1_000_000).append("ms");
        return appendScaled(sb, nanos, 1_000_000_000).append('s');
    }

    /** nanos / unit with one decimal below 10, none from 10 up. */
    private static StringBuilder appendScaled(StringBuilder sb, long nanos, long unit) {
        long tenths = (nanos + unit / 20) / (unit / 10);
        if (tenths >= 100) return sb.append((tenths + 5) / 10);
        return sb.append(tenths / 10).append('.').append(tenths % 10);
    }
}
