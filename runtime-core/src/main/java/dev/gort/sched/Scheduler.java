package dev.gort.sched;

import dev.gort.Goroutine;
import dev.gort.internal.ContinuationSupport;
import dev.gort.internal.GoContinuation;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BiConsumer;

/**
 * The scheduler's front door (Go's {@code sched} and the entry points of {@code proc.go}): start-up,
 * the configuration, and the calls the rest of Gort makes (spawn, ready, park, yield, the
 * safepoint, and the public operations of {@code Go}). The state lives with the file that owns it
 * (see {@code package-info.java}, "Where things live"); this class holds one final reference to
 * each owner, the goroutine ids, and the protocol that every wait follows: park, then ready.
 *
 * <h2>Parking ({@link #park})</h2>
 * A goroutine that waits links itself into a wait structure under that structure's
 * {@link SpinLock}, records a {@link ParkCommit} (usually that lock) and yields. Its carrier,
 * back from {@code Continuation.run()}, sets it WAITING and runs the commit, which releases the
 * lock ({@link Schedule}'s execute). Only then can a waker find it, so {@link #ready} never sees a
 * goroutine still on its stack (Go's {@code gopark(unlockf)}). When the yield fails because the
 * stack is pinned, or the goroutine is locked to its thread, the goroutine instead blocks its
 * carrier ({@link Syscalls#parkBlocking}), and {@link #ready} unparks that thread instead of
 * queuing the goroutine.
 *
 * <h2>Readying ({@link #ready})</h2>
 * WAITING -> RUNNABLE by CAS ({@link #makeRunnable}): of several wakers (a channel partner, an
 * interrupter, a timer) exactly one wins, and each took the goroutine out of its wait under the
 * wait's lock first. The winner queues it in its own P's runnext (a platform thread: the global
 * queue), then asks {@link WakePolicy} whether a carrier must be woken for it.
 *
 * <h2>Who writes what</h2>
 * The owners are final fields set by the constructor; {@link #instance}'s volatile write
 * publishes them, and {@link #get}'s volatile read is its partner. {@link #idGen} and
 * {@link #externalSpawned} are atomic counters written by any spawner.
 */
public final class Scheduler {
    /** Time slice after which sysmon asks a goroutine to yield at its next safepoint. */
    static final long TIME_SLICE_NANOS = 10_000_000L;

    /**
     * The most Ps {@link #setMaxProcs} and {@code -Dgort.maxprocs} accept: 1024, or the number of
     * available processors where that is more (and never more than {@code gort.maxthreads}: a P
     * needs a carrier to run). Each P costs memory (its ring of 256 goroutines, its timer heap)
     * and every carrier that looks for work visits every P; beyond the number of cores, more Ps
     * only add that cost. Go has no fixed bound, but allocates per P likewise.
     */
    public static final int MAX_PROCS = Math.max(1024, Runtime.getRuntime().availableProcessors());

    /**
     * The longest delay a runtime timer is armed for, ~73 years: "never" in practice. Deadlines
     * are System.nanoTime() values compared by subtraction (TimerHeap, every wait), so a delay
     * must keep {@code now + delay} and the difference of any two deadlines within a long
     * (nanoTime's origin is arbitrary: a delay of a century or two could wrap around and fire at
     * once); and {@code Duration.toNanos()} throws ArithmeticException beyond 292 years, so
     * {@code Go.sleep} and the timers clamp to this where "forever" is meant.
     */
    public static final long MAX_DELAY_NANOS = Long.MAX_VALUE / 4;

    /**
     * The most characters {@link #dump()} returns: 4 Mi (8 MB of String), a few thousand
     * goroutines with their stacks. Past it the dump ends, at a goroutine's end, with a line
     * saying how many goroutines it left out; {@link #dump(Appendable)} streams them all.
     */
    public static final int DUMP_STRING_LIMIT = 4 << 20;

    /** JFR events are emitted only where the jdk.jfr module exists (see dev.gort.sched.jfr.Jfr). */
    static final boolean JFR = ModuleLayer.boot().findModule("jdk.jfr").isPresent();

    private static volatile Scheduler instance;

