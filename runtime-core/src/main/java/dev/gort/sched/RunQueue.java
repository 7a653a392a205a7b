package dev.gort.sched;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Collection;

/**
 * A P's local run queue: a fixed ring of goroutines plus the {@code runnext} slot (Go's
 * {@code p.runq}, {@code p.runqhead}, {@code p.runqtail}, {@code p.runnext}; Tokio's
 * {@code multi_thread/queue.rs}).
 *
 * <h2>Who does what: two views of one queue</h2>
 * Ownership is a type, as Tokio's {@code Local} and {@code Steal}:
 * <ul>
 *   <li>{@link Owner} is the queue as the M holding its P sees it ({@code P.runq}); only that M
 *       may use it. It is the only producer ({@link Owner#put}, which spills half of a full ring
 *       to the global queue) and it consumes ({@link Owner#poll}).</li>
 *   <li>{@link Thief} is the handle every other thread gets ({@code P.steal}): it takes half the
 *       ring, or {@code runnext}, into the thief's own queue ({@link Thief#stealInto}) and reads
 *       estimates (emptiness, size, the dump's snapshot). It cannot put or poll.</li>
 * </ul>
 *
 * <h2>Invariants</h2>
 * <ul>
 *   <li>{@code head <= tail <= head + capacity} (as unsigned distances; the ints wrap).</li>
 *   <li>{@code tail} is written only by the owner; {@code head} only by CAS (owner and thieves).</li>
 *   <li>Slots {@code [head, tail)} hold the queued goroutines; the owner writes only slots at
 *       {@code tail}, which no one reads until {@code tail} is published past them.</li>
 *   <li>The capacity is a power of two, the same for every queue a thief steals into
 *       ({@link #CAPACITY} in the scheduler; smaller only in tests, to reach a full ring).</li>
 * </ul>
 *
 * <h2>Memory ordering</h2>
 * The owner writes a slot with a plain store and then publishes it with a release store of
 * {@code tail} ({@code setTailRelease}); a thief's acquire load of {@code tail}
 * ({@code tailAcquire}) synchronizes with it, so the thief reads the goroutine that was written.
 * A thief copies the slots {@code [h, h+n)} and only then claims them with a CAS of {@code head}
 * from {@code h}; if the owner overwrote one of them meanwhile, it did so because {@code head}
 * moved past {@code h}, so the CAS fails and the copy is thrown away. The owner's CAS on
 * {@code head} in {@link Owner#poll} races with thieves in the same way. The owner's acquire
 * load of {@code head} in {@link Owner#put} synchronizes with a thief's CAS of it, so the
 * thief's copy of the slots it claimed happens before the owner writes those slots again.
 *
 * <p>{@code runnext} is made non-null only by the owner's put (a release store when it reads
 * null, which no taker can change, else an atomic exchange) and made null only by CAS (takers,
 * the owner's poll), so each goroutine put there is taken exactly once: by a CAS from it to
 * null, or by the exchange that kicks it to the ring. Stealing {@code runnext} is not linearizable against that put: between
 * the exchange and the ring's {@code tail} store, a thief may find the ring empty and take the
 * new {@code runnext} while the goroutine it displaced is on its way to the ring (as in Go). No
 * goroutine is lost or taken twice; only which of the two the thief gets differs.
 *
 * <h2>Layout</h2>
 * {@code head} is written by the owner and every thief, {@code tail} by the owner alone and read
 * by thieves, {@code runnext} by the owner's readies and by thieves, and {@code ring} is read by
 * all and never written. Each sits on its own cache lines, so that a write to one does not
 * invalidate the line another thread reads the next one from: the fields are declared in a
 * chain of classes, each followed by a class of 128 bytes of padding (the JVM lays out a
 * superclass's fields before its subclass's; byte pads leave no gap that a later field could
 * fill, as in JCTools). 128, not 64: Intel's adjacent-line prefetcher pulls lines in pairs.
 * The chain starts and ends with padding against the objects allocated next to the queue.
 * {@code RunQueueLayoutTest} checks the offsets with JOL.
 */
