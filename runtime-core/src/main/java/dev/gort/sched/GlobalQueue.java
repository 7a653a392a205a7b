package dev.gort.sched;

import org.jctools.queues.MpmcUnboundedXaddArrayQueue;

/**
 * The global run queue (Go's {@code sched.runq}): unbounded, many producers (goroutines readied
 * from platform threads, preempted goroutines, local-queue overflow, goroutines whose carrier
 * lost its P) and many consumers (every M looking for work).
 *
 * <p>JCTools' {@link MpmcUnboundedXaddArrayQueue} is lock-free on both sides, so, unlike Go's
 * lock-protected queue, a put does not synchronize with the scheduler lock. Every put is
 * therefore followed by {@link Scheduler#wakep()}, whose full fence orders the put before the
 * read of the idle and spinning counts; an M going idle orders its counts before re-reading
 * this queue (see {@link Scheduler} "Spinning and wake-ups").
 */
final class GlobalQueue {
    private final MpmcUnboundedXaddArrayQueue<G> queue = new MpmcUnboundedXaddArrayQueue<>(1024);

    void put(G g) {
        queue.offer(g);
    }

    void putBatch(G[] batch, int n) {
        for (int i = 0; i < n; i++) {
            queue.offer(batch[i]);
        }
    }

    G poll() {
        return queue.poll();
    }

    boolean isEmpty() {
        return queue.isEmpty();
    }

    int size() {
        return queue.size();
    }
}