    // ---- immutable state: the owners (see package-info, "Where things live")
    final SchedulerConfig config;
    final GlobalQueue global = new GlobalQueue();
    /** The network poller found by ServiceLoader, or null: see {@link NetpollDriver}. */
    final NetpollDriver netpoll;
    final Registry registry = new Registry();
    final Procs procs;
    final Idle idle;
    final WakePolicy wake;
    final Timers timers;
    final Polling polling;
    final Syscalls syscalls;
    final Schedule schedule;
    final Deadlock deadlock;
    final Diagnostics diagnostics;
    final Sysmon sysmon;

    // ---- mutable state
    /** The next goroutine id: a P takes blocks of 16 ({@link #nextId}), anyone else one at a time. */
    private final AtomicLong idGen = new AtomicLong(1);
    /** Goroutines spawned from platform threads (no P to count them; see {@link #numGoroutine}). */
    private final AtomicLong externalSpawned = new AtomicLong();

    private Scheduler(SchedulerConfig config) {
        this.config = config;
        this.netpoll = config.netpoll() ? loadNetpoll() : null;
        // In dependency order: each owner may read the owners built before it.
        this.procs = new Procs(this, config.maxProcs());
        this.idle = new Idle(this);
        this.wake = new WakePolicy(this);
        this.timers = new Timers(this);
        this.polling = new Polling(this);
        this.syscalls = new Syscalls(this);
        this.schedule = new Schedule(this);
        this.deadlock = new Deadlock(this);
        this.diagnostics = new Diagnostics(this);
        this.sysmon = new Sysmon(this, config.schedtraceMillis());
        idle.putAllIdle(procs.allp());
    }

    /** The runtime, started at first use. Throws one line naming the missing JVM flag, if any. */
    public static Scheduler get() {
        Scheduler s = instance;
        return s != null ? s : start();
    }

    private static synchronized Scheduler start() {
        if (instance == null) {
            ContinuationSupport.ensureAvailable();
            Scheduler s = new Scheduler(SchedulerConfig.fromSystemProperties());
            instance = s;
            s.sysmon.start();
            // JMX registration takes ~100 ms on a cold JVM: not on the caller's path, nor sysmon's.
            Thread.ofPlatform().daemon().name("gort-jmx").start(s::registerMXBean);
        }
        return instance;
    }

    /**
     * The first {@link NetpollDriver} on the class path (the caller has checked
     * {@code -Dgort.netpoll=none}). A provider that fails to load is reported once and ignored:
     * the runtime works without.
     */
    private static NetpollDriver loadNetpoll() {
        try {
            ClassLoader cl = Scheduler.class.getClassLoader();
            for (NetpollDriver d : java.util.ServiceLoader.load(NetpollDriver.class, cl)) {
                return d;
            }
        } catch (Throwable t) {
            System.err.println("gort: network poller not loaded: " + t);
        }
        return null;
    }

    /** Registers {@code dev.gort:type=Scheduler} when java.management is present; never fails start-up. */
    void registerMXBean() {
        if (ModuleLayer.boot().findModule("java.management").isEmpty()) return;
        try {
            SchedulerMXBeanImpl.register(this);
        } catch (Throwable t) {
            System.err.println("gort: JMX registration failed: " + t);
        }
    }

    // =====================================================================================
    // The current goroutine

    /** The goroutine running on the calling thread, or null on a platform thread. */
    public static G currentG() {
        M m = CarrierLookup.currentM();
        return m != null ? m.curg() : null;
    }

    /** The P of the calling carrier, if it holds one (see {@link CarrierLookup} for why not Thread.currentThread()). */
    static P currentP() {
        M m = CarrierLookup.currentM();
        return m != null ? m.p : null;
    }

    // =====================================================================================
    // Interrupts (for the public primitives outside this package; see G.interrupt())

    /** Installs {@code w} as g's (the caller's) interruptible wait. @return false if g is interrupted */
    public static boolean beginInterruptibleWait(G g, InterruptibleWait w) {
        return g.beginInterruptibleWait(w);
    }

    /** g (the caller) is about to throw InterruptedException: clears its status. */
    public static void clearInterruptForThrow(G g) {
        g.clearInterruptForThrow();
    }

    /**
     * Go.interrupted(): tests and clears the calling goroutine's interrupt status; on a platform
     * thread, Thread.interrupted().
     */
    public static boolean interrupted() {
        G g = currentG();
        return g != null ? g.testAndClearInterrupt() : Thread.interrupted();
    }

