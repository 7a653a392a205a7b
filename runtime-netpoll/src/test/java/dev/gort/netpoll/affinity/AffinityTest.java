package dev.gort.netpoll.affinity;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class AffinityTest {
    @Test
    void maskReadBackEqualsWhatWasSet() throws Exception {
        int[] online = Affinity.onlineCpus();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        // On a thread of its own: the test runner's thread keeps its mask.
        Thread t = Thread.ofPlatform().start(() -> {
            try {
                int[] before = Affinity.get();
                for (int cpu : online) {
                    if (Arrays.stream(before).noneMatch(c -> c == cpu)) continue; // not allowed for us (cgroup)
                    Affinity.set(cpu);
                    assertArrayEquals(new int[] {cpu}, Affinity.get());
                }
                Affinity.set(before);
                assertArrayEquals(before, Affinity.get());
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        t.join();
        if (failure.get() != null) throw new AssertionError(failure.get());
    }

    @Test
    void carriersAreSpreadOverOnlineCpus() {
        int[] online = {0, 2, 5};
        assertEquals(0, Affinity.cpuForCarrier(0, online));
        assertEquals(2, Affinity.cpuForCarrier(1, online));
        assertEquals(5, Affinity.cpuForCarrier(2, online));
        assertEquals(0, Affinity.cpuForCarrier(3, online));
    }

    @Test
    void parsesKernelCpuLists() {
        assertArrayEquals(new int[] {0, 1, 2, 3, 8, 10, 11}, Affinity.parseList("0-3,8,10-11"));
        assertArrayEquals(new int[] {0}, Affinity.parseList("0\n".trim()));
        assertArrayEquals(new int[0], Affinity.parseList(""));
        assertThrows(IllegalArgumentException.class, () -> Affinity.parseList("3-1"));
    }

    @Test
    void cacheGroupIsTheLowestCpuSharingTheLastLevelCache() {
        for (int cpu : Affinity.onlineCpus()) {
            int[] llc = Affinity.llcSiblings(cpu);
            int group = Affinity.cacheGroup(cpu);
            if (llc.length > 0) {
                assertEquals(llc[0], group);
                assertTrue(Arrays.stream(llc).anyMatch(c -> c == cpu), "cpu " + cpu + " not in its own LLC list");
            }
            assertTrue(group <= cpu);
        }
    }
}
