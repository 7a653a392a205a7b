package dev.gort.gc;

import dev.gort.gcassist.GcEvents;
import dev.gort.sched.SchedulerHooks;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * A set of interchangeable objects to reuse, which the collector may empty (Go's
 * {@code sync.Pool}): {@link #get()} returns one from the pool or a new one from the supplier,
 * {@link #put} gives one back. For objects that are costly to allocate per operation and have
 * no identity the program cares about: buffers, builders, encoders. A pool may drop what it holds
 * at any time; a busy pool keeps hitting, an idle pool's objects are gone after two collection
 * cycles. Thread-safe; usable from goroutines (the fast path) and platform threads.
 *
 * <pre>{@code
 * static final Pool<byte[]> BUFFERS = Pool.of(() -> new byte[4096]);
 * byte[] buf = BUFFERS.get();
 * try { ... } finally { BUFFERS.put(buf); }
 * }</pre>
 * An object given back must not be used any more by the one who gave it back: the pool hands it
 * to the next {@code get}, on any thread. The pool never hands one object to two callers (each
 * {@code put} makes an object available to exactly one later {@code get}), but it does not check
 * that an object is put only once: put twice without a get in between, it may be handed to two.
 *
 * <h2>Structure (Go's {@code poolLocal}, per P)</h2>
 * <ul>
 *   <li>Per P (indexed by the P's id, {@link SchedulerHooks#currentProcessorId()}): a
 *       <em>private</em> slot, used only by the goroutine running on that P, with plain reads and
 *       writes; and a <em>shared</em> lock-free stack (Treiber's), which its owner pushes on when
 *       the private slot is full and pops from when it is empty, and other Ps steal from.</li>
 *   <li>One more shared stack for platform threads (no P): their {@code put}s go there; their
 *       {@code get}s look there, then steal from the Ps' stacks.</li>
 *   <li>A <em>victim</em> generation: at the end of each GC cycle ({@link GcMonitor}'s
 *       notification) the current generation (every P's slots and stacks, and the platform
 *       stack) becomes the victim and the old victim is dropped. {@code get} looks in the victim
 *       after the current generation, so a busy pool keeps its objects across one cycle, and
 *       what nobody takes within two cycles becomes garbage.</li>
 * </ul>
 *
 * <h2>No preemption inside an operation</h2>
 * A goroutine that read its P's id and were then moved to another P before it used the private
 * slot would race that P's next goroutine (Go pins the P for the operation: {@code procPin}).
 * Here nothing can move it: a goroutine leaves its P only at a safepoint (a park, a yield, a
 * spawn, a blocking call, {@code Go.safepoint()}), this class calls none of them between the read
 * and the use, and the safepoint agent never instruments {@code dev.gort.gc} (nor any runtime
 * package). The supplier, which may do anything, runs only after every slot access is over.
 *
 * <h2>Memory ordering</h2>
 * <ul>
 *   <li>Private slot: written and read by the goroutines running on its P, one at a time. Two
 *       successive ones on different carriers are ordered by the P's hand-over (the releasing
 *       carrier's volatile write of the P's owner, read by the next owner as it acquires the P:
 *       see {@link SchedulerHooks}).</li>
 *   <li>Shared stack: a push is a release CAS of the head (the new node, with its item and next,
 *       published by it); a pop reads the head with acquire (the partner of that CAS) and takes
 *       the node by CAS, so one popper wins each node and with it the item. A node is never
 *       pushed twice (each push allocates one), so a CAS cannot succeed on a head that was
 *       popped and pushed again in between (no ABA).</li>
 *   <li>Generations: {@link #current} and {@link #victim} are volatile; the rotation (the GC
 *       notification thread) and the growth of a generation for a new P id are under this
 *       pool's lock. An operation that read the old generation just before a rotation finishes
 *       on it: its put lands in the victim (found by the next gets, or dropped one cycle
 *       later), its get takes from it. Either way the object goes to exactly one taker.</li>
 * </ul>
 *
 * @param <T> the objects' type
 */
public final class Pool<T> {
    // ---- immutable state
    private final Supplier<? extends T> factory;
    /** Told of each GC cycle; the monitor holds it weakly, this pool strongly. */
    private final Rotator rotator;

    // ---- mutable state (see "Memory ordering")
    /** The current generation, or null until the first operation after a rotation. */
    private volatile Generation current;
    /** The previous generation, or null. */
    private volatile Generation victim;
    /** Rotations done (tests read it). Written under this pool's lock. */
    private volatile long rotations;

    private Pool(Supplier<? extends T> factory) {
        this.factory = factory;
        this.rotator = new Rotator(this);
        GcMonitor.get().addCycleListener(rotator);
    }

    /**
     * A pool whose {@link #get()} calls {@code factory} when it has nothing to give. The first pool
     * of a JVM starts the {@link GcMonitor} (some milliseconds on a cold JVM).
     *
     * @throws NullPointerException if factory is null
     */
    public static <T> Pool<T> of(Supplier<? extends T> factory) {
        return new Pool<>(Objects.requireNonNull(factory, "factory"));
    }

    /**
     * An object from the pool (the one this P put last, if any), or else a new one from the
     * factory. The pool forgets it: it is the caller's until given back with {@link #put}.
     *
     * @throws NullPointerException if the pool was empty and the factory returned null
     */
    public T get() {
        Object x = take();
        if (x == null) {
            x = Objects.requireNonNull(factory.get(), "the pool's factory returned null");
        }
        @SuppressWarnings("unchecked")
        T t = (T) x;
        return t;
    }

    /**
     * Gives x to the pool, for a later {@link #get()} (or the collector). The caller must not use
     * x any more.
     *
     * @throws NullPointerException if x is null
     */
    public void put(T x) {
        if (x == null) throw new NullPointerException("Pool.put(null)");
        int id = SchedulerHooks.currentProcessorId();
        Generation g = current;
        if (id < 0) {
            if (g == null) g = generation(0);
            g.platform.push(x);
            return;
        }
        if (g == null || id >= g.locals.length) g = generation(id + 1);
        Local l = g.locals[id];
        if (l.privateItem == null) {
            l.privateItem = x;
        } else {
            l.shared.push(x);
        }
    }

    /** The pool's part of get: an object, or null; no user code runs here. */
    private Object take() {
        int id = SchedulerHooks.currentProcessorId();
        Generation g = current;
        Object x;
        if (g != null) {
            if (id >= 0 && id < g.locals.length) {
                Local l = g.locals[id];
                x = l.privateItem;
                if (x != null) {
                    l.privateItem = null;
                    return x;
                }
                if ((x = l.shared.pop()) != null) return x;
            }
            if ((x = g.steal(id)) != null) return x;
        }
        Generation v = victim;
        if (v != null) {
            if (id >= 0 && id < v.locals.length) {
                Local l = v.locals[id];
                x = l.privateItem;
                if (x != null) {
                    l.privateItem = null;
                    return x;
                }
            }
            if ((x = v.steal(-1)) != null) return x; // every stack of the victim, this P's too
        }
        return null;
    }

    /**
     * The current generation with at least {@code size} Ps' locals: creates it after a rotation,
     * grows it for a P id it has not seen (copying the Local references, so that nothing in
     * them is lost). Rare: under the pool's lock.
     */
    private synchronized Generation generation(int size) {
        Generation g = current;
        if (g != null && g.locals.length >= size) return g;
        int n = Math.max(size, SchedulerHooks.processors());
        Generation grown = new Generation(n, g);
        current = grown;
        return grown;
    }

    /** The GC cycle's rotation: the current generation becomes the victim, the old victim is dropped. */
    synchronized void rotate() {
        Generation dropped = victim;
        victim = current;
        current = null;
        rotations++;
        GcEvents.PoolRotation e = new GcEvents.PoolRotation();
        if (e.isEnabled()) { // off by default: then nothing is counted
            e.pool = System.identityHashCode(this);
            e.rotation = rotations;
            e.dropped = dropped != null ? dropped.count() : 0;
            e.commit();
        }
    }

    /** Rotations so far (for tests). */
    long rotations() {
        return rotations;
    }

    /** One generation: every P's locals, indexed by P id, and the platform threads' stack. */
    private static final class Generation {
        final Local[] locals;
        final Stack platform;

        /** A generation of n locals; {@code from}'s (the one it replaces as it grows) are kept. */
        Generation(int n, Generation from) {
            locals = new Local[n];
            int i = 0;
            if (from != null) {
                for (; i < from.locals.length; i++) locals[i] = from.locals[i];
                platform = from.platform;
            } else {
                platform = new Stack();
            }
            for (; i < n; i++) locals[i] = new Local();
        }

        /** The objects in this generation: a racy count (for the rotation's JFR event). */
        long count() {
            long n = platform.count();
            for (Local l : locals) {
                if (l.privateItem != null) n++;
                n += l.shared.count();
            }
            return n;
        }

        /** An object from any P's shared stack but {@code self}'s (-1: none excluded), or the platform stack; or null. */
        Object steal(int self) {
            Local[] ls = locals;
            int n = ls.length;
            // Start after self so that Ps do not all rob the same victim first (Go: (pid+i+1) % n).
            // self may be past n (a P id that this generation has not grown for yet).
            int start = self >= 0 ? (int) ((self + 1L) % n) : 0;
            for (int i = 0; i < n; i++) {
                int k = start + i;
                if (k >= n) k -= n;
                if (k == self) continue;
                Object x = ls[k].shared.pop();
                if (x != null) return x;
            }
            return platform.pop();
        }
    }

    /** Padding before a Local's fields, against false sharing with the previous allocation (one cache line). */
    abstract static class LocalPadBefore {
        long p01, p02, p03, p04, p05, p06, p07, p08;
    }

    /** One P's part of a generation. */
    static class LocalFields extends LocalPadBefore {
        /** Read and written only by the goroutine running on the P (see "Memory ordering"). */
        Object privateItem;
        final Stack shared = new Stack();
    }

    /** Padding after the fields: the private slot, written at every hit, shares no line with another P's. */
    static final class Local extends LocalFields {
        long q01, q02, q03, q04, q05, q06, q07, q08;
    }

    /** Treiber's lock-free stack (see "Memory ordering"). */
    static final class Stack {
        private volatile Node head;
        private static final VarHandle HEAD;

        static {
            try {
                HEAD = MethodHandles.lookup().findVarHandle(Stack.class, "head", Node.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        void push(Object item) {
            Node n = new Node(item);
            Node h;
            do {
                h = (Node) HEAD.getAcquire(this);
                n.next = h;
            } while (!HEAD.weakCompareAndSetRelease(this, h, n)); // publishes n.item and n.next: partner of pop's acquire
        }

        Object pop() {
            Node h;
            do {
                h = (Node) HEAD.getAcquire(this); // partner of push's release CAS
                if (h == null) return null;
            } while (!HEAD.weakCompareAndSet(this, h, h.next)); // one popper wins h (no ABA: nodes are never pushed twice)
            return h.item;
        }

        /** The objects on the stack now, racily (a push or pop may be under way). */
        long count() {
            long n = 0;
            for (Node x = (Node) HEAD.getAcquire(this); x != null; x = x.next) n++; // acquire: partner of push's release
            return n;
        }
    }

    private static final class Node {
        final Object item;
        Node next;

        Node(Object item) {
            this.item = item;
        }
    }

    /** The monitor's listener: rotates the pool at each GC cycle. */
    private record Rotator(Pool<?> pool) implements GcMonitor.CycleListener {
        @Override
        public void cycleEnded() {
            pool.rotate();
        }
    }
}