    /** Throws InterruptedException (status cleared) if the calling goroutine or thread is interrupted. */
    public static void checkInterrupt() throws InterruptedException {
        G g = currentG();
        if (g != null ? g.interruptPending() : Thread.currentThread().isInterrupted()) {
            if (g != null) g.clearInterruptForThrow(); else Thread.interrupted();
            throw new InterruptedException();
        }
    }

    // =====================================================================================
    // Spawning and readying

    /** Go's newproc: a new goroutine, in the spawner's runnext (or the global queue). */
    public G spawn(Runnable task, String name) {
        return spawn(task, name, false);
    }

    /**
     * spawn, for a goroutine whose interrupts also interrupt its carrier while it is mounted
     * ({@code interruptsCarrier}: task code written for thread pools; see G.interrupt()).
     */
    public G spawn(Runnable task, String name, boolean interruptsCarrier) {
        if (task == null) throw new NullPointerException("task");
        StackReserve.reserve(); // before anything is counted or queued (see StackReserve)
        safepoint(); // spawn is a safepoint: a spawning loop can be preempted
        P p = currentP();
        long id = p != null ? nextId(p) : idGen.getAndIncrement();
        G g = new G(id, name, task);
        g.interruptsCarrier = interruptsCarrier; // published by the run queue
        enqueueNew(g, p);
        return g;
    }

    /** A new goroutine's first queuing: into p's runnext (p null: the global queue), then a wake-up. */
    void enqueueNew(G g, P p) {
        // g is RUNNABLE from its constructor; the run queue publishes it. It enters the registry
        // only if it ever parks (see Registry): most goroutines never do.
        if (p != null) {
            p.spawned();
            boolean spilled = p.runq.put(g, true, global);
            wake.wakep();
            if (spilled) {
                // The spawner outruns its processors: its ring filled up and half went to the
                // global queue. Go spawns on; Gort lets this P run its queue first, because a
                // backlog of queued goroutines is live data that a copying young GC moves again
                // and again (W1: a backlog of ~500,000 made GC most of the run).
                yieldNow();
            }
        } else {
            externalSpawned.incrementAndGet();
            global.put(g);
            wake.wakep();
        }
    }

    /** An id for a goroutine spawned outside any P (Go.run's main). */
    long nextExternalId() {
        return idGen.getAndIncrement();
    }

    private long nextId(P p) {
        if (p.idNext == p.idEnd) {
            p.idNext = idGen.getAndAdd(16);
            p.idEnd = p.idNext + 16;
        }
        return p.idNext++;
    }

    /**
     * Makes a WAITING goroutine runnable (Go's goready): into the caller's runnext when the caller
     * runs on a carrier holding a P, else the global queue; a blocked pinned/locked goroutine's
     * carrier is unparked instead.
     *
     * @throws IllegalStateException if g is not WAITING (a double wake-up is a bug)
     */
    public void ready(G g) {
        if (!makeRunnable(g, "ready")) return;
        P p = currentP();
        if (p != null) {
            p.runq.put(g, true, global);
        } else {
            global.put(g);
        }
        wake.readied(p);
    }

    /**
     * The first half of every wake-up (ready, the netpoller's batch): WAITING -> RUNNABLE by CAS
     * (the one waker that wins; a dump in progress is waited out), then, for a pinned or locked
     * goroutine that blocks its carrier, the unpark of that carrier.
     *
     * @return true if g must now be put on a run queue by the caller; false if its carrier was
     *         unparked instead
     * @throws IllegalStateException if g is not WAITING (a double wake-up is a bug)
     */
    boolean makeRunnable(G g, String who) {
        Thread blocked;
        for (;;) {
            int s = g.status();
            if (s == G.WAITING) {
                // Read before the CAS: once it succeeds, a pinned goroutine's carrier (parkBlocking)
                // may see RUNNABLE without being unparked (it had not parked yet, or woke
                // spuriously), clear blockedThread and run on: read after, it could be null, and
                // the goroutine would go on a run queue while still mounted on its own carrier
                // ("Mounted!!!!", or "execute of ... in status 0"). Set before WAITING, and cleared
                // only after the status leaves WAITING, so the value read here is this wait's.
                blocked = g.blockedThread();
                if (g.casStatus(G.WAITING, G.RUNNABLE)) break;
            } else if (s == G.DUMPING) {
                Thread.onSpinWait();
            } else {
                throw new IllegalStateException("gort: " + who + " of " + g + " in status " + s);
            }
        }
        if (JFR) dev.gort.sched.jfr.Jfr.unpark(g.id);
        if (blocked != null) {
            syscalls.parkedLocked.decrementAndGet(); // awake from now on: see Syscalls.parkedLocked
            LockSupport.unpark(blocked);
            return false;
        }
        return true;
    }