final class RunQueue {
    /** The capacity of every P's ring. */
    static final int CAPACITY = 256;

    private RunQueue() {}

    // ---- layout: one field per class, 128 bytes of padding between (see the class comment)

    /** Against the object before this one in the heap. */
    private abstract static class Pad0 {
        private byte a000, a001, a002, a003, a004, a005, a006, a007, a008, a009, a010, a011, a012, a013, a014, a015;
        private byte a016, a017, a018, a019, a020, a021, a022, a023, a024, a025, a026, a027, a028, a029, a030, a031;
        private byte a032, a033, a034, a035, a036, a037, a038, a039, a040, a041, a042, a043, a044, a045, a046, a047;
        private byte a048, a049, a050, a051, a052, a053, a054, a055, a056, a057, a058, a059, a060, a061, a062, a063;
        private byte a064, a065, a066, a067, a068, a069, a070, a071, a072, a073, a074, a075, a076, a077, a078, a079;
        private byte a080, a081, a082, a083, a084, a085, a086, a087, a088, a089, a090, a091, a092, a093, a094, a095;
        private byte a096, a097, a098, a099, a100, a101, a102, a103, a104, a105, a106, a107, a108, a109, a110, a111;
        private byte a112, a113, a114, a115, a116, a117, a118, a119, a120, a121, a122, a123, a124, a125, a126, a127;
    }

    private abstract static class RingField extends Pad0 {
        /** The ring; slots are plain, ordered by {@code tail} (see the class comment). Never reassigned. */
        private final G[] ring;

        RingField(int capacity) {
            if (capacity < 2 || Integer.bitCount(capacity) != 1) {
                throw new IllegalArgumentException("run queue capacity must be a power of two >= 2: " + capacity);
            }
            ring = new G[capacity];
        }
    }

    /** Between the ring (read by all) and head (written by all). */
    private abstract static class Pad1 extends RingField {
        private byte b000, b001, b002, b003, b004, b005, b006, b007, b008, b009, b010, b011, b012, b013, b014, b015;
        private byte b016, b017, b018, b019, b020, b021, b022, b023, b024, b025, b026, b027, b028, b029, b030, b031;
        private byte b032, b033, b034, b035, b036, b037, b038, b039, b040, b041, b042, b043, b044, b045, b046, b047;
        private byte b048, b049, b050, b051, b052, b053, b054, b055, b056, b057, b058, b059, b060, b061, b062, b063;
        private byte b064, b065, b066, b067, b068, b069, b070, b071, b072, b073, b074, b075, b076, b077, b078, b079;
        private byte b080, b081, b082, b083, b084, b085, b086, b087, b088, b089, b090, b091, b092, b093, b094, b095;
        private byte b096, b097, b098, b099, b100, b101, b102, b103, b104, b105, b106, b107, b108, b109, b110, b111;
        private byte b112, b113, b114, b115, b116, b117, b118, b119, b120, b121, b122, b123, b124, b125, b126, b127;

        Pad1(int capacity) {
            super(capacity);
        }
    }

    private abstract static class HeadField extends Pad1 {
        /** Next slot to take. Written by CAS only (owner and thieves). */
        private volatile int head;

        HeadField(int capacity) {
            super(capacity);
        }
    }

    /** Between head and tail. */
    private abstract static class Pad2 extends HeadField {
        private byte c000, c001, c002, c003, c004, c005, c006, c007, c008, c009, c010, c011, c012, c013, c014, c015;
        private byte c016, c017, c018, c019, c020, c021, c022, c023, c024, c025, c026, c027, c028, c029, c030, c031;
        private byte c032, c033, c034, c035, c036, c037, c038, c039, c040, c041, c042, c043, c044, c045, c046, c047;
        private byte c048, c049, c050, c051, c052, c053, c054, c055, c056, c057, c058, c059, c060, c061, c062, c063;
        private byte c064, c065, c066, c067, c068, c069, c070, c071, c072, c073, c074, c075, c076, c077, c078, c079;
        private byte c080, c081, c082, c083, c084, c085, c086, c087, c088, c089, c090, c091, c092, c093, c094, c095;
        private byte c096, c097, c098, c099, c100, c101, c102, c103, c104, c105, c106, c107, c108, c109, c110, c111;
        private byte c112, c113, c114, c115, c116, c117, c118, c119, c120, c121, c122, c123, c124, c125, c126, c127;

