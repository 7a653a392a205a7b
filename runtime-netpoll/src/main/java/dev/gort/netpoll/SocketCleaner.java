package dev.gort.netpoll;

import java.lang.ref.Cleaner;
import java.lang.ref.PhantomReference;
import java.lang.ref.ReferenceQueue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Closes the descriptor of a GoSocket or GoServerSocket the application dropped without closing
 * it (the GC found the socket unreachable): {@link java.lang.ref.Cleaner}'s contract, with a
 * thread that can end. A {@code Cleaner}'s thread lives as long as the Cleaner, which a static
 * field keeps as long as Gort's classes: after {@code Go.shutdown()} it would linger (exec:java
 * waits for it) and, holding its creator's context class loader, keep an undeployed
 * application's loader alive. Here the thread starts with the first registration and ends at
 * {@link #stopIfIdle()} (the poller's close at shutdown) when nothing is registered; the next
 * registration starts another.
 *
 * <p>Each socket registers {@code nfd::close}: the action holds the NetFd, never the socket, and
 * nothing the poller keeps (its PollDescTable holds the PollDesc, which has no reference back)
 * reaches the socket either. A goroutine parked in a socket's call keeps it reachable through its
 * stack (the calls end with a reachability fence on the socket).
 *
 * <p>Who writes what: {@link #current} (the running generation: a queue and its thread) under
 * the class's monitor. A generation's {@code live} set holds its registered, not yet cleaned
 * references (so that they stay reachable until enqueued); a reference is added before
 * {@link #register} returns and removed by its one {@code clean()} (the CAS on {@code done}).
 * A generation is stopped only while its live set is empty, under the monitor, and a
 * registration adds to the live set of the generation it took under the monitor: so no
 * registered reference is ever left with a stopped thread.
 */
final class SocketCleaner {
    private SocketCleaner() {}

    /** One cleaner thread and its queue. */
    private static final class Generation implements Runnable {
        final ReferenceQueue<Object> queue = new ReferenceQueue<>();
        final Set<Ref> live = ConcurrentHashMap.newKeySet();
        /**
         * Enqueued by hand to end the thread. Its referent is this generation, which the thread
         * keeps reachable while it runs, so that the GC never enqueues it.
         */
        final PhantomReference<Object> stop = new PhantomReference<>(this, queue);
        final Thread thread = Thread.ofPlatform().name("gort-socket-cleaner").daemon(true)
            .inheritInheritableThreadLocals(false) // and so the system class loader as its context loader: it pins no application's
            .unstarted(this);

        @Override
        public void run() {
            for (;;) {
                java.lang.ref.Reference<?> r;
                try {
                    r = queue.remove();
                } catch (InterruptedException e) {
                    continue; // not ours to end: only stopIfIdle ends this thread
                }
                if (r == stop) return;
                try {
                    ((Ref) r).clean();
                } catch (Throwable t) {
                    System.err.println("gort: closing a dropped socket failed: " + t);
                }
            }
        }
    }

    /** A registered socket's reference and action. */
    private static final class Ref extends PhantomReference<Object> implements Cleaner.Cleanable {
        private final Generation gen;
        private final Runnable action;
        private final AtomicBoolean done = new AtomicBoolean();

        Ref(Object socket, Generation gen, Runnable action) {
            super(socket, gen.queue);
            this.gen = gen;
            this.action = action;
        }

        /** Runs the action once (an explicit close, or the GC's enqueue), and unregisters. */
        @Override
        public void clean() {
            if (!done.compareAndSet(false, true)) return;
            gen.live.remove(this);
            clear();
            action.run();
        }
    }

    private static Generation current;

    /** Runs {@code action} when {@code socket} becomes unreachable, unless the returned Cleanable is cleaned first. */
    static synchronized Cleaner.Cleanable register(Object socket, Runnable action) {
        Generation g = current;
        if (g == null) {
            current = g = new Generation();
            g.thread.start();
        }
        Ref r = new Ref(socket, g, action);
        g.live.add(r);
        return r;
    }

    /** Ends the cleaner thread if no socket is registered, and waits for it to end; else keeps it. */
    static void stopIfIdle() {
        Generation g;
        synchronized (SocketCleaner.class) {
            g = current;
            if (g == null || !g.live.isEmpty()) return;
            current = null;
            g.stop.enqueue();
        }
        boolean interrupted = false;
        for (;;) {
            try {
                g.thread.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
    }
}
