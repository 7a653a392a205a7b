package dev.gort.sched;

import dev.gort.Goroutine;
import dev.gort.internal.GoContinuation;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;

/**
 * A goroutine: a continuation (its stack) plus the state the scheduler needs (Go's {@code g}).
 *
 * <h2>States and who owns what</h2>
 * <ul>
 *   <li>{@code RUNNABLE}: on exactly one run queue (a P's ring or runnext, or the global queue);
 *       not mounted. Whoever dequeues it owns it.</li>
 *   <li>{@code RUNNING}: mounted on the carrier {@link #m}, whose M holds a P.</li>
 *   <li>{@code WAITING}: parked. Not on a run queue; linked into some wait structure under that
 *       structure's lock. Its stack is unmounted, except for a pinned or thread-locked goroutine,
 *       which blocks its carrier ({@link #blockedThread} set) and has given its P away.</li>
 *   <li>{@code SYSCALL}: inside {@code Go.blocking}: mounted on its carrier, which holds no P.</li>
 *   <li>{@code DEAD}: finished; its continuation is done.</li>
 * </ul>
 * Legal transitions: RUNNABLE -> RUNNING (execute); RUNNING -> RUNNABLE (yield, preemption);
 * RUNNING -> WAITING (park) -> RUNNABLE (ready, by CAS: the one waker that wins); RUNNING ->
 * SYSCALL -> RUNNING; RUNNING -> DEAD. {@link #DUMPING} is a short excursion from WAITING while
 * {@code Go.dump()} walks the parked stack; ready() waits it out. Anything else is a bug and throws.
 *
 * <p>The fields below the status are owned by whoever owns the goroutine at the moment (see
 * above), so they are plain; the hand-offs between owners (run queues, wait-structure locks,
 * the status CAS) order them.
 */
public final class G implements Goroutine, Runnable {
    static final int RUNNABLE = 0, RUNNING = 1, WAITING = 2, SYSCALL = 3, DEAD = 4, DUMPING = 5;

    /** Why the goroutine's continuation returned control to its carrier. Written by the goroutine, read by its carrier. */
    static final byte YIELD_NONE = 0, YIELD_PARK = 1, YIELD_GOSCHED = 2, YIELD_PREEMPT = 3, YIELD_NO_P = 4;

    // immutable state
    final long id;
    private final Runnable task;
    final GoContinuation continuation;

    // mutable state
    /**
     * One of the status constants. CAS where two threads may race (ready against dump); release
     * stores elsewhere: each transition is published to the next owner by the hand-off that
     * follows it (a run queue, a wait structure's lock).
     */
    private volatile int status = RUNNABLE;
    /** Set by the goroutine before it yields; read by its carrier after run() returns. A byte: see Extra. */
    byte yieldKind;
    ParkCommit commit;
    WaitReason waitReason = WaitReason.NONE;
    /** Coarse time of the park (Scheduler.coarseNanos()), for the dump. */
    long waitSince;
    /** sysmon's preemption request, honoured at the next safepoint. */
    volatile boolean preempt;
    /** The carrier while RUNNING or SYSCALL: written and read by that carrier; the dump reads it racily. */
    M m;
    /** Rarely used state, allocated on first use (keeps a plain goroutine small: W1 allocates millions). */
    private Extra extra;
    /**
     * Join waiters: a lock-free stack, closed by {@link #JOINERS_CLOSED} when the goroutine ends
     * (one exchange in {@link #finish()}); a waiter pushed before that is woken by it, a push
     * after it fails and the joiner returns at once.
     */
    private volatile Waiter joiners;
    private static final Waiter JOINERS_CLOSED = Waiter.sentinel();
    /**
     * The goroutine's reusable waiter for plain (non-select) waits: a goroutine waits for one
     * thing at a time, and a waiter is always unlinked by its waker before the wake-up, so the
     * next wait may reuse it (Go caches sudogs per P for the same reason).
     */
    Waiter waiter;
    /** In the registry (since its first park); its links there, guarded by the stripe's lock. */
    boolean registered;
    G allPrev, allNext;

    /** The rare fields. Owned like the goroutine's other fields, except where noted. */
    static final class Extra {
        /** The carrier a pinned or locked goroutine blocks while WAITING; written before status. */
        volatile Thread blockedThread;
        /** Go.lockOSThread nesting depth; > 0 keeps the goroutine on its carrier. */
        int lockDepth;
        /** GoLocal values, indexed by the GoLocal's slot. */
        Object[] locals;
        /** Failure, written before DEAD (release), read after. */
        Throwable failure;
        /** Set for the goroutine of a Go.run call, whose caller waits on it. */
        Scheduler.RunState runState;
        /** The name given at spawn, or null for "goroutine-<id>". */
        String name;
    }

    private static final VarHandle STATUS;
    private static final VarHandle JOINERS;

