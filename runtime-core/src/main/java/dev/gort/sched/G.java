package dev.gort.sched;

import dev.gort.GoRunnable;
import dev.gort.Goroutine;
import dev.gort.internal.GoContinuation;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;

/**
 * A goroutine (Go's {@code g}): a continuation (its stack; G extends {@link GoContinuation}, so
 * a goroutine is one object) plus the state the scheduler needs.
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
 * {@code Go.dump()} walks the parked stack; ready() waits it out, a park whose commit failed
 * leaves WAITING by CAS after it (the dump stores WAITING back), and a blocked carrier counts
 * it as still waiting. Anything else is a bug and throws. The waker of a goroutine that blocks
 * its carrier reads {@link #blockedThread} before its CAS out of WAITING: after it, the carrier
 * may already have seen RUNNABLE (a spurious unpark) and cleared the field.
 *
 * <p>The fields below the status are owned by whoever owns the goroutine at the moment (see
 * above), so they are plain; the hand-offs between owners (run queues, wait-structure locks,
 * the status CAS) order them.
 */
public sealed class G extends GoContinuation implements Goroutine permits G.CarrierInterrupting {
    static final byte RUNNABLE = 0, RUNNING = 1, WAITING = 2, SYSCALL = 3, DEAD = 4, DUMPING = 5;

    /** Why the goroutine's continuation returned control to its carrier. Written by the goroutine, read by its carrier. */
    static final byte YIELD_NONE = 0, YIELD_PARK = 1, YIELD_GOSCHED = 2, YIELD_PREEMPT = 3, YIELD_NO_P = 4;
    /** The goroutine has never been mounted: its first mount passes the memory gate ({@link Admission#holdNew}). */
    static final byte YIELD_NEW = 5;

    // immutable state
    final long id;
    /**
     * The body, until it starts: {@link #body()} clears it before running it, so that the
     * goroutine's handle (kept by the caller of spawn, a run queue's stale slot, a join) does not
     * keep what the body captured reachable once the goroutine has ended.
     */
    private Runnable task;

    // mutable state
    /**
     * One of the status constants. CAS where two threads may race (ready against dump); release
     * stores elsewhere: each transition is published to the next owner by the hand-off that
     * follows it (a run queue, a wait structure's lock). A byte (the constants are 0-5): see
     * {@link #waitReason}.
     */
    private volatile byte status = RUNNABLE;
    /**
     * Set by the goroutine before it yields; read by its carrier after run() returns. A byte: see
     * Extra. {@link #YIELD_NEW} until the first mount (the carrier's own write, before run()).
     */
    byte yieldKind = YIELD_NEW;
    ParkCommit commit;
    /**
     * Why it waits, as the ordinal of its {@link WaitReason} ({@link #waitReason()}): a byte, as
     * {@link #status} is: W6 counts every byte of a parked goroutine (a G is 104 bytes). Written
     * by the goroutine as it parks, before the status store that the waker's or the dump's
     * status read pairs with.
     */
    byte waitReason;
    /** sysmon's preemption request, honoured at the next safepoint. */
    volatile boolean preempt;
    /**
     * Why {@link #preempt} was set ({@code Preemption.TIME_SLICE}, ...): written by the requester before
     * its CAS of the flag, read by the goroutine after its own CAS clears it (both CASes are
     * volatile: the read sees the write of the request it clears, or a later one's).
     */
    byte preemptCause;
    /** Sampling ({@link SchedStats}): the goroutine's count of cycles, mod 256. Owned as the fields below the status. */
    byte statSeq;
    /**
     * A {@code System.nanoTime()} stamp serving two readers; owned as the fields below the status
     * (see SchedStats for the hand-offs). Odd: the cycle is timed by the sampling
     * ({@link SchedStats#timed}) and this is when it started (parked since, or runnable since;
     * SchedStats' clock reads are odd). Even: not timed. While WAITING it is when the wait began,
     * for the dump: the park stores the coarse clock rounded to even ({@link Scheduler#park}),
     * which a timed park then replaces with the exact time. One field, not a stamp for each: W6
     * counts every byte of a parked goroutine.
     */
    long statStamp;
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
    /**
     * The interrupt status and the current interruptible wait, in one field so that one atomic
     * operation on each side decides who ends the wait (see {@link #interrupt()}):
     * null or an {@link InterruptibleWait} (the last one this goroutine installed, possibly
     * over already): not interrupted; {@link #INTERRUPTED}: interrupted.
     * Only interrupters write INTERRUPTED (getAndSet); only the goroutine writes anything else
     * (a CAS from a non-INTERRUPTED value to install a wait, a store of null to clear).
     */
    private volatile Object interruptState;
    private static final Object INTERRUPTED = new Object();
    /**
     * True exactly for a {@link CarrierInterrupting} (set by its constructor, so published with
     * the goroutine by its first queuing; never changed): its interrupts also interrupt its
     * carrier thread while it is mounted, for task code written for thread pools
     * (GoExecutorService's tasks). See {@link #interrupt()}. A byte beside the others, so that
     * the hot paths test a field, not the class.
     */
    boolean interruptsCarrier;
    /** In the registry (since its first park); its links there, guarded by the stripe's lock. */
    boolean registered;
    G allPrev, allNext;

