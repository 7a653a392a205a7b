package dev.gort.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gort.ChildJvm;
import dev.gort.Go;
import dev.gort.sync.WaitGroup;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Each carrier thread is followed by its spacer ({@link CarrierSpacer}), which ends with it;
 * {@code -Dgort.carrierspacers=false} starts none. Checked in child JVMs, whose runtimes start
 * and stop here alone.
 */
class CarrierSpacerTest {
    /**
     * Child JVM: busy goroutines on every P, so that every P's carrier starts; then the live
     * carriers (gort-m*) and spacers (gort-spacer-m*), one per line ("THREAD name"); then the runtime stopped and, once
     * every carrier has ended, the spacers still alive 10 s later ("LEFT n").
     */
    public static void main(String[] args) throws Exception {
        Go.run(() -> {
            int n = Go.maxProcs() * 4;
            WaitGroup wg = new WaitGroup();
            wg.add(n);
            for (int i = 0; i < n; i++) {
                Go.spawn(() -> {
                    long end = System.nanoTime() + 50_000_000L; // busy for 50 ms: the other Ps' carriers start
                    while (System.nanoTime() < end) Go.safepoint();
                    wg.done();
                });
            }
            wg.await();
        });
        Map<String, Thread> gort = new TreeMap<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().startsWith("gort-m") || t.getName().startsWith("gort-spacer-")) gort.put(t.getName(), t);
        }
        gort.keySet().forEach(name -> System.out.println("THREAD " + name));
        Go.shutdown();
        for (Thread t : gort.values()) {
            if (!t.getName().startsWith("gort-spacer-")) t.join(TimeUnit.SECONDS.toMillis(20));
        }
        int left = 0;
        for (Thread t : gort.values()) {
            if (t.getName().startsWith("gort-spacer-")) {
                t.join(TimeUnit.SECONDS.toMillis(10));
                if (t.isAlive()) left++;
            }
        }
        System.out.println("LEFT " + left);
    }

    private static List<String> threads(ChildJvm.Result r) {
        return r.stdout().lines().filter(l -> l.startsWith("THREAD ")).map(l -> l.substring(7)).toList();
    }

    @Test
    void everyCarrierIsFollowedBySpacerThatEndsWithIt() throws Exception {
        ChildJvm.Result r = ChildJvm.withTestClassPath(List.of("-Dgort.maxprocs=2"), CarrierSpacerTest.class);
        assertEquals(0, r.exit(), r.toString());
        List<String> names = threads(r);
        List<String> carriers = names.stream().filter(n -> n.startsWith("gort-m")).toList();
        assertTrue(carriers.size() >= 2, "both Ps' carriers started: " + names);
        for (String c : carriers) {
            assertTrue(names.contains("gort-spacer-" + c.substring("gort-".length())), c + " has no spacer: " + names);
        }
        assertEquals(carriers.size(), names.size() - carriers.size(), "one spacer per carrier: " + names);
        assertTrue(r.stdout().lines().anyMatch("LEFT 0"::equals), "every spacer ended with its carrier:\n" + r);
    }

    @Test
    void carrierSpacersFalseStartsNoSpacer() throws Exception {
        ChildJvm.Result r = ChildJvm.withTestClassPath(List.of("-Dgort.maxprocs=2", "-Dgort.carrierspacers=false"), CarrierSpacerTest.class);
        assertEquals(0, r.exit(), r.toString());
        List<String> names = threads(r);
        assertTrue(names.size() >= 2, "both Ps' carriers started: " + names);
        assertTrue(names.stream().noneMatch(n -> n.startsWith("gort-spacer-")), "no spacer: " + names);
    }
}
