package dev.gort.sched;

/**
 * A processor (Go's {@code p}): the right to run goroutines. An M runs goroutines only while it
 * holds a P; there are {@code maxProcs} of them (plus spares while a carrier is stuck, see
 * {@link Procs}, "Stuck carriers").
 *
 * <p>Owner: the M in {@link #m} (set by acquire, cleared by release under {@link Idle#lock} or
 * by the hand-off protocol). The owner alone writes {@link #schedtick} and uses {@link #runq};
 * others reach the run queue only through {@link #steal} and read the rest racily (sysmon, traces).
 */
public final class P {
    static final int IDLE = 0, RUNNING = 1, DEAD = 2;

    final int id;
    /** The run queue as its owner sees it: put and poll, only by the M holding this P. */
    final RunQueue.Owner runq = new RunQueue.Owner();
    /** The same run queue as every other thread sees it: steals and estimates. */
    final RunQueue.Thief steal = runq.thief();
    /** This P's timers (Go's per-P timer heap). */
    final TimerHeap timers = new TimerHeap();
    /**
     * Incremented by the owner at every goroutine it runs (opaque store: no fence on the hot
     * path); sysmon and the deadlock check read it (opaque) to see progress.
     */
    private int schedtick;
    /** IDLE (on the idle list), RUNNING (held by an M), DEAD (retired by setMaxProcs or after a spare's use). */
    volatile int status = IDLE;
    /** The holding M, or null when idle. */
    volatile M m;
    /** Set by sysmon when the holder's goroutine blocks its carrier (Procs.markStuck); cleared by Procs.unstick. */
    volatile boolean stuck;
    /** The goroutine whose blocked carrier made this P stuck. Written under Idle.lock with {@link #stuck}. */
    G stuckG;
    /** Goroutine ids handed out by this P: [idNext, idEnd). Owner only. */
    long idNext, idEnd;
    /**
     * Goroutines spawned on and ended on this P: written by the owner only (opaque), summed by
     * numGoroutine (each may be off for a moment; the balance of one P may be negative, the sum
     * is right at rest).
     */
    private long spawned, exited;
    /** The sampled distributions recorded here (null without HdrHistogram): written by the owner only (see SchedHistograms). */
    final SchedHistograms.PerP histograms = SchedStats.newPerP();
    /** Successful steals by this P's carrier: written by the owner only (opaque store, no fence); read opaque. */
    private long steals;
    /** Idle-list link; guarded by {@link Idle#lock}. */
    P idleNext;

    // sysmon's own notes (sysmon thread only)
    int sysmonTick;
    long sysmonWhen;
    int sysmonPreemptTick;
    G sysmonPreemptG;
    /** The goroutine and tick whose carrier sysmon watches for a blocking call (Sysmon.watchCarrier). */
    G watchG;
    int watchTick;
    /** Start of the current watch window, the carrier's CPU time then (-1: unknown), the window's length. */
    long watchWhen, watchCpu, watchGap;
    /** Windows in a row in which the RUNNABLE carrier slept in the kernel (Sysmon.watchCarrier). */
    int watchSleeps;
    /** The goroutine stuck here that sysmon last looked at for a class-initialization wait (Sysmon.reportClassInitWait). */
    G sysmonClassInitChecked;
    /** The goroutine running here at the last round with the memory gate closed, and its carrier's allocated bytes then (Admission.sysmonRound). */
    G memG;
    long memAllocated;

    /**
     * Set while a goroutine on this P spin-waits with its partner in runnext (see
     * WakePolicy.spinBeforePark): thieves may take runnext at once instead of leaving it to the
     * owner. Written by the owner, cleared by the spinning goroutine when its spin ends (it may
     * have moved on to another P by then: harmless, the flag is a hint and a stale value only
     * hastens or delays one steal).
     */
    volatile boolean offersRunnext;

