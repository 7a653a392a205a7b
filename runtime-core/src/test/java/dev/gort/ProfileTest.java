package dev.gort;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gort.sync.WaitGroup;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Go.profile(): goroutines grouped by state and stack, largest group first (pprof's goroutine?debug=1). */
class ProfileTest {

    /** One group of the profile: its count, its state, its frames. */
    record Entry(int count, String state, List<String> frames) {
        boolean hasFrame(String method) {
            return frames.stream().anyMatch(f -> f.contains(method + "("));
        }
    }

    private static final Pattern GROUP = Pattern.compile("(\\d+) @ \\[([^\\]]*)]");

    /** Parses the profile, checking its shape: the total line, then blocks of "N @ [state]" and "#\tframe" lines. */
    static List<Entry> parse(String profile) {
        String[] lines = profile.split("\n", -1);
        Matcher total = Pattern.compile("goroutine profile: total (\\d+)").matcher(lines[0]);
        assertTrue(total.matches(), "the first line: " + lines[0]);
        List<Entry> entries = new ArrayList<>();
        int i = 1;
        while (i < lines.length && !lines[i].isEmpty()) {
            Matcher m = GROUP.matcher(lines[i]);
            assertTrue(m.matches(), "a group's line: " + lines[i] + "\n" + profile);
            List<String> frames = new ArrayList<>();
            for (i++; !lines[i].isEmpty(); i++) {
                assertTrue(lines[i].startsWith("#\t"), "a frame's line: " + lines[i]);
                frames.add(lines[i].substring(2));
            }
            i++; // the blank line after the group
            entries.add(new Entry(Integer.parseInt(m.group(1)), m.group(2), frames));
        }
        assertEquals(lines.length - 1, i, "nothing after the last group but the end");
        assertEquals(Integer.parseInt(total.group(1)), entries.stream().mapToInt(Entry::count).sum(), "the total is the sum of the groups");
        return entries;
    }

    /** Parks at one line (the line the profile groups by). */
    private static void parkOn(Chan<Object> gate) {
        try {
            gate.receiveOrNull();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    /** Parks at another line, for another reason. */
    private static void waitOn(WaitGroup gate) {
        GoTestSupport.await(gate);
    }

    private static List<Goroutine> spawnParked(int n, Runnable body) throws InterruptedException {
        List<Goroutine> gs = new ArrayList<>(n);
        for (int i = 0; i < n; i++) gs.add(Go.spawn(body));
        GoTestSupport.awaitTrue(n + " parked", 30_000, () -> gs.stream().allMatch(g -> g.state() == Goroutine.State.WAITING));
        return gs;
    }

    @Test
    void tenThousandGoroutinesParkedOnOneLineAreOneGroupOfTenThousand() throws Exception {
        Chan<Object> gate = Chan.make();
        List<Goroutine> parked = spawnParked(10_000, () -> parkOn(gate));
        try {
            String profile = Go.profile();
            List<Entry> entries = parse(profile);
            List<Entry> ours = entries.stream().filter(e -> e.hasFrame("ProfileTest.parkOn")).toList();
            assertEquals(1, ours.size(), profile.length() < 20_000 ? profile : profile.substring(0, 20_000));
            Entry e = ours.getFirst();
            assertEquals(10_000, e.count());
            assertEquals("waiting, chan receive", e.state());
            for (Entry before : entries.subList(0, entries.indexOf(e))) {
                assertTrue(before.count() >= 10_000, "only larger groups come before it (other tests' goroutines may be left): " + before);
            }
            assertTrue(e.frames().getFirst().startsWith("dev.gort."), "the top frame is the runtime's wait: " + e.frames());
        } finally {
            gate.close();
            GoTestSupport.joinAllSucceeded(parked);
        }
    }

    @Test
    void groupsAreSplitByStateAndStackAndComeLargestFirst() throws Exception {
        Chan<Object> chanGate = Chan.make();
        WaitGroup wgGate = new WaitGroup();
        wgGate.add(1);
        List<Goroutine> fewer = spawnParked(20, () -> waitOn(wgGate));
        List<Goroutine> more = spawnParked(30, () -> parkOn(chanGate));
        try {
            List<Entry> entries = parse(Go.profile());
            int chan = indexOf(entries, "ProfileTest.parkOn");
            int wg = indexOf(entries, "ProfileTest.waitOn");
            assertEquals(new Entry(30, "waiting, chan receive", entries.get(chan).frames()), entries.get(chan));
            assertEquals(new Entry(20, "waiting, sync.WaitGroup.Wait", entries.get(wg).frames()), entries.get(wg));
            assertTrue(chan < wg, "30 before 20: " + entries);
            for (int i = 1; i < entries.size(); i++) {
                assertTrue(entries.get(i - 1).count() >= entries.get(i).count(), "largest first: " + entries);
            }
        } finally {
            chanGate.close();
            wgGate.done();
            GoTestSupport.joinAllSucceeded(fewer);
            GoTestSupport.joinAllSucceeded(more);
        }
    }

    private static int indexOf(List<Entry> entries, String method) {
        int found = -1;
        for (int i = 0; i < entries.size(); i++) {
            if (entries.get(i).hasFrame(method)) {
                assertEquals(-1, found, "one group at " + method + ": " + entries);
                found = i;
            }
        }
        assertTrue(found >= 0, "a group at " + method + ": " + entries);
        return found;
    }

    @Test
    void aStreamedProfileHasTheStringsShape() throws Exception {
        Chan<Object> gate = Chan.make();
        List<Goroutine> parked = spawnParked(7, () -> parkOn(gate));
        try {
            StringWriter out = new StringWriter();
            Go.profile(out);
            Entry e = parse(out.toString()).stream().filter(x -> x.hasFrame("ProfileTest.parkOn")).findFirst().orElseThrow();
            assertEquals(7, e.count());
        } finally {
            gate.close();
            GoTestSupport.joinAllSucceeded(parked);
        }
        assertThrows(NullPointerException.class, () -> Go.profile(null));
    }
}
