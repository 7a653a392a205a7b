package dev.gort.sched;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.openjdk.jol.info.ClassLayout;
import org.openjdk.jol.info.FieldLayout;

/**
 * RunQueue's padding, as the running JVM lays the object out (JOL reads the real field offsets):
 * the fields that different threads write sit two cache lines apart from each other and from
 * the neighbouring objects.
 */
class RunQueueLayoutTest {
    /** Two 64-byte lines: Intel's adjacent-line prefetcher fetches lines in pairs. */
    private static final long APART = 128;

    @Test
    void ringHeadTailAndRunnextSitTwoCacheLinesApart() {
        ClassLayout layout = ClassLayout.parseClass(RunQueue.Owner.class);
        String printed = layout.toPrintable();
        List<FieldLayout> hot = new ArrayList<>();
        for (String name : List.of("ring", "head", "tail", "runnext")) {
            FieldLayout f = layout.fields().stream().filter(x -> x.name().equals(name)).findFirst().orElse(null);
            assertNotNull(f, "no field " + name + " in\n" + printed);
            hot.add(f);
        }
        hot.sort(Comparator.comparingLong(FieldLayout::offset));
        FieldLayout first = hot.get(0), last = hot.get(hot.size() - 1);
        assertTrue(first.offset() >= APART,
            first.name() + " at " + first.offset() + ": too close to the object before\n" + printed);
        for (int i = 1; i < hot.size(); i++) {
            FieldLayout a = hot.get(i - 1), b = hot.get(i);
            assertTrue(b.offset() - (a.offset() + a.size()) >= APART,
                a.name() + " at " + a.offset() + " and " + b.name() + " at " + b.offset() + " share a line pair\n" + printed);
        }
        long after = layout.instanceSize() - (last.offset() + last.size());
        assertTrue(after >= APART, last.name() + " is " + after + " bytes from the object after\n" + printed);
    }
}
