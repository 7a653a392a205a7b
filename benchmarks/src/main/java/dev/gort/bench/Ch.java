package dev.gort.bench;

import com.softwaremill.jox.Channel;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.SynchronousQueue;

/**
 * The anchors' channel adapter ({@code Ch} in anchors/jvm/*.java), for the JDK implementations:
 * one channel API over {@code SynchronousQueue} ({@code sq}), {@code ArrayBlockingQueue}
 * ({@code abq}) and jox ({@code jox}). Ints are boxed ({@code Integer.valueOf}): that is part of
 * what a JVM channel costs.
 *
 * <p>Unlike the anchors (one implementation per process, so the calls stay monomorphic), the
 * runner runs sq/abq and jox in one JVM: a {@code Ch} call site sees two receiver classes,
 * which C2 still inlines (bimorphic). Gort's implementations use {@link dev.gort.Chan} directly,
 * not through this adapter.
 */
interface Ch {
    void send(Integer v) throws InterruptedException;

    Integer recv() throws InterruptedException;

    /** Unbuffered: sq = java.util.concurrent.SynchronousQueue, jox = Channel.newRendezvousChannel(). */
    static Ch rendezvous(String impl) {
        return switch (impl) {
            case "sq" -> new QCh(new SynchronousQueue<>());
            case "jox" -> new JoxCh(Channel.newRendezvousChannel());
            default -> throw new IllegalArgumentException("impl must be sq or jox: " + impl);
        };
    }

    /** Buffered: abq = ArrayBlockingQueue(cap), jox = Channel.newBufferedChannel(cap). */
    static Ch buffered(String impl, int cap) {
        return switch (impl) {
            case "abq" -> new QCh(new ArrayBlockingQueue<>(cap));
            case "jox" -> new JoxCh(Channel.newBufferedChannel(cap));
            default -> throw new IllegalArgumentException("impl must be abq or jox: " + impl);
        };
    }

    record QCh(BlockingQueue<Integer> q) implements Ch {
        public void send(Integer v) throws InterruptedException { q.put(v); }

        public Integer recv() throws InterruptedException { return q.take(); }
    }

    record JoxCh(Channel<Integer> c) implements Ch {
        public void send(Integer v) throws InterruptedException { c.send(v); }

        public Integer recv() throws InterruptedException { return c.receive(); }
    }
}
