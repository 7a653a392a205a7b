package dev.gort.sched;

import dev.gort.DeadlockException;
import dev.gort.Goroutine;
import dev.gort.internal.ContinuationSupport;
import dev.gort.internal.GoContinuation;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BiConsumer;

/**
 * The scheduler (Go's {@code sched} and the functions of {@code proc.go}): Ms running goroutines
 * on Ps. See {@code package-info.java} for the design essay; this comment lists the protocols.
 *
 * <h2>Finding work ({@link #findRunnable})</h2>
 * On its own P, in this order: every 61st tick one goroutine of the global queue (so that it is
 * not starved by two goroutines handing off to each other in runnext); runnext, then the local
 * ring; a batch of the global queue; stealing (4 rounds over the other Ps from a random start,
 * half a victim's ring, its runnext only in the last round); nothing: release the P, park the M.
 *
 * <h2>The network poller ({@link NetpollDriver}, optional)</h2>
 * While goroutines wait for I/O: findRunnable polls without blocking after the global queue
 * (unless an M blocks in the poller already), the timer sleeper blocks in the poller instead of
 * its timed park ({@link #netpollBlock}), and sysmon polls when nobody has for 10 ms. Polled
 * goroutines are injected as a batch ({@link #injectReady}). Without a driver none of this runs.
 *
 * <h2>Spinning and wake-ups (no lost wake-up)</h2>
 * An M that looks for work to steal is <em>spinning</em> ({@link #nmspinning}). Whoever makes
 * work available calls {@link #wakep()}, which starts (or wakes) a spinning M only when there is
 * an idle P and no M spins already. The race to close: a spinner gives up just as a submitter
 * publishes work and sees it still spinning. Both sides do "store, full fence, load":
 * <ul>
 *   <li>submitter: queue the goroutine (store); {@code VarHandle.fullFence()} in wakep; load
 *       {@code npidle} and {@code nmspinning};</li>
 *   <li>spinner giving up: put its P on the idle list and decrement {@code nmspinning} (atomic
 *       read-modify-writes: full fences); then load every run queue again
 *       ({@link #findRunnable}'s re-check).</li>
 * </ul>
 * Under sequential consistency of these pairs, either the submitter sees the spinner (and the
 * spinner's re-check then sees the work), or the submitter sees {@code nmspinning == 0} with an
 * idle P and starts a new spinner. Spinners are bounded at half the busy Ps.
 *
 * <h2>Parking ({@link #park})</h2>
 * A goroutine that waits links itself into a wait structure under that structure's
 * {@link SpinLock}, records a {@link ParkCommit} (usually that lock) and yields. Its carrier,
 * back from {@code Continuation.run()}, sets it WAITING and runs the commit, which releases the
 * lock. Only then can a waker find it, so {@link #ready} never sees a goroutine still on its
 * stack (Go's {@code gopark(unlockf)}). When the yield fails because the stack is pinned, or the
 * goroutine is locked to its thread, the goroutine instead blocks its carrier: it commits, hands
 * its P to another M ({@link #handoffp}), parks the thread, and on wake-up waits for a P
 * ({@link #acquirePWait}); {@link #ready} unparks the thread instead of queuing the goroutine.
 *
 * <h2>Blocking calls ({@link #blocking})</h2>
 * Go's entersyscall/exitsyscall, with the hand-off done at once: the P goes to another M (or the
 * idle list), the call runs on the carrier, and on return the goroutine takes any idle P; with
 * none, it yields with {@link G#YIELD_NO_P}, its carrier puts it on the global queue and parks.
 *
 * <h2>Stuck carriers</h2>
 * A goroutine may block its carrier without telling us ({@code Thread.sleep}, a JDK lock,
 * blocking JDK I/O, a loop with no safepoint). sysmon notices a P whose schedtick has not moved
 * for {@value #STUCK_NANOS} ns, marks it {@link P#stuck} and adds a <em>spare</em> P, so that
 * {@code maxProcs} Ps keep running goroutines. The stuck P is not taken from its M (its owner may
 * touch its run queue at any moment, so a transfer would need a handshake on every runtime call);
 * other Ps steal its queued goroutines as usual. When the stuck goroutine comes back to the
 * scheduler, the flag is cleared and one P is retired ({@link #excess}) by the next M that looks
 * for work. {@link #setMaxProcs} shrinks the same way.
 *
 * <h2>Locks</h2>
 * {@link #lock} (a monitor, never held across a park) guards the idle P and M lists, the
 * P-waiters, allp changes and {@link #excess}. The counters {@link #npidle} and
 * {@link #nmspinning} are changed under it or by CAS, and read without it.
 */
public final class Scheduler {
    /** Time slice after which sysmon asks a goroutine to yield at its next safepoint. */
    static final long TIME_SLICE_NANOS = 10_000_000L;
    /** A P whose goroutine has not reached the scheduler for this long is stuck. */
    static final long STUCK_NANOS = 20_000_000L;
    static final long CARRIER_STACK_SIZE = Long.getLong("gort.stacksize", 0L);

    private static volatile Scheduler instance;

    /** JFR events are emitted only where the jdk.jfr module exists (see dev.gort.sched.jfr.Jfr). */
    private static final boolean JFR = ModuleLayer.boot().findModule("jdk.jfr").isPresent();