    /**
     * A wake-up owed (WakePolicy.readied, -Dgort.deferwake): a goroutine running here readied another into this P's
     * runnext, with nothing else queued here, and did not start another carrier for it: the
     * waker usually parks at once (a channel hand-off), and then this P runs the readied
     * goroutine itself; a futex wake of an idle carrier would only make it spin and find
     * nothing. The debt is settled by this P's carrier when the running goroutine leaves it
     * (execute: nothing owed any more), or by sysmon (wakep) if the waker keeps running past a
     * sysmon tick. Set by the goroutine on this P, cleared by its carrier or by sysmon; a lost
     * race costs at most one extra wakep.
     */
    volatile boolean wakeOwed;

    /**
     * A wake-up owed for a netpoll batch (WakePolicy.afterPollBatch, -Dgort.pollwake=owed): this P's
     * carrier put several goroutines from one poll into its own ring and woke nobody. It usually
     * runs them all before a woken carrier would be up and stealing (a request costs
     * microseconds; a futex wake, a spin and a steal about as much), and where the CPUs are shared
     * (W8: wrk on the same 2 cores) a second carrier woken per batch competes with the load
     * generator and is descheduled with stolen work in hand: that was W8's p99 tail. The value:
     * the {@link System#nanoTime()} (made odd, never 0) of the first batch not yet drained, 0
     * when nothing is owed. Set by this P's carrier; cleared by it when its ring runs dry
     * (findRunnable), or by sysmon, which pays the wake-up (wakep) when the P makes no progress
     * or the ring stays non-empty too long (WakePolicy.payOwedWakes). Clears are CASes from
     * the value read, so a stale clear never erases a newer debt; a lost race costs at most one
     * extra wakep, or one sysmon round of delay.
     */
    volatile long pollOwedSince;
    /** sysmon's: this P's schedtick at its last round while the P owed a wake-up (-1: none owed then). */
    int sysmonDebtTick = -1;


    static final java.lang.invoke.VarHandle POLL_OWED_SINCE;
    private static final java.lang.invoke.VarHandle SCHEDTICK;
    private static final java.lang.invoke.VarHandle SPAWNED;
    private static final java.lang.invoke.VarHandle EXITED;
    private static final java.lang.invoke.VarHandle STEALS;

    static {
        try {
            java.lang.invoke.MethodHandles.Lookup l = java.lang.invoke.MethodHandles.lookup();
            SCHEDTICK = l.findVarHandle(P.class, "schedtick", int.class);
            POLL_OWED_SINCE = l.findVarHandle(P.class, "pollOwedSince", long.class);
            SPAWNED = l.findVarHandle(P.class, "spawned", long.class);
            EXITED = l.findVarHandle(P.class, "exited", long.class);
            STEALS = l.findVarHandle(P.class, "steals", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    P(int id) {
        this.id = id;
        // Not 0: findRunnable takes from the global queue first when schedtick % 61 == 0, and a
        // spare P (Procs.markStuck) must start with what it was handed, its runnext first, not
        // with the global queue's head (under a blocking fan-out each new spare would otherwise
        // run a new blocker first and hand its runnext on, again and again).
        this.schedtick = 1;
    }

    /** Owner only: one more goroutine scheduled; returns the new tick. */
    int tick() {
        int t = schedtick + 1;
        SCHEDTICK.setOpaque(this, t);
        return t;
    }

    /** Owner: its own last write. */
    int schedtick() {
        return schedtick;
    }

    /** Owner: a goroutine was spawned here. */
    void spawned() {
        SPAWNED.setOpaque(this, spawned + 1);
    }

    /** Owner: a goroutine ended here. */
    void exited() {
        EXITED.setOpaque(this, exited + 1);
    }

    /** Owner: a steal from another P succeeded. */
    void stole() {
        STEALS.setOpaque(this, steals + 1);
    }

    /** Any thread: successful steals by this P (an estimate while the owner runs). */
    long stealsOpaque() {
        return (long) STEALS.getOpaque(this);
    }

    /** Any thread: goroutines ended here (an estimate while the owner runs). */
    long exitedOpaque() {
        return (long) EXITED.getOpaque(this);
    }

    /** Any thread: spawned minus ended here (an estimate while the owner runs). */
    long balance() {
        return (long) SPAWNED.getOpaque(this) - (long) EXITED.getOpaque(this);
    }

    /** Any thread: an eventually up-to-date view of the tick. */
    int schedtickOpaque() {
        return (int) SCHEDTICK.getOpaque(this);
    }
}
