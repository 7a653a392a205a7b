package dev.gort.sched;

import dev.gort.Goroutine;
import dev.gort.internal.ContinuationSupport;
import dev.gort.internal.GoContinuation;
import java.lang.invoke.VarHandle;
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
 * <h2>Stopping ({@link #shutdown}) and starting again</h2>
 * A runtime stops only when it is idle and empty: every P idle, no carrier in a blocking call, no
 * goroutine, no queued work, no armed timer, nobody waiting for I/O. Then nothing can create work
 * for it except a platform thread, so the stop is decided under {@link Idle#lock} (no carrier can
 * take a P meanwhile) against the platform threads' two entry points, each ordered against
 * {@link #state}:
 * <ul>
 *   <li>a spawn or Go.run from a platform thread ({@link #enqueueExternal}) counts its goroutine
 *       in {@link #externalSpawned} (an atomic increment: a full fence), then reads
 *       {@code state}; the stopper writes STOPPING (volatile), fences, then reads the count
 *       ({@link #numGoroutine}): a Dekker pair. Either the stopper sees the goroutine and gives
 *       up, or the spawner sees STOPPING, takes its count back and queues nothing;</li>
 *   <li>a timer armed from a platform thread reads {@code state} under its heap's lock
 *       ({@link Timers#addTimer}); the stopper writes STOPPING before it takes each heap's lock to
 *       count the timers, so the heap's lock orders the two. Either the stopper finds the timer,
 *       or the armer finds STOPPING.</li>
 * </ul>
 * A spawner or armer that finds the runtime not RUNNING waits for the stopper's decision on the
 * class's monitor, which the stopper holds for the whole attempt ({@link #afterStop}), and goes on
 * with whichever runtime is running then: this one (the stop was given up) or a fresh one. So no
 * goroutine or timer ever lands in a stopped runtime. A goroutine cannot race with the stop: one
 * exists only while the count is above zero. After the decision the stopper takes every P off the
 * idle list (no carrier can run again), wakes every carrier with no P ({@link Idle}'s wake-up
 * paths end such a carrier's thread: {@link CarrierExit}), waits for the threads to end, and
 * clears {@link #instance}: the next {@link #get} starts a fresh runtime.
 *
 * <h2>Who writes what</h2>
 * The owners are final fields set by the constructor; {@link #instance}'s volatile write
 * publishes them, and {@link #get}'s volatile read is its partner. {@link #instance} is written
 * only under the class's monitor (start and stop). {@link #state}: RUNNING -> STOPPING and back,
 * or STOPPING -> STOPPED, by the stopper only, under the class's monitor and {@link Idle#lock}.
 * {@link #idGen} and {@link #externalSpawned} are atomic counters written by any spawner.
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

    /** The running runtime, or null before the first use and after {@link #shutdown}. Written under the class's monitor. */
    private static volatile Scheduler instance;

    /** {@link #state}: the runtime runs; a stop is being decided; it has stopped for good. */
    static final int RUNNING = 0, STOPPING = 1, STOPPED = 2;

    // ---- immutable state: the owners (see package-info, "Where things live")
    final SchedulerConfig config;
    final GlobalQueue global = new GlobalQueue();
    /** The network poller found by ServiceLoader, or null: see {@link NetpollDriver}. */
    final NetpollDriver netpoll;
    /** The runtime modules' hooks found by ServiceLoader (often none): see {@link SchedulerHooks}. */
    final SchedulerHooks[] hooks;
    final Registry registry = new Registry();
    final Procs procs;
    final Idle idle;
    final WakePolicy wake;
    final Admission admission;
    final Timers timers;
    final Polling polling;
    final Syscalls syscalls;
    final Schedule schedule;
    final Deadlock deadlock;
    final Diagnostics diagnostics;
    final Sysmon sysmon;
    /** The sampled distributions ({@link SchedStats}). */
    final SchedStats stats;

    // ---- mutable state
    /** The next goroutine id: a P takes blocks of 16 ({@link #nextId}), anyone else one at a time. */
    private final AtomicLong idGen = new AtomicLong(1);
    /** Goroutines spawned from platform threads (no P to count them; see {@link #numGoroutine}). */
    private final AtomicLong externalSpawned = new AtomicLong();
    /** RUNNING, STOPPING or STOPPED (see "Stopping"). */
    volatile int state = RUNNING;
    /** The thread that registers the MXBean at start-up (joined by the stop). */
    private Thread jmxThread;
    /** This runtime registered {@code dev.gort:type=Scheduler} (written by the gort-jmx thread; read after joining it). */
    private boolean mxBeanRegistered;

    private Scheduler(SchedulerConfig config) {
        this.config = config;
        AllocCounter.setEnabled(config.allocStats());
        this.netpoll = config.netpoll() ? loadNetpoll() : null;
        this.hooks = loadHooks();
        this.stats = new SchedStats(config.schedStats(), config.schedStatsSample());
        // In dependency order: each owner may read the owners built before it.
        this.procs = new Procs(this, config.maxProcs());
        this.idle = new Idle(this);
        this.wake = new WakePolicy(this);
        this.admission = new Admission(this);
        admission.setLimit(initialMemoryLimit()); // before any goroutine can run
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
            if (JFR) dev.gort.sched.jfr.Jfr.addRecorderListener(); // registers the JFR events before any goroutine parks: see there
            // JMX registration takes ~100 ms on a cold JVM: not on the caller's path, nor sysmon's.
            // So do the modules' hooks (SchedulerHooks.started), after it.
            s.jmxThread = Thread.ofPlatform().daemon().name("gort-jmx").start(() -> {
                s.registerMXBean();
                s.eachHook("start", SchedulerHooks::started);
            });
        }
        return instance;
    }

    /**
     * A platform thread found this runtime not RUNNING: waits for the stopper's decision (it
     * holds the class's monitor for the whole attempt) and returns the runtime running now, this
     * one or a fresh one.
     */
    private static Scheduler afterStop() {
        synchronized (Scheduler.class) {
            return get();
        }
    }

    /**
     * Go.shutdown: stops the runtime once it is idle and empty (see "Stopping"), trying again
     * until {@code timeoutNanos} have passed; returns when its threads have ended.
     *
     * @return true if stopped, or if no runtime was running; false if goroutines, armed timers or
     *         blocking calls were still there at the deadline (the runtime was left running)
     * @throws IllegalStateException if called on a carrier (from a goroutine or a timer action)
     */
    public static boolean shutdown(long timeoutNanos) {
        if (CarrierLookup.currentM() != null) {
            throw new IllegalStateException("gort: Go.shutdown() called from a goroutine: it waits for every goroutine "
                + "to end, its caller's too; call it from a platform thread (the end of main, a container's shutdown hook)");
        }
        long deadline = System.nanoTime() + Math.max(0, Math.min(timeoutNanos, MAX_DELAY_NANOS));
        long pause = 50_000L;
        for (;;) {
            synchronized (Scheduler.class) {
                Scheduler s = instance;
                if (s == null) return true;
                if (s.tryStop()) {
                    // Threads and poller first, instance after: the poller's start holds its own
                    // monitor while it calls get(), which must not need this one then (a lock
                    // cycle). Meanwhile get() returns this stopped runtime, whose entry points
                    // send callers here (afterStop) to wait.
                    s.release();
                    instance = null; // the next get() starts a fresh runtime
                    return true;
                }
            }
            // Not idle yet: look again, at most every 10 ms, until the deadline. A polling wait,
            // so that the goroutines' hot paths (goexit, park) carry nothing for this rare call.
            long left = deadline - System.nanoTime();
            if (left <= 0) return false;
            LockSupport.parkNanos(Math.min(pause, left));
            pause = Math.min(pause * 2, 10_000_000L);
        }
    }

    /**
     * What keeps the running runtime from stopping, in words (Go.shutdown's message): a racy
     * look, for a person to read; "nothing" when no runtime runs.
     */
    public static String leftOver() {
        Scheduler s = instance;
        if (s == null) return "nothing";
        return s.numGoroutine() + " goroutine(s), " + s.pendingTimers() + " armed timer(s), "
            + s.syscalls.nmsys.get() + " carrier(s) in a blocking call or a pinned wait";
    }

    /**
     * One attempt to stop, under the class's monitor: succeeds only if the runtime is idle and
     * empty (see "Stopping"); then every P is taken off the idle list and {@link #state} is
     * STOPPED. Otherwise nothing has changed.
     */
    private boolean tryStop() {
        P[] ps = procs.allp();
        synchronized (idle.lock) {
            // Every P idle and no carrier in a blocking call: no goroutine runs, and none can start
            // (taking a P needs idle.lock). Only platform threads can add work now.
            if (idle.npidle.get() != ps.length || syscalls.nmsys.get() != 0 || idle.hasPWaiters()) return false;
            state = STOPPING;
            VarHandle.fullFence(); // STOPPING before the reads below: the partner of enqueueExternal's increment
            if (numGoroutine() != 0 || !global.isEmpty() || procs.anyLocalWork()
                || timers.pendingTimers() != 0 || polling.hasWaiters()) {
                state = RUNNING;
                return false;
            }
            while (idle.pidlegetLocked() != null) {
                // every P leaves the idle list: no carrier can take one again
            }
            state = STOPPED;
        }
        return true;
    }

    /** After the stop: ends sysmon and every carrier, closes the poller, removes the JFR listener, unregisters the MXBean; waits for its threads. */
    private void release() {
        sysmon.stop();
        for (M m : idle.allm) m.wakeup(); // no P handed over: the carrier ends (Idle.takeHandedP)
        join(sysmon.thread());
        for (M m : idle.allm) {
            join(m.thread);
            join(m.spacer); // ends with its carrier
        }
        join(jmxThread);
        if (netpoll != null) {
            try {
                netpoll.shutdown();
            } catch (Throwable t) {
                System.err.println("gort: closing the network poller failed: " + t);
            }
        }
        eachHook("stop", SchedulerHooks::stopped);
        if (JFR) dev.gort.sched.jfr.Jfr.removeRecorderListener();
        if (mxBeanRegistered) {
            try {
                SchedulerMXBeanImpl.unregister();
            } catch (Throwable t) {
                System.err.println("gort: JMX unregistration failed: " + t);
            }
        }
    }

    /**
     * Waits for a thread of this runtime that was told to end; they end within microseconds
     * (each was idle). Interrupts of the caller are kept for after it.
     */
    private static void join(Thread t) {
        if (t == null) return;
        boolean interrupted = false;
        while (t.isAlive()) {
            try {
                t.join(10_000);
                if (t.isAlive()) {
                    System.err.println("gort: " + t.getName() + " has not ended 10 s after shutdown; going on without it");
                    break;
                }
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
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

    /**
     * Every {@link SchedulerHooks} on the class or module path. A provider that fails to load is
     * reported once and left out: the runtime works without.
     */
    private static SchedulerHooks[] loadHooks() {
        java.util.List<SchedulerHooks> found = new java.util.ArrayList<>();
        try {
            java.util.Iterator<SchedulerHooks> it =
                java.util.ServiceLoader.load(SchedulerHooks.class, Scheduler.class.getClassLoader()).iterator();
            while (it.hasNext()) {
                try {
                    found.add(it.next());
                } catch (java.util.ServiceConfigurationError e) {
                    System.err.println("gort: scheduler hook not loaded: " + e);
                }
            }
        } catch (Throwable t) {
            System.err.println("gort: scheduler hooks not loaded: " + t);
        }
        return found.toArray(new SchedulerHooks[0]);
    }

    /** Calls {@code call} on every hook; a hook that throws is reported ({@code what} names the call) and skipped. */
    void eachHook(String what, java.util.function.Consumer<SchedulerHooks> call) {
        for (SchedulerHooks h : hooks) {
            try {
                call.accept(h);
            } catch (Throwable t) {
                System.err.println("gort: scheduler hook " + h.getClass().getName() + " failed at " + what + ": " + t);
            }
        }
    }

    /**
     * The memory limit the hooks set at start ({@link SchedulerHooks#memoryLimit}: the smallest
     * they ask for), or 0. {@code gort.memlimit} with no hook to read it is said once, on
     * standard error: the limit needs runtime-gc-assist's policy.
     */
    private long initialMemoryLimit() {
        long limit = 0;
        for (SchedulerHooks h : hooks) {
            try {
                long l = h.memoryLimit();
                if (l > 0 && (limit == 0 || l < limit)) limit = l;
            } catch (Throwable t) {
                System.err.println("gort: scheduler hook " + h.getClass().getName() + " failed (memory limit): " + t);
            }
        }
        if (limit == 0 && hooks.length == 0 && System.getProperty("gort.memlimit") != null) {
            System.err.println("gort: gort.memlimit ignored: the memory limit needs runtime-gc-assist on the class or module path");
        }
        return limit;
    }

    /** The running runtime, or null: does not start one (for {@link SchedulerHooks}' static methods). */
    static Scheduler running() {
        return instance;
    }

    /** Registers {@code dev.gort:type=Scheduler} when java.management is present; never fails start-up. */
    void registerMXBean() {
        if (ModuleLayer.boot().findModule("java.management").isEmpty()) return;
        try {
            mxBeanRegistered = SchedulerMXBeanImpl.register(this);
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
        return spawn(task, name, interruptsCarrier, null);
    }

    /** spawn, into {@code scope} (a {@code dev.gort.Group}'s, shown by the dump; null: none). */
    public G spawn(Runnable task, String name, boolean interruptsCarrier, G.Scope scope) {
        return spawn(task, name, interruptsCarrier, scope, null);
    }

    /** spawn, into test bubble {@code b} (Bubble's root, and a bubble timer's goroutines). */
    G spawnIn(Bubble b, Runnable task, String name) {
        return spawn(task, name, false, null, b);
    }

    /** spawn, into {@code bubble}, or the spawner's (null: the spawner's, if it has one). */
    private G spawn(Runnable task, String name, boolean interruptsCarrier, G.Scope scope, Bubble bubble) {
        if (task == null) throw new NullPointerException("task");
        StackReserve.reserve(); // before anything is counted or queued (see StackReserve)
        safepoint(); // spawn is a safepoint: a spawning loop can be preempted
        if (admission.closed() && currentG() != null) yieldNow(); // the heap is over the limit: what is queued runs first (Admission)
        P p = currentP();
        long id = p != null ? nextId(p) : idGen.getAndIncrement();
        G g = G.create(id, name, task, interruptsCarrier);
        if (scope != null) {
            G.Extra x = g.extra();
            x.scope = scope; // likewise
            x.scopeTask = task; // for Scope.exited, which gets the body the goroutine ran
        }
        if (bubble == null && Bubble.active()) bubble = Bubble.current();
        if (bubble != null) bubble.join(g); // likewise, and counted before it can run
        stats.spawned(g); // likewise
        if (p != null) {
            enqueueNew(g, p);
        } else {
            Scheduler s = this;
            while (!s.enqueueExternal(g)) s = afterStop(); // stopped meanwhile: the next runtime runs it
        }
        return g;
    }

    /**
     * A new goroutine from a platform thread (or a goroutine without a P): counted, then queued
     * on the global queue, unless this runtime is stopping (see "Stopping": the increment, a full
     * fence, then the read of {@link #state}, against tryStop's write then read).
     *
     * @return false if the runtime was not RUNNING: nothing was queued or counted
     */
    boolean enqueueExternal(G g) {
        externalSpawned.incrementAndGet();
        if (state != RUNNING) {
            externalSpawned.decrementAndGet();
            return false;
        }
        global.put(g);
        wake.wakep();
        return true;
    }

    /** A new goroutine's first queuing: into p's runnext, then a wake-up. */
    private void enqueueNew(G g, P p) {
        // g is RUNNABLE from its constructor; the run queue publishes it. It enters the registry
        // only if it ever parks (see Registry): most goroutines never do.
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
        if (SchedStats.timed(g)) stats.readying(g); // a timed wait ends: before the CAS that publishes the new stamp
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
        if (Bubble.active()) {
            Bubble b = Bubble.of(g);
            if (b != null) b.readied(g);
        }
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
        g.waitReason = (byte) reason.ordinal();
        // The dump's "waiting since"; even: not timed (a timed park's leftRunning makes it exact).
        g.statStamp = coarseNanos() & ~1L;
        if (!g.registered) registry.add(g); // first park: from now on the dump lists it
        // dev.gort.GoroutinePark: a sampled park is timed (see ParkSampling), then committed if it ran past the threshold
        Object jfrPark = JFR && (++g.m.jfrParks & dev.gort.sched.jfr.Jfr.parkSampleMask()) == 0 ? dev.gort.sched.jfr.Jfr.parkBegin(g.id, g.m.thread) : null;
        parkNow(g, commit);
        if (jfrPark != null) dev.gort.sched.jfr.Jfr.parkEnd(jfrPark, g.name(), reason, commit); // running again
    }

    /** park's wait: unmount and commit (or block the carrier); returns once g runs again. */
    private void parkNow(G g, ParkCommit commit) {
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
        Scheduler s = this;
        while (!s.timers.addTimer(t, when)) s = afterStop(); // stopped meanwhile: the next runtime keeps it
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
        Scheduler s = this;
        while (!s.deadlock.run(task)) s = afterStop(); // stopped before main was queued: the next runtime runs it
    }

    public int numGoroutine() {
        long n = externalSpawned.get() + procs.retiredBalance.get();
        for (P p : procs.allp()) n += p.balance();
        return (int) Math.max(0, n);
    }

    public void setUncaughtExceptionHandler(BiConsumer<Goroutine, Throwable> handler) {
        diagnostics.setUncaughtExceptionHandler(handler);
    }

    /** Hands a goroutine's failure to the uncaught-exception handler (a group's failure that no await reported). */
    public void reportUncaught(G g, Throwable t) {
        diagnostics.reportUncaught(g, t);
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

    /** Every goroutine in {@code format}, streamed to {@code out} (see {@link Diagnostics#dump(Appendable)}, {@link JsonDump}). */
    public void dump(Appendable out, dev.gort.DumpFormat format) throws java.io.IOException {
        switch (java.util.Objects.requireNonNull(format, "format")) {
            case TEXT -> diagnostics.dump(out);
            case JSON -> diagnostics.dumpJson(out);
        }
    }

    /** Every goroutine in JSON, bounded as {@link #dump()} is, still valid JSON (see {@link JsonDump}). */
    public String dumpJson() {
        return diagnostics.dumpJson();
    }

    /** The goroutine profile (see {@link GoroutineProfile}). */
    public String profile() {
        return diagnostics.profile();
    }

    /** The goroutine profile, streamed to {@code out} (see {@link GoroutineProfile}). */
    public void profile(Appendable out) throws java.io.IOException {
        diagnostics.profile(out);
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

    /**
     * Tests and benchmarks: sampling of the scheduling latency and wait times on or off, and one
     * goroutine cycle in {@code period} timed (1: every one; {@code -Dgort.schedstats} and
     * {@code -Dgort.schedstats.sample} at start-up). Carriers see the change at their next
     * cycle; cycles timed before it are still recorded.
     *
     * @throws IllegalArgumentException if period is not a power of two in 1..128
     */
    public static void setSchedStatsSampling(boolean on, int period) {
        get().stats.setSampling(on, period);
    }

    /** The period set at start-up ({@code -Dgort.schedstats.sample}), for tests and benchmarks that switch the sampling. */
    public static int schedStatsSample() {
        return get().config.schedStatsSample();
    }

    /** Tests: sets the spin before park (read by each wait; not for use while busy). */
    public static void setSpinNanosForTests(long nanos) {
        get().wake.spinNanos = nanos;
    }

    /** Tests: how long the runtime stays idle before its idle carriers end (read at each idle sleep of sysmon). */
    public static void setCarrierKeepAliveForTests(java.time.Duration d) {
        get().sysmon.carrierKeepAliveNanos = delayNanos(d);
    }

    /** Carriers alive now, and carriers retired after an idleness so far (tests). */
    public long[] carriersForTests() {
        synchronized (idle.lock) {
            return new long[] {idle.mcount, idle.retiredCarriers};
        }
    }

    /**
     * Tests: sets (null: removes) a hook run by each M that takes the timer-sleeper role, on its
     * thread, just before it reads the earliest timer (lets a test delete that timer in between).
     */
    public static void setSleeperHookForTests(Runnable hook) {
        Timers.sleeperHookForTests = hook;
    }
}