        Pad2(int capacity) {
            super(capacity);
        }
    }

    private abstract static class TailField extends Pad2 {
        /** Next free slot. Written by the owner only (release), read by thieves (acquire). */
        private int tail;

        TailField(int capacity) {
            super(capacity);
        }
    }

    /** Between tail and runnext. */
    private abstract static class Pad3 extends TailField {
        private byte d000, d001, d002, d003, d004, d005, d006, d007, d008, d009, d010, d011, d012, d013, d014, d015;
        private byte d016, d017, d018, d019, d020, d021, d022, d023, d024, d025, d026, d027, d028, d029, d030, d031;
        private byte d032, d033, d034, d035, d036, d037, d038, d039, d040, d041, d042, d043, d044, d045, d046, d047;
        private byte d048, d049, d050, d051, d052, d053, d054, d055, d056, d057, d058, d059, d060, d061, d062, d063;
        private byte d064, d065, d066, d067, d068, d069, d070, d071, d072, d073, d074, d075, d076, d077, d078, d079;
        private byte d080, d081, d082, d083, d084, d085, d086, d087, d088, d089, d090, d091, d092, d093, d094, d095;
        private byte d096, d097, d098, d099, d100, d101, d102, d103, d104, d105, d106, d107, d108, d109, d110, d111;
        private byte d112, d113, d114, d115, d116, d117, d118, d119, d120, d121, d122, d123, d124, d125, d126, d127;

        Pad3(int capacity) {
            super(capacity);
        }
    }

    private abstract static class RunnextField extends Pad3 {
        /** A goroutine to run before the ring (readied by the owner). Changed by exchange or CAS only. */
        private volatile G runnext;

        RunnextField(int capacity) {
            super(capacity);
        }
    }

    /** Against the object after this one in the heap (the ring's array, usually). */
    private abstract static class Pad4 extends RunnextField {
        private byte e000, e001, e002, e003, e004, e005, e006, e007, e008, e009, e010, e011, e012, e013, e014, e015;
        private byte e016, e017, e018, e019, e020, e021, e022, e023, e024, e025, e026, e027, e028, e029, e030, e031;
        private byte e032, e033, e034, e035, e036, e037, e038, e039, e040, e041, e042, e043, e044, e045, e046, e047;
        private byte e048, e049, e050, e051, e052, e053, e054, e055, e056, e057, e058, e059, e060, e061, e062, e063;
        private byte e064, e065, e066, e067, e068, e069, e070, e071, e072, e073, e074, e075, e076, e077, e078, e079;
        private byte e080, e081, e082, e083, e084, e085, e086, e087, e088, e089, e090, e091, e092, e093, e094, e095;
        private byte e096, e097, e098, e099, e100, e101, e102, e103, e104, e105, e106, e107, e108, e109, e110, e111;
        private byte e112, e113, e114, e115, e116, e117, e118, e119, e120, e121, e122, e123, e124, e125, e126, e127;

        Pad4(int capacity) {
            super(capacity);
        }
    }

    // ---- var handles: the only way the views touch the fields above