    // =====================================================================================
    // Parking and yielding

    /**
     * Parks the calling goroutine (Go's gopark). {@code commit} runs on the carrier after the
     * unmount (see "Parking"); a waker later calls {@link #ready}.
     */
    public void park(WaitReason reason, ParkCommit commit) {
        G g = currentG();
        if (g == null) throw new IllegalStateException("gort: park outside a goroutine");
        park(g, reason, commit);
    }

    /**
     * {@link #park(WaitReason, ParkCommit)} for a caller that knows its goroutine (a waiter's
     * own): saves the carrier lookup, a non-inlined call (see CarrierLookup), on every
     * channel wait. {@code g} must be the calling goroutine.
     */
    void park(G g, WaitReason reason, ParkCommit commit) {
        Preemption.clear(g); // parking is a safepoint
        g.waitReason = reason;
        g.waitSinceMillis = (int) (coarseNanos() / 1_000_000);
        if (!g.registered) registry.add(g); // first park: from now on the dump lists it
        if (JFR) dev.gort.sched.jfr.Jfr.park(g.id, reason);
        if (g.locked()) {
            syscalls.parkBlocking(g, commit);
            return;
        }
        g.commit = commit;
        g.yieldKind = G.YIELD_PARK;
        boolean yielded;
        try {
            yielded = GoContinuation.yieldNow();
        } catch (StackOverflowError | OutOfMemoryError e) {
            // The freeze failed: no heap for the frames, or a stack so deep that the VM's
            // freeze, which recurses natively per frame, would overflow. Still mounted, the
            // commit not run (its lock still held): wait as a pinned goroutine does.
            yielded = false;
        }
        if (!yielded) {
            g.commit = null;
            g.yieldKind = G.YIELD_NONE;
            syscalls.parkBlocking(g, commit); // the wait goes on, on the carrier: the commit runs there
        }
    }

    /**
     * A park whose commit failed: WAITING -> {@code to}, by CAS, waiting out a Go.dump() that
     * moved the status to DUMPING meanwhile (a plain store would be overwritten by the dump's
     * restore of WAITING: a runnable goroutine left WAITING, or a running one).
     */
    static void backFromWaiting(G g, int to) {
        while (!g.casStatus(G.WAITING, to)) Thread.onSpinWait();
    }

    /**
     * Go.yield (Go's Gosched): the goroutine goes to the global queue, so that with one P two
     * yielding goroutines alternate even when one of them was queued globally.
     */
    public void yieldNow() {
        G g = currentG();
        if (g == null) {
            Thread.yield();
            return;
        }
        Preemption.clear(g);
        if (!g.locked()) {
            g.yieldKind = G.YIELD_GOSCHED;
            if (GoContinuation.yieldNow()) return;
            g.yieldKind = G.YIELD_NONE;
        }
        syscalls.yieldBlocking(g);
    }

    /** The safepoint poll (see {@link Preemption}): one read of a static field on the fast path. */
    public static void safepoint() {
        Preemption.safepoint();
    }

    // =====================================================================================
    // The public operations of Go, each run by the file that owns its state

    /** Go.blocking: see {@link Syscalls#blocking}. */
    public <T> T blocking(Callable<T> call) throws Exception {
        return syscalls.blocking(call);
    }

    /** Go.lockOSThread: see {@link Syscalls#lockOSThread}. @throws IllegalStateException at the limit */
    public void lockOSThread() {
        syscalls.lockOSThread();
    }

    public void unlockOSThread() {
        syscalls.unlockOSThread();
    }

