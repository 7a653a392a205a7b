package dev.gort.sched;

import dev.gort.DeadlockException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A test bubble ({@code dev.gort.test.GoTest}, Go's {@code testing/synctest}): a set of
 * goroutines with a clock of their own, which stands still while any of them can run and jumps
 * to the bubble's next timer when every one of them is durably blocked.
 *
 * <h2>Membership</h2>
 * The root goroutine ({@link #spawnRoot}) and every goroutine spawned by a member, or by a timer
 * of the bubble ({@code Timer.afterFunc}), belong to it, for life ({@link G.Extra#bubble}, set
 * before the goroutine is first queued). Channels made by a member belong to it too: their id
 * carries the bubble's number ({@link #channelId}); a goroutine of another bubble, or of none,
 * that touches one gets an IllegalStateException ({@link #checkChannel}), as Go panics.
 * Platform threads and timer actions (which run outside any goroutine) are not checked.
 *
 * <h2>Durably blocked</h2>
 * A member parked in a wait that only the bubble can end: a channel of the bubble, a select
 * over channels of the bubble only, a sleep, a timer, a sync primitive, a join, a group, a
 * future, {@link #waitIdle}. Not durable: a wait for I/O, and a wait on a channel made outside
 * the bubble ({@link #outsideWait}): something outside may end those, so while a member waits
 * so, the clock does not move. A member blocked in a JDK call on its carrier (a JDK lock,
 * {@code Thread.sleep} without the agent) is running as far as the bubble knows: the clock waits
 * for it. One that parks in the runtime while pinned to its carrier (locked to its thread, or
 * inside a monitor) is parked: its carrier counts it ({@code Syscalls.parkBlocking}).
 *
 * <h2>Counting</h2>
 * Under {@link #lock}: {@link #live} members (spawned, not ended) and {@link #blocked} of them
 * (durably parked). A member is counted blocked by the carrier that parked it, after the park's
 * commit ({@link #parked}: only then are its timer armed and its wakers free to find it), if it
 * is still parked in that same park (its {@link G.Extra#bubbleParkSeq}, advanced by the carrier
 * under the lock when the goroutine yields to park, {@link #beginPark}); a stale count from a
 * park that ended meanwhile is refused, and the later park counts itself. It is uncounted by
 * whoever readies it ({@link #readied}, from {@code Scheduler.makeRunnable}, after the status
 * CAS: a count made before that CAS is undone here; one attempted after it sees the goroutine
 * runnable and is refused). When {@code blocked == live}, nothing in the bubble can run until a
 * timer fires: {@link #advance} moves the clock to the earliest timer and runs every timer due
 * then; with no timer left, the bubble is deadlocked. One advancer at a time ({@link #advancing});
 * a check that meets it returns, and the advancer looks again when its timers have run.
 *
 * <h2>The clock</h2>
 * {@link #now}: starts at 2000-01-01T00:00:00Z, as Go's bubbles do, in nanoseconds since the
 * epoch (so {@link #instant()} and {@link #nanoTime()} agree); written by the advancer under the
 * lock, read by anyone (volatile). While a member runs the clock cannot move, so a member that
 * reads it, computes a deadline and arms a timer arms it in the future. The bubble's timers live
 * in its own {@link TimerHeap} ({@link #timers}), in this clock's nanoseconds, never in a P's;
 * one armed already due fires at once, on the thread that arms it.
 *
 * <h2>Cost outside bubbles</h2>
 * Every hook on a hot path (spawn, park, ready, goroutine end, channel operations) first reads
 * {@link #active()}, a plain read of the count of bubbles: a bubble's goroutines are spawned after
 * the increment that started it, which their spawn publishes to them (the run queue's hand-off);
 * a goroutine outside any bubble may read a stale value, and then only takes the slow path to
 * find it has no bubble.
 */
public final class Bubble {
    /** Bubbles started and not ended; see "Cost outside bubbles". */
    private static final AtomicInteger ACTIVE = new AtomicInteger();
    private static final AtomicInteger SEQ = new AtomicInteger();
    /** 2000-01-01T00:00:00Z in nanoseconds since the epoch: every bubble's clock starts there. */
    static final long EPOCH_2000 = 946_684_800L * 1_000_000_000L;
    /** Bits of a channel id below the bubble's number (see {@link #channelId}). */
    private static final int CHANNEL_BITS = 40;

    private final Scheduler s;
    /** This bubble's number, > 0, carried by its channels' ids. */
    final int seq;
    private final SpinLock lock = new SpinLock();
    private final TimerHeap timers = new TimerHeap();
    private volatile long now = EPOCH_2000;
    // guarded by lock
    private int live, blocked;
    private boolean advancing, ended, signalled;
    private final Set<G> members = new LinkedHashSet<>();
    private G idleWaiter;
    private G root;
    private Throwable firstFailure;
    /** The dump of the members when every one was blocked with no timer left, or null. */
    private String deadlock;
    /** Run once when the last member has ended (outside the lock, on that member's carrier). */
    private final Runnable onEnd;

    /** Whether any bubble may exist (see "Cost outside bubbles"). */
    public static boolean active() {
        return ACTIVE.getPlain() != 0;
    }

    private Bubble(Scheduler s, Runnable onEnd) {
        this.s = s;
        this.seq = SEQ.incrementAndGet();
        this.onEnd = onEnd;
    }

    // =====================================================================================
    // Starting and ending

    /**
     * Starts a bubble whose root goroutine runs {@code body}; {@code onEnd} runs once, when every
     * member has ended, or at a deadlock, once the members have been interrupted.
     *
     * @throws IllegalStateException if the caller is itself in a bubble
     */
    public static Bubble spawnRoot(Runnable body, String name, Runnable onEnd) {
        if (current() != null) throw new IllegalStateException("GoTest.run called from within a bubble");
        Scheduler s = Scheduler.get();
        Bubble b = new Bubble(s, onEnd);
        ACTIVE.incrementAndGet();
        try {
            b.root = s.spawnIn(b, body, name); // counted in live by join, before it is queued
        } catch (Throwable e) {
            ACTIVE.decrementAndGet(); // nothing was queued (spawn fails before it queues)
            throw e;
        }
        return b;
    }

    /** Starts {@code task} in a new goroutine of this bubble (a bubble timer's {@code afterFunc}, which fires outside any goroutine). */
    public G spawn(Runnable task) {
        return s.spawnIn(this, task, null);
    }

    /** The bubble of the calling goroutine, or null (a platform thread, or no bubble). */
    public static Bubble current() {
        if (!active()) return null;
        return of(Scheduler.currentG());
    }

    static Bubble of(G g) {
        return g != null ? g.bubble() : null;
    }

    /** The root's failure, else the first other member's, else null; read once the bubble ended. */
    public Throwable failure() {
        lock.lock();
        try {
            Throwable r = root.failure();
            return r != null ? r : firstFailure;
        } finally {
            lock.unlock();
        }
    }

    /**
     * The deadlock that ended the bubble, or null: made by the caller, so that its stack trace
     * is the caller's (GoTest.run's), not the carrier's that found it.
     */
    public DeadlockException deadlock() {
        lock.lock();
        String d = deadlock;
        lock.unlock();
        return d == null ? null : new DeadlockException("all goroutines in the bubble are asleep - deadlock!", d);
    }

    // =====================================================================================
    // The clock

    /** This bubble's clock, in nanoseconds (see "The clock"). */
    public long now() {
        return now;
    }

    /** {@code System.nanoTime()}, or the calling goroutine's bubble's clock. */
    public static long nanoTime() {
        if (active()) {
            Bubble b = current();
            if (b != null) return b.now;
        }
        return System.nanoTime();
    }

    /** {@code Instant.now()}, or the calling goroutine's bubble's clock as a wall-clock time. */
    public static Instant instant() {
        if (active()) {
            Bubble b = current();
            if (b != null) return b.instantNow();
        }
        return Instant.now();
    }

    /** This bubble's clock as a wall-clock time. */
    public Instant instantNow() {
        long n = now;
        return Instant.ofEpochSecond(n / 1_000_000_000L, n % 1_000_000_000L);
    }

    /** {@link #nanoTime()} on {@code b}'s clock (null: the real one). */
    public static long nanoTime(Bubble b) {
        return b != null ? b.now : System.nanoTime();
    }

    // =====================================================================================
    // Timers

    /** Arms t (whose bubble this is) at {@code when} on this clock; due already, it fires here and now. */
    void addTimer(TimerEntry t, long when) {
        if (t.heap != null) throw new IllegalStateException("gort: timer already armed");
        t.when = when;
        if (when - now <= 0) {
            t.action.run(); // the clock cannot move while the armer runs: see "The clock"
            return;
        }
        timers.lock.lock();
        try {
            timers.add(t);
        } finally {
            timers.lock.unlock();
        }
    }

    /** Armed timers of this bubble (tests and diagnostics). */
    int pendingTimers() {
        timers.lock.lock();
        int n = timers.size();
        timers.lock.unlock();
        return n;
    }

    // =====================================================================================
    // Membership and channels

    /** Scheduler.spawn: the new goroutine g joins {@code b} (before it is queued). */
    void join(G g) {
        g.extra().bubble = this;
        lock.lock();
        live++;
        members.add(g);
        lock.unlock();
    }

    /** The id for a new channel: {@code raw}, or, made by a member, one that names its bubble. */
    public static long channelId(long raw) {
        Bubble b = current();
        if (b == null) return raw;
        return Long.MIN_VALUE | ((long) b.seq << CHANNEL_BITS) | (raw & ((1L << CHANNEL_BITS) - 1));
    }

    /**
     * A goroutine is about to operate on the channel with this (negative: a bubble's) id.
     *
     * @throws IllegalStateException if the goroutine is not in that bubble
     */
    public static void checkChannel(long id) {
        G g = Scheduler.currentG();
        if (g == null) return; // a platform thread, or a timer action
        Bubble b = of(g);
        int owner = (int) ((id & Long.MAX_VALUE) >>> CHANNEL_BITS);
        if (b == null || b.seq != owner) {
            throw new IllegalStateException("channel of bubble " + owner + " used by goroutine " + g.id
                + (b == null ? ", which is in no bubble" : ", which is in bubble " + b.seq));
        }
    }

    /**
     * The calling member is about to wait on a channel made outside its bubble ({@code outside}
     * true), or has stopped waiting (false): such a wait is not durable (see "Durably blocked").
     */
    public static void outsideWait(boolean outside) {
        G g = Scheduler.currentG();
        Bubble b = of(g);
        if (b != null) g.extra().bubbleOutsideWait = outside;
    }

    // =====================================================================================
    // The hooks: park, ready, end (see "Counting")

    /** The carrier, as g (a member) yields to park, before the commit: a new park. @return its number */
    int beginPark(G g) {
        lock.lock();
        int seq = ++g.extra().bubbleParkSeq;
        lock.unlock();
        return seq;
    }

    /** The carrier, after the commit of g's park numbered {@code parkSeq}: counts it if durable, then checks the bubble. */
    void parked(G g, int parkSeq) {
        G.Extra x = g.extra();
        lock.lock();
        int st = g.status();
        boolean durable = !x.bubbleOutsideWait && g.waitReason != WaitReason.IO_WAIT.ordinal();
        if (durable && !x.bubbleCounted && x.bubbleParkSeq == parkSeq && (st == G.WAITING || st == G.DUMPING)) {
            x.bubbleCounted = true;
            blocked++;
        }
        lock.unlock();
        advance();
    }

    /** g (a member) was made runnable: no longer blocked. */
    void readied(G g) {
        G.Extra x = g.extra();
        lock.lock();
        if (x.bubbleCounted) {
            x.bubbleCounted = false;
            blocked--;
        }
        lock.unlock();
    }

    /** The carrier, after g (a member) ended. */
    void exited(G g) {
        Throwable f = g.failure();
        lock.lock();
        live--;
        members.remove(g);
        if (f != null && firstFailure == null && g != root) firstFailure = f;
        lock.unlock();
        advance();
    }

    /**
     * GoTest.waitIdle: parks the calling member until every other member is durably blocked.
     *
     * @throws IllegalStateException outside a bubble, or while another member waits so
     */
    public static void waitIdle() {
        G g = Scheduler.currentG();
        Bubble b = of(g);
        if (b == null) throw new IllegalStateException("GoTest.waitIdle called outside a bubble");
        b.lock.lock();
        if (b.idleWaiter != null) {
            b.lock.unlock();
            throw new IllegalStateException("GoTest.waitIdle called while goroutine " + b.idleWaiter.id + " waits in it");
        }
        b.idleWaiter = g;
        b.lock.unlock();
        b.s.park(g, WaitReason.BUBBLE_WAIT, null); // readied by advance, which clears idleWaiter
    }

    /**
     * When every member is durably blocked: wakes the one in waitIdle, else moves the clock to
     * the earliest timer and runs every timer due then, and looks again; with no timer, the
     * bubble is deadlocked. When no member is left, the bubble ends.
     */
    private void advance() {
        for (;;) {
            List<TimerEntry> due = null;
            G wake = null;
            boolean end = false;
            lock.lock();
            if (advancing || ended || blocked < live) {
                lock.unlock();
                return;
            }
            if (live == 0) {
                ended = true;
                end = true;
            } else if (deadlock != null) {
                lock.unlock();
                return; // the interrupted members are ending
            } else if (idleWaiter != null) {
                wake = idleWaiter;
                idleWaiter = null;
            } else {
                due = new ArrayList<>();
                timers.lock.lock();
                long next = timers.next;
                if (next != Long.MAX_VALUE) {
                    if (next - now > 0) now = next;
                    TimerEntry t;
                    while ((t = timers.pollDue(now)) != null) due.add(t);
                }
                timers.lock.unlock();
                if (due.isEmpty()) {
                    deadlock = ""; // the dump follows, outside the lock
                    due = null;
                } else {
                    advancing = true;
                }
            }
            List<G> toInterrupt = deadlock != null && due == null && wake == null && !end ? new ArrayList<>(members) : null;
            lock.unlock();
            if (end) {
                signalEnd();
                return;
            }
            if (wake != null) {
                s.ready(wake);
                return;
            }
            if (toInterrupt != null) {
                StringBuilder dump = new StringBuilder();
                long nowNanos = s.coarseNanos();
                for (G g : toInterrupt) Diagnostics.appendGoroutine(dump, g, nowNanos);
                lock.lock();
                deadlock = dump.toString();
                lock.unlock();
                for (G g : toInterrupt) g.interrupt(); // they end, and the last one ends the bubble
                signalEnd(); // a member deaf to interrupts must not hang GoTest.run
                return;
            }
            for (TimerEntry t : due) {
                try {
                    t.action.run();
                } catch (Throwable e) {
                    System.err.println("gort: a timer action failed: " + e);
                }
            }
            lock.lock();
            advancing = false;
            lock.unlock();
        }
    }

    /**
     * The bubble is over for its caller: at its end, or at a deadlock once the members have been
     * interrupted (a member deaf to interrupts stays parked; its hooks find the deadlock and do
     * nothing). Once only.
     */
    private void signalEnd() {
        lock.lock();
        boolean first = !signalled;
        signalled = true;
        lock.unlock();
        if (!first) return;
        ACTIVE.decrementAndGet();
        onEnd.run();
    }
}
