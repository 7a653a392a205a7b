package dev.gort.gc;

import dev.gort.gcassist.MemoryPacer;
import java.util.Locale;

/**
 * A soft limit on the heap a Gort program uses (Go's {@code GOMEMLIMIT}): while the heap in use
 * is above it, the scheduler holds back the goroutines that would grow it, instead of letting
 * the JVM die of {@link OutOfMemoryError}, and asks the JVM for a collection when none comes.
 *
 * <p>Set it with {@code -Dgort.memlimit=SIZE} (read when this module is first used, before the
 * scheduler starts its goroutines), or at run time with {@link #set(long)} or the
 * {@code MemoryLimit} attribute of the {@code dev.gort:type=GC} MBean. SIZE is a number of bytes
 * with an optional unit ({@code 192m}, {@code 192MiB}, {@code 1g}, {@code 1GiB}, {@code 512k}),
 * or a percentage of the maximum heap ({@code 75%}), or {@code off}.
 *
 * <h2>What happens above the limit</h2>
 * The heap in use (garbage included, as the collectors count it) is sampled by the carriers as
 * they start new goroutines and by sysmon once a round. Once it is above the limit:
 * <ul>
 *   <li>goroutines that have not started yet wait to start (in a server, each new request's
 *       goroutine is where its memory growth begins; the executor's new tasks wait behind the
 *       ones already running);</li>
 *   <li>a running goroutine that allocates a mebibyte or more between two of sysmon's rounds
 *       is preempted at its next safepoint, to the back of the queue, behind the goroutines
 *       that may release memory;</li>
 *   <li>{@code Go.spawn} from a goroutine yields first;</li>
 *   <li>goroutines already running or parked go on, finish their work and drop what they hold;
 *       as they end, the runtime asks the JVM for a collection if none comes
 *       ({@code System.gc()}, at most every 20 ms, or every four times the last one's duration
 *       if longer);</li>
 *   <li>when every goroutine that is not held waits and none has ended for 20 ms, the oldest
 *       held goroutine is let go (the others may be waiting for it: a worker, a pipeline's
 *       next stage).</li>
 * </ul>
 * The held goroutines start again, oldest first, once a sample finds the heap under the limit
 * (after a collection).
 *
 * The held goroutines start again, in the order they were held, once a sample finds the heap
 * under the limit (after a collection).
 *
 * <h2>Bounded pacing</h2>
 * Like Go's GC CPU limiter, the runtime bounds pacing that cannot help: once collections stop
 * recovering memory (the heap above the limit is live data that ending goroutines do not free),
 * holding back is futile, and futile pacing may take at most half of any second. When it has
 * taken 500 ms of the last second, the limit is suspended (the held goroutines go) until the
 * last second's share is under half. A program whose live data really outgrows the heap (a leak)
 * therefore still fails with {@code OutOfMemoryError}, within seconds, instead of crawling for
 * hours; a burst larger than the heap, whose memory comes back as it drains, is paced through.
 *
 * <p>Choose a limit comfortably above the live data and below {@code -Xmx} (three quarters of
 * it, say): between collections the heap in use includes garbage, and a limit close to the live
 * data makes the runtime pace a healthy program.
 */
public final class MemoryLimit {
    private MemoryLimit() {}

    /** The system property read at the first use. */
    public static final String PROPERTY = "gort.memlimit";

    /** The limit in bytes, or 0 when there is none. */
    public static long get() {
        return MemoryPacer.get().limit();
    }

    /**
     * Sets the limit, applied at once to the running runtime and to the ones started later.
     *
     * @param bytes the heap in use above which goroutines are held back; 0 removes the limit
     *              (and lets every held goroutine go)
     * @throws IllegalArgumentException if bytes is negative
     */
    public static void set(long bytes) {
        if (bytes < 0) throw new IllegalArgumentException("memory limit " + bytes + " < 0");
        MemoryPacer.get().setLimit(bytes);
    }

    /** What the limit has done since the runtime started (zeros with no limit and no runtime). */
    public static MemoryLimitMetrics metrics() {
        return MemoryPacer.get().metrics();
    }

    /**
     * Parses a size as {@code -Dgort.memlimit} takes it: bytes with an optional unit (k, m, g, t,
     * or KiB, MiB, GiB, TiB; any case; powers of 1024), a percentage of the maximum heap
     * ({@code 75%}), or {@code off} (0).
     *
     * @throws IllegalArgumentException if s is not such a size, or is negative or overflows
     * @throws NullPointerException if s is null
     */
    public static long parse(String s) {
        String t = s.strip().toLowerCase(Locale.ROOT);
        if (t.equals("off") || t.equals("none")) return 0;
        try {
            if (t.endsWith("%")) {
                double pct = Double.parseDouble(t.substring(0, t.length() - 1).strip());
                if (!(pct >= 0 && pct <= 100)) throw new IllegalArgumentException("memory limit " + s + ": a percentage is 0 to 100");
                return (long) (Runtime.getRuntime().maxMemory() * (pct / 100));
            }
            int shift = 0;
            String num = t;
            for (String[] unit : UNITS) {
                if (t.endsWith(unit[0])) {
                    shift = Integer.parseInt(unit[1]);
                    num = t.substring(0, t.length() - unit[0].length()).strip();
                    break;
                }
            }
            long n = Long.parseLong(num);
            if (n < 0) throw new IllegalArgumentException("memory limit " + s + " < 0");
            if (shift > 0 && n > (Long.MAX_VALUE >> shift)) throw new IllegalArgumentException("memory limit " + s + " overflows");
            return n << shift;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("memory limit " + s
                + ": not a size (bytes with an optional unit k, m, g, t, KiB, MiB, GiB, TiB; a percentage of the heap, 75%; or off)");
        }
    }

    /** Longest suffix first ("kib" before "b", "k"). */
    private static final String[][] UNITS = {
        {"kib", "10"}, {"mib", "20"}, {"gib", "30"}, {"tib", "40"},
        {"kb", "10"}, {"mb", "20"}, {"gb", "30"}, {"tb", "40"},
        {"k", "10"}, {"m", "20"}, {"g", "30"}, {"t", "40"}, {"b", "0"},
    };
}
