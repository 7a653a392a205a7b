package dev.gort.sched;

/**
 * The carrier loop (Go's {@code schedule}, {@code execute}, {@code findRunnable}): what an M does
 * with its P, forever: find a goroutine, run it until it yields, parks or ends, deal with why it
 * stopped, and go idle when there is nothing to find.
 *
 * <h2>Finding work ({@link #findRunnable})</h2>
 * On its own P, in this order: retire the P or give it to a P-waiter if asked to; run due timers;
 * every 61st tick one goroutine of the global queue (so that it is not starved by two goroutines
 * handing off to each other in runnext); runnext, then the local ring; a batch of the global queue
 * ({@link #globrunqget}); a non-blocking network poll ({@link Polling#pollNow}); stealing, while
 * spinners are fewer than half the busy Ps (4 rounds over the other Ps from a random start, half a
 * victim's ring, its runnext only in the last round: {@link #stealWork}); nothing: release the P,
 * re-check every queue (the spinner's half of "Spinning and wake-ups", {@link WakePolicy}), and
 * park the M: as the timer sleeper if a timer is armed or I/O awaited and nobody holds the role
 * ({@link Timers#stopmUntilTimer}), else plainly ({@link Idle#stopm}); an M without a P waits for
 * one there too. It returns only with a goroutine, so that the loop around it ({@link #schedule})
 * has no branch the JIT could compile as an uncommon trap (see there).
 *
 * <h2>Running a goroutine ({@link #execute})</h2>
 * RUNNABLE -> RUNNING (release store: the goroutine's fields written by the queuer are ordered
 * by the run queue), mount, run; back on the carrier, by the goroutine's {@link G#yieldKind}:
 * a park sets WAITING and runs the commit (see Scheduler, "Parking"), a yield or preemption puts
 * it on the global queue, an end counts it out. An owed wake-up is dropped here (the goroutine
 * that owed it has left the carrier: {@link WakePolicy#carrierUnmounted}), and a stuck P whose
 * goroutine came back is unstuck ({@link Procs#unstick}).
 *
 * <h2>Allocation accounting ({@code gort.allocstats})</h2>
 * When on, {@link #execute} reads the carrier's allocated-bytes counter ({@link AllocCounter})
 * just before the mount and just after the goroutine comes back, and adds the difference to the
 * goroutine ({@link G#addAllocated}) and to the carrier's total ({@link M#addGoroutineAllocated}),
 * before the goroutine is passed on. The two reads bracket exactly the slice, a blocking call's
 * time off the P included (it runs on this carrier); the scheduler's own work between slices is
 * nobody's. Off, the hot path pays one well-predicted branch on a final field per mount and
 * per unmount. Why off by default: {@link SchedulerConfig#ALLOC_STATS_DEFAULT}.
 *
 * <p>State: the rate limit of its out-of-memory reports, and the goroutine bytes of carriers
 * that ended ({@link #endedCarriersAllocated}). The M and its P are the carrier thread's own
 * while it holds the P (see {@link P}, {@link M}).
 */
final class Schedule {
    private final Scheduler s;
    private final GlobalQueue global;
    private final Idle idle;
    private final Procs procs;
    private final WakePolicy wake;
    private final Admission admission;
    private final SchedStats stats;

    private static final byte[] CARRIER_FATAL = ErrorOut.bytes("gort: fatal error in carrier ");
    private static final byte[] CARRIER_OOM = ErrorOut.bytes("gort: out of memory in the scheduler; going on: carrier ");
    private final ErrorOut.RateLimit carrierOomReports = new ErrorOut.RateLimit();
    /** {@code gort.allocstats}: count the bytes each goroutine slice allocates. */
    private final boolean allocStats;
    /**
     * The goroutine bytes of carriers whose threads ended ({@link M#goroutineAllocated()}),
     * guarded by {@link Idle#lock}: an ending carrier adds its total here and zeroes its own
     * under the lock, and {@link #goroutineAllocated()} sums both under it, so each carrier's
     * bytes count once, before and after it ends.
     */
    private long endedCarriersAllocated;

