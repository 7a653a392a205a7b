package dev.gort.sched;

import java.util.concurrent.locks.LockSupport;

/**
 * The system monitor (Go's {@code sysmon}): a platform daemon thread, outside the Ps.
 *
 * <p>It sleeps 20 us, doubling up to 10 ms once it has had nothing to do for 50 rounds (up to
 * {@link #BUSY_DELAY} while goroutines wait for a P), and on each wake-up:
 * <ul>
 *   <li>notes, per running P, when its schedtick last moved; a P whose goroutine has run a whole
 *       time slice gets a preemption request, honoured at the goroutine's next safepoint;</li>
 *   <li>hands the P of a carrier blocked in a call Gort was not told about (a JDK sleep, lock
 *       or wait, blocking JDK I/O, a JDBC driver) on: once a round finds the carrier blocked
 *       ({@link #watchCarrier}) with the same goroutine on the P as the round before, the P is
 *       marked stuck and a spare P with its queued goroutines and timers goes to another
 *       carrier ({@link Procs#markStuck}); see {@link #retake};</li>
 *   <li>sleeps while the runtime is idle (every P idle, nothing in a blocking call, no Go.run
 *       waiting, no schedtrace to print), woken by {@link #wake()} when a P is started or a
 *       Go.run begins; after a minute of it ({@link #CARRIER_KEEP_ALIVE_NANOS}) it ends the idle
 *       carriers but a timer sleeper that watches a timer or I/O ({@link Idle#retireIdleCarriers}) and sleeps on without a
 *       timeout;</li>
 *   <li>does not count time in which it did not run itself (a GC pause stops every Java
 *       thread) as running time of the goroutines; nor, where a {@link SchedulerHooks} reports
 *       them ({@link #discountPauses}), the GC pauses too short for that guess;</li>
 *   <li>polls the network ({@link NetpollDriver}) when goroutines wait for I/O, nobody has
 *       polled for 10 ms and no carrier blocks in the poller (Go's sysmon does the same);</li>
 *   <li>pays or drops the wake-ups Ps owe ({@link WakePolicy#payOwedWakes}), with rounds of at
 *       most {@link #OWED_DELAY} while a debt is outstanding;</li>
 *   <li>prints the schedtrace line every {@code -Dgort.schedtrace=MS}, after a first line with the
 *       configuration;</li>
 *   <li>detects deadlock for {@code Go.run} ({@link Deadlock#check}): the same quiescent snapshot
 *       (nothing runnable, running, spinning or in a blocking call, no timer armed, no I/O
 *       awaited, no scheduling in between) on four consecutive rounds spanning at least
 *       {@link Deadlock#CONFIRM_NANOS}.</li>
 * </ul>
 * Its notes on each P ({@link P#sysmonTick}, {@link P#sysmonWhen}) are its own; it reads the
 * rest racily, which is fine for heuristics that only ever cause an early or late yield.
 */
final class Sysmon implements Runnable {
    private static final long MIN_DELAY = 20_000L;
    private static final long MAX_DELAY = 10_000_000L;
    /** The longest round while a P owes a wake-up (WakePolicy.payOwedWakes): debts wait at most ~2 of these. */
    static final long OWED_DELAY = 200_000L;
    /** The longest round while goroutines wait for a P ({@link #workWaits}). */
    static final long BUSY_DELAY = 1_000_000L;
    /** sysmon slept this much longer than asked: it was stopped (GC) or starved of CPU. */
    private static final long OVERSLEEP_NANOS = 5_000_000L;

    private final Scheduler sched;
    private final long traceMillis;
    private final Thread thread;
    /** Written by sysmon each round; read by anyone as a coarse clock. */
    volatile long coarseNanos = System.nanoTime();
    /** sysmon is parked until {@link #wake()} because the runtime is idle (see {@link #idle()}). */
    private volatile boolean sleeping;
    /** Rounds done (a metric, and how tests see that an idle runtime does not poll; the idle sleep is not a round). */
    volatile long rounds;
    /** Set once by {@link #stop()} (the runtime stopped): the loop ends at its next look. */
    private volatile boolean stopped;

