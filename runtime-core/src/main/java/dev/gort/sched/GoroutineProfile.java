package dev.gort.sched;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The goroutine profile ({@code Go.profile()}): the live goroutines grouped by identical state
 * and stack, with counts, largest group first, in the shape of pprof's {@code goroutine?debug=1}
 * text (Go's {@code runtime/pprof}, {@code printCountProfile}), so that a server with 10,000
 * goroutines parked on one line reads as one entry of 10,000:
 * <pre>
 * goroutine profile: total 10003
 * 10000 @ [waiting, chan receive]
 * #	dev.gort.Chan.receive(Chan.java:210)
 * #	com.example.Server.handle(Server.java:42)
 *
 * 2 @ [running]
 * #	...
 * </pre>
 * Adapted from Go's: Go's group line lists the stack's PCs ({@code 10000 @ 0x43b0a5 0x4068f7}),
 * which a JVM does not have; here the line carries the state that the group shares instead
 * (Go's debug=1 groups by stack only, and its debug=2 form, one entry per goroutine, carries
 * the state). The state is what the text dump says before the wait time: the state, the wait
 * reason of a WAITING goroutine, how the carrier of a mounted one waits where the scheduler does
 * not see it. Each frame line is {@code #}, a tab and the Java frame as
 * {@link StackTraceElement#toString()} writes it (an IDE links it to the source), in place of
 * Go's {@code #\tPC\tfunc+offset\tfile:line}. Groups of equal count come in the order of their
 * first goroutine's id (the oldest first).
 *
 * <p>It reads the goroutines with the dump's walk and reading ({@link Diagnostics#goroutines()},
 * {@link Diagnostics.Seen}): no scheduler lock, each parked goroutine held only while its stack is
 * read, preemptible between goroutines when called on one. Memory: a reference per goroutine
 * (the walk) and one entry per group, which keeps the first member's stack; the other members'
 * stacks are garbage once counted.
 */
final class GoroutineProfile {
    private GoroutineProfile() {}

    /** A group's key: the state text and the frames, compared by value. */
    private record Key(String state, List<StackTraceElement> stack) {}

    /** Writes the profile of {@code d}'s runtime to {@code out}; errors of {@code out} are thrown. */
    static void write(Diagnostics d, Appendable out) throws java.io.IOException {
        G[] gs = d.goroutines();
        long now = d.coarseNanos();
        boolean onGoroutine = Scheduler.currentG() != null;
        Map<Key, int[]> groups = new LinkedHashMap<>(); // in id order of each group's first goroutine
        int total = 0;
        for (int i = 0; i < gs.length; i++) {
            G g = gs[i];
            gs[i] = null; // a goroutine that ends meanwhile need not stay reachable for the profile
            if (g.status() == G.DEAD) continue;
            Diagnostics.Seen seen = Diagnostics.Seen.read(g, now);
            if (seen.state() == dev.gort.Goroutine.State.DEAD) continue;
            groups.computeIfAbsent(new Key(stateOf(seen), Arrays.asList(seen.stack())), k -> new int[1])[0]++;
            total++;
            if (onGoroutine) Scheduler.safepoint(); // a long walk on a goroutine is preemptible
        }
        List<Map.Entry<Key, int[]>> sorted = new ArrayList<>(groups.entrySet());
        sorted.sort((a, b) -> Integer.compare(b.getValue()[0], a.getValue()[0])); // stable: ties keep id order
        StringBuilder sb = new StringBuilder(256);
        sb.append("goroutine profile: total ").append(total).append('\n');
        out.append(sb);
        for (Map.Entry<Key, int[]> e : sorted) {
            sb.setLength(0);
            sb.append(e.getValue()[0]).append(" @ [").append(e.getKey().state()).append("]\n");
            for (StackTraceElement frame : e.getKey().stack()) sb.append("#\t").append(frame).append('\n');
            sb.append('\n');
            out.append(sb);
        }
    }

    /** The state a group shares: {@code waiting, chan receive}, {@code running, carrier blocked}, {@code runnable}. */
    private static String stateOf(Diagnostics.Seen seen) {
        String state = seen.state().name().toLowerCase();
        if (seen.reason() != null) return state + ", " + seen.reason();
        if (seen.carrierWait() != null) return state + ", " + seen.carrierWait();
        return state;
    }
}
