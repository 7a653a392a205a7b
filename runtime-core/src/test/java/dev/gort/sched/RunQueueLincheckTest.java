package dev.gort.sched;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.StressOptions;
import org.junit.jupiter.api.Test;

/**
 * Linearizability of {@link RunQueue} at capacity {@value #CAPACITY}, where a few puts fill the
 * ring (Lincheck 3.x on platform threads). The owner's operations run in one thread, as only the
 * M holding a P uses its {@link RunQueue.Owner} view; steals through the {@link RunQueue.Thief}
 * view run in the others. The sequential specification is {@link Model}: RunQueue's rules on
 * plain collections.
 *
 * <p>Thieves steal from the ring only. Taking {@code runnext} is not linearizable against a put
 * to {@code runnext} (see RunQueue, "Memory ordering"): a thief may take the new one while the
 * one it displaced is still on its way to the ring, where the sequential rule would have it
 * steal from the ring. {@code RunQueueTest} checks that every goroutine is still taken exactly
 * once with thieves that take runnext.
 *
 * <p>Each put queues a goroutine never queued before in the scenario (numbered in the owner's
 * order, which is also the model's), as the scheduler never has one goroutine queued twice.
 */
public class RunQueueLincheckTest {
    static final int CAPACITY = 4;
    /** More than a scenario can put. */
    private static final G[] GOROUTINES = new G[64];

    static {
        for (int i = 0; i < GOROUTINES.length; i++) GOROUTINES[i] = new G(i, null, () -> {});
    }

    private final RunQueue.Owner owner = new RunQueue.Owner(CAPACITY);
    private final RunQueue.Thief thief = owner.thief();
    private final GlobalQueue global = new GlobalQueue();
    /** The next goroutine to put: owner thread only. */
    private int next;

    private static Integer id(G g) {
        return g == null ? null : (int) g.id;
    }

    /** A put to the ring; true if the ring was full and half of it spilled to the global queue. */
    @Operation(nonParallelGroup = "owner")
    public boolean put() {
        return owner.put(GOROUTINES[next++], false, global);
    }

    /** A put to runnext, kicking the previous one to the ring. */
    @Operation(nonParallelGroup = "owner")
    public boolean putNext() {
        return owner.put(GOROUTINES[next++], true, global);
    }

    @Operation(nonParallelGroup = "owner")
    public Integer poll() {
        return id(owner.poll());
    }

    /** The owner takes a spilled batch back: the first to run, the rest into its ring. */
    @Operation(nonParallelGroup = "owner")
    public Integer pollGlobal() {
        return id(global.pollInto(owner));
    }

    /** A thief steals into an empty queue of its own: the goroutine to run, then the rest in order. */
    @Operation
    public List<Integer> steal() {
        RunQueue.Owner mine = new RunQueue.Owner(CAPACITY);
        List<Integer> got = new ArrayList<>();
        G g = thief.stealInto(mine, false, false);
        if (g == null) return got;
        got.add(id(g));
        for (G x; (x = mine.poll()) != null; ) got.add(id(x));
        return got;
    }

    @Test
    void modelChecking() {
        new ModelCheckingOptions()
            .threads(3).actorsPerThread(3).actorsBefore(6).actorsAfter(3)
            .iterations(30).invocationsPerIteration(300)
            .sequentialSpecification(Model.class)
            .check(getClass());
    }

    @Test
    void stress() {
        new StressOptions()
            .threads(3).actorsPerThread(3).actorsBefore(6).actorsAfter(3)
            .iterations(10).invocationsPerIteration(1000)
            .sequentialSpecification(Model.class)
            .check(getClass());
    }

    /**
     * RunQueue's rules on plain collections: a put to a full ring moves its older half and the
     * newcomer to the global queue as one batch; a thief takes the older half of the ring
     * (rounded up), the newest of them to run.
     */
    public static final class Model {
        private final ArrayDeque<Integer> ring = new ArrayDeque<>();
        private Integer runnext;
        private final ArrayDeque<List<Integer>> global = new ArrayDeque<>();
        private int next;

        public boolean put() {
            return putRing(next++);
        }

        public boolean putNext() {
            Integer old = runnext;
            runnext = next++;
            return old != null && putRing(old);
        }

        private boolean putRing(int id) {
            if (ring.size() < CAPACITY) {
                ring.addLast(id);
                return false;
            }
            List<Integer> batch = new ArrayList<>();
            for (int i = 0; i < CAPACITY / 2; i++) batch.add(ring.pollFirst());
            batch.add(id);
            global.addLast(batch);
            return true;
        }

        public Integer poll() {
            if (runnext != null) {
                Integer g = runnext;
                runnext = null;
                return g;
            }
            return ring.pollFirst();
        }

        public Integer pollGlobal() {
            List<Integer> batch = global.pollFirst();
            if (batch == null) return null;
            for (int i = 1; i < batch.size(); i++) putRing(batch.get(i));
            return batch.get(0);
        }

        public List<Integer> steal() {
            List<Integer> got = new ArrayList<>();
            int n = ring.size() - ring.size() / 2;
            if (n == 0) return got;
            List<Integer> taken = new ArrayList<>();
            for (int i = 0; i < n; i++) taken.add(ring.pollFirst());
            got.add(taken.get(n - 1));
            got.addAll(taken.subList(0, n - 1));
            return got;
        }
    }
}