    /**
     * Non-zero while some goroutine has a preemption request pending: the one field the
     * safepoint poll reads (rarely written: by sysmon, and by the goroutine honouring it).
     */
    private static volatile int preemptPending;
    private static final VarHandle PREEMPT_PENDING;
    private static final VarHandle G_PREEMPT;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            PREEMPT_PENDING = l.findStaticVarHandle(Scheduler.class, "preemptPending", int.class);
            TIMER_SLEEPER = l.findVarHandle(Scheduler.class, "timerSleeper", M.class);
            G_PREEMPT = MethodHandles.privateLookupIn(G.class, l).findVarHandle(G.class, "preempt", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    // ---- immutable state
    final GlobalQueue global = new GlobalQueue();
    private final Object lock = new Object();
    private final int maxThreads;
    private final long startNanos = System.nanoTime();
    private final Sysmon sysmon;
    private final Registry registry = new Registry();

    // ---- mutable state (see "Locks")
    private volatile P[] allp;
    private volatile int nprocs;
    /** Ps to retire: set by setMaxProcs (shrink) and when a stuck P comes back. Guarded by lock. */
    private volatile int excess;
    private int nextPid;
    private P pidle;
    final AtomicInteger npidle = new AtomicInteger();
    private M midle;
    private int nmidle;
    private int mcount;
    private boolean maxThreadsWarned;
    final AtomicInteger nmspinning = new AtomicInteger();
    /** Ms holding a mounted goroutine (pinned, locked, back from a blocking call) that need a P. */
    private final ArrayDeque<M> pWaiters = new ArrayDeque<>();
    private volatile int pWaiterCount;
    /** Ms inside Go.blocking, or blocked in a pinned/locked park. */
    final AtomicInteger nmsys = new AtomicInteger();
    /**
     * Of those, the Ms whose pinned/locked goroutine is still asleep (WAITING): to deadlock
     * detection they are asleep goroutines, not blocking calls (Go counts a locked goroutine's
     * park like any other). The parking carrier counts its goroutine in (parkBlocking); the
     * waker that moves it out of WAITING counts it out (makeRunnable), at once after its CAS, so
     * the goroutine stops counting as asleep before its carrier is even unparked. The two may
     * come in either order (the waker can win the race with the carrier's increment): the count
     * may dip below its true value for a moment, which only makes the runtime look busier
     * (nmsys - parkedLocked > 0), never asleep.
     */
    static final AtomicInteger parkedLocked = new AtomicInteger();
    private final AtomicLong idGen = new AtomicLong(1);
    /** Goroutines spawned from platform threads (no P to count them). */
    private final AtomicLong externalSpawned = new AtomicLong();
    /** The spawned-minus-ended balance of retired Ps. */
    private final AtomicLong retiredBalance = new AtomicLong();
    /** Every carrier ever started (for the dump). */
    private final List<M> allm = new CopyOnWriteArrayList<>();
    final List<RunState> runs = new CopyOnWriteArrayList<>();
    /** The one idle M that sleeps until the earliest timer (others sleep without a timeout). */
    private volatile M timerSleeper;
    /** Its deadline, or Long.MAX_VALUE. */
    private volatile long sleeperDeadline = Long.MAX_VALUE;
    private static final VarHandle TIMER_SLEEPER;
    private volatile BiConsumer<Goroutine, Throwable> uncaughtHandler = Scheduler::defaultUncaught;
    /** The network poller found by ServiceLoader, or null: see {@link NetpollDriver}. */
    final NetpollDriver netpoll;
    /** System.nanoTime() of the last completed poll (sysmon polls when it is 10 ms old). */
    private volatile long lastPoll;

    // metrics (approximate; plain adds from several threads may lose counts)
    final AtomicLong preemptions = new AtomicLong();
    final AtomicLong stuckRetakes = new AtomicLong();
    final AtomicLong blockingCalls = new AtomicLong();
    final AtomicLong pinnedParks = new AtomicLong();
    /** Carriers started or woken by startm (each a thread start or an unpark). */
    final AtomicLong carrierWakeups = new AtomicLong();
    /** Goroutines made runnable by the network poller. */
    final AtomicLong netpollReadied = new AtomicLong();

    private Scheduler(int procs, int maxThreads) {
        this.maxThreads = maxThreads;
        this.netpoll = loadNetpoll();
        P[] ps = new P[procs];
        for (int i = 0; i < procs; i++) {
            ps[i] = new P(nextPid++);
        }
        allp = ps;
        nprocs = procs;
        synchronized (lock) {
            for (int i = procs - 1; i >= 0; i--) {
                pidleputLocked(ps[i]);
            }
        }
        sysmon = new Sysmon(this, Long.getLong("gort.schedtrace", 0L));
    }

    /** The runtime, started at first use. Throws one line naming the missing JVM flag, if any. */
    public static Scheduler get() {
        Scheduler s = instance;
        return s != null ? s : start();
    }

    private static synchronized Scheduler start() {
        if (instance == null) {
            ContinuationSupport.ensureAvailable();
            int procs = intProperty("gort.maxprocs", Runtime.getRuntime().availableProcessors());
            int maxThreads = intProperty("gort.maxthreads", 10_000);
            if (procs < 1 || procs > MAX_PROCS) {
                throw new IllegalArgumentException("gort.maxprocs=" + procs + " is out of range 1.." + MAX_PROCS);
            }
            if (maxThreads < procs) {
                throw new IllegalArgumentException("gort.maxthreads=" + maxThreads + " is below gort.maxprocs=" + procs);
            }
            Scheduler s = new Scheduler(procs, maxThreads);
            instance = s;
            s.sysmon.start();
            // JMX registration takes ~100 ms on a cold JVM: not on the caller's path, nor sysmon's.
            Thread.ofPlatform().daemon().name("gort-jmx").start(s::registerMXBean);
        }
        return instance;
    }

    /** An int system property, or {@code dflt} when unset; a value that is not an int is an error, not ignored. */
    private static int intProperty(String name, int dflt) {
        String v = System.getProperty(name);
        if (v == null) return dflt;
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be an integer, got \"" + v + "\"");
        }
    }

    /**
     * The first {@link NetpollDriver} on the class path, unless {@code -Dgort.netpoll=none}.
     * A provider that fails to load is reported once and ignored: the runtime works without.
     */
    private static NetpollDriver loadNetpoll() {
        if ("none".equals(System.getProperty("gort.netpoll"))) return null;
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
    private static P currentP() {
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

    private void enqueueNew(G g, P p) {
        // g is RUNNABLE from its constructor; the run queue publishes it. It enters the registry
        // only if it ever parks (see Registry): most goroutines never do.
        if (p != null) {
            p.spawned();
            boolean spilled = p.runq.put(g, true, global);
            wakep();
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
            wakep();
        }
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
            if (DEFER_WAKE && p.runq.onlyRunnext()) {
                // g is the only work queued here: this P runs it as soon as the waker parks
                // (see P.wakeOwed); a carrier woken now would mostly find nothing to do.
                if (!p.wakeOwed) p.wakeOwed = true;
                return;
            }
        } else {
            global.put(g);
        }
        wakep();
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
    private static boolean makeRunnable(G g, String who) {
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
            parkedLocked.decrementAndGet(); // awake from now on: see parkedLocked
            LockSupport.unpark(blocked);
            return false;
        }
        return true;
    }

    /**
     * Whether ready() may owe the wake-up of another carrier instead of doing it at once
     * ({@code -Dgort.deferwake}, default true; {@code false} is Go's immediate wake); see
     * P.wakeOwed. The price: a waker that goes on computing without a runtime call delays the
     * goroutine it readied until sysmon pays the debt (two sysmon rounds of at most 200 us).
     * Measured in docs/BENCHMARKS.md ("Deferred wake-ups"): faster on W2-W5 on the 2-core
     * machine (W4 sieve 1.64x -> 1.13x Go's time, W5 ring 1.32x -> 1.04x). It was off by default
     * while a CI hang was suspected on it; that hang was the timer-sleeper bug fixed in
     * stopmUntilTimer (docs/DESIGN-NOTES.md).
     */
    static boolean DEFER_WAKE = !"false".equals(System.getProperty("gort.deferwake"));

    /** Tests: turns deferred wake-ups on or off (read by goroutines started after the call). */
    public static void setDeferWakeForTests(boolean on) {
        DEFER_WAKE = on;
    }

    /**
     * Whether a carrier that puts a netpoll batch into its own ring owes the wake-up of another
     * carrier instead of doing it at once ({@code -Dgort.pollwake=owed}, the default; {@code
     * eager} is Go's injectglist, which wakes one at once). See P.pollOwedSince for why, and
     * docs/BENCHMARKS.md ("W8 tail latency") for what it measured: W8's p99 on the 2-core machine
     * went from 4.8-5.3 ms to 2.6-4.2 ms, at the same requests/s.
     */
    static boolean POLL_WAKE_OWED = !"eager".equals(System.getProperty("gort.pollwake", "owed"));

    /** Tests: owed or eager netpoll-batch wake-ups (read at each poll). */
    public static void setPollWakeOwedForTests(boolean owed) {
        POLL_WAKE_OWED = owed;
    }

    /**
     * The longest a P's ring may stay non-empty after an owed batch before sysmon pays the
     * wake-up even though the P makes progress: 1 ms. Bounds what owing costs when one carrier
     * cannot keep up (many Ps, heavy load: the spinner woken then steals half and wakes more).
     */
    static final long POLL_WAKE_DELAY = 1_000_000L;

    /**
     * sysmon, every round: settles the wake-ups Ps owe (P.wakeOwed from ready(), P.pollOwedSince
     * from a netpoll batch). Both are paid (wakep) when the P made no progress since sysmon's
     * last round (its schedtick unchanged: the goroutine that owes keeps running, or one
     * goroutine of the batch runs long with the rest waiting behind it). A batch debt is also
     * paid when its ring has been non-empty for POLL_WAKE_DELAY, and dropped when the ring has
     * drained; a ready() debt is otherwise settled by the P's carrier (execute).
     *
     * @return true if some debt is still outstanding (sysmon then keeps its rounds short)
     */
    boolean payOwedWakes(long now) {
        boolean owed = false;
        for (P p : allp) {
            boolean ready = p.wakeOwed;
            long since = p.pollOwedSince;
            if (!ready && since == 0) {
                p.sysmonDebtTick = -1;
                continue;
            }
            int tick = p.schedtickOpaque();
            boolean stalled = p.sysmonDebtTick == tick; // no progress since the last round
            p.sysmonDebtTick = tick;
            boolean pay = false;
            if (ready) {
                if (stalled) {
                    p.wakeOwed = false;
                    pay = true;
                } else {
                    owed = true;
                }
            }
            if (since != 0) {
                if (p.runq.isEmpty()) {
                    P.POLL_OWED_SINCE.compareAndSet(p, since, 0L);
                } else if (stalled || now - since >= POLL_WAKE_DELAY) {
                    pay |= P.POLL_OWED_SINCE.compareAndSet(p, since, 0L);
                } else {
                    owed = true;
                }
            }
            if (pay && !p.runq.isEmpty()) wakep();
        }
        return owed;
    }

    /**
     * Starts a spinning M if there is an idle P and no M spins (Go's wakep). The full fence
     * orders the caller's queue write before the loads: see "Spinning and wake-ups".
     */
    void wakep() {
        VarHandle.fullFence();
        if (npidle.get() == 0) return;
        if (nmspinning.get() != 0 || !nmspinning.compareAndSet(0, 1)) return;
        startm(null, true);
    }

    // =====================================================================================
    // Parking

    /**
     * How long a goroutine waiting on an unbuffered channel may spin for its partner before
     * parking ({@code -Dgort.spinnanos}; default 0: off). A park, a ready and the futex wake of
     * another carrier cost microseconds, a partner running on another P answers in hundreds of
     * ns; but the measurements disagree between machines (docs/BENCHMARKS.md, "Spin before
     * park": W2 gained on the 2-core machine and lost on the 16-core one confined to 2 CPUs), so
     * it stays an option until it wins everywhere.
     */
    static long spinNanos = Long.getLong("gort.spinnanos", 0L);

    /** Tests: sets the spin (read by goroutines started after the call; not for use while busy). */
    public static void setSpinNanosForTests(long nanos) {
        spinNanos = nanos;
    }

    /**
     * Whether the waiting goroutine g should spin before parking (Waiter.awaitSpinning): its P,
     * or null for "park at once". Spinning is worth it only when the partner may be running right
     * now on another P (some other P is not idle) and this P has nothing else to run (its queue
     * and the global queue are empty): then it costs only this P's idle time. Never on one P,
     * never for a goroutine sysmon wants preempted, and not after recent spins failed (P's
     * penalty).
     */
    P spinBeforePark(G g) {
        if (spinNanos <= 0) return null;
        M m = g.m;
        P p = m != null ? m.p : null;
        if (p == null || g.preempt || g.locked()) return null;
        int n = nprocs;
        if (n < 2 || !global.isEmpty()) return null;
        boolean offer = false;
        if (!p.runq.isEmpty()) {
            // The only other work here is runnext (typically the partner this goroutine has just
            // readied) and an M is spinning for work: offer it runnext and spin, so that the two
            // end up on two Ps handing off without parks (see P.offersRunnext).
            if (!p.runq.onlyRunnext() || nmspinning.get() == 0) return null;
            offer = true;
        } else if (npidle.get() >= n - 1) {
            return null; // no other P runs anything: the partner cannot be running
        }
        if (offer) p.offersRunnext = true;
        return p;
    }

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
        clearPreempt(g); // parking is a safepoint
        g.waitReason = reason;
        g.waitSinceMillis = (int) (coarseNanos() / 1_000_000);
        if (!g.registered) registry.add(g); // first park: from now on the dump lists it
        if (JFR) dev.gort.sched.jfr.Jfr.park(g.id, reason);
        if (g.locked()) {
            parkBlocking(g, commit);
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
            parkBlocking(g, commit); // the wait goes on, on the carrier: the commit runs there
        }
    }

    /**
     * A park whose commit failed: WAITING -> {@code to}, by CAS, waiting out a Go.dump() that
     * moved the status to DUMPING meanwhile (a plain store would be overwritten by the dump's
     * restore of WAITING: a runnable goroutine left WAITING, or a running one).
     */
    private static void backFromWaiting(G g, int to) {
        while (!g.casStatus(G.WAITING, to)) Thread.onSpinWait();
    }

    /** Park of a goroutine that cannot leave its carrier: block the carrier, lend out the P. */
    private void parkBlocking(G g, ParkCommit commit) {
        pinnedParks.incrementAndGet();
        M m = g.m;
        Thread self = m.thread; // not Thread.currentThread(): see CarrierLookup
        G.Extra x = g.extra();
        x.blockedThread = self;
        g.setStatus(G.WAITING);
        if (commit != null && !commit.afterUnmount(g)) {
            x.blockedThread = null;
            backFromWaiting(g, G.RUNNING);
            return;
        }
        int s0 = g.status();
        if (s0 == G.WAITING || s0 == G.DUMPING) { // DUMPING: Go.dump() is reading the stack; still waiting
            P p = releasep(m);
            nmsys.incrementAndGet();
            parkedLocked.incrementAndGet(); // asleep; the waker counts it out (see parkedLocked)
            handoffp(p);
            boolean interrupted = false;
            int s;
            while ((s = g.status()) == G.WAITING || s == G.DUMPING) {
                LockSupport.park(this);
                if (Thread.interrupted()) interrupted = true; // the carrier's flag, not ours to consume
            }
            nmsys.decrementAndGet();
            x.blockedThread = null;
            acquirePWait(m);
            if (interrupted) self.interrupt();
        } else {
            // Woken between the commit and the check above: the waker has counted g out of
            // parkedLocked already (makeRunnable saw blockedThread set); balance it.
            parkedLocked.incrementAndGet();
            x.blockedThread = null;
        }
        g.setStatus(G.RUNNING);
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
        clearPreempt(g);
        if (!g.locked()) {
            g.yieldKind = G.YIELD_GOSCHED;
            if (GoContinuation.yieldNow()) return;
            g.yieldKind = G.YIELD_NONE;
        }
        yieldBlocking(g);
    }

    /** Yield of a goroutine that cannot leave its carrier: lend the P out, then wait for one. */
    private void yieldBlocking(G g) {
        M m = g.m;
        handoffp(releasep(m));
        acquirePWait(m);
    }

    // =====================================================================================
    // Preemption

    /** The safepoint poll: one read of a static field on the fast path. */
    public static void safepoint() {
        if (preemptPending != 0) {
            preemptSlow();
        }
    }

    private static void preemptSlow() {
        G g = currentG();
        if (g == null || !g.preempt) return;
        // Only a goroutine running on a P yields. One inside Go.blocking (SYSCALL, its P handed
        // off) keeps the request for after the call: sysmon may have read it as its P's current
        // goroutine just before blocking() cleared the request, and a poll in the blocking call
        // (Go.safepoint() or the agent's) must not put it on a run queue with blocking()'s
        // frames, and its hand-off, still in progress.
        if (g.status() != G.RUNNING) return;
        Scheduler s = get();
        if (!s.clearPreempt(g)) return;
        s.preemptions.incrementAndGet();
        if (JFR) dev.gort.sched.jfr.Jfr.preempt(g.id);
        if (g.locked()) {
            s.yieldBlocking(g);
            return;
        }
        g.yieldKind = G.YIELD_PREEMPT;
        if (!GoContinuation.yieldNow()) {
            g.yieldKind = G.YIELD_NONE; // pinned: cannot be preempted now
        }
    }

    /** sysmon: asks g to yield at its next safepoint. */
    void requestPreempt(G g) {
        if (G_PREEMPT.compareAndSet(g, false, true)) {
            PREEMPT_PENDING.getAndAdd(1);
        }
    }

    /** Clears g's request, if any. @return true if there was one */
    boolean clearPreempt(G g) {
        if (g.preempt && G_PREEMPT.compareAndSet(g, true, false)) {
            PREEMPT_PENDING.getAndAdd(-1);
            return true;
        }
        return false;
    }

    // =====================================================================================
    // Monitors (the safepoint agent)

    /**
     * Before a {@code monitorenter}, and at the start of a {@code synchronized} method, in code the
     * safepoint agent instrumented: pins the calling goroutine's continuation until the matching
     * {@link #monitorExit}. On JDK 25 a held monitor no longer pins a continuation (JEP 491 taught
     * the VM to freeze frames that hold monitors, for virtual threads; nothing keeps the
     * exclusion for a plain continuation): a goroutine that yielded inside {@code synchronized}
     * makes the next goroutine that enters the monitor on its carrier block that carrier, and
     * once a spare P runs the holder, goroutines meet inside the block (docs/DESIGN-NOTES.md,
     * "Monitors: the agent pins"). Pinned, a preemption poll does not yield and a park blocks
     * the carrier (its P handed off), as for a native frame.
     * Counted per goroutine (the continuation is pinned once, while the count is above zero), so
     * that an exit without its enter can never unpin below zero, which would throw from inside
     * javac's handler that releases the monitor. Nothing on platform threads and virtual threads.
     */
    public static void monitorEnter() {
        G g = currentG();
        if (g == null) return;
        G.Extra x = g.extra();
        int n = x.monitorPins;
        // The pin before the count: a StackOverflowError thrown on the way into a call (the
        // only place it can be) leaves both as they were, never a count without its pin.
        if (n == 0) GoContinuation.pinCurrent();
        x.monitorPins = n + 1;
    }

    /** Before a {@code monitorexit} and at the exits of a {@code synchronized} method: see {@link #monitorEnter}. */
    public static void monitorExit() {
        G g = currentG();
        if (g == null) return;
        G.Extra x = g.extra();
        int n = x.monitorPins;
        if (n == 0) return;
        if (n == 1) GoContinuation.unpinCurrent(); // before the count, as in monitorEnter
        x.monitorPins = n - 1;
    }

    // =====================================================================================
    // Blocking calls

    /** Go's entersyscall / exitsyscall around {@code call}. */
    public <T> T blocking(Callable<T> call) throws Exception {
        if (call == null) throw new NullPointerException("call");
        G g = currentG();
        if (g == null || g.m.p == null) {
            return call.call();
        }
        blockingCalls.incrementAndGet();
        M m = g.m;
        clearPreempt(g);
        P p = releasep(m);
        g.setStatus(G.SYSCALL);
        nmsys.incrementAndGet();
        handoffp(p);
        try {
            return call.call();
        } finally {
            nmsys.decrementAndGet();
            exitsyscall(g, m);
        }
    }

    private void exitsyscall(G g, M m) {
        P p;
        synchronized (lock) {
            p = pidlegetLocked();
        }
        if (p != null) {
            acquirep(m, p);
            g.setStatus(G.RUNNING);
            return;
        }
        if (!g.locked()) {
            g.yieldKind = G.YIELD_NO_P;
            if (GoContinuation.yieldNow()) {
                return; // resumed by execute() on some carrier holding a P
            }
            g.yieldKind = G.YIELD_NONE;
        }
        acquirePWait(m);
        g.setStatus(G.RUNNING);
    }

    // =====================================================================================
    // Thread locking

    /**
     * Go.lockOSThread. A locked goroutine keeps its carrier for itself until it unlocks or ends
     * (its waits block that carrier), so at most {@code gort.maxthreads - maxProcs} goroutines
     * may be locked at a time: the other {@code maxProcs} carriers stay for every other goroutine
     * and for the timers. Beyond that, the runtime could only hang with its processors idle and
     * work queued (every carrier held by a locked goroutine asleep, none left to run the timers
     * that would wake them); Go dies instead ("program exceeds 10000-thread limit"). Here the
     * call that would lock one goroutine too many throws, naming the property, and changes
     * nothing. Nested locks of a goroutine already locked always succeed.
     *
     * @throws IllegalStateException if the limit is reached
     */
    public void lockOSThread() {
        G g = currentG();
        if (g == null) return;
        G.Extra x = g.extra();
        if (x.lockDepth == 0) {
            // A reservation by CAS, so that concurrent lockers never pass the limit together.
            // nprocs is read racily: setMaxProcs may move the limit meanwhile; raising maxProcs
            // past it later leaves the locked goroutines locked, and still at least the maxProcs
            // of the moment of each lock free carriers, one or more.
            for (;;) {
                int n = lockedGoroutines.get();
                int limit = maxThreads - nprocs;
                if (n >= limit) {
                    throw new IllegalStateException("gort: Go.lockOSThread: " + n + " goroutines are locked to their"
                        + " carriers already, the most that gort.maxthreads=" + maxThreads + " allows with maxProcs="
                        + nprocs + " (that many carriers stay for the other goroutines); raise -Dgort.maxthreads");
                }
                if (lockedGoroutines.compareAndSet(n, n + 1)) break;
            }
        }
        x.lockDepth++;
    }

    public void unlockOSThread() {
        G g = currentG();
        if (g == null || !g.locked()) return;
        if (--g.extra().lockDepth == 0) lockedGoroutines.decrementAndGet();
    }

    /** Goroutines locked to their carrier now (see lockOSThread); ended ones are counted out by goexit. */
    private final AtomicInteger lockedGoroutines = new AtomicInteger();

    // =====================================================================================
    // Carriers: the scheduling loop

    void carrierMain(M m) {
        m.learnTid();
        if (netpoll != null) m.cacheGroup = netpoll.carrierStarted(m.id);
        try {
            acquirep(m, m.nextP);
            m.nextP = null;
            for (;;) {
                try {
                    schedule(m);
                } catch (OutOfMemoryError e) {
                    // An allocation of the runtime's own failed on this carrier (goroutines'
                    // errors end in G.run): halting would take the application down for a heap
                    // that may soon have room again. Report without allocating, and go on
                    // scheduling; no goroutine runs on this carrier now.
                    m.setCurg(null);
                    if (carrierOomReports.allow()) {
                        synchronized (ErrorOut.LOCK) {
                            ErrorOut.write(CARRIER_OOM);
                            ErrorOut.write(m.thread.getName());
                            ErrorOut.newline();
                        }
                    }
                }
            }
        } catch (Throwable t) {
            // A bug in the runtime: say so loudly; the process cannot trust the scheduler now.
            // (Written without allocating: the heap may be full.)
            synchronized (ErrorOut.LOCK) {
                ErrorOut.write(CARRIER_FATAL);
                ErrorOut.write(m.thread.getName());
                ErrorOut.newline();
            }
            try {
                t.printStackTrace();
            } catch (Throwable ignored) {
                ErrorOut.write(t);
                ErrorOut.newline();
            }
            Runtime.getRuntime().halt(2);
        }
    }

    private static final byte[] CARRIER_FATAL = ErrorOut.bytes("gort: fatal error in carrier ");
    private static final byte[] CARRIER_OOM = ErrorOut.bytes("gort: out of memory in the scheduler; going on: carrier ");
    private final ErrorOut.RateLimit carrierOomReports = new ErrorOut.RateLimit();

    /** The carrier's scheduling loop: finds a goroutine and runs it, forever. */
    private void schedule(M m) {
        for (;;) {
            if (m.p == null) {
                stopm(m);
                continue;
            }
            G g = findRunnable(m);
            if (g == null) continue;
            if (m.spinning) resetSpinning(m);
            execute(m, g);
        }
    }

    /** Runs g until it yields, parks or ends, then deals with why it stopped. */
    private void execute(M m, G g) {
        P p = m.p;
        p.tick();
        if (g.status() != G.RUNNABLE) {
            throw new IllegalStateException("gort: execute of " + g + " in status " + g.status());
        }
        g.setStatusRelease(G.RUNNING);
        g.m = m;
        m.setCurg(g);
        if (g.interruptsCarrier) mountInterruptible(g, m);
        g.continuation.run();
        m.setCurg(null);
        boolean carrierFlag = g.interruptsCarrier && unmountInterruptible(g, m);
        clearPreempt(g);
        if (p.wakeOwed) p.wakeOwed = false; // g left the carrier: p runs what g readied itself
        p = m.p; // a pinned park or a blocking call may have changed it
        if (g.continuation.isDone()) {
            g.m = null;
            goexit(g, p);
        } else {
            int kind = g.yieldKind;
            g.yieldKind = G.YIELD_NONE;
            switch (kind) {
                case G.YIELD_PARK -> {
                    ParkCommit c = g.commit;
                    g.commit = null;
                    g.m = null;
                    g.setStatusRelease(G.WAITING); // published by the commit's lock release
                    if (c != null && !c.afterUnmount(g)) {
                        backFromWaiting(g, G.RUNNABLE);
                        p.runq.put(g, true, global);
                    }
                }
                case G.YIELD_GOSCHED, G.YIELD_PREEMPT, G.YIELD_NO_P -> {
                    g.m = null;
                    g.setStatusRelease(G.RUNNABLE);
                    global.put(g);
                    wakep();
                }
                default -> throw new IllegalStateException("gort: " + g + " yielded with kind " + kind);
            }
            // The goroutine set its carrier's flag itself (Thread.currentThread().interrupt()):
            // it becomes its status, applied after the park commit (the interrupt may cancel the
            // wait it just parked in, which needs the wait's lock that the commit released).
            if (carrierFlag) g.interrupt();
        }
        if (p != null && p.stuck) {
            unstick(p);
        }
    }

    /**
     * Mount of a goroutine whose interrupts reach its carrier (see G.interrupt()): drop a stray
     * carrier flag, publish where it is mounted, then (Dekker with the interrupter) carry a
     * pending interrupt to the carrier.
     */
    private static void mountInterruptible(G g, M m) {
        // A flag already on the carrier is not this goroutine's (a plain goroutine that called
        // Thread.currentThread().interrupt() leaves it behind): the task must not see it.
        Thread.interrupted();
        g.mountedOn = m;
        if (g.isInterrupted()) m.thread.interrupt();
    }

    /**
     * Unmount of such a goroutine: no interrupter may reach this carrier for it afterwards, and
     * the carrier's flag, the goroutine's while it ran, is cleared so that it never leaks to the
     * next goroutine. (A flag the goroutine set on its carrier itself, by
     * Thread.currentThread().interrupt(), is kept as the goroutine's status.) A flag found while
     * the status is set needs nothing: it is the status's mirror (or the task's own, which the
     * status already stands for). Re-applying such a mirror as a new interrupt, after the
     * goroutine was requeued, let it consume the status on another carrier first and then ended
     * its next wait with the same interrupt. The goroutine does not run between here and the
     * requeue, and an interrupter mirrors only a set status (G.interrupt()), so a flag with the
     * status clear is the task's own.
     */
    private static boolean unmountInterruptible(G g, M m) {
        g.mountedOn = null;
        m.awaitNoInterrupters();
        return Thread.interrupted() && !g.isInterrupted();
    }

    private void goexit(G g, P p) {
        if (g.registered) registry.remove(g);
        if (g.locked()) { // it ended locked: its carrier goes back to the others
            g.extra().lockDepth = 0;
            lockedGoroutines.decrementAndGet();
        }
        p.exited(); // p is never null here: a goroutine ends only on a carrier holding a P
        g.finish();
    }

    /** Go's findRunnable: returns a goroutine with m holding a P, or null if m lost its P. */
    private G findRunnable(M m) {
        for (;;) {
            P p = m.p;
            if (p == null) return null;
            if ((excess > 0 && tryRetire(m)) || (pWaiterCount > 0 && giveToWaiter(m))) {
                // m lost its P, and stopped spinning before it did (see stopSpinningLocked).
                afterGivingUpP();
                return null;
            }

            G g;
            long firstTimer = p.timers.next;
            if (firstTimer != Long.MAX_VALUE && firstTimer - System.nanoTime() <= 0) {
                runTimers(p, System.nanoTime()); // readies their goroutines into p's queue
            }
            if (p.schedtick() % 61 == 0 && !global.isEmpty() && (g = global.pollInto(p.runq)) != null) {
                return g;
            }
            if ((g = p.runq.poll()) != null) return g;
            long owedSince = p.pollOwedSince;
            if (owedSince != 0) P.POLL_OWED_SINCE.compareAndSet(p, owedSince, 0L); // ran it all ourselves
            if ((g = globrunqget(p, 0)) != null) return g;
            if (netpoll != null && netpoll.hasWaiters() && !pollerBlocked() && (g = netpollNow(m, p)) != null) return g;

            P[] ps = allp;
            if (m.spinning || 2 * nmspinning.get() < ps.length - npidle.get()) {
                if (!m.spinning) {
                    m.spinning = true;
                    nmspinning.incrementAndGet();
                }
                if ((g = stealWork(m, p, ps)) != null) return g;
            }

            // Nothing to do: give up the P.
            synchronized (lock) {
                if (!global.isEmpty() && (g = globrunqget(p, 0)) != null) return g;
                releasep(m);
                pidleputLocked(p);
            }
            boolean wasSpinning = m.spinning;
            if (wasSpinning) {
                m.spinning = false;
                if (nmspinning.decrementAndGet() < 0) throw new IllegalStateException("gort: negative nmspinning");
            }
            // Re-check after the full fences above (see "Spinning and wake-ups").
            if (!global.isEmpty() || (wasSpinning && anyLocalWork())) {
                P p2;
                synchronized (lock) {
                    p2 = pidlegetLocked();
                }
                if (p2 != null) {
                    acquirep(m, p2);
                    if (wasSpinning) {
                        m.spinning = true;
                        nmspinning.incrementAndGet();
                    }
                    continue;
                }
            }
            boolean io = netpoll != null && netpoll.hasWaiters();
            if ((io || earliestTimer() != Long.MAX_VALUE) && TIMER_SLEEPER.compareAndSet(this, null, m)) {
                stopmUntilTimer(m);
            } else {
                if (io) {
                    // The timer sleeper may be in a plain timed park, from before anyone waited
                    // for I/O: poke it, so that it comes back and blocks in the poller instead.
                    M sleeper = timerSleeper;
                    if (sleeper != null && !sleeper.netpolling) sleeper.poke();
                }
                stopm(m);
            }
        }
    }

    private boolean anyLocalWork() {
        for (P q : allp) {
            if (q.status != P.DEAD && !q.runq.isEmpty()) return true;
        }
        return false;
    }

    /**
     * Go's globrunqget: one goroutine to run now and a fair share of the rest into p's ring.
     * Counts entries, so an overflow batch counts once (and comes whole; see GlobalQueue).
     */
    private G globrunqget(P p, int max) {
        int size = global.size();
        if (size <= 0) return null;
        int n = size / Math.max(nprocs, 1) + 1;
        if (n > size) n = size;
        if (max > 0 && n > max) n = max;
        if (n > RunQueue.CAPACITY / 2) n = RunQueue.CAPACITY / 2;
        G g = global.pollInto(p.runq);
        if (g == null) return null;
        for (int i = 1; i < n && p.runq.size() < RunQueue.CAPACITY / 2; i++) {
            G x = global.pollInto(p.runq);
            if (x == null) break;
            p.runq.put(x, false, global);
        }
        return g;
    }

    /** Four rounds over the other Ps from a random start; runnext only in the last round. */
    private G stealWork(M m, P p, P[] ps) {
        int n = ps.length;
        int group = m.cacheGroup;
        for (int round = 0; round < 4; round++) {
            boolean stealRunnext = round == 3;
            // With pinned carriers (gort.affinity), the first round only visits Ps run by
            // carriers whose CPUs share our last-level cache: their goroutines' data is likely
            // in our cache already. Go has no such preference.
            boolean nearOnly = round == 0 && group >= 0;
            int start = (m.nextRandom() & Integer.MAX_VALUE) % n;
            for (int k = 0; k < n; k++) {
                P victim = ps[(start + k) % n];
                if (victim == p || victim.status == P.DEAD) continue;
                if (nearOnly) {
                    M owner = victim.m; // racy read: a heuristic only
                    if (owner == null || owner.cacheGroup != group) continue;
                }
                long due = victim.timers.next;
                if (due != Long.MAX_VALUE && due - System.nanoTime() <= 0
                    && runTimers(victim, System.nanoTime()) > 0) {
                    // The victim's timers readied goroutines into our queue (Go's checkTimers
                    // while stealing: a busy or stuck P does not hold its timers back).
                    G g = p.runq.poll();
                    if (g != null) return g;
                }
                if (victim.status != P.RUNNING) continue;
                boolean offered = victim.offersRunnext;
                G g = victim.runq.stealInto(p.runq, stealRunnext || offered, !victim.stuck && !offered);
                if (g != null) {
                    if (JFR) dev.gort.sched.jfr.Jfr.steal(p.id, victim.id);
                    return g;
                }
            }
        }
        return null;
    }

    private void resetSpinning(M m) {
        m.spinning = false;
        if (nmspinning.decrementAndGet() == 0) {
            wakep(); // we found work: maybe there is more, so keep one M looking
        }
    }

    /** Go's stopm: parks m until startm (or a P hand-off) gives it a P. */
    private void stopm(M m) {
        synchronized (lock) {
            m.idleNext = midle;
            midle = m;
            nmidle++;
        }
        m.sleep();
        acquirep(m, m.nextP);
        m.nextP = null;
    }

    /**
     * stopm for the one M that keeps the timers: sleeps until the earliest timer (or until a
     * timer earlier than that is added, which pokes it), then takes an idle P and runs every due
     * timer. Holds {@link #timerSleeper}, released here.
     */
    private void stopmUntilTimer(M m) {
        synchronized (lock) {
            m.idleNext = midle;
            midle = m;
            nmidle++;
        }
        m.poked = false;
        Runnable hook = sleeperHookForTests;
        if (hook != null) hook.run();
        long deadline = earliestTimer(); // read after becoming the sleeper: see addTimer
        sleeperDeadline = deadline;
        boolean woken;
        if (netpoll != null && netpoll.hasWaiters()) {
            woken = netpollBlock(m, deadline);
        } else {
            // No timer left (all deleted since this M took the role): still the sleeper, so a
            // timer added meanwhile pokes it, and a poke must end this sleep too. (It used to be
            // a plain sleep() that ignored pokes: the role was then held by an M that never
            // looked at timers again, every other M went idle without the role, and due timers
            // were never run: the executor's timed gets hung with every carrier idle.)
            woken = deadline == Long.MAX_VALUE ? m.sleepUntilPoked() : m.sleepUntil(deadline);
        }
        if (!woken) {
            boolean removed;
            synchronized (lock) {
                removed = removeIdleM(m);
            }
            if (!removed) {
                m.sleep(); // startm took us off the list: its wake-up is on the way
                woken = true;
            }
        }
        sleeperDeadline = Long.MAX_VALUE;
        timerSleeper = null;
        if (woken) {
            acquirep(m, m.nextP);
            m.nextP = null;
            if (!m.polled.isEmpty()) injectReady(m.polled, m.p);
            if (earliestTimer() != Long.MAX_VALUE) wakep(); // let another M keep the timers
            return;
        }
        P p;
        synchronized (lock) {
            p = pidlegetLocked();
        }
        if (!m.polled.isEmpty()) injectReady(m.polled, p); // no P: the global queue, for busy Ps
        if (p != null) {
            acquirep(m, p);
            runAllDueTimers();
        } else if (earliestTimer() != Long.MAX_VALUE) {
            // Every P is busy: they run due timers at their next scheduling point.
            stopm(m);
        } else {
            stopm(m);
        }
    }

    /** Tests only: run by an M that has just taken the timer-sleeper role, before it reads the earliest timer. */
    private static volatile Runnable sleeperHookForTests;

    /**
     * Tests: sets (null: removes) a hook run by each M that takes the timer-sleeper role, on its
     * thread, just before it reads the earliest timer (lets a test delete that timer in between).
     */
    public static void setSleeperHookForTests(Runnable hook) {
        sleeperHookForTests = hook;
    }

    /** Holding lock: takes m off the idle list if it is there. */
    private boolean removeIdleM(M m) {
        M prev = null;
        for (M x = midle; x != null; prev = x, x = x.idleNext) {
            if (x == m) {
                if (prev == null) midle = x.idleNext; else prev.idleNext = x.idleNext;
                x.idleNext = null;
                nmidle--;
                return true;
            }
        }
        return false;
    }

    // =====================================================================================
    // The network poller (see NetpollDriver for the contract)

    /**
     * An M is blocked in the poller (Go: {@code sched.lastpoll == 0}): it will see the events
     * itself, with an idle P to run them on, so a non-blocking poll would only add a syscall.
     */
    private boolean pollerBlocked() {
        M sleeper = timerSleeper;
        return sleeper != null && sleeper.netpolling;
    }

    /** findRunnable's non-blocking poll: readied goroutines go into p's ring; returns one to run. */
    private G netpollNow(M m, P p) {
        List<G> list = m.polled;
        netpoll.poll(0, list);
        lastPoll = System.nanoTime();
        if (list.isEmpty()) return null;
        injectReady(list, p);
        return p.runq.poll(); // null if every one of them was a blocked (pinned) goroutine
    }

    /**
     * The timer sleeper's park, in the poller: blocks until I/O, the deadline, a wake-up (startm
     * handed this M a P) or a poke (an earlier timer). Polled goroutines stay in {@code m.polled}
     * for the caller, which has a P to put them on (or the global queue).
     *
     * @return true if a wake-up token was consumed (as {@link M#sleepUntil})
     */
    private boolean netpollBlock(M m, long deadline) {
        List<G> list = m.polled;
        m.netpolling = true; // then read token and poked: see M.netpolling
        try {
            for (;;) {
                if (m.tryConsumeToken()) return true;
                if (m.poked || !list.isEmpty()) return false;
                long timeout = -1;
                if (deadline != Long.MAX_VALUE) {
                    timeout = deadline - System.nanoTime();
                    if (timeout <= 0) return false;
                }
                netpoll.poll(timeout, list);
                lastPoll = System.nanoTime();
            }
        } finally {
            m.netpolling = false;
        }
    }

    /**
     * Makes the goroutines a poll returned runnable (Go's injectglist): into p's ring when the
     * caller holds p, else the global queue. Then, when there is more than the caller will run
     * itself, Go wakes one carrier at once (spinners wake more as they find work); Gort by
     * default only owes that wake-up when the batch went into p's ring (P.pollOwedSince). Each
     * goroutine was taken out of its poll descriptor by the poller, so no other waker races us
     * except the dump (DUMPING), which we wait out as ready() does.
     */
    private void injectReady(List<G> list, P p) {
        for (int i = 0, n = list.size(); i < n; i++) {
            G g = list.get(i);
            if (!makeRunnable(g, "netpoll ready")) continue; // its blocked carrier was unparked
            if (p != null) {
                p.runq.put(g, false, global);
            } else {
                global.put(g);
            }
        }
        int n = list.size();
        netpollReadied.addAndGet(n);
        list.clear();
        // The caller runs one of them on p itself: another M is worth waking only for the rest
        // (Go's findRunnable pops one and injectglist starts Ms for the others only).
        if (p == null ? n > 0 : n > 1) {
            if (p != null && POLL_WAKE_OWED) {
                // Owe the wake-up instead (see P.pollOwedSince); sysmon pays it if p stops
                // making progress or its ring is not drained in POLL_WAKE_DELAY.
                if (p.pollOwedSince == 0) p.pollOwedSince = System.nanoTime() | 1; // never 0
                return;
            }
            wakep();
        }
    }

    /** sysmon: polls when some goroutine waits for I/O, nobody polled for 10 ms, and no M blocks in the poller. */
    boolean sysmonNetpoll(long now, List<G> list) {
        if (netpoll == null || !netpoll.hasWaiters() || now - lastPoll < 10_000_000L) return false;
        if (pollerBlocked()) return false;
        netpoll.poll(0, list);
        lastPoll = System.nanoTime();
        if (list.isEmpty()) return false;
        injectReady(list, null);
        return true;
    }

    // =====================================================================================
    // Timers

    /**
     * Arms t to fire at {@code when}: in the caller's P's heap, or some P's from a platform
     * thread. Then makes sure some M will wake for it: pokes the timed sleeper if t is earlier,
     * or wakes an M when nobody keeps the timers.
     *
     * <p>Ordering with {@link #stopmUntilTimer}: the sleeper claims {@link #timerSleeper}, then
     * reads the heaps; here the heap write comes first, then (full fence) the read of
     * timerSleeper and its deadline. So either the sleeper sees t, or we see the sleeper (and
     * poke it if its deadline is later or not yet set).
     */
    public void addTimer(TimerEntry t, long when) {
        P p = currentP();
        for (;;) {
            if (p == null || p.status == P.DEAD) {
                P[] ps = allp;
                p = ps[(int) ((t.hashCode() & 0x7fffffff) % ps.length)];
            }
            TimerHeap h = p.timers;
            h.lock.lock();
            if (p.status == P.DEAD) { // retired meanwhile: its timers were handed on
                h.lock.unlock();
                p = null;
                continue;
            }
            if (t.heap != null) {
                h.lock.unlock();
                throw new IllegalStateException("gort: timer already armed");
            }
            t.when = when;
            try {
                h.add(t); // may grow the heap's array: running out of memory must not keep the lock
            } finally {
                h.lock.unlock();
            }
            break;
        }
        // Even when the caller holds a P: that P reaches its timers only at its next scheduling
        // point, which a goroutine that computes (or spin-waits for this very timer, without
        // safepoints) may not reach for a long time, or ever, while other Ps sit idle. Waking
        // only for platform threads let a 1 ms timer fire 10-50 ms late beside an idle P, and a
        // goroutine spin-waiting for its own afterFunc hang. Go's addtimer wakes too. The one
        // caller that needs no wake-up: the scheduler itself (a park commit such as Go.sleep's,
        // or a timer action) on a carrier whose P has nothing queued, with the global queue
        // empty; that carrier looks for work next and, finding none to run on this P, becomes
        // the timer sleeper itself (waking another carrier for the role cost ~1 thread wake-up
        // per sleep of a lone sleeping goroutine). If it steals work instead, the P it steals
        // from is busy, so no P was idle for the wake-up to use... unless there are 3 or more:
        // then the timer waits for this P's next scheduling point, as it did before.
        M m = CarrierLookup.currentM();
        boolean goesIdleNext = m != null && m.curg() == null && m.p != null && m.p.runq.isEmpty() && global.isEmpty();
        watchTimer(when, !goesIdleNext);
    }

    /**
     * Makes sure some M will wake for a timer due at {@code when} (Go's wakeNetPoller): pokes the
     * timed sleeper if the timer is earlier than its deadline; with no sleeper, wakes an M when
     * {@code wakeIfNone} (a spinner that finds nothing becomes the sleeper; with no idle P, every
     * P is busy and runs its timers at its next scheduling point, and one that goes idle looks at
     * them). The full fence orders the caller's heap write (or P hand-off) before the reads: see
     * {@link #addTimer}.
     */
    private void watchTimer(long when, boolean wakeIfNone) {
        VarHandle.fullFence();
        M sleeper = timerSleeper;
        if (sleeper != null) {
            if (when - sleeperDeadline < 0) {
                sleeper.poke(); // also breaks its poll, if it blocks in the network poller
            }
        } else if (wakeIfNone) {
            wakep(); // nobody keeps the timers
        }
    }

    /** Disarms t. @return true if it was armed (it will not fire), false if it fired or was never armed */
    public boolean deleteTimer(TimerEntry t) {
        for (;;) {
            TimerHeap h = t.heap;
            if (h == null) return false;
            h.lock.lock();
            if (t.heap != h) {
                h.lock.unlock();
                continue;
            }
            h.remove(t);
            h.lock.unlock();
            return true;
        }
    }

    /** Runs p's due timers (their actions run here, outside the heap's lock). @return how many */
    private int runTimers(P p, long now) {
        int n = 0;
        TimerHeap h = p.timers;
        for (;;) {
            h.lock.lock();
            TimerEntry t = h.pollDue(now);
            h.lock.unlock();
            if (t == null) return n;
            n++;
            try {
                t.action.run();
            } catch (Throwable e) {
                System.err.println("gort: a timer action failed: " + e);
            }
        }
    }

    private void runAllDueTimers() {
        long now = System.nanoTime();
        for (P p : allp) {
            long due = p.timers.next;
            if (due != Long.MAX_VALUE && due - now <= 0) runTimers(p, now);
        }
    }

    /** Armed timers in all Ps' heaps (diagnostics and tests). */
    public int pendingTimers() {
        int n = 0;
        for (P p : allp) {
            p.timers.lock.lock();
            n += p.timers.size();
            p.timers.lock.unlock();
        }
        return n;
    }

    /** The earliest armed timer of any P, or Long.MAX_VALUE. */
    long earliestTimer() {
        long min = Long.MAX_VALUE;
        for (P p : allp) {
            long w = p.timers.next;
            if (w != Long.MAX_VALUE && (min == Long.MAX_VALUE || w - min < 0)) min = w;
        }
        return min;
    }

    /**
     * The longest delay a runtime timer is armed for, ~73 years: "never" in practice. Deadlines
     * are System.nanoTime() values compared by subtraction (TimerHeap, every wait), so a delay
     * must keep {@code now + delay} and the difference of any two deadlines within a long
     * (nanoTime's origin is arbitrary: a delay of a century or two could wrap around and fire at
     * once); and {@code Duration.toNanos()} throws ArithmeticException beyond 292 years, which
     * made {@code Go.sleep} and the timers throw where "forever" was meant.
     */
    public static final long MAX_DELAY_NANOS = Long.MAX_VALUE / 4;

    /** {@code d} in nanoseconds for a runtime timer: negative is 0, longer than MAX_DELAY_NANOS is that. */
    public static long delayNanos(java.time.Duration d) {
        if (d.isNegative()) return 0L;
        if (d.getSeconds() >= MAX_DELAY_NANOS / 1_000_000_000L) return MAX_DELAY_NANOS;
        return Math.min(d.toNanos(), MAX_DELAY_NANOS);
    }

    /**
     * Go's time.Sleep: parks the goroutine until the time has passed (a platform thread sleeps).
     * Interruptible: a goroutine's interrupt ends the sleep with InterruptedException (status
     * cleared), as does a status already set on entry. A delay beyond MAX_DELAY_NANOS sleeps that long.
     */
    public void sleep(long nanos) throws InterruptedException {
        if (nanos > MAX_DELAY_NANOS) nanos = MAX_DELAY_NANOS;
        G g = currentG();
        if (g == null) {
            if (nanos > 0) Thread.sleep(nanos / 1_000_000, (int) (nanos % 1_000_000));
            return;
        }
        if (g.interruptPending()) {
            g.clearInterruptForThrow();
            throw new InterruptedException();
        }
        if (nanos <= 0) {
            yieldNow();
            return;
        }
        Sleep sl = new Sleep(g, System.nanoTime() + nanos);
        sl.lock.lock(); // released by the park commit, after the timer is armed
        if (!g.beginInterruptibleWait(sl)) {
            g.clearInterruptForThrow();
            throw new InterruptedException();
        }
        park(WaitReason.SLEEP, sl);
        if (sl.state == Sleep.INTERRUPTED) {
            g.clearInterruptForThrow();
            throw new InterruptedException();
        }
    }

    /**
     * One goroutine's sleep: its timer's action and its interruptible wait. The first of the
     * timer and an interrupt to move {@link #state} from WAITING wins and readies the goroutine;
     * the lock (taken before the park, released by the commit once the timer is armed) lets an
     * interrupter wait until the goroutine is parked and the timer armed, so it can disarm it.
     */
    private final class Sleep implements Runnable, InterruptibleWait, ParkCommit {
        static final int WAITING = 0, FIRED = 1, INTERRUPTED = 2;
        final G g;
        final long when;
        final TimerEntry timer = new TimerEntry(this);
        final SpinLock lock = new SpinLock();
        volatile int state;
        private static final VarHandle STATE;

        static {
            try {
                STATE = MethodHandles.lookup().findVarHandle(Sleep.class, "state", int.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        Sleep(G g, long when) {
            this.g = g;
            this.when = when;
        }

        @Override
        public boolean afterUnmount(G parked) {
            try {
                addTimer(timer, when); // after the unmount: the timer cannot ready g before it is parked
            } catch (Throwable e) {
                // Out of memory: no timer will end this sleep. It ends now (g stays runnable),
                // unless an interrupt came first, which readies g itself once we unlock.
                boolean endNow = STATE.compareAndSet(this, WAITING, FIRED);
                lock.unlock();
                return !endNow;
            }
            lock.unlock();
            return true;
        }

        @Override
        public void run() { // the timer fired
            if (STATE.compareAndSet(this, WAITING, FIRED)) ready(g);
        }

        @Override
        public void interruptWait(G target) {
            if (!STATE.compareAndSet(this, WAITING, INTERRUPTED)) return;
            lock.lock(); // the goroutine is parked and its timer armed
            lock.unlock();
            deleteTimer(timer);
            ready(g);
        }
    }

    /** Go's startm: runs p (an idle P if null) on an idle or new M. */
    private void startm(P p, boolean spinning) {
        M m;
        boolean fresh = false;
        synchronized (lock) {
            if (p == null) {
                p = pidlegetLocked();
                if (p == null) {
                    if (spinning && nmspinning.decrementAndGet() < 0) throw new IllegalStateException("gort: negative nmspinning");
                    return;
                }
            }
            m = midle;
            if (m != null) {
                midle = m.idleNext;
                m.idleNext = null;
                nmidle--;
            } else if (mcount >= maxThreads) {
                if (!maxThreadsWarned) {
                    maxThreadsWarned = true;
                    System.err.println("gort: thread limit reached (gort.maxthreads=" + maxThreads
                        + "); goroutines wait for a carrier to come back");
                }
                pidleputLocked(p);
                if (spinning) nmspinning.decrementAndGet();
                return;
            } else {
                m = new M(mcount++, this);
                allm.add(m);
                fresh = true;
            }
            m.nextP = p;
            m.spinning = spinning;
        }
        carrierWakeups.incrementAndGet();
        if (fresh) m.thread.start(); else m.wakeup();
    }

    /** Go's handoffp: p was released by an M that is about to block. */
    private void handoffp(P p) {
        if (pWaiterCount > 0) {
            synchronized (lock) {
                if (!pWaiters.isEmpty()) {
                    pidleputLocked(p); // hands it to the first waiter
                    return;
                }
            }
        }
        if (!p.runq.isEmpty() || !global.isEmpty()) {
            startm(p, false);
            return;
        }
        if (nmspinning.get() + npidle.get() == 0 && nmspinning.compareAndSet(0, 1)) {
            startm(p, true);
            return;
        }
        // p's timers were watched by p itself (addTimer from a goroutine relies on its P's next
        // scheduling point); p now goes idle (or retires, handing them to some other P, maybe idle)
        // without passing through findRunnable, which would have made its M the timer sleeper.
        // Without a watcher they never fired: a locked goroutine's Go.sleep, or a timer armed just
        // before Go.blocking, hung while every P was idle. As Go's handoffp: wake the sleeper or
        // an M for them. (Read before the put: a retired P's heap is drained.)
        long when = p.timers.next;
        synchronized (lock) {
            if (!(excess > 0 && retireLocked(p))) pidleputLocked(p);
        }
        if (!global.isEmpty()) wakep();
        else if (when != Long.MAX_VALUE) watchTimer(when, true);
    }

    /** An M with a goroutine mounted (it cannot move) waits for a P of its own. */
    private void acquirePWait(M m) {
        synchronized (lock) {
            P p = pidlegetLocked();
            if (p != null) {
                acquirep(m, p);
                return;
            }
            pWaiters.addLast(m);
            pWaiterCount = pWaiters.size();
        }
        m.sleep();
        acquirep(m, m.nextP);
        m.nextP = null;
    }

    /** At a scheduling point: if Ms with a mounted goroutine wait for a P, give them ours. */
    private boolean giveToWaiter(M m) {
        synchronized (lock) {
            if (pWaiters.isEmpty()) return false;
            stopSpinningLocked(m); // before the waiter can have the P: see there
            P p = releasep(m);
            pidleputLocked(p);
        }
        return true;
    }

    /**
     * findRunnable's M gives its P away (to a P-waiter, or retiring it) and will stop without
     * looking for work: it stops counting as spinning here, holding the lock, <em>before</em> the
     * P can reach anyone.
     *
     * <p>Why before: handoffp and wakep start nobody while {@code nmspinning != 0}, trusting the
     * spinner to find the work, or to go idle through findRunnable's re-check and take the
     * timer-sleeper role. An M that has given its P away does neither. It used to decrement
     * after giveToWaiter returned; the P-waiter (a locked goroutine's carrier) woke with the P,
     * its goroutine ran, slept and handed the P off while the count still held the old spinner:
     * handoffp and its watchTimer's wakep saw "someone spins" and left the P idle, the old spinner
     * then went to stopm, and the P's due timers were never run (one P, locked sleepers: every
     * goroutine asleep for good, "timers armed: 4, next in -59883 ms";
     * SchedulingTest.lockedSleepersSharingOneProcessorAllWake).
     *
     * <p>Ordering: the decrement (an atomic read-modify-write) happens under the lock before
     * pidleputLocked's {@code wakeup()} (a volatile store of the token), and the waiter reads
     * anything only after consuming that token (CAS); so every read of {@code nmspinning} made
     * by the P's next owner happens-after the decrement. A retired P's timers are moved, and
     * watched (retireLocked's watchTimer), after it in program order.
     */
    private void stopSpinningLocked(M m) {
        if (!m.spinning) return;
        m.spinning = false;
        if (nmspinning.decrementAndGet() < 0) throw new IllegalStateException("gort: negative nmspinning");
    }

    /**
     * After findRunnable's M gave its P away (it now stops without the timer-sleeper role).
     * Go's rule for an M that stops spinning: a submitter that saw it spinning started nobody,
     * so look at the queues again (the decrement and the submitter's wakep are "store, full
     * fence, load" on both sides: see "Spinning and wake-ups"). And the timers: addTimer spares
     * the wake-up when the scheduler arms a timer on a carrier about to look for work, counting
     * on that carrier to become the sleeper, which this one no longer will; so watch the
     * earliest timer as handoffp does (a no-op when a sleeper already waits for it, or when
     * every P is busy: then the P's next owner meets its timers in findRunnable or handoffp).
     */
    private void afterGivingUpP() {
        if (!global.isEmpty() || anyLocalWork()) {
            wakep();
            return;
        }
        long when = earliestTimer();
        if (when != Long.MAX_VALUE) watchTimer(when, true);
    }

    private void acquirep(M m, P p) {
        if (p == null || p.m != null && p.m != m) {
            throw new IllegalStateException("gort: acquirep of " + (p == null ? "null P" : "P" + p.id + " held by M" + p.m.id));
        }
        p.m = m;
        p.status = P.RUNNING;
        m.p = p;
        // A busy P needs sysmon (preemption, stuck carriers). Every P taken from the idle list
        // decremented npidle first, the other half of sysmon's sleep check.
        sysmon.wake();
    }

    private P releasep(M m) {
        P p = m.p;
        if (p == null) throw new IllegalStateException("gort: releasep without a P");
        p.m = null;
        m.p = null;
        return p;
    }

    /** Holding lock: p goes to the first P-waiter, or is retired, or goes idle. */
    private void pidleputLocked(P p) {
        M w = pWaiters.pollFirst();
        if (w != null) {
            pWaiterCount = pWaiters.size();
            p.m = null;
            w.nextP = p;
            w.wakeup();
            return;
        }
        if (excess > 0 && retireLocked(p)) return;
        p.status = P.IDLE;
        p.m = null;
        p.idleNext = pidle;
        pidle = p;
        npidle.incrementAndGet();
    }

    private P pidlegetLocked() {
        P p = pidle;
        if (p != null) {
            pidle = p.idleNext;
            p.idleNext = null;
            npidle.decrementAndGet();
        }
        return p;
    }

    // =====================================================================================
    // Changing the number of Ps

    public int maxProcs() {
        return nprocs;
    }

    /**
     * The most Ps {@link #setMaxProcs} and {@code -Dgort.maxprocs} accept: 1024, or the number of
     * available processors where that is more (and never more than {@code gort.maxthreads}: a P
     * needs a carrier to run). Each P costs memory (its ring of 256 goroutines, its timer heap)
     * and every carrier that looks for work visits every P; beyond the number of cores, more Ps
     * only add that cost. Go has no fixed bound, but allocates per P likewise.
     */
    public static final int MAX_PROCS = Math.max(1024, Runtime.getRuntime().availableProcessors());

    /**
     * Sets GOMAXPROCS; shrinking retires Ps as their Ms next look for work (idle ones at once).
     * Linear in the number of Ps, under the scheduler lock.
     *
     * @return the old value
     * @throws IllegalArgumentException if n is not in 1..min(MAX_PROCS, gort.maxthreads)
     */
    public int setMaxProcs(int n) {
        if (n < 1 || n > MAX_PROCS) {
            throw new IllegalArgumentException("maxProcs must be in 1.." + MAX_PROCS + ", got " + n);
        }
        if (n > maxThreads) {
            throw new IllegalArgumentException("maxProcs " + n + " is above gort.maxthreads=" + maxThreads);
        }
        int old;
        synchronized (lock) {
            old = nprocs;
            int add = n - old;
            if (add > 0) {
                int cancel = Math.min(excess, add);
                excess -= cancel;
                add -= cancel;
                P[] ps = Arrays.copyOf(allp, allp.length + add);
                for (int i = 0; i < add; i++) {
                    P p = new P(nextPid++);
                    ps[ps.length - add + i] = p;
                }
                allp = ps;
                for (int i = 0; i < add; i++) pidleputLocked(ps[ps.length - add + i]);
            } else if (add < 0) {
                excess += -add;
                // Idle Ps retire at once, in one batch; busy ones when their M next looks for work.
                int k = 0;
                P[] gone = new P[Math.min(excess, npidle.get())];
                while (k < gone.length && pidle != null) {
                    gone[k++] = pidlegetLocked();
                }
                excess -= k;
                retireAllLocked(gone, k);
            }
            nprocs = n;
        }
        if (!global.isEmpty() || anyLocalWork()) wakep();
        return old;
    }

    /** At the top of findRunnable when Ps must be retired: retire m's own P. */
    private boolean tryRetire(M m) {
        synchronized (lock) {
            if (excess <= 0) return false;
            stopSpinningLocked(m); // or retireLocked's watchTimer and the wakep below see m as a spinner
            retireLocked(releasep(m));
        }
        wakep();
        return true;
    }

    /** Holding lock, excess > 0: p leaves allp; its queued goroutines go to the global queue. */
    private boolean retireLocked(P p) {
        if (excess <= 0) return false;
        excess--;
        retireAllLocked(new P[] {p}, 1);
        return true;
    }

    /**
     * Holding lock: the first n of {@code gone} (taken off the idle list, or released by their
     * M, and counted out of {@link #excess} by the caller) leave allp; their queued goroutines
     * go to the global queue, their timers to one surviving P. Linear in allp plus the moved
     * timers: one new allp for the whole batch, each timer moved once. (One retirement at a time
     * would build an array per P and could hand the same timers on from P to P: O(P^2) under
     * this lock, which every carrier that goes idle or retires waits for.)
     */
    private void retireAllLocked(P[] gone, int n) {
        if (n == 0) return;
        for (int i = 0; i < n; i++) {
            P p = gone[i];
            p.status = P.DEAD; // before taking its timers: addTimer re-checks it under the heap lock
            p.runq.drainTo(global);
            retiredBalance.addAndGet(p.balance());
            p.m = null;
        }
        // allp holds no DEAD P but those just marked (a P leaves allp when it is marked, here),
        // so the status is the filter: no per-P search.
        P[] ps = allp;
        P[] next = new P[ps.length - n];
        int j = 0;
        for (P q : ps) if (q.status != P.DEAD) next[j++] = q;
        allp = next;
        // Their timers go to a live P (Go's moveTimers), both heaps locked so that a concurrent
        // deleteTimer never finds a timer in neither (TimerHeap.moveAllTo). Only one retirement
        // runs at a time (under the scheduler lock) and nothing else holds two heap locks, so the
        // order from-then-to cannot deadlock. A carrier that computed earliestTimer() between the
        // new allp and the move saw them in neither heap and may sleep past them: the move then
        // pokes the timed sleeper (or wakes an M), as addTimer does.
        TimerHeap to = next[0].timers;
        long first = Long.MAX_VALUE;
        for (int i = 0; i < n; i++) {
            TimerHeap from = gone[i].timers;
            from.lock.lock();
            to.lock.lock();
            Runnable hook = timerMoveHookForTests;
            if (hook != null) hook.run();
            long w = from.next;
            if (from.size() > 0 && (first == Long.MAX_VALUE || w - first < 0)) first = w;
            from.moveAllTo(to);
            to.lock.unlock();
            from.lock.unlock();
        }
        if (first != Long.MAX_VALUE) watchTimer(first, true);
    }

    /** Tests: runs in retireLocked with both heaps locked, before a retired P's timers move (null: nothing). */
    static volatile Runnable timerMoveHookForTests;

    /** sysmon: p's goroutine blocks its carrier; add a spare P so maxProcs Ps keep running. */
    void markStuck(P p) {
        synchronized (lock) {
            if (p.stuck || p.status != P.RUNNING) return;
            if (excess > 0) {
                excess--; // a retirement was pending: keep that P instead of adding one
            } else {
                // Allocations first: an OutOfMemoryError here changes nothing, and sysmon's
                // next round tries again (p is not yet stuck).
                P spare = new P(nextPid);
                P[] ps = Arrays.copyOf(allp, allp.length + 1);
                ps[ps.length - 1] = spare;
                nextPid++;
                allp = ps;
                pidleputLocked(spare);
            }
            p.stuck = true;
            stuckRetakes.incrementAndGet();
        }
        wakep();
    }

    /** The stuck goroutine came back: one P too many now. */
    private void unstick(P p) {
        synchronized (lock) {
            if (!p.stuck) return;
            p.stuck = false;
            excess++;
        }
    }

    // =====================================================================================
    // Go.run and deadlock detection

    /** The state of one Go.run call: the caller's thread waits on it. */
    static final class RunState {
        final Thread waiter = Thread.currentThread();
        volatile G main;
        volatile DeadlockException deadlock;

        void wake() {
            LockSupport.unpark(waiter);
        }
    }

    /** Runs {@code task} as a main goroutine and waits for it; see Go.run. */
    public void run(Runnable task) {
        if (task == null) throw new NullPointerException("main");
        if (currentG() != null) {
            G g = spawn(task, "main");
            G self = currentG();
            boolean interrupted = false;
            for (;;) { // Go.run waits uninterruptibly (as from a platform thread) and keeps the status
                try {
                    g.join();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) self.interrupt();
            rethrow(g.failure());
            return;
        }
        RunState rs = new RunState();
        G g = new G(idGen.getAndIncrement(), "main", task);
        g.extra().runState = rs;
        rs.main = g;
        boolean interrupted = false;
        try {
            // main is queued before the run is registered: sysmon must never see a run whose
            // main goroutine is not yet anywhere (a false deadlock, seen under CPU load).
            enqueueNew(g, null);
            runs.add(rs);
            sysmon.wake(); // deadlock detection needs it
            while (g.status() != G.DEAD && rs.deadlock == null) {
                LockSupport.park(rs);
                if (Thread.interrupted()) interrupted = true;
            }
        } finally {
            runs.remove(rs);
            if (interrupted) Thread.currentThread().interrupt();
        }
        if (g.status() != G.DEAD && rs.deadlock != null) throw rs.deadlock;
        rethrow(g.failure());
    }

    private static void rethrow(Throwable t) {
        if (t == null) return;
        if (t instanceof RuntimeException r) throw r;
        if (t instanceof Error e) throw e;
        throw new java.util.concurrent.CompletionException(t);
    }

    /** sysmon: a snapshot that changes whenever anything runs; null if something runs now. */
    long[] quiescentSnapshot() {
        if (runs.isEmpty()) return null;
        P[] ps = allp;
        // Ms in a pinned/locked park whose goroutine still sleeps are asleep goroutines, not
        // blocking calls (nmsys first: a park that starts between the two reads makes the
        // difference negative, one that ends makes it positive; both say "busy").
        if (npidle.get() != ps.length || nmspinning.get() != 0 || nmsys.get() - parkedLocked.get() != 0) return null;
        if (!global.isEmpty() || anyLocalWork()) return null;
        if (earliestTimer() != Long.MAX_VALUE) return null; // a timer will wake someone
        if (netpoll != null && netpoll.hasWaiters()) return null; // I/O may wake someone (Go: same)
        long ticks = 0;
        for (P p : ps) ticks += p.schedtickOpaque();
        return new long[] {ticks, ps.length, numGoroutine()};
    }

    /** sysmon, after the runtime stayed quiescent: every goroutine is asleep. */
    void reportDeadlock() {
        String dump = dump();
        for (RunState rs : runs) {
            rs.deadlock = new DeadlockException("all goroutines are asleep - deadlock!", dump);
            rs.wake();
        }
    }

    // =====================================================================================
    // Exceptions

    /**
     * Hands t to the uncaught-exception handler; never throws. If the handler fails (the heap
     * is full: the default handler's printing allocates), says what it can without allocating
     * (see {@link ErrorOut}): the goroutine's id, t's class and message, the handler's error.
     */
    void reportUncaught(G g, Throwable t) {
        try {
            uncaughtHandler.accept(g, t);
        } catch (Throwable e) {
            synchronized (ErrorOut.LOCK) {
                ErrorOut.write(UNCAUGHT);
                ErrorOut.write(g.id);
                ErrorOut.write(COLON);
                ErrorOut.write(t);
                ErrorOut.write(HANDLER_FAILED);
                ErrorOut.write(e);
                ErrorOut.write(CLOSE);
                ErrorOut.newline();
            }
        }
    }

    private static final byte[] UNCAUGHT = ErrorOut.bytes("gort: exception in goroutine ");
    private static final byte[] COLON = ErrorOut.bytes(": ");
    private static final byte[] HANDLER_FAILED = ErrorOut.bytes(" (the uncaught-exception handler failed: ");
    private static final byte[] CLOSE = ErrorOut.bytes(")");

    public void setUncaughtExceptionHandler(BiConsumer<Goroutine, Throwable> handler) {
        uncaughtHandler = handler != null ? handler : Scheduler::defaultUncaught;
    }

    private static void defaultUncaught(Goroutine g, Throwable t) {
        synchronized (System.err) {
            // No string concatenation: its first run bootstraps a call site, which fails when
            // the heap is full (reportUncaught then writes what it can).
            System.err.print("gort: exception in goroutine ");
            System.err.print(g.id());
            System.err.print(" \"");
            System.err.print(g.name());
            System.err.print("\": ");
            t.printStackTrace();
        }
    }

    // =====================================================================================
    // Observability

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

    long uptimeMillis() {
        return (System.nanoTime() - startNanos) / 1_000_000;
    }

    P[] allp() {
        return allp;
    }

    public int numGoroutine() {
        long n = externalSpawned.get() + retiredBalance.get();
        for (P p : allp) n += p.balance();
        return (int) Math.max(0, n);
    }

    /** Go-style schedtrace line. */
    public String schedtrace() {
        P[] ps = allp;
        StringBuilder sb = new StringBuilder();
        int threads, idleThreads;
        synchronized (lock) {
            threads = mcount;
            idleThreads = nmidle;
        }
        sb.append("SCHED ").append(uptimeMillis()).append("ms: maxprocs=").append(nprocs)
            .append(" idleprocs=").append(npidle.get())
            .append(" threads=").append(threads)
            .append(" spinning=").append(nmspinning.get())
            .append(" idlethreads=").append(idleThreads)
            .append(" runqueue=").append(global.size())
            .append(" [");
        for (int i = 0; i < ps.length; i++) {
            if (i > 0) sb.append(' ');
            sb.append(ps[i].runq.size());
        }
        sb.append(']');
        if (netpoll != null) sb.append(" netpoll=").append(netpoll.name());
        return sb.toString();
    }

    public Metrics metrics() {
        P[] ps = allp;
        int threads, idleThreads;
        synchronized (lock) {
            threads = mcount;
            idleThreads = nmidle;
        }
        int local = 0;
        for (P p : ps) local += p.runq.size();
        return new Metrics(nprocs, ps.length, numGoroutine(), threads, idleThreads, npidle.get(),
            nmspinning.get(), global.size(), local, preemptions.get(), stuckRetakes.get(), blockingCalls.get(),
            carrierWakeups.get(), netpoll != null ? netpoll.name() : "none", netpollReadied.get());
    }

    /** Counters and gauges of the scheduler (a snapshot; see {@code Go.metrics()}). */
    public record Metrics(int maxProcs, int processors, int goroutines, int threads, int idleThreads,
                          int idleProcs, int spinningThreads, int globalRunQueue, int localRunQueues,
                          long preemptions, long stuckRetakes, long blockingCalls, long carrierWakeups,
                          String netpoller, long netpollReadied) {}

    /**
     * The most characters {@link #dump()} returns: 4 Mi (8 MB of String), a few thousand
     * goroutines with their stacks. Past it the dump ends, at a goroutine's end, with a line
     * saying how many goroutines it left out; {@link #dump(Appendable)} streams them all.
     */
    public static final int DUMP_STRING_LIMIT = 4 << 20;

    /**
     * {@link #dump(Appendable)} into a String of at most about {@link #DUMP_STRING_LIMIT}
     * characters (plus the last goroutine's entry and the truncation note).
     */
    public String dump() {
        StringBuilder sb = new StringBuilder();
        try {
            dump(sb, DUMP_STRING_LIMIT);
        } catch (java.io.IOException e) {
            throw new AssertionError(e); // a StringBuilder does not throw
        }
        return sb.toString();
    }

    /**
     * Every live goroutine with its state, wait reason and time, and stack (Go's traceback of all
     * goroutines), written to {@code out} one goroutine at a time. Memory: a reference per
     * goroutine (to list them in id order) and one goroutine's text; the text is never built
     * whole. No scheduler lock is held while it runs: each parked goroutine is held only while its
     * stack is read (DUMPING, which a waker waits out), so goroutines go on running, parking and
     * waking meanwhile (the dump is not an atomic snapshot). Called on a goroutine, it is
     * preemptible between goroutines. Errors of {@code out} end the dump and are thrown.
     */
    public void dump(Appendable out) throws java.io.IOException {
        java.util.Objects.requireNonNull(out, "out");
        dump(out, Long.MAX_VALUE);
    }

    /** The dump; stops (with a note) before a goroutine that starts past {@code limit} characters written. */
    private void dump(Appendable out, long limit) throws java.io.IOException {
        // Goroutines that parked at least once (the registry), plus those running and those
        // queued in the Ps' rings (few: at most a ring per P and one per carrier), without
        // duplicates: the few go in an identity set, the many are checked against it.
        java.util.Set<G> few = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (M m : allm) {
            G g = m.curgAcquire();
            if (g != null) few.add(g);
        }
        for (P p : allp) p.runq.snapshotInto(few);
        List<G> parked = registry.snapshot();
        G[] gs = new G[parked.size() + few.size()];
        int n = 0;
        for (G g : parked) if (!few.contains(g)) gs[n++] = g;
        parked = null; // the array holds them now: one list of references at a time
        for (G g : few) gs[n++] = g;
        few = null;
        Arrays.sort(gs, 0, n, (a, b) -> Long.compare(a.id, b.id));

        long now = coarseNanos();
        StringBuilder sb = new StringBuilder(256);
        sb.append(schedtrace()).append("\n");
        long earliest = earliestTimer();
        sb.append("timers armed: ").append(pendingTimers());
        if (earliest != Long.MAX_VALUE) sb.append(", next in ").append((earliest - System.nanoTime()) / 1_000_000).append(" ms");
        sb.append('\n');
        int globalEntries = global.size();
        if (globalEntries > 0) {
            sb.append("(").append(globalEntries).append(" entries of the global run queue not listed)\n");
        }
        sb.append('\n');
        out.append(sb);
        long written = sb.length();
        boolean onGoroutine = currentG() != null;
        for (int i = 0; i < n; i++) {
            G g = gs[i];
            if (g.status() == G.DEAD) continue;
            if (written >= limit) {
                int left = 0;
                for (int k = i; k < n; k++) if (gs[k].status() != G.DEAD) left++;
                out.append("... dump truncated at ").append(String.valueOf(written)).append(" characters: ")
                    .append(String.valueOf(left)).append(" more goroutines not listed; Go.dump(Appendable) lists them all\n");
                return;
            }
            gs[i] = null; // a goroutine that ends meanwhile need not stay reachable for the dump
            sb.setLength(0);
            appendGoroutine(sb, g, now);
            out.append(sb);
            written += sb.length();
            if (onGoroutine) safepoint(); // a long dump on a goroutine is preemptible
        }
    }

    /** One goroutine's entry of the dump. */
    private void appendGoroutine(StringBuilder sb, G g, long now) {
        M m = g.m;
        StackTraceElement[] stack = stackOf(g);
        int s = g.status();
        sb.append("goroutine ").append(g.id);
        if (g.name() != null) sb.append(" \"").append(g.name()).append('"');
        sb.append(" [").append(g.state().name().toLowerCase());
        if (s == G.WAITING) {
            sb.append(", ").append(g.waitReason);
            int waited = Math.max(0, (int) (now / 1_000_000) - g.waitSinceMillis);
            sb.append(", ").append(waited).append(" ms");
        } else if ((s == G.RUNNING || s == G.SYSCALL) && m != null) {
            String carrier = carrierWait(m, stack);
            if (carrier != null) sb.append(", ").append(carrier);
        }
        if (g.locked()) sb.append(", locked to thread");
        sb.append("]:\n");
        for (StackTraceElement e : stack) {
            sb.append("\t").append(e).append('\n');
        }
        sb.append('\n');
    }

    /**
     * For a mounted goroutine: how its carrier waits without the scheduler knowing (a JDK lock,
     * Thread.sleep, a class's initialization), or null when it runs. The JVM reports a thread
     * that waits for another thread to finish initializing a class as RUNNABLE, with no lock
     * and no frame of the wait (the stack ends at the frame that touched the class); what tells
     * it apart is the kernel: the thread sleeps while its top frame is Java code, not a native
     * method (a blocking native call also sleeps as RUNNABLE, with the native frame on top).
     * Where the kernel state cannot be read (not Linux), nothing is said for RUNNABLE.
     */
    private static String carrierWait(M m, StackTraceElement[] stack) {
        Thread.State ts = m.thread.getState();
        switch (ts) {
            case BLOCKED, WAITING, TIMED_WAITING -> {
                return "carrier " + ts.name().toLowerCase()
                    + (hasClinit(stack) ? ", in class initialization" : "");
            }
            case RUNNABLE -> {
                return waitsForClassInit(m, stack) ? "carrier blocked, waiting for a class's initialization" : null;
            }
            default -> {
                return null;
            }
        }
    }

    /**
     * Is the carrier m, whose stack is {@code stack}, waiting for another thread to finish
     * initializing a class (see {@link #carrierWait})? RUNNABLE to the JVM, asleep to the
     * kernel, with Java code, not a native method, on top. False where the kernel state cannot
     * be read (not Linux).
     */
    static boolean waitsForClassInit(M m, StackTraceElement[] stack) {
        if (m.thread.getState() != Thread.State.RUNNABLE) return false;
        if (stack.length > 0 && stack[0].isNativeMethod()) return false;
        char k = m.kernelState();
        if (k != 'S' && k != 'D') return false;
        // Read again: a thread caught in a brief VM-internal sleep (a safepoint, a GC
        // pause) would be runnable again, or at another frame, a moment later.
        Thread.onSpinWait();
        if (m.thread.getState() != Thread.State.RUNNABLE) return false;
        char k2 = m.kernelState();
        return k2 == 'S' || k2 == 'D';
    }

    private static boolean hasClinit(StackTraceElement[] stack) {
        for (StackTraceElement e : stack) if (e.getMethodName().equals("<clinit>")) return true;
        return false;
    }

    private StackTraceElement[] stackOf(G g) {
        StackTraceElement[] raw;
        Thread t = g.blockedThread();
        M m = g.m;
        if (t != null) {
            raw = t.getStackTrace();
        } else if (g.casStatus(G.WAITING, G.DUMPING)) {
            try {
                raw = g.continuation.getStackTrace();
            } finally {
                g.setStatus(G.WAITING);
            }
        } else if (m != null && (g.status() == G.RUNNING || g.status() == G.SYSCALL)) {
            raw = m.thread.getStackTrace();
        } else {
            return new StackTraceElement[0];
        }
        List<StackTraceElement> out = new ArrayList<>();
        for (StackTraceElement e : raw) {
            if (e.getClassName().startsWith("jdk.internal.vm.Continuation")) break;
            out.add(e);
        }
        return out.toArray(new StackTraceElement[0]);
    }
}
