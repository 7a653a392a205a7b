package dev.gort.sched;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.ConcurrentLinkedQueue;

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
 * <p>The entries live in the JDK's {@link ConcurrentLinkedQueue} (Michael and Scott's lock-free
 * queue, on VarHandles), and {@link #entries} counts them, so that {@link #size} and
 * {@link #isEmpty}, which the scheduler reads on every search for work, are one load instead of
 * a walk of the list. Nothing here calls {@code sun.misc.Unsafe}, so runtime-core runs on JDK 25
 * without the Unsafe warning (JCTools' unbounded MPMC queue is built on Unsafe, and no release of
 * JCTools has a VarHandle variant of it).
 *
 * <p>Invariant: {@code entries >= } the number of entries in {@link #queue}. A put counts its
 * entry before it links it; a poll uncounts an entry only after it unlinked it. The count is
 * over by the puts and polls in flight, never under, so {@code size() == 0} means empty, and a
 * poll after a non-zero count may still find nothing (a put between its count and its link),
 * which every caller handles.
 *
 * <p>Memory ordering: lock-free, so, unlike Go's lock-protected queue, a put does not
 * synchronize with the scheduler lock. The put's {@code getAndAdd} of {@link #entries} (a
 * volatile read-modify-write) is the store of the "store, full fence, load" pattern: every put is
 * followed by {@link WakePolicy#wakep()}, whose full fence orders it before the read of the idle
 * and spinning counts; its partner is an M going idle, which orders its counts before re-reading
 * this queue through {@link #isEmpty} (see {@link WakePolicy}, "Spinning and wake-ups"). A goroutine
 * put happens-before its poll by the queue's own guarantee (linking and unlinking are volatile
 * CASes on the same node).
 */
final class GlobalQueue {
    /** Entries: a {@link G} or a full {@code G[]} batch. */
    private final ConcurrentLinkedQueue<Object> queue = new ConcurrentLinkedQueue<>();

    /**
     * Entries put and not yet taken (see the invariant above). Written by every producer and
     * consumer with {@code getAndAdd}; read by every M looking for work.
     */
    @SuppressWarnings("unused") // through ENTRIES
    private volatile int entries;

    private static final VarHandle ENTRIES;

    static {
        try {
            ENTRIES = MethodHandles.lookup().findVarHandle(GlobalQueue.class, "entries", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    void put(G g) {
        ENTRIES.getAndAdd(this, 1); // counted before linked: the count is never under
        queue.offer(g);
    }

    /** Queues a batch as one entry; the array is handed over (every slot must be filled). */
    void putBatch(G[] batch) {
        ENTRIES.getAndAdd(this, 1);
        queue.offer(batch);
    }

    /**
     * Takes one entry. A single goroutine is returned; of a batch, the first is returned and the
     * rest go to {@code local}, whose owner the caller must be.
     */
    G pollInto(RunQueue.Owner local) {
        Object e = queue.poll();
        if (e == null) return null;
        ENTRIES.getAndAdd(this, -1); // uncounted after unlinked: the count is never under
        if (e instanceof G g) return g;
        G[] batch = (G[]) e;
        for (int i = 1; i < batch.length; i++) {
            local.put(batch[i], false, this);
        }
        return batch[0];
    }

    /** True when no entry was put and not yet taken (a put in flight counts as an entry). */
    boolean isEmpty() {
        return entries == 0;
    }

    /** Entries (a batch counts once), plus the puts and polls in flight. */
    int size() {
        return entries;
    }
}
