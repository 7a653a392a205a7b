package dev.gort.sched;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A P's local run queue: a fixed ring of {@value #CAPACITY} goroutines plus the {@code runnext}
 * slot (Go's {@code p.runq}, {@code p.runqhead}, {@code p.runqtail}, {@code p.runnext}).
 *
 * <h2>Who does what</h2>
 * <ul>
 *   <li>The <b>owner</b> (the M holding the P) is the only producer: {@link #put}.
 *       It also consumes: {@link #poll}.</li>
 *   <li><b>Thieves</b> (other Ms) take half the ring with {@link #stealInto}, and may take
 *       {@code runnext}.</li>
 * </ul>
 *
 * <h2>Invariants</h2>
 * <ul>
 *   <li>{@code head <= tail <= head + CAPACITY} (as unsigned distances; the ints wrap).</li>
 *   <li>{@code tail} is written only by the owner; {@code head} only by CAS (owner and thieves).</li>
 *   <li>Slots {@code [head, tail)} hold the queued goroutines; the owner writes only slots at
 *       {@code tail}, which no one reads until {@code tail} is published past them.</li>
 * </ul>
 *
 * <h2>Memory ordering</h2>
 * The owner writes a slot with a plain store and then publishes it with a release store of
 * {@code tail} ({@link #setTailRelease}); a thief's acquire load of {@code tail}
 * ({@link #tailAcquire}) synchronizes with it, so the thief reads the goroutine that was written.
 * A thief copies the slots {@code [h, h+n)} and only then claims them with a CAS of {@code head}
 * from {@code h}; if the owner overwrote one of them meanwhile, it did so because {@code head}
 * moved past {@code h}, so the CAS fails and the copy is thrown away. The owner's CAS on
 * {@code head} in {@link #poll} races with thieves in the same way. The CAS is a full fence, so
 * the claimed goroutines' slots are not reused before the claim is visible.
 *
 * <p>{@code runnext} is changed only by atomic exchange (owner's put) or CAS (takers), so each
 * goroutine put there is taken exactly once: by a CAS from it to null, or by the exchange that
 * kicks it to the ring.
 */
final class RunQueue {
    static final int CAPACITY = 256;
    private static final int MASK = CAPACITY - 1;

    // Padding against false sharing with whatever the JVM puts before this object.
    @SuppressWarnings("unused") private long p00, p01, p02, p03, p04, p05, p06, p07;
    /** Next slot to take. Written by CAS only (owner and thieves). */
    private volatile int head;
    @SuppressWarnings("unused") private long p10, p11, p12, p13, p14, p15, p16, p17;
    /** Next free slot. Written by the owner only (release), read by thieves (acquire). */
    private int tail;
    @SuppressWarnings("unused") private long p20, p21, p22, p23, p24, p25, p26, p27;
    /** A goroutine to run before the ring (readied by the owner). Changed by CAS only. */
    private volatile G runnext;
    @SuppressWarnings("unused") private long p30, p31, p32, p33, p34, p35, p36, p37;
    /** The ring; slots are plain, ordered by {@code tail} (see the class comment). */
    private final G[] ring = new G[CAPACITY];

    // var handles
    private static final VarHandle HEAD;
    private static final VarHandle TAIL;
    private static final VarHandle RUNNEXT;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            HEAD = l.findVarHandle(RunQueue.class, "head", int.class);
            TAIL = l.findVarHandle(RunQueue.class, "tail", int.class);
            RUNNEXT = l.findVarHandle(RunQueue.class, "runnext", G.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private int headAcquire() { return (int) HEAD.getAcquire(this); }
    private boolean casHead(int expect, int update) { return HEAD.compareAndSet(this, expect, update); }
    private int tailAcquire() { return (int) TAIL.getAcquire(this); }
    /** Owner only: its own last write, no ordering needed. */
    private int tailPlain() { return tail; }
    private void setTailRelease(int t) { TAIL.setRelease(this, t); }

    /**
     * Owner: queues g, in {@code runnext} when {@code next} (kicking the old one to the ring).
     *
     * @param overflow receives half the ring plus g, in one batch, when the ring is full
     * @return true if the ring was full and half of it went to {@code overflow}
     */
    boolean put(G g, boolean next, GlobalQueue overflow) {
        if (next) {
            // One exchange: whatever was there (a thief may have just taken it) is kicked out.
            G old = (G) RUNNEXT.getAndSet(this, g);
            if (old == null) {
                return false;
            }
            g = old;
        }
        for (;;) {
            int h = headAcquire();
            int t = tailPlain();
            if (t - h < CAPACITY) {
                ring[t & MASK] = g;
                setTailRelease(t + 1);
                return false;
            }
            if (putSlow(g, h, t, overflow)) {
                return true;
            }
            // A thief took some: the ring has room now.
        }
    }

    /** Owner: moves half the full ring and g to the global queue. False if a thief got there first. */
    private boolean putSlow(G g, int h, int t, GlobalQueue overflow) {
        int n = (t - h) / 2;
        G[] batch = new G[n + 1];
        for (int i = 0; i < n; i++) {
            batch[i] = ring[(h + i) & MASK];
        }
        if (!casHead(h, h + n)) {
            return false;
        }
        batch[n] = g;
        overflow.putBatch(batch);
        return true;
    }

    /** Owner: {@code runnext} first, then the ring. Null when both are empty. */
    G poll() {
        G next = runnext;
        if (next != null && RUNNEXT.compareAndSet(this, next, null)) {
            return next;
        }
        for (;;) {
            int h = headAcquire();
            int t = tailPlain();
            if (t == h) {
                return null;
            }
            G g = ring[h & MASK];
            if (casHead(h, h + 1)) {
                return g;
            }
        }
    }

    /** Any thread: an estimate, exact when the owner is not running. */
    boolean isEmpty() {
        return tailAcquire() == headAcquire() && runnext == null;
    }

    /** Owner: true if runnext holds a goroutine and the ring is empty. */
    boolean onlyRunnext() {
        return runnext != null && tailPlain() == headAcquire();
    }

    /** Any thread: an estimate of the ring's length plus runnext. */
    int size() {
        int h = headAcquire();
        int t = tailAcquire();
        int n = t - h;
        if (n < 0 || n > CAPACITY) n = 0;
        return n + (runnext == null ? 0 : 1);
    }

    /**
     * Thief: moves half of this queue's ring into {@code into} (the thief's own queue, whose
     * owner is the caller) and returns one of them to run, or null.
     *
     * @param stealRunnext also take {@code runnext} when the ring is empty
     * @param victimRunning when taking runnext, first give the victim's owner a moment to run it
     */
    G stealInto(RunQueue into, boolean stealRunnext, boolean victimRunning) {
        int t = into.tailPlain();
        int n = grab(into.ring, t, stealRunnext, victimRunning);
        if (n == 0) {
            return null;
        }
        n--;
        G g = into.ring[(t + n) & MASK];
        if (n == 0) {
            return g;
        }
        int h = into.headAcquire();
        if (t - h + n >= CAPACITY) {
            throw new IllegalStateException("gort: runqsteal: runq overflow");
        }
        into.setTailRelease(t + n);
        return g;
    }

    /** Copies up to half of this ring into {@code dst} from {@code dstTail}; returns how many. */
    private int grab(G[] dst, int dstTail, boolean stealRunnext, boolean victimRunning) {
        for (;;) {
            int h = headAcquire();
            int t = tailAcquire();
            int n = t - h;
            n = n - n / 2;
            if (n == 0) {
                if (stealRunnext) {
                    G next = runnext;
                    if (next != null) {
                        if (victimRunning) {
                            // The owner is running and likely about to schedule runnext (a
                            // ping-pong hand-off); stealing it now would bounce the goroutine
                            // between Ps. Go sleeps 3 us here (usleep: the CPU goes to others).
                            // A busy 3 us spin here took a quarter of the carriers' CPU in W8 on
                            // a loaded 2-CPU machine, where the owner may be waiting for this
                            // very CPU: give it up once instead.
                            Thread.yield();
                        }
                        if (RUNNEXT.compareAndSet(this, next, null)) {
                            dst[dstTail & MASK] = next;
                            return 1;
                        }
                        continue;
                    }
                }
                return 0;
            }
            if (n > CAPACITY / 2) {
                continue; // read an inconsistent h and t
            }
            for (int i = 0; i < n; i++) {
                dst[(dstTail + i) & MASK] = ring[(h + i) & MASK];
            }
            if (casHead(h, h + n)) {
                return n;
            }
        }
    }

    /** Any thread, for the dump: the goroutines queued now (racy: may include some just taken). */
    void snapshotInto(java.util.Collection<G> out) {
        G next = runnext;
        if (next != null) out.add(next);
        int h = headAcquire();
        int t = tailAcquire();
        for (int i = h; t - i > 0 && t - i <= CAPACITY; i++) {
            G g = ring[i & MASK];
            if (g != null) out.add(g);
        }
    }

    /** Owner, when its P is retired: hands everything queued to {@code out}. */
    void drainTo(GlobalQueue out) {
        G g;
        while ((g = poll()) != null) {
            out.put(g);
        }
    }
}