    /** Goroutines from sysmon's own polls (reused). */
    private final java.util.ArrayList<G> polled = new java.util.ArrayList<>();
    private long nextTrace;
    /** The hooks' pause total ({@link SchedulerHooks#pausedNanos}) at the last round (sysmon only). */
    private long pausedSeen;

    Sysmon(Scheduler sched, long traceMillis) {
        this.sched = sched;
        this.traceMillis = traceMillis;
        this.schedulerLockHash = System.identityHashCode(sched.idle.lock);
        this.thread = new Thread(null, this, "gort-sysmon", 0, false);
        thread.setDaemon(true);
    }

    void start() {
        if (traceMillis > 0) System.out.println(sched.diagnostics.schedtraceConfigLine());
        nextTrace = System.nanoTime() + traceMillis * 1_000_000L;
        pausedSeen = pausedNanos(); // before the thread starts, which it happens-before
        thread.start();
    }

    /**
     * Ends sysmon (Go.shutdown): stores {@link #stopped}, then unparks the thread; the loop reads
     * it before every park and after every round, and the unpark's permit makes a park that
     * starts after the store return at once.
     */
    void stop() {
        stopped = true;
        LockSupport.unpark(thread);
    }

    Thread thread() {
        return thread;
    }

    /** How long the runtime stays idle before its idle carriers end (the JDK's ForkJoinPool's keepAlive). */
    static final long CARRIER_KEEP_ALIVE_NANOS = 60_000_000_000L;
    /** {@link #CARRIER_KEEP_ALIVE_NANOS}, or a test's value ({@link Scheduler#setCarrierKeepAliveForTests}). */
    volatile long carrierKeepAliveNanos = CARRIER_KEEP_ALIVE_NANOS;

    /**
     * sysmon's sleep while the runtime is idle, until {@link #wake()}: after the carriers'
     * keep-alive of it, the idle carriers end ({@link Idle#retireIdleCarriers}) and sysmon sleeps
     * on untimed. Returns early on a wake-up (or a spurious return: the caller's loop looks again,
     * and the keep-alive starts over).
     */
    private void parkIdle() {
        long keepAlive = carrierKeepAliveNanos;
        long start = System.nanoTime();
        LockSupport.parkNanos(this, keepAlive);
        if (System.nanoTime() - start >= keepAlive && idle() && !stopped) {
            sched.idle.retireIdleCarriers();
            if (idle() && !stopped) LockSupport.park(this);
        }
    }

    /**
     * Only the runtime's stop ends sysmon ({@link #stop()}): without it no goroutine is
     * preempted, no blocked carrier's P is retaken, no deadlock is reported. An error escaping a round (out of memory while adding a
     * spare P or taking a snapshot) is reported without allocating, rate-limited, and the loop
     * starts over; the round's decisions are retried on the next rounds (see Procs.markStuck: what it
     * allocates, it allocates before changing anything).
     */
    @Override
    public void run() {
        while (!stopped) {
            try {
                loop();
            } catch (Throwable t) {
                failed(t);
                LockSupport.parkNanos(MIN_DELAY); // not a hot loop if it fails again at once
            }
        }
    }

    private static final byte[] FAILED = ErrorOut.bytes("gort: sysmon: ");
    private static final byte[] GOING_ON = ErrorOut.bytes("; going on");
    private final ErrorOut.RateLimit reports = new ErrorOut.RateLimit();

    /** Reports t without allocating (see {@link ErrorOut}); at most one report a second. */
    private void failed(Throwable t) {
        if (!reports.allow()) return;
        synchronized (ErrorOut.LOCK) {
            ErrorOut.write(FAILED);
            ErrorOut.write(t);
            ErrorOut.write(GOING_ON);
            ErrorOut.newline();
        }
    }