    Schedule(Scheduler s) {
        this.s = s;
        this.global = s.global;
        this.idle = s.idle;
        this.procs = s.procs;
        this.wake = s.wake;
        this.admission = s.admission;
        this.stats = s.stats;
        this.allocStats = s.config.allocStats();
    }

    /** Bytes allocated by goroutines on this runtime's carriers ({@code Go.metrics()}), or -1 when not counted. */
    long goroutineAllocated() {
        if (!allocStats) return -1;
        synchronized (idle.lock) {
            long total = endedCarriersAllocated;
            for (M m : idle.allm) total += m.goroutineAllocated();
            return total;
        }
    }

    /** The body of every carrier thread: takes the P startm handed over, then schedules until the runtime stops. */
    void carrierMain(M m) {
        m.learnTid();
        if (s.netpoll != null) m.cacheGroup = s.netpoll.carrierStarted(m.id);
        try {
            idle.acquirep(m, m.nextP);
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
        } catch (CarrierExit e) {
            // The runtime stopped (Scheduler.shutdown), or sysmon retired this idle carrier:
            // its thread ends here, and its goroutines' bytes stay in the runtime's total.
            if (allocStats) {
                synchronized (idle.lock) {
                    endedCarriersAllocated += m.goroutineAllocated();
                    m.addGoroutineAllocated(-m.goroutineAllocated());
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

    /**
     * One round of the carrier's scheduling loop: finds a goroutine and runs it, {@link #ROUND}
     * times; {@link #carrierMain} calls it forever.
     *
     * <p>Its shape is for the JIT. HotSpot compiles a branch that its profile never saw taken as
     * an uncommon trap: the first time it is taken, the compiled code is discarded, and the method
     * runs in the interpreter until the JIT compiles it again; for a loop that never returns, until
     * the interpreter asks for on-stack replacement (OSR) again. With a carrier's rare turns (it
     * lost its P, found nothing to run, stopped spinning) as branches of this loop, each such
     * trap left W4's carriers on 2 Ps scheduling in the interpreter for 1-13 s
     * (docs/BENCHMARKS.md, "Where W4's time goes"). So:
     * <ul>
     *   <li>the round has no branch of its own: {@link #findRunnable} never returns null (it
     *       waits for a P and for work itself) and settles a spinning carrier's count before it
     *       returns; it and {@link #execute} are too large to be inlined here (C2's
     *       {@code FreqInlineSize}, 325 bytes of bytecode), so their traps discard their own
     *       code, which the JIT recompiles like any hot method;</li>
     *   <li>the loop returns every {@link #ROUND} runs, so that it is compiled through the
     *       method's normal entry, not only by on-stack replacement (OSR): a frame whose OSR code
     *       was discarded (a class redefined under it, say) stays in the interpreter until the
     *       interpreter asks for OSR again, and a round leaves it within {@link #ROUND} runs
     *       ({@code CarrierLoopCompilationTest}).</li>
     * </ul>
     */
    private void schedule(M m) {
        for (int i = 0; i < ROUND; i++) {
            execute(m, findRunnable(m));
        }
    }

    /** Goroutine runs per call of {@link #schedule}: see there. */
    static final int ROUND = 64;

    /** Runs g until it yields, parks or ends, then deals with why it stopped. */
    private void execute(M m, G g) {
        if (g.yieldKind == G.YIELD_NEW) {
            if (admission.holdNew(m, g)) return; // held at the memory gate until it opens
            g.yieldKind = G.YIELD_NONE;
        }
        P p = m.p;
        p.tick();
        if (g.status() != G.RUNNABLE) {
            throw new IllegalStateException("gort: execute of " + g + " in status " + g.status());
        }
        if (SchedStats.timed(g)) stats.mounted(p, g); // a timed cycle: its scheduling latency
        g.setStatusRelease(G.RUNNING);
        g.m = m;
        m.setCurg(g);
        if (g.interruptsCarrier) mountInterruptible(g, m);
        if (allocStats) m.allocAtMount = AllocCounter.currentThreadAllocatedBytes();
        g.run();
        if (allocStats) countAllocation(m, g);
        m.setCurg(null);
        boolean ownFlag = takeCarrierFlag(g, m);
        Preemption.clear(g);
        WakePolicy.carrierUnmounted(p);
        p = m.p; // a pinned park or a blocking call may have changed it
        if (g.isDone()) {
            g.m = null;
            goexit(g, p); // ended with its own flag set: dropped with the goroutine
        } else {
            int kind = g.yieldKind;
            g.yieldKind = G.YIELD_NONE;
            switch (kind) {
                case G.YIELD_PARK -> {
                    ParkCommit c = g.commit;
                    g.commit = null;
                    g.m = null;
                    Bubble bubble = Bubble.active() ? Bubble.of(g) : null;
                    int parkSeq = bubble != null ? bubble.beginPark(g) : 0;
                    stats.leftRunning(g); // published with the status, before any waker can see it
                    g.setStatusRelease(G.WAITING); // published by the commit's lock release
                    if (c != null && !c.afterUnmount(g)) {
                        Scheduler.backFromWaiting(g, G.RUNNABLE);
                        if (ownFlag) g.interrupt(); // before the requeue: it runs on with its status set
                        p.runq.put(g, true, global);
                    } else if (ownFlag) {
                        // After the commit: the interrupt ends the wait the goroutine just parked
                        // in (an interruptible one), and its cancel needs the wait's lock, which
                        // the commit released. The goroutine may be running again elsewhere by
                        // now (woken meanwhile): then this is an interrupt like any other's.
                        g.interrupt();
                    }
                    if (bubble != null) bubble.parked(g, parkSeq); // may run the bubble's timers (see Bubble)
                }
                case G.YIELD_GOSCHED, G.YIELD_PREEMPT, G.YIELD_NO_P -> {
                    g.m = null;
                    g.setStatusRelease(G.RUNNABLE);
                    stats.leftRunning(g); // published by the requeue
                    if (ownFlag) g.interrupt(); // before the requeue: it resumes with its status set
                    global.put(g);
                    wake.wakep();
                }
                default -> throw new IllegalStateException("gort: " + g + " yielded with kind " + kind);
            }
        }
        if (p != null && p.stuck) {
            procs.unstick(p);
        }
    }

    /**
     * After a slice: the carrier's counter read again, the difference added to the goroutine and
     * to the carrier's total (both this thread's writes, before the goroutine is passed on; see
     * {@link G#addAllocated}). Nothing when the counting was switched off in the JVM meanwhile
     * (either read is -1).
     */
    private static void countAllocation(M m, G g) {
        long before = m.allocAtMount;
        long after = AllocCounter.currentThreadAllocatedBytes();
        m.allocAtMount = -1;
        if (before < 0 || after < before) return;
        long bytes = after - before;
        g.addAllocated(bytes);
        m.addGoroutineAllocated(bytes);
    }

    /**
     * Mount of a goroutine whose interrupts reach its carrier (see G.interrupt()): drop a stray
     * carrier flag, publish where it is mounted, then (Dekker with the interrupter) carry a
     * pending interrupt to the carrier.
     */
    private static void mountInterruptible(G g, M m) {
        // Every unmount clears the carrier's flag (takeCarrierFlag), so a flag found here was
        // set by a thread outside the runtime that interrupted the carrier thread itself: it is
        // nobody's, and the task must not see it.
        Thread.interrupted();
        ((G.CarrierInterrupting) g).mountedOn = m;
        if (g.isInterrupted()) m.thread.interrupt();
    }

    /**
     * Every unmount (park, yield, preemption, a blocking call's return without a P, the end):
     * the carrier's interrupt flag follows the goroutine. While a goroutine is mounted its
     * carrier's flag is the goroutine's; Java code restores an interrupt with
     * {@code Thread.currentThread().interrupt()} (the usual idiom in a catch block), which sets
     * it. Here the flag is cleared, so that it never reaches the next goroutine on this carrier
     * (which got InterruptedException from JDK waits it never asked for), and a flag the
     * goroutine set itself is returned, for the caller to make it the goroutine's interrupt
     * status ({@link G#interrupt()}): its next interruptible wait throws, as a thread's would.
     * A goroutine that ended drops it.
     *
     * <p>Invariant: a carrier's flag is clear whenever no goroutine is mounted on it (except for
     * a thread outside the runtime interrupting the carrier thread itself, which Gort cannot
     * attribute). Runs on the carrier thread, outside any continuation, so
     * {@code Thread.interrupted()} reads this carrier's flag (no CarrierLookup needed).
     *
     * <p>A goroutine whose interrupts reach its carrier ({@link G#interruptsCarrier}) first ends
     * the carrier protocol of {@link G#interrupt()}: mountedOn cleared (volatile store), then the
     * announced interrupters waited out (volatile load of {@link M}'s count: Dekker), so no
     * interrupter sets this flag after the clear below. For such a goroutine a flag found while
     * its status is set needs nothing: it is the status's mirror (or the task's own, which the
     * status already stands for). Re-applying a mirror as a new interrupt, after the goroutine
     * was requeued, would let it consume the status on another carrier first and then end its
     * next wait with the same interrupt. The goroutine does not run between here and the
     * requeue, and an interrupter mirrors only a set status, so a flag with the status clear is
     * the goroutine's own. A plain goroutine's flag is always its own (nothing mirrors to it),
     * set by the goroutine on this very thread, so program order is all the ordering its read
     * here needs. The status made of it is set by the getAndSet of G.interrupt() before the
     * requeue of a yield, whose run queue publishes it to the next carrier, or after a park's
     * commit, as any interrupter's.
     *
     * <p>Cost on the hot path: one read of the carrier thread's flag per unmount (the
     * goroutine's status is read only when the flag is set).
     *
     * @return true when the goroutine set the flag itself and its status is not set yet
     */
    private static boolean takeCarrierFlag(G g, M m) {
        if (g.interruptsCarrier) {
            ((G.CarrierInterrupting) g).mountedOn = null;
            m.awaitNoInterrupters();
        }
        return Thread.interrupted() && !g.isInterrupted();
    }

    /** findRunnable found g: a spinning m stops spinning first (Go's resetspinning). */
    private G found(M m, G g) {
        if (m.spinning) wake.spinnerFoundWork(m);
        return g;
    }

    private void goexit(G g, P p) {
        if (g.registered) s.registry.remove(g);
        g.waiter = null; // nobody touches it after its wake-up (see Waiter.current); a handle of the dead goroutine keeps none of its last wait
        s.syscalls.lockedGoroutineEnded(g);
        p.exited(); // p is never null here: a goroutine ends only on a carrier holding a P
        g.finish();
        if (Bubble.active()) {
            Bubble b = Bubble.of(g);
            if (b != null) b.exited(g);
        }
    }

    /**
     * Go's findRunnable: a goroutine to run, m holding a P; never null. While m has no P (it gave
     * it up here, or a P-waiter, retirement or a blocking call took it) m waits in
     * {@link Idle#stopm} for one. Every rare turn of the carrier loop is taken here, not in
     * {@link #schedule}: see there.
     */
    private G findRunnable(M m) {
        for (;;) {
            P p = m.p;
            if (p == null) {
                idle.stopm(m); // until a P is handed to m
                continue;
            }
            if ((procs.retiring() && procs.tryRetire(m)) || (idle.hasPWaiters() && idle.giveToWaiter(m))) {
                // m lost its P, and stopped spinning before it did (see Idle.stopSpinningLocked).
                afterGivingUpP();
                continue;
            }

            G g;
            long firstTimer = p.timers.next;
            if (firstTimer != Long.MAX_VALUE && firstTimer - System.nanoTime() <= 0) {
                Timers.runTimers(p, System.nanoTime()); // readies their goroutines into p's queue
            }
            if (p.schedtick() % 61 == 0 && !global.isEmpty() && (g = global.pollInto(p.runq)) != null) {
                return found(m, g);
            }
            if ((g = p.runq.poll()) != null) return found(m, g);
            long owedSince = p.pollOwedSince;
            if (owedSince != 0) P.POLL_OWED_SINCE.compareAndSet(p, owedSince, 0L); // ran it all ourselves
            if ((g = globrunqget(p, 0)) != null) return found(m, g);
            Polling polling = s.polling;
            if (polling.hasWaiters() && !polling.pollerBlocked() && (g = polling.pollNow(m, p)) != null) return found(m, g);

            P[] ps = procs.allp();
            if (m.spinning || 2 * idle.nmspinning.get() < ps.length - idle.npidle.get()) {
                if (!m.spinning) {
                    m.spinning = true;
                    idle.nmspinning.incrementAndGet();
                }
                if ((g = stealWork(m, p, ps)) != null) return found(m, g);
            }

            // Nothing to do: give up the P.
            synchronized (idle.lock) {
                g = global.isEmpty() ? null : globrunqget(p, 0);
                if (g == null) {
                    Idle.releasep(m);
                    idle.pidleputLocked(p);
                }
            }
            if (g != null) return found(m, g);
            boolean wasSpinning = m.spinning;
            if (wasSpinning) {
                m.spinning = false;
                if (idle.nmspinning.decrementAndGet() < 0) throw new IllegalStateException("gort: negative nmspinning");
            }
            // Re-check after the full fences above (see WakePolicy, "Spinning and wake-ups").
            if (!global.isEmpty() || (wasSpinning && procs.anyLocalWork())) {
                P p2 = idle.pidleget();
                if (p2 != null) {
                    idle.acquirep(m, p2);
                    if (wasSpinning) {
                        m.spinning = true;
                        idle.nmspinning.incrementAndGet();
                    }
                    continue;
                }
            }
            Timers timers = s.timers;
            boolean io = polling.hasWaiters();
            if ((io || timers.earliestTimer() != Long.MAX_VALUE) && timers.claimSleeper(m)) {
                timers.stopmUntilTimer(m);
            } else {
                if (io) {
                    // The timer sleeper may be in a plain timed park, from before anyone waited
                    // for I/O: poke it, so that it comes back and blocks in the poller instead.
                    M sleeper = timers.sleeper();
                    if (sleeper != null && !sleeper.netpolling) sleeper.poke();
                }
                idle.stopm(m);
            }
        }
    }

    /**
     * Go's globrunqget: one goroutine to run now and a fair share of the rest into p's ring.
     * Counts entries, so an overflow batch counts once (and comes whole; see GlobalQueue).
     */
    private G globrunqget(P p, int max) {
        int size = global.size();
        if (size <= 0) return null;
        int n = size / Math.max(procs.nprocs(), 1) + 1;
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
                    && Timers.runTimers(victim, System.nanoTime()) > 0) {
                    // The victim's timers readied goroutines into our queue (Go's checkTimers
                    // while stealing: a busy or stuck P does not hold its timers back).
                    G g = p.runq.poll();
                    if (g != null) return g;
                }
                if (victim.status != P.RUNNING) continue;
                boolean offered = victim.offersRunnext;
                G g = victim.steal.stealInto(p.runq, stealRunnext || offered, !victim.stuck && !offered);
                if (g != null) {
                    p.stole();
                    if (Scheduler.JFR) dev.gort.sched.jfr.Jfr.steal(p.id, victim.id, p.runq.size() + 1); // g, and the rest in p's ring
                    return g;
                }
            }
        }
        return null;
    }

    /**
     * After findRunnable's M gave its P away (it now stops without the timer-sleeper role).
     * Go's rule for an M that stops spinning: a submitter that saw it spinning started nobody,
     * so look at the queues again (the decrement and the submitter's wakep are "store, full
     * fence, load" on both sides: see WakePolicy). And the timers: addTimer spares the wake-up
     * when the scheduler arms a timer on a carrier about to look for work, counting on that
     * carrier to become the sleeper, which this one no longer will; so watch the earliest timer
     * as handoffp does (a no-op when a sleeper already waits for it, or when every P is busy:
     * then the P's next owner meets its timers in findRunnable or handoffp).
     */
    private void afterGivingUpP() {
        if (!global.isEmpty() || procs.anyLocalWork()) {
            wake.wakep();
            return;
        }
        long when = s.timers.earliestTimer();
        if (when != Long.MAX_VALUE) s.timers.watchTimer(when, true);
    }
}