    /** The rare fields. Owned like the goroutine's other fields, except where noted. */
    static final class Extra {
        /** The carrier a pinned or locked goroutine blocks while WAITING; written before status. */
        volatile Thread blockedThread;
        /** Go.lockOSThread nesting depth; > 0 keeps the goroutine on its carrier. */
        int lockDepth;
        /**
         * Monitors held by application code that the safepoint agent instrumented
         * (Scheduler.monitorEnter/monitorExit); > 0 pins the continuation.
         */
        int monitorPins;
        /** GoLocal values, indexed by the GoLocal's slot; each is the GoLocal's whose generation is in localGens. */
        Object[] locals;
        /** The generation of the GoLocal each value of {@link #locals} belongs to; 0: none. Same length. */
        long[] localGens;
        /** Failure, written before DEAD (release), read after. */
        Throwable failure;
        /**
         * The goroutine consumed an interrupt (an InterruptedException thrown for it, or
         * Go.interrupted() answering true): written and read by the goroutine itself, so that an
         * InterruptedException escaping its body ends it quietly (see {@link #body()}).
         */
        boolean interruptSeen;
        /** The group this goroutine was spawned into, or null; set before it is first queued, never changed. */
        Scope scope;
        /**
         * A scoped goroutine's body, kept from its spawn to its end for {@link Scope#exited}
         * (the task field is cleared as the body starts); cleared at the end. Written by the
         * spawner before the first queuing (which publishes it), read by the carrier that ends
         * the goroutine.
         */
        Runnable scopeTask;
        /** Set for the goroutine of a Go.run call, whose caller waits on it. */
        Deadlock.RunState runState;
        /** The name given at spawn, or null for "goroutine-<id>". */
        String name;
        /**
         * Spin-before-park history (see Waiter's spin): after a spin that ended in a park, the
         * next {@code spinSkip} waits park at once; the penalty doubles with each lost spin and
         * resets with a won one. Here, not in the goroutine's waiter, because only goroutines
         * that spin (an option, off by default) need it.
         */
        int spinPenalty, spinSkip;
        /**
         * Bytes allocated by the goroutine in its finished slices ({@code gort.allocstats}; here,
         * not in G: W6 counts every byte of a parked goroutine, and the accounting is off by
         * default). Added to by the carrier that ran the slice, after the goroutine came back
         * to it and before the hand-off that passes the goroutine on (requeue, park commit,
         * end), which orders it for the next carrier's add. Other threads (a handle's
         * {@link #allocatedBytes()}, the dump) read it opaque ({@link #ALLOCATED}): never torn,
         * at most one slice behind; the carrier's store is opaque too (a plain move on x86 and
         * ARM, no fence). A racy reader that finds this Extra before its fields were written
         * reads 0 here, the value before the first slice's bytes.
         */
        long allocated;
        /** The test bubble this goroutine belongs to, or null; set before it is first queued, never changed. */
        Bubble bubble;
        /** Bubble members: the park number, whether counted blocked, whether waiting outside; guarded by the bubble's lock (see Bubble, "Counting"), except bubbleOutsideWait, the goroutine's own. */
        int bubbleParkSeq;
        boolean bubbleCounted;
        boolean bubbleOutsideWait;
    }