    private void loop() {
        long delay = MIN_DELAY;
        int idleRounds = 0;
        long last = System.nanoTime();
        while (!stopped) {
            if (idle()) {
                // Nothing runs, nothing can become stuck, nobody waits for deadlock detection:
                // sleep until a P gets busy again (Go's sysmon does the same). Dekker with
                // wake(): store sleeping, then re-check; the waker changes the counts, then
                // reads sleeping.
                sleeping = true;
                if (idle() && !stopped) {
                    parkIdle();
                }
                sleeping = false;
                delay = MIN_DELAY;
                idleRounds = 0;
                last = System.nanoTime();
                coarseNanos = last;
                restartClocks(last);
                pausedSeen = pausedNanos(); // pauses while idle stopped nothing that runs now
                continue;
            }
            LockSupport.parkNanos(delay);
            rounds++;
            long now = System.nanoTime();
            coarseNanos = now;
            boolean acted = false;
            try {
                discountPauses(now);
                if (now - last > delay + OVERSLEEP_NANOS) {
                    // sysmon itself did not run for a while: a GC pause (every Java thread was
                    // stopped) or an overloaded machine. Whatever the goroutines seemed to do in
                    // that interval is not their doing: start their clocks again.
                    restartClocks(now);
                    sched.deadlock.forget(); // nor can sysmon vouch that nothing ran meanwhile
                } else {
                    acted = retake(now);
                }
                sched.admission.sysmonRound();
                if (sched.wake.payOwedWakes(now)) {
                    delay = Math.min(delay, OWED_DELAY); // a debt is paid within two short rounds
                }
                if (traceMillis > 0 && now - nextTrace >= 0) {
                    String trace = sched.diagnostics.schedtrace();
                    // One println with the detail lines, so that no other output splits them from their SCHED line.
                    System.out.println(sched.config.schedDetail() ? trace + '\n' + sched.diagnostics.schedDetail() : trace);
                    nextTrace = now + traceMillis * 1_000_000L;
                }
                if (sched.polling.sysmonPoll(now, polled)) acted = true;
                sched.deadlock.check(now);
            } catch (Throwable t) {
                failed(t);
            }
            last = now;
            if (acted) {
                idleRounds = 0;
                delay = MIN_DELAY;
            } else if (++idleRounds > 50) {
                delay = Math.min(delay * 2, MAX_DELAY);
            }
            if (delay > BUSY_DELAY && workWaits()) {
                delay = BUSY_DELAY; // a carrier that blocks meanwhile leaves that work waiting at most this long
            }
        }
    }

    /** Goroutines wait in a queue while no P is idle: the work a blocked carrier's P would hold up. */
    private boolean workWaits() {
        return sched.idle.npidle.get() == 0 && (!sched.global.isEmpty() || sched.procs.anyLocalWork());
    }

    /** Every P idle, no M in a blocking call, no Go.run waiting, no schedtrace to print. */
    private boolean idle() {
        return traceMillis == 0 && sched.idle.npidle.get() == sched.procs.allp().length
            && sched.syscalls.nmsys.get() == 0 && sched.deadlock.runs.isEmpty();
    }

    /** Called when a P gets busy or a Go.run starts: ends an idle sleep. */
    void wake() {
        if (sleeping) {
            LockSupport.unpark(thread);
        }
    }

    /**
     * The GC pauses since the last round, as the hooks report them ({@link SchedulerHooks#pausedNanos}):
     * the world was stopped for that long within (last round, now], so each running P's slice
     * started that much later as far as its goroutine is concerned (never later than now: the
     * pause may have come before a slice that started this round), and a CPU-time window of a
     * watched carrier that spans it says nothing. Oversleep (below) catches only pauses longer
     * than {@link #OVERSLEEP_NANOS} past sysmon's own wake-up; this takes off every pause, at a
     * read of the collectors' counters per round, only where a hook is installed.
     */
    private void discountPauses(long now) {
        long paused = pausedNanos();
        long d = paused - pausedSeen;
        pausedSeen = paused;
        if (d <= 0) return;
        for (P p : sched.procs.allp()) {
            long when = p.sysmonWhen + d;
            p.sysmonWhen = when - now > 0 ? now : when;
            p.watchG = null;
        }
    }