    private static final VarHandle RING;
    private static final VarHandle HEAD;
    private static final VarHandle TAIL;
    private static final VarHandle RUNNEXT;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            RING = l.findVarHandle(RingField.class, "ring", G[].class);
            HEAD = l.findVarHandle(HeadField.class, "head", int.class);
            TAIL = l.findVarHandle(TailField.class, "tail", int.class);
            RUNNEXT = l.findVarHandle(RunnextField.class, "runnext", G.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /**
     * The owner's view, and the queue itself: only the M holding the P may call these (Tokio's
     * {@code Local}).
     */
    static final class Owner extends Pad4 {
        /** A queue of {@link RunQueue#CAPACITY}. */
        Owner() {
            super(CAPACITY);
        }

        /** A queue of another capacity (a power of two), for tests that need a full ring. */
        Owner(int capacity) {
            super(capacity);
        }

        /** The view for every other thread (one per queue is enough; any number may exist). */
        Thief thief() {
            return new Thief(this);
        }

        // Accessors, one per access mode; private, so only the two views reach them.
        private G[] ring() { return (G[]) RING.get(this); }
        private int headAcquire() { return (int) HEAD.getAcquire(this); }
        private boolean casHead(int expect, int update) { return HEAD.compareAndSet(this, expect, update); }
        private int tailAcquire() { return (int) TAIL.getAcquire(this); }
        /** Owner only: its own last write, no ordering needed. */
        private int tailPlain() { return (int) TAIL.get(this); }
        private void setTailRelease(int t) { TAIL.setRelease(this, t); }
        private G runnext() { return (G) RUNNEXT.getVolatile(this); }
        private boolean casRunnext(G expect, G update) { return RUNNEXT.compareAndSet(this, expect, update); }
        /** Owner only, runnext read null: see put. */
        private void setRunnextRelease(G g) { RUNNEXT.setRelease(this, g); }

        /**
         * Queues g, in {@code runnext} when {@code next} (kicking the old one to the ring).
         *
         * @param overflow receives half the ring plus g, in one batch, when the ring is full
         * @return true if the ring was full and half of it went to {@code overflow}
         */
        boolean put(G g, boolean next, GlobalQueue overflow) {
            if (next) {
                // Empty (every hand-off of W2-W5: the previous one was polled): a release store,
                // no exchange. Only this owner makes runnext non-null; takers CAS it from a
                // goroutine to null. So null read here stays null until this store, which no
                // taker can race, and the release pairs with a taker's volatile read or CAS as
                // the exchange's did (the goroutine's fields, written before, are seen with it).
                if (runnext() == null) {
                    setRunnextRelease(g);
                    return false;
                }
                // Taken: one exchange, since a thief may take the old one meanwhile; whatever
                // was there is kicked out to the ring.
                G old = (G) RUNNEXT.getAndSet(this, g);
                if (old == null) {
                    return false;
                }
                g = old;
            }
            G[] ring = ring();
            for (;;) {
                int h = headAcquire();
                int t = tailPlain();
                if (t - h < ring.length) {
                    ring[t & (ring.length - 1)] = g;
                    setTailRelease(t + 1);
                    return false;
                }
                if (putOverflow(g, h, t, overflow)) {
                    return true;
                }
                // A thief took some: the ring has room now.
            }
        }

        /** Moves half the full ring and g to the global queue. False if a thief got there first. */
        private boolean putOverflow(G g, int h, int t, GlobalQueue overflow) {
            G[] ring = ring();
            int n = (t - h) / 2;
            G[] batch = new G[n + 1];
            for (int i = 0; i < n; i++) {
                batch[i] = ring[(h + i) & (ring.length - 1)];
            }
            if (!casHead(h, h + n)) {
                return false;
            }
            batch[n] = g;
            overflow.putBatch(batch);
            return true;
        }

        /** {@code runnext} first, then the ring. Null when both are empty. */
        G poll() {
            G next = runnext();
            if (next != null && casRunnext(next, null)) {
                return next;
            }
            G[] ring = ring();
            for (;;) {
                int h = headAcquire();
                int t = tailPlain();
                if (t == h) {
                    return null;
                }
                G g = ring[h & (ring.length - 1)];
                if (casHead(h, h + 1)) {
                    return g;
                }
            }
        }

        /** True if nothing is queued (thieves may empty the queue meanwhile, never fill it). */
        boolean isEmpty() {
            return emptyEstimate();
        }

        /** True if runnext holds a goroutine and the ring is empty. */
        boolean onlyRunnext() {
            return runnext() != null && tailPlain() == headAcquire();
        }

        /** The ring's length plus runnext (thieves may shrink it meanwhile). */
        int size() {
            return sizeEstimate();
        }

        /** When its P is retired: hands everything queued to {@code out}. */
        void drainTo(GlobalQueue out) {
            G g;
            while ((g = poll()) != null) {
                out.put(g);
            }
        }

        private boolean emptyEstimate() {
            return tailAcquire() == headAcquire() && runnext() == null;
        }

        private int sizeEstimate() {
            int h = headAcquire();
            int t = tailAcquire();
            int n = t - h;
            if (n < 0 || n > ring().length) n = 0;
            return n + (runnext() == null ? 0 : 1);
        }
    }

    /**
     * The view for every thread but the owner: steal and look (Tokio's {@code Steal}). Nothing
     * here writes the victim's ring or tail.
     */
    static final class Thief {
        private final Owner q;

        private Thief(Owner q) {
            this.q = q;
        }

        /** An estimate, exact when the owner is not running. */
        boolean isEmpty() {
            return q.emptyEstimate();
        }

        /** An estimate of the ring's length plus runnext. */
        int size() {
            return q.sizeEstimate();
        }

        /**
         * Moves half of the victim's ring into {@code into} (the caller's own queue) and returns
         * one of them to run, or null.
         *
         * @param stealRunnext also take {@code runnext} when the ring is empty
         * @param victimRunning when taking runnext, first give the victim's owner a moment to run it
         */
        G stealInto(Owner into, boolean stealRunnext, boolean victimRunning) {
            G[] dst = into.ring();
            int t = into.tailPlain(); // the caller owns into
            int n = grab(dst, t, stealRunnext, victimRunning);
            if (n == 0) {
                return null;
            }
            n--;
            G g = dst[(t + n) & (dst.length - 1)];
            if (n == 0) {
                return g;
            }
            int h = into.headAcquire();
            if (t - h + n >= dst.length) {
                throw new IllegalStateException("gort: runqsteal: runq overflow");
            }
            into.setTailRelease(t + n);
            return g;
        }

        /**
         * Takes the victim's runnext, or null: for a P handing its work to a spare
         * (Procs.markStuck), where the goroutine readied last must stay the one to run next.
         */
        G takeRunnext() {
            for (;;) {
                G next = q.runnext();
                if (next == null) return null;
                if (q.casRunnext(next, null)) return next;
            }
        }

        /** Copies up to half of the victim's ring into {@code dst} from {@code dstTail}; returns how many. */
        private int grab(G[] dst, int dstTail, boolean stealRunnext, boolean victimRunning) {
            Owner q = this.q;
            G[] ring = q.ring();
            for (;;) {
                int h = q.headAcquire();
                int t = q.tailAcquire();
                int n = t - h;
                n = n - n / 2;
                if (n == 0) {
                    if (stealRunnext) {
                        G next = q.runnext();
                        if (next != null) {
                            if (victimRunning) {
                                // The owner is running and likely about to schedule runnext (a
                                // ping-pong hand-off); stealing it now would bounce the goroutine
                                // between Ps. Go sleeps 3 us here (usleep: the CPU goes to others).
                                // A busy 3 us spin here took a quarter of the carriers' CPU in W8
                                // on a loaded 2-CPU machine, where the owner may be waiting for
                                // this very CPU: give it up once instead.
                                Thread.yield();
                            }
                            if (q.casRunnext(next, null)) {
                                dst[dstTail & (dst.length - 1)] = next;
                                return 1;
                            }
                            continue;
                        }
                    }
                    return 0;
                }
                if (n > ring.length / 2) {
                    continue; // read an inconsistent h and t
                }
                for (int i = 0; i < n; i++) {
                    dst[(dstTail + i) & (dst.length - 1)] = ring[(h + i) & (ring.length - 1)];
                }
                if (q.casHead(h, h + n)) {
                    return n;
                }
            }
        }

        /** For the dump: the goroutines queued now (racy: may include some just taken). */
        void snapshotInto(Collection<G> out) {
            Owner q = this.q;
            G next = q.runnext();
            if (next != null) out.add(next);
            G[] ring = q.ring();
            int h = q.headAcquire();
            int t = q.tailAcquire();
            for (int i = h; t - i > 0 && t - i <= ring.length; i++) {
                G g = ring[i & (ring.length - 1)];
                if (g != null) out.add(g);
            }
        }
    }
}
