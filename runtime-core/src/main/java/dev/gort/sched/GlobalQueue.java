package dev.gort.sched;

import org.jctools.queues.MpmcUnboundedXaddArrayQueue;

/**
 * The global run queue (Go's {@code sched.runq}): unbounded, many producers (goroutines readied
 * from platform threads, preempted and yielding goroutines, local-queue overflow, goroutines
 * whose carrier lost its P) and many consumers (every M looking for work).
 *
 * <p>An entry is either one goroutine or a batch ({@code G[]}, every slot filled): a P whose
 * ring overflows moves half of it here as one entry, and the P that polls it takes the whole
 * batch into its own ring (see {@link #pollInto}). One queue operation per 129 goroutines instead
 * of 129: on W1 spawn, per-goroutine offers and polls of the overflow were half the spawner's
 * time. Go's queue gets the same effect by linking the batch under its lock.
 *
 * <p>JCTools' {@link MpmcUnboundedXaddArrayQueue} is lock-free on both sides, so, unlike Go's
 * lock-protected queue, a put does not synchronize with the scheduler lock. Every put is
 * therefore followed by {@link WakePolicy#wakep()}, whose full fence orders the put before the
 * read of the idle and spinning counts; an M going idle orders its counts before re-reading
 * this queue (see {@link WakePolicy}, "Spinning and wake-ups").
 */
final class GlobalQueue {
    /** Entries: a {@link G} or a full {@code G[]} batch. */
    private final MpmcUnboundedXaddArrayQueue<Object> queue = new MpmcUnboundedXaddArrayQueue<>(1024);

    void put(G g) {
        queue.offer(g);
    }

    /** Queues a batch as one entry; the array is handed over (every slot must be filled). */
    void putBatch(G[] batch) {
        queue.offer(batch);
    }

    /**
     * Takes one entry. A single goroutine is returned; of a batch, the first is returned and the
     * rest go to {@code local}, whose owner the caller must be.
     */
    G pollInto(RunQueue.Owner local) {
        Object e = queue.poll();
        if (e == null) return null;
        if (e instanceof G g) return g;
        G[] batch = (G[]) e;
        for (int i = 1; i < batch.length; i++) {
            local.put(batch[i], false, this);
        }
        return batch[0];
    }

    boolean isEmpty() {
        return queue.isEmpty();
    }

    /** Entries (a batch counts once): an estimate under concurrent use. */
    int size() {
        return queue.size();
    }
}