    /**
     * Has the world been stopped since this round's {@link #discountPauses}? A round that a pause
     * interrupts saw the goroutines' clocks and carriers before it (a carrier waiting at the
     * pause's safepoint looks blocked to the kernel): its decisions wait for the next round.
     * Read only before a preemption or a retake, which are rare.
     */
    private boolean pausedThisRound() {
        return sched.hooks.length > 0 && pausedNanos() != pausedSeen;
    }

    /** The hooks' pause total, 0 without hooks; a hook that throws is reported and counts 0. */
    private long pausedNanos() {
        SchedulerHooks[] hooks = sched.hooks;
        long sum = 0;
        for (SchedulerHooks h : hooks) {
            try {
                sum += h.pausedNanos();
            } catch (Throwable t) {
                failed(t);
            }
        }
        return sum;
    }

    private void restartClocks(long now) {
        for (P p : sched.procs.allp()) {
            p.sysmonWhen = now;
            p.watchG = null; // a CPU-time window that spans the pause says nothing
        }
    }

    /** What a look at a carrier found (see {@link #watchCarrier}). */
    private static final int UNSURE = 0, BLOCKED = 1, COMPUTING = 2;
    /** The first CPU-time window of a watch; each window that finds the carrier computing doubles it... */
    static final long WATCH_MIN_NANOS = 50_000L;
    /** ... up to this: a goroutine that computes and then blocks in native code is seen within two of these. */
    static final long WATCH_MAX_NANOS = 1_000_000L;

    /**
     * Is the carrier of p's goroutine g, which has held p since at least the last round, blocked in
     * a call Gort was not told about (Go's P in a syscall, found without entersyscall)? Called on
     * every round while g keeps p.
     * <ul>
     *   <li>A carrier in a JDK wait ({@code Thread.sleep}, a monitor, {@code LockSupport.park},
     *       {@code Object.wait}: thread state BLOCKED, WAITING or TIMED_WAITING) is blocked for
     *       certain, unless the monitor it waits for is the scheduler's own
     *       ({@link #blockedOnSchedulerLock}). The runtime itself never parks a carrier that
     *       has a goroutine RUNNING on a P (a pinned or locked goroutine's park hands its P off
     *       first).</li>
     *   <li>A RUNNABLE carrier is computing or in native code (the JDK's socket and file I/O
     *       report RUNNABLE). Its CPU time tells (a thread CPU clock read, no allocation): a
     *       window of {@link #WATCH_MIN_NANOS}, doubling up to {@link #WATCH_MAX_NANOS} while it
     *       computes; a carrier that used under half of its window is blocked or waiting for a
     *       CPU, and the kernel tells those apart ('S' or 'D' in /proc on Linux, read only then,
     *       so not for a goroutine that computes), on two windows in a row (a running Java
     *       thread sleeps in the kernel for a moment whenever the JVM stops it). Where the
     *       kernel's view is not available, a carrier that used under a tenth of two windows in
     *       a row is taken as blocked.</li>
     * </ul>
     * A goroutine that computes, or a carrier the OS leaves waiting for a CPU, is not blocked: a
     * spare P would only add a thread competing for the same CPUs. The notes it keeps on p
     * ({@code P.watch*}) are sysmon's own.
     */
    private int watchCarrier(P p, M m, G g, int tick, long now) {
        boolean fresh = p.watchG != g || p.watchTick != tick;
        if (fresh) {
            p.watchG = g;
            p.watchTick = tick;
            p.watchWhen = now;
            p.watchGap = WATCH_MIN_NANOS;
            p.watchSleeps = 0;
            p.watchCpu = cpuTime(m.thread);
        }
        Thread.State st = m.thread.getState();
        if (st == Thread.State.WAITING || st == Thread.State.TIMED_WAITING) {
            return BLOCKED;
        }
        if (st == Thread.State.BLOCKED) {
            return blockedOnSchedulerLock(m) ? UNSURE : BLOCKED;
        }
        long wall = now - p.watchWhen;
        if (fresh || wall < p.watchGap) return UNSURE;
        long cpu = cpuTime(m.thread);
        boolean known = cpu >= 0 && p.watchCpu >= 0;
        long used = cpu - p.watchCpu;
        p.watchWhen = now;
        p.watchCpu = cpu;
        if (known && used * 2 >= wall) {
            p.watchSleeps = 0;
            p.watchGap = Math.min(p.watchGap * 2, WATCH_MAX_NANOS);
            return COMPUTING;
        }
        char k = m.kernelState();
        if (k != 0) {
            if (k == 'S' || k == 'D') {
                // Twice in a row: a RUNNABLE Java thread also sleeps in the kernel for a moment
                // while the JVM stops it (a safepoint, a handshake, a deoptimization), which on
                // a loaded machine can fill a window; a blocking call stays asleep.
                return ++p.watchSleeps >= 2 ? BLOCKED : UNSURE;
            }
            p.watchSleeps = 0;
            p.watchGap = Math.min(p.watchGap * 2, WATCH_MAX_NANOS); // 'R': waiting for a CPU; look again later
            return COMPUTING;
        }
        return known && used * 10 < wall && ++p.watchSleeps >= 2 ? BLOCKED : UNSURE;
    }