    /**
     * A goroutine whose interrupts also reach its carrier ({@link #interruptsCarrier}: an
     * executor's task): the one kind that needs {@link #mountedOn}. A subclass, not a field of
     * every G nor of {@link Extra}: W6 counts every byte of a parked goroutine (this field would
     * make a G 112 bytes instead of 104), and an executor's task would allocate an Extra for it.
     * It overrides nothing.
     */
    static final class CarrierInterrupting extends G {
        /** The M it is mounted on, or null; written by that M's thread (see {@link G#interrupt()}). */
        volatile M mountedOn;

        private CarrierInterrupting(long id, String name, Runnable task) {
            super(id, name, task);
            interruptsCarrier = true; // published with the goroutine by its first queuing
        }

        /** See {@link G#create}: the declared type is G. */
        static G create(long id, String name, Runnable task) {
            return new CarrierInterrupting(id, name, task);
        }
    }

    /**
     * A group of goroutines ({@code dev.gort.Group}) as the dump sees it: its id and its owner.
     * The dump draws the tree of groups from it: each goroutine under the group it was spawned
     * into, each group under its owner.
     */
    public interface Scope {
        long scopeId();

        /** The goroutine that owns the group, or null when a platform thread does. */
        G scopeOwner();

        /** The owning platform thread's name, when {@link #scopeOwner()} is null. */
        String scopeOwnerThread();

        /**
         * Called by the carrier once goroutine {@code g} of this scope has ended (DEAD, its
         * joiners woken), with its task: the group's last word on a member, after which the
         * member is gone for good. Runs on the carrier, outside any goroutine: it must neither
         * wait nor throw (it may ready goroutines, as waking joiners does).
         */
        void exited(G g, Runnable task);
    }

    /** The test bubble this goroutine belongs to, or null (see {@link Bubble}). */
    Bubble bubble() {
        Extra x = extra;
        return x != null ? x.bubble : null;
    }

    /** The group this goroutine was spawned into, or null (see {@link Scope}). */
    public Scope scope() {
        Extra x = extra;
        return x != null ? x.scope : null;
    }

    private static final VarHandle STATUS;
    /**
     * {@link #preempt}, for sysmon's request and its clearing ({@code Preemption}). Here, not in
     * Preemption: G extends the JDK's continuation, so it must not be loaded before the runtime
     * has checked that the JVM exports {@code jdk.internal.vm}, and Preemption is loaded earlier
     * (every safepoint poll, a platform thread's channel operation included, reads it).
     */
    static final VarHandle PREEMPT;
    private static final VarHandle JOINERS;
    private static final VarHandle INTERRUPT_STATE;
    private static final VarHandle ALLOCATED;

