package dev.gort.netpoll.affinity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gort.Go;
import dev.gort.sync.WaitGroup;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * With {@code -Dgort.affinity=true} (surefire's affinity-test execution, a JVM of its own) every
 * carrier thread is pinned to one CPU: carrier i to the i-th online CPU.
 */
class CarrierAffinityTest {
    @Test
    void carriersArePinnedOneCpuEach() throws Exception {
        Assumptions.assumeTrue(Boolean.getBoolean("gort.affinity"), "runs in the affinity-test execution only");
        int[] online = Affinity.onlineCpus();
        // Keep every P busy for a moment so that a carrier per P has started.
        Go.run(() -> {
            WaitGroup wg = new WaitGroup();
            int n = Go.maxProcs() * 4;
            wg.add(n);
            for (int i = 0; i < n; i++) {
                Go.spawn(() -> {
                    long end = System.nanoTime() + 20_000_000L;
                    while (System.nanoTime() < end) Go.safepoint();
                    wg.done();
                });
            }
            try {
                wg.await();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        List<String> seen = new ArrayList<>();
        try (var tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path t : (Iterable<Path>) tasks::iterator) {
                String comm;
                List<String> status;
                try {
                    comm = Files.readString(t.resolve("comm")).trim();
                    status = Files.readAllLines(t.resolve("status"));
                } catch (java.nio.file.NoSuchFileException gone) {
                    continue; // a thread that ended after the listing (the JIT's come and go)
                }
                if (!comm.startsWith("gort-m")) continue;
                int id = Integer.parseInt(comm.substring("gort-m".length()));
                String allowed = status.stream()
                    .filter(l -> l.startsWith("Cpus_allowed_list:")).findFirst().orElseThrow()
                    .substring("Cpus_allowed_list:".length()).trim();
                assertEquals(String.valueOf(Affinity.cpuForCarrier(id, online)), allowed, comm);
                seen.add(comm);
            }
        }
        assertTrue(seen.size() >= Math.min(2, Go.maxProcs()), "carriers seen: " + seen);
    }
}