    /**
     * Is m's carrier waiting for the scheduler's own monitor ({@link Idle#lock}, which goroutines
     * take in Go.spawn's wake-ups, Go.metrics and the like)? That is the runtime's business, not
     * a blocking call: its holder runs on (on a loaded machine it may wait for a CPU for a few
     * milliseconds), and a spare P would only add a thread. Asked only when a look finds the
     * carrier BLOCKED; the JVM answers without a safepoint (no stack is asked for).
     */
    private boolean blockedOnSchedulerLock(M m) {
        if (THREADS == null) return false;
        java.lang.management.ThreadInfo info = THREADS.getThreadInfo(m.thread.threadId(), 0);
        java.lang.management.LockInfo lock = info != null ? info.getLockInfo() : null;
        return lock != null && lock.getIdentityHashCode() == schedulerLockHash
            && lock.getClassName().equals(sched.idle.lock.getClass().getName());
    }

    private final int schedulerLockHash;
    /** The JVM's thread bean, or null without java.management (a trimmed runtime). */
    private static final java.lang.management.ThreadMXBean THREADS = threadBean();
    /** Whether THREADS reports threads' CPU time. */
    private static final boolean CPU_TIME = THREADS != null && THREADS.isThreadCpuTimeSupported();

    private static java.lang.management.ThreadMXBean threadBean() {
        try {
            return java.lang.management.ManagementFactory.getThreadMXBean();
        } catch (Throwable t) { // java.management absent from a trimmed runtime
            return null;
        }
    }

    /** CPU time of a thread in ns, or -1 when the platform cannot tell. */
    private static long cpuTime(Thread t) {
        return CPU_TIME ? THREADS.getThreadCpuTime(t.threadId()) : -1;
    }