    static {
        try {
            STATUS = MethodHandles.lookup().findVarHandle(G.class, "status", byte.class);
            PREEMPT = MethodHandles.lookup().findVarHandle(G.class, "preempt", boolean.class);
            JOINERS = MethodHandles.lookup().findVarHandle(G.class, "joiners", Waiter.class);
            INTERRUPT_STATE = MethodHandles.lookup().findVarHandle(G.class, "interruptState", Object.class);
            ALLOCATED = MethodHandles.lookup().findVarHandle(Extra.class, "allocated", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    G(long id, String name, Runnable task) {
        this.id = id;
        if (name != null) extra().name = name; // most goroutines have none: no Extra for them
        this.task = task;
    }

    /**
     * A new goroutine: a {@link CarrierInterrupting} one when {@code interruptsCarrier}. The
     * subclass is made only in {@link CarrierInterrupting#create}, whose declared type is G, so
     * that no method that may run without it merges the two types: the verifier loads a class
     * to check such a merge. Scheduler must load without G (a platform thread's channel
     * operations run without {@code jdk.internal.vm} exported: see {@link #PREEMPT}), and G
     * without its subclass: until an executor makes one, G has no subclass loaded, so the JIT
     * treats it as a leaf class (class hierarchy analysis) and its type checks on the hot paths
     * (run-queue slots, the current continuation) stay single compares.
     */
    static G create(long id, String name, Runnable task, boolean interruptsCarrier) {
        return interruptsCarrier ? CarrierInterrupting.create(id, name, task) : new G(id, name, task);
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

    Deadlock.RunState runState() {
        Extra x = extra;
        return x != null ? x.runState : null;
    }

    /** The goroutine's GoLocal values (may be null); only the goroutine itself calls these. */
    public Object[] locals() {
        Extra x = extra;
        return x != null ? x.locals : null;
    }

    /** The generations of {@link #locals()}' values (may be null; see GoLocal). */
    public long[] localGens() {
        Extra x = extra;
        return x != null ? x.localGens : null;
    }

    public void setLocals(Object[] locals, long[] gens) {
        Extra x = extra();
        x.locals = locals;
        x.localGens = gens;
    }

    /**
     * The continuation's body: runs the task and records how it ended (the rule is
     * {@link GoRunnable}'s): an InterruptedException of an interrupted goroutine ends it quietly;
     * anything else is its failure ({@link #ended}). Never throws.
     *
     * <p>Its shape is for the frames a parked goroutine keeps. The continuation's entry
     * ({@code GoContinuation.Entry.run}) calls this method once per goroutine, so the entry is
     * usually compiled by C1, which inlines a callee only when its bytecode is at most 35 bytes
     * ({@code C1MaxInlineSize}). Kept that small (and {@link #start}, {@link #runTask}
     * likewise), the entry, this body and the dispatch to the task are one compiled frame under
     * the task's frames instead of three: a goroutine parked in a channel receive keeps ~100 B
     * less stack (W6, docs/BENCHMARKS.md). The failure path is out of line, in {@link #ended}.
     */
    @Override
    protected void body() {
        try {
            start(this);
        } catch (Throwable t) {
            ended(t);
        }
    }

    /** The body's first step: takes the task (the goroutine keeps no reference to it) and runs it. */
    private static void start(G g) throws Exception {
        Runnable t = g.task;
        g.task = null;
        runTask(t);
    }

    private static void runTask(Runnable t) throws Exception {
        if (t instanceof GoRunnable) ((GoRunnable) t).call(); else t.run();
    }

    /** The task threw {@code t}: recorded as the goroutine's failure, or its answer to an interrupt. */
    private void ended(Throwable t) {
        if (t instanceof InterruptedException && wasInterrupted()) return; // its answer to the interrupt
        // Must not throw (the carrier would see it): when the heap is full, a goroutine with
        // no Extra yet records no failure (failure() answers null) but is still reported.
        // Go.run's main goroutine has its Extra (its runState) from the start.
        Extra x = extra;
        if (x == null) {
            try {
                x = extra();
            } catch (OutOfMemoryError e) {
                // x stays null
            }
        }
        if (x != null) x.failure = t;
        if (x == null || x.runState == null) { // Go.run rethrows its main goroutine's failure instead
            Scheduler.get().diagnostics.reportUncaught(this, t);
        }
    }

    /** Why it waits (meaningful while WAITING): see {@link #waitReason}. */
    WaitReason waitReason() {
        return WaitReason.BY_ORDINAL[waitReason];
    }

    int status() {
        return status;
    }

    /**
     * The carrier that ran a slice of this goroutine, before passing it on: adds the slice's
     * bytes. The first non-empty slice allocates the goroutine's Extra, on the carrier; when the
     * heap is full that slice's bytes are dropped instead (never an error here: the carrier has
     * yet to requeue or commit the goroutine).
     */
    void addAllocated(long bytes) {
        if (bytes == 0) return;
        Extra x = extra;
        if (x == null) {
            try {
                x = extra();
            } catch (OutOfMemoryError e) {
                return;
            }
        }
        ALLOCATED.setOpaque(x, x.allocated + bytes);
    }

    /** The finished slices' bytes (any thread; see {@link Extra#allocated}). */
    long allocatedOpaque() {
        Extra x = extra;
        return x != null ? (long) ALLOCATED.getOpaque(x) : 0;
    }

    @Override
    public long allocatedBytes() {
        if (!AllocCounter.enabled()) return -1;
        long bytes = allocatedOpaque();
        M m = CarrierLookup.currentM();
        if (m != null && m.curg() == this) {
            // The goroutine asks about itself: add the running slice, from the carrier's counter
            // and its reading at the mount (both this thread's own).
            long now = AllocCounter.currentThreadAllocatedBytes();
            if (now >= 0 && m.allocAtMount >= 0) bytes += now - m.allocAtMount;
        }
        return bytes;
    }

    void setStatus(int s) {
        status = (byte) s;
    }

    /** A status change published by the hand-off that follows it (see {@link #status}). */
    void setStatusRelease(int s) {
        STATUS.setRelease(this, (byte) s);
    }

    boolean casStatus(int expect, int update) {
        return STATUS.compareAndSet(this, (byte) expect, (byte) update);
    }

    /** Called by the carrier once the continuation is done: DEAD, then wakes the joiners. */
    void finish() {
        setStatusRelease(DEAD);
        Waiter w = (Waiter) JOINERS.getAndSet(this, JOINERS_CLOSED); // orders DEAD before the wake-ups
        while (w != null) {
            Waiter next = w.next;
            w.next = null; // before the wake: the joiner may reuse its waiter at once
            if (w.claim()) w.wake(); // a goroutine joiner's waiter may be claimed by its interrupter
            w = next;
        }
        Deadlock.RunState rs = runState();
        if (rs != null) rs.wake();
        Scope scope = scope();
        if (scope != null) {
            try {
                Extra x = extra;
                Runnable t = x.scopeTask;
                x.scopeTask = null;
                scope.exited(this, t);
            } catch (Throwable t) { // a bug in the scope: reported, never the carrier's
                Scheduler.get().diagnostics.reportUncaught(this, t);
            }
        }
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

    // ---- Interrupts
    //
    // Invariants (see also InterruptibleWait and Waiter.cancel):
    // 1. An interruptible wait is installed (CAS into interruptState) while the goroutine holds
    //    the lock (or claim) its wakers use, before it parks; the CAS fails only if the status is
    //    set, and then the goroutine does not park (it throws). A wait already there (the
    //    goroutine's reused Waiter, left from its previous wait) is installed by the volatile
    //    read that finds it: see beginInterruptibleWait.
    // 2. interrupt() sets the status by getAndSet. If it returns a wait, that wait was installed
    //    before (in the order of this one field), so the interrupter's cancel either finds the
    //    goroutine still in it (then it is the one waker, under the wakers' lock) or finds it
    //    woken already (a value handed over stays handed over; the status stays set for later).
    //    If it returns no wait, any later install fails: the goroutine sees the status itself.
    // So an interrupt is never lost, a parked goroutine is readied at most once, and a stale
    // wait left in interruptState is harmless (its cancel finds the waiter no longer there, or,
    // the goroutine's reused Waiter being queued again for a later wait, finds the status
    // already consumed: Waiter.cancel checks it, so one interrupt never ends two waits).

    /** The goroutine, before parking in an interruptible wait. @return false if interrupted (status left set) */
    boolean beginInterruptibleWait(InterruptibleWait w) {
        Object cur = interruptState;
        if (cur == INTERRUPTED) return false;
        if (interruptsCarrier && CarrierLookup.carrierInterrupted(false)) return false; // set by the task itself
        // w already there (a goroutine's reused Waiter, left by its previous wait: every channel
        // wait but the first): the volatile read above installs it, no CAS (a locked instruction
        // per wait). The read and the interrupter's getAndSet are ordered in this field's order,
        // as the CAS would be: read first, and the getAndSet returns w, whose cancel takes the
        // lock this goroutine holds (with interruptible already set under it) and ends this
        // wait; getAndSet first, and the read sees INTERRUPTED. The same two outcomes as a CAS
        // from cur to w, which would write the value it read.
        if (cur == w) return true;
        if (INTERRUPT_STATE.compareAndSet(this, cur, w)) return true;
        return false; // only an interrupter changes it meanwhile, to INTERRUPTED
    }

    /**
     * The goroutine, about to throw InterruptedException: clears the status (as the JDK does),
     * and its carrier's flag if its interrupts reach the carrier (the flag is this goroutine's
     * while it is mounted).
     */
    void clearInterruptForThrow() {
        interruptState = null;
        if (interruptsCarrier) clearCarrierFlag();
        noteInterruptSeen();
    }

    /** The goroutine, as it consumes an interrupt: remembers it (see {@link Extra#interruptSeen}). */
    private void noteInterruptSeen() {
        try {
            extra().interruptSeen = true;
        } catch (OutOfMemoryError e) {
            // the heap is full: the InterruptedException about to be thrown fails the same way
        }
    }

    /**
     * The goroutine itself: was it ever interrupted? Its status or its carrier's flag is set
     * now, or it has consumed an interrupt before. Group members ask this too.
     */
    public boolean wasInterrupted() {
        Extra x = extra;
        return interruptState == INTERRUPTED || (x != null && x.interruptSeen)
            || CarrierLookup.carrierInterrupted(false);
    }

    /**
     * Test-and-clear for the calling goroutine (Go.interrupted()). The carrier's flag is taken
     * before the status is read: a flag an interrupter mirrored was set after the status, so a
     * goroutine that sees the mirror sees the status too and consumes both. (Read the other way
     * round, an interrupt arriving between the two reads had its mirror taken as the task's own
     * flag and its status left set: Go.interrupted() said true, and the same interrupt was seen
     * again by the next wait.) A flag the goroutine set itself (Thread.currentThread().interrupt(),
     * in any goroutine: the flag is the mounted goroutine's, see Schedule.takeCarrierFlag) counts
     * as an interrupt either way, as it will once the goroutine unmounts. The status cleared, the
     * mirror is cleared after in-flight interrupters (clearCarrierFlag).
     */
    boolean testAndClearInterrupt() {
        boolean flag = CarrierLookup.carrierInterrupted(true);
        boolean was = interruptState == INTERRUPTED;
        if (was) {
            interruptState = null;
            if (interruptsCarrier) clearCarrierFlag();
        }
        if (was || flag) noteInterruptSeen();
        return was || flag;
    }

    /**
     * The goroutine, mounted, after it has consumed its status (stored null): clears its
     * carrier's flag (the flag is this goroutine's while it is mounted) once no interrupter can
     * still set it for the consumed interrupt. Exactly-once: an interrupter mirrors the status
     * to the carrier only if, after announcing itself on the M, it still reads the status set
     * (see {@link #interrupt()}); this side stored null before reading the M's count (Dekker),
     * so either that interrupter reads null and leaves the carrier alone, or this side waits for
     * it to leave and clears the flag after its Thread.interrupt(). Without the wait, an
     * interrupter whose wake-up let the goroutine run, throw and clear on another carrier before
     * it reached its carrier step set the flag again: the one interrupt was seen twice
     * (InterruptedException, then Thread.currentThread().isInterrupted() or the next wait).
     */
    private void clearCarrierFlag() {
        M m = ((CarrierInterrupting) this).mountedOn;
        if (m != null) m.awaitNoInterrupters();
        CarrierLookup.carrierInterrupted(true);
        // A later interrupt (set after the status was cleared) whose mirror was just cleared too:
        // put the mirror back, as a mount does.
        if (m != null && interruptState == INTERRUPTED) m.thread.interrupt();
    }

    /** The goroutine's own check on entry to a wait, including its carrier's flag if mirrored. */
    boolean interruptPending() {
        return interruptState == INTERRUPTED || (interruptsCarrier && CarrierLookup.carrierInterrupted(false));
    }

    @Override
    public boolean isInterrupted() {
        return interruptState == INTERRUPTED;
    }

    /**
     * Sets the interrupt status and ends the interruptible wait the goroutine is parked in, if
     * any (it throws InterruptedException from that wait, status cleared). For a goroutine whose
     * interrupts reach its carrier ({@link #interruptsCarrier}), also interrupts the carrier
     * thread while the goroutine is mounted on it, so that JDK blocking calls (Thread.sleep,
     * CountDownLatch.await...) and Thread.currentThread().isInterrupted() see it.
     *
     * <p>Carrier protocol (never leaks to another goroutine): the interrupter announces itself on
     * the M ({@link M#interrupters}, an atomic increment) and only then reads
     * {@link CarrierInterrupting#mountedOn}; the M's thread clears mountedOn (volatile) at
     * unmount and then waits for its announced interrupters to leave, and only then clears the
     * carrier's flag. Both sides store then load volatile variables (Dekker), so either the
     * interrupter sees the goroutine unmounted and does nothing, or the carrier sees it and
     * clears its flag after it. At mount, mountedOn is set before the status is read, so either
     * the mount sees the status and interrupts its own carrier, or the interrupter sees the
     * goroutine mounted.
     *
     * <p>The carrier's flag mirrors the status, so it is set only while the status is: the
     * interrupter, announced, interrupts the carrier only if it still reads the status set, and a
     * goroutine that consumes its status (stores null) waits for announced interrupters before
     * it clears the flag (Dekker again, see {@link #clearCarrierFlag()}). The wake-up above may
     * already have run the goroutine to its InterruptedException on another carrier, status and
     * flag cleared; a late carrier step for that interrupt must then do nothing.
     */
    @Override
    public void interrupt() {
        Object prev = INTERRUPT_STATE.getAndSet(this, INTERRUPTED);
        if (prev instanceof InterruptibleWait w) {
            w.interruptWait(this);
        }
        if (interruptsCarrier) {
            CarrierInterrupting self = (CarrierInterrupting) this;
            M m = self.mountedOn;
            if (m != null) {
                m.enterInterrupter();
                try {
                    if (self.mountedOn == m && interruptState == INTERRUPTED) m.thread.interrupt();
                } finally {
                    m.exitInterrupter();
                }
            }
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
        awaitEnd();
        rethrowFailure();
    }

    /** {@link #join()}'s rethrow: a RuntimeException or Error as it is, a checked one wrapped. */
    private void rethrowFailure() {
        Throwable t = failure();
        if (t == null) return;
        if (t instanceof RuntimeException r) throw r;
        if (t instanceof Error e) throw e;
        throw new java.util.concurrent.CompletionException(t);
    }

    /** Waits until this goroutine has finished, whatever its failure (Go.run's wait; see {@link #join()}). */
    void awaitEnd() throws InterruptedException {
        if (status == DEAD) {
            return;
        }
        G self = Scheduler.currentG();
        if (self != null) {
            if (self == this) throw new IllegalStateException("a goroutine cannot join itself");
            joinFromGoroutine(self, 0L);
            return;
        }
        Waiter w = Waiter.current();
        if (!pushJoiner(w)) return;
        if (!w.awaitWoken(0L)) {
            Thread.interrupted(); // cleared, as the JDK does when it throws InterruptedException
            throw new InterruptedException(); // w stays on the stack; its late wake-up is harmless
        }
    }

    /**
     * A goroutine joins: interruptibly. The joiners are a lock-free stack, from which an
     * interrupter cannot take a waiter out; so the joiner's waiter belongs to a one-case
     * {@link SelectGroup}, and finish() and the interrupter race to claim it (finish() wakes only
     * the waiters it claims); an interrupted joiner's waiter stays on
     * the stack, dead, until this goroutine ends. (Waiter.wakeChain does not claim: its callers
     * claim as they dequeue.) The push is the park's commit: it happens after
     * the unmount, so finish() can only wake a goroutine that is already parked. A failed push
     * (this goroutine has ended) means the joiner is done at once, unless its interrupter
     * claimed the group first: then the interrupter readies it, as for any claimed wait. A timed
     * join arms a runtime timer in the commit that claims the group the same way (deadline 0:
     * none). @return false if the timer ended the wait
     */
    private boolean joinFromGoroutine(G self, long deadline) throws InterruptedException {
        SelectGroup group = new SelectGroup();
        Waiter w = Waiter.forSelect(group, 0);
        group.lockForPark();
        if (!self.beginInterruptibleWait(group)) {
            group.unlockForPark();
            self.clearInterruptForThrow();
            throw new InterruptedException();
        }
        Scheduler s = Scheduler.get();
        // A timed join: a runtime timer ends the wait as an interrupt does, and says so first.
        boolean[] timedOut = new boolean[1];
        TimerEntry timer = deadline == 0L ? null : new TimerEntry(() -> {
            if (group.cancel()) {
                timedOut[0] = true; // read by the joiner after the ready below
                group.lockForPark();
                group.unlockForPark();
                s.ready(self);
            }
        });
        s.park(WaitReason.JOIN, g -> {
            boolean pushed = pushJoiner(w);
            if (pushed && timer != null) s.addTimer(timer, deadline); // after the unmount, as the park lock
            group.unlockForPark();
            return pushed || !group.cancel(); // not pushed: stay parked only if the interrupter claimed us
        });
        if (timer != null) s.deleteTimer(timer); // woken otherwise: the timer must not outlive the wait
        if (group.winner() == SelectGroup.CANCELLED && status != DEAD) {
            if (timedOut[0]) return false;
            self.clearInterruptForThrow();
            throw new InterruptedException();
        }
        // Finished (woken by finish(), or found ended): joined. An interrupt that lost the race
        // leaves the status set.
        return true;
    }

    @Override
    public boolean join(Duration timeout) throws InterruptedException {
        boolean ended = awaitEnd(timeout);
        if (ended) rethrowFailure();
        return ended;
    }

    private boolean awaitEnd(Duration timeout) throws InterruptedException {
        if (status == DEAD) {
            return true;
        }
        long nanos = Math.max(1L, Scheduler.delayNanos(timeout));
        G self = Scheduler.currentG();
        if (self != null) {
            if (self == this) throw new IllegalStateException("a goroutine cannot join itself");
            long deadline = Bubble.nanoTime() + nanos; // its bubble's clock, in a test bubble
            if (deadline == 0L) deadline = 1L; // 0 means no deadline
            return joinFromGoroutine(self, deadline);
        }
        Waiter w = Waiter.current();
        if (!pushJoiner(w)) return true;
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