    /** Pins the calling goroutine for a monitor the agent saw entered: see {@link Syscalls#monitorEnter}. */
    public static void monitorEnter() {
        Syscalls.monitorEnter();
    }

    public static void monitorExit() {
        Syscalls.monitorExit();
    }

    /** Arms t to fire at {@code when} (see {@link Timers#addTimer}). */
    public void addTimer(TimerEntry t, long when) {
        timers.addTimer(t, when);
    }

    /** Disarms t. @return true if it was armed (it will not fire), false if it fired or was never armed */
    public boolean deleteTimer(TimerEntry t) {
        return Timers.deleteTimer(t);
    }

    /** Armed timers in all Ps' heaps (diagnostics and tests). */
    public int pendingTimers() {
        return timers.pendingTimers();
    }

    /** {@code d} in nanoseconds for a runtime timer: negative is 0, longer than MAX_DELAY_NANOS is that. */
    public static long delayNanos(java.time.Duration d) {
        if (d.isNegative()) return 0L;
        if (d.getSeconds() >= MAX_DELAY_NANOS / 1_000_000_000L) return MAX_DELAY_NANOS;
        return Math.min(d.toNanos(), MAX_DELAY_NANOS);
    }

    /** Go.sleep: see {@link Timers#sleep}. */
    public void sleep(long nanos) throws InterruptedException {
        timers.sleep(nanos);
    }

    public int maxProcs() {
        return procs.nprocs();
    }

    /** Sets GOMAXPROCS (see {@link Procs#setMaxProcs}). @return the old value */
    public int setMaxProcs(int n) {
        return procs.setMaxProcs(n);
    }

    /** Go.run: runs {@code task} as a main goroutine and waits for it (see {@link Deadlock}). */
    public void run(Runnable task) {
        deadlock.run(task);
    }

    public int numGoroutine() {
        long n = externalSpawned.get() + procs.retiredBalance.get();
        for (P p : procs.allp()) n += p.balance();
        return (int) Math.max(0, n);
    }

    public void setUncaughtExceptionHandler(BiConsumer<Goroutine, Throwable> handler) {
        diagnostics.setUncaughtExceptionHandler(handler);
    }

    /** The network poller hook found at start-up, or null (see {@link NetpollDriver}). */
    public NetpollDriver netpollDriver() {
        return netpoll;
    }

    /** sysmon's rounds so far (tests: an idle runtime does not poll). */
    public long sysmonRounds() {
        return sysmon.rounds;
    }

    /** Coarse clock (sysmon's last tick), for wait times without a clock read on the hot path. */
    long coarseNanos() {
        return sysmon.coarseNanos;
    }

    /** Go-style schedtrace line (see {@link Diagnostics#schedtrace}). */
    public String schedtrace() {
        return diagnostics.schedtrace();
    }

    /** Counters and gauges of the scheduler, a snapshot ({@code Go.metrics()}). */
    public dev.gort.Metrics metrics() {
        return diagnostics.metrics();
    }

    /** Every goroutine, as a String of at most about {@link #DUMP_STRING_LIMIT} characters (see {@link Diagnostics}). */
    public String dump() {
        return diagnostics.dump();
    }

    /** Every goroutine, streamed to {@code out} (see {@link Diagnostics#dump(Appendable)}). */
    public void dump(Appendable out) throws java.io.IOException {
        diagnostics.dump(out);
    }

    // =====================================================================================
    // Tests: the policies they switch (the configuration itself is read once, at start-up)

    /** Tests: turns deferred wake-ups on or off (read at each ready). */
    public static void setDeferWakeForTests(boolean on) {
        get().wake.deferWake = on;
    }

    /** Tests: owed or eager netpoll-batch wake-ups (read at each poll). */
    public static void setPollWakeOwedForTests(boolean owed) {
        get().wake.pollWakeOwed = owed;
    }

    /** Tests: sets the spin before park (read by each wait; not for use while busy). */
    public static void setSpinNanosForTests(long nanos) {
        get().wake.spinNanos = nanos;
    }

    /**
     * Tests: sets (null: removes) a hook run by each M that takes the timer-sleeper role, on its
     * thread, just before it reads the earliest timer (lets a test delete that timer in between).
     */
    public static void setSleeperHookForTests(Runnable hook) {
        Timers.sleeperHookForTests = hook;
    }
}