    /**
     * Preempts long-running goroutines and hands the Ps of blocked carriers on (Go's retake): a
     * P whose goroutine has blocked its carrier ({@link #watchCarrier}) gets a spare P beside it
     * at once ({@link Procs#markStuck}), unless nothing waits for it: its queue is empty, it has
     * no timer, some P is idle or some carrier spins (they take new work), and it has run for
     * less than {@link #IDLE_HANDOFF_NANOS} (Go's rule, which spares a thread for a short call
     * when the runtime has room). The goroutine is asked to yield at the same time, so that once its call
     * returns it gives the spare back at its next safepoint (Go's exitsyscall).
     */
    private boolean retake(long now) {
        boolean acted = false;
        Idle idle = sched.idle;
        for (P p : sched.procs.allp()) {
            if (p.status != P.RUNNING) {
                p.sysmonWhen = now;
                if (p.stuck && p.status == P.IDLE) sched.procs.unstick(p); // left its goroutine's M (see below)
                continue;
            }
            int tick = p.schedtickOpaque();
            if (tick != p.sysmonTick) {
                p.sysmonTick = tick;
                p.sysmonWhen = now;
                continue;
            }
            long ran = now - p.sysmonWhen;
            M m = p.m;
            G g = m != null ? m.curgAcquire() : null;
            if (g == null) continue;
            if (p.stuck && g != p.stuckG) {
                // The stuck goroutine left this P without coming back through execute (its M
                // handed the P off: a pinned park, Go.blocking), and another runs here now: the
                // spare added for it is one too many.
                sched.procs.unstick(p);
            }
            if (!p.stuck && g.status() == G.RUNNING && watchCarrier(p, m, g, tick, now) == BLOCKED
                && (!p.steal.isEmpty() || p.timers.next != Long.MAX_VALUE
                    || idle.npidle.get() + idle.nmspinning.get() == 0 || ran >= IDLE_HANDOFF_NANOS)
                && !pausedThisRound() && sched.procs.markStuck(p)) {
                requestPreemption(p, g, tick, Preemption.STUCK_CARRIER);
                acted = true;
                continue;
            }
            if (ran < Scheduler.TIME_SLICE_NANOS) continue;
            if (pausedThisRound()) continue; // ran may include it: decide next round, with the pause taken off
            if (p.sysmonPreemptTick != tick || p.sysmonPreemptG != g) {
                // First request in this slice.
                requestPreemption(p, g, tick, Preemption.TIME_SLICE);
                acted = true;
            } else if (p.stuck && p.sysmonClassInitChecked != g && g.status() == G.RUNNING
                       && ran >= CLASS_INIT_REPORT_NANOS) {
                p.sysmonClassInitChecked = g; // one look per goroutine stuck on this P
                reportClassInitWait(g, m, ran);
            }
        }
        return acted;
    }

    /** A blocked carrier whose P has nothing queued and room elsewhere is handed off after this long. */
    static final long IDLE_HANDOFF_NANOS = 10_000_000L;

    private static void requestPreemption(P p, G g, int tick, byte cause) {
        p.sysmonPreemptTick = tick;
        p.sysmonPreemptG = g;
        Preemption.request(g, cause);
    }

    /** How long a goroutine's carrier waits for a class's initialization before sysmon says so. */
    static final long CLASS_INIT_REPORT_NANOS = 10_000_000_000L;

    /**
     * A goroutine whose carrier has waited {@link #CLASS_INIT_REPORT_NANOS} for another thread to
     * finish initializing a class (see {@link Diagnostics#waitsForClassInit}): two goroutines whose
     * static initializers need each other's class wait so forever, and the JVM reports neither
     * (their carriers are RUNNABLE, with no lock; {@code ThreadMXBean.findDeadlockedThreads}
     * finds nothing), nor can Go.run's deadlock detection, which sees them running. So sysmon
     * says it once per goroutine, on standard error, with the frame that touched the class; it
     * cannot tell a deadlock from a slow initializer, so it reports and never ends anything.
     * Linux only (it needs the kernel's thread state).
     */
    private static void reportClassInitWait(G g, M m, long waitedNanos) {
        StackTraceElement[] stack = m.thread.getStackTrace();
        if (m.curgAcquire() != g || !Diagnostics.waitsForClassInit(m, stack)) return;
        System.err.println("gort: goroutine " + g.id + (g.name() != null ? " \"" + g.name() + "\"" : "")
            + " has waited " + waitedNanos / 1_000_000_000L + " s for another thread to initialize a class, at "
            + (stack.length > 0 ? stack[0] : "?") + ": a class-initialization deadlock? (Go.dump() shows every goroutine)");
    }
}