    static {
        try {
            STATUS = MethodHandles.lookup().findVarHandle(G.class, "status", int.class);
            JOINERS = MethodHandles.lookup().findVarHandle(G.class, "joiners", Waiter.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    G(long id, String name, Runnable task) {
        this.id = id;
        if (name != null) extra().name = name; // most goroutines have none: G stays 80 bytes
        this.task = task;
        this.continuation = new GoContinuation(this);
    }

    Extra extra() {
        Extra x = extra;
        if (x == null) extra = x = new Extra();
        return x;
    }

    /** Locked to its carrier (Go.lockOSThread): waits block the carrier instead of unmounting. */
    boolean locked() {
        Extra x = extra;
        return x != null && x.lockDepth > 0;
    }

    /** The carrier blocked by this pinned or locked goroutine's wait, or null. */
    Thread blockedThread() {
        Extra x = extra;
        return x != null ? x.blockedThread : null;
    }

    Scheduler.RunState runState() {
        Extra x = extra;
        return x != null ? x.runState : null;
    }

    /** The goroutine's GoLocal array (may be null); only the goroutine itself calls these. */
    public Object[] locals() {
        Extra x = extra;
        return x != null ? x.locals : null;
    }

    public void setLocals(Object[] locals) {
        extra().locals = locals;
    }

    /** The continuation's body: runs the task and records how it ended. Never throws. */
    @Override
    public void run() {
        try {
            task.run();
        } catch (Throwable t) {
            extra().failure = t;
            if (runState() == null) { // Go.run rethrows its main goroutine's failure instead
                Scheduler.get().reportUncaught(this, t);
            }
        }
    }

    int status() {
        return status;
    }

    void setStatus(int s) {
        status = s;
    }

    /** A status change published by the hand-off that follows it (see {@link #status}). */
    void setStatusRelease(int s) {
        STATUS.setRelease(this, s);
    }

    boolean casStatus(int expect, int update) {
        return STATUS.compareAndSet(this, expect, update);
    }

    /** Called by the carrier once the continuation is done: DEAD, then wakes the joiners. */
    void finish() {
        setStatusRelease(DEAD);
        Waiter w = (Waiter) JOINERS.getAndSet(this, JOINERS_CLOSED); // orders DEAD before the wake-ups
        Waiter.wakeChain(w);
        Scheduler.RunState rs = runState();
        if (rs != null) rs.wake();
    }

    /** Pushes w on the joiners; false if the goroutine has ended (the stack is closed). */
    private boolean pushJoiner(Waiter w) {
        for (;;) {
            Waiter head = joiners;
            if (head == JOINERS_CLOSED) return false;
            w.next = head;
            if (JOINERS.compareAndSet(this, head, w)) return true;
        }
    }

    // ---- Goroutine

    @Override
    public long id() {
        return id;
    }

    @Override
    public String name() {
        String name = extra != null ? extra.name : null;
        return name != null ? name : "goroutine-" + id;
    }

    @Override
    public State state() {
        return switch (status) {
            case RUNNABLE -> State.RUNNABLE;
            case RUNNING -> State.RUNNING;
            case WAITING, DUMPING -> State.WAITING;
            case SYSCALL -> State.SYSCALL;
            case DEAD -> State.DEAD;
            default -> throw new IllegalStateException("gort: bad goroutine status " + status);
        };
    }

    @Override
    public Throwable failure() {
        Extra x = extra;
        return status == DEAD && x != null ? x.failure : null;
    }

    @Override
    public void join() throws InterruptedException {
        if (status == DEAD) {
            return;
        }
        Waiter w = Waiter.current();
        if (w.g != null) {
            if (w.g == this) throw new IllegalStateException("a goroutine cannot join itself");
            // The push is the park's commit: it happens after the unmount, so finish() can only
            // wake a goroutine that is already parked; a failed push means we are done at once.
            Scheduler.get().park(WaitReason.JOIN, g -> pushJoiner(w));
            return;
        }
        if (!pushJoiner(w)) return;
        if (!w.awaitWoken(0L)) {
            Thread.interrupted(); // cleared, as the JDK does when it throws InterruptedException
            throw new InterruptedException(); // w stays on the stack; its late wake-up is harmless
        }
    }

    @Override
    public boolean join(Duration timeout) throws InterruptedException {
        if (status == DEAD) {
            return true;
        }
        if (Scheduler.currentG() != null) {
            join();
            return true;
        }
        Waiter w = Waiter.current();
        if (!pushJoiner(w)) return true;
        long nanos = Math.max(1L, timeout.toNanos());
        if (w.awaitWoken(System.nanoTime() + nanos)) return true;
        if (Thread.currentThread().isInterrupted() && !w.isWoken()) {
            Thread.interrupted();
            throw new InterruptedException();
        }
        return w.isWoken();
    }

    @Override
    public String toString() {
        String name = extra != null ? extra.name : null;
        return "goroutine " + id + (name != null ? " \"" + name + "\"" : "") + " [" + state() + "]";
    }
}
