package dev.gort.sched;

import java.lang.invoke.VarHandle;

/**
 * Who wakes a carrier, and when: the one place that decides. Every path that makes work available
 * asks here ({@link #wakep}, {@link #readied}, {@link #afterPollBatch}); the debts this policy lets
 * a P owe are settled by that P's carrier ({@link #carrierUnmounted}) or by sysmon
 * ({@link #payOwedWakes}); and a waiting goroutine asks here whether to spin before it parks
 * ({@link #spinBeforePark}).
 *
 * <h2>Spinning and wake-ups (no lost wake-up)</h2>
 * An M that looks for work to steal is <em>spinning</em> ({@link Idle#nmspinning}). Whoever makes
 * work available calls {@link #wakep}, which starts (or wakes) a spinning M only when there is
 * an idle P and no M spins already. The race to close: a spinner gives up just as a submitter
 * publishes work and sees it still spinning. Both sides do "store, full fence, load":
 * <ul>
 *   <li>submitter: queue the goroutine (store); {@code VarHandle.fullFence()} in wakep; load
 *       {@code npidle} and {@code nmspinning};</li>
 *   <li>spinner giving up ({@link Schedule}'s findRunnable): put its P on the idle list and
 *       decrement {@code nmspinning} (atomic read-modify-writes: full fences); then load every run
 *       queue again (findRunnable's re-check).</li>
 * </ul>
 * Under sequential consistency of these pairs, either the submitter sees the spinner (and the
 * spinner's re-check then sees the work), or the submitter sees {@code nmspinning == 0} with an
 * idle P and starts a new spinner. Spinners are bounded at half the busy Ps. A spinner that finds
 * work wakes the next one ({@link #spinnerFoundWork}), so that one M keeps looking while there may
 * be more.
 *
 * <h2>Owed wake-ups (departures from Go)</h2>
 * Go wakes a carrier whenever it readies a goroutine and an idle P exists. Gort may owe the
 * wake-up instead, in two cases, each its own knob of {@link SchedulerConfig}:
 * <ul>
 *   <li>{@code -Dgort.deferwake} (default true): a goroutine readied into its waker's runnext,
 *       with nothing else queued there, does not wake an idle carrier: the waker's P owes the
 *       wake-up ({@link P#wakeOwed}), since a channel hand-off's waker usually parks next and its
 *       carrier then runs the readied goroutine itself. The debt is dropped when the waker
 *       leaves the carrier, and paid by sysmon if the P makes no progress for a round (the waker
 *       computes on without a runtime call): at most two sysmon rounds of
 *       {@code Sysmon.OWED_DELAY}. Measured (docs/DESIGN.md, "Who wakes a carrier: the wake policy"): faster on
 *       W2-W5 on the 2-core machine (W4 sieve 1.64x -> 1.13x Go's time, W5 ring 1.32x -> 1.04x).</li>
 *   <li>{@code -Dgort.pollwake=owed} (the default; {@code eager} is Go's injectglist): a carrier
 *       that puts a netpoll batch into its own ring owes the wake-up of another carrier for the
 *       rest of the batch ({@link P#pollOwedSince}); sysmon pays it if the P stops making progress
 *       or its ring stays non-empty for {@link #POLL_WAKE_DELAY}, and drops it when the ring
 *       drains. Measured (docs/DESIGN.md, "Who wakes a carrier: the wake policy"): W8's p99 on the 2-core machine went from
 *       4.8-5.3 ms to 2.6-4.2 ms, at the same requests/s.</li>
 * </ul>
 *
 * <h2>Spin before park</h2>
 * {@code -Dgort.spinnanos} (default 0: off): how long a goroutine waiting on an unbuffered
 * channel may spin for its partner before parking. A park, a ready and the futex wake of another
 * carrier cost microseconds, a partner running on another P answers in hundreds of ns; but the
 * measurements disagree between machines (docs/DESIGN.md, "Who wakes a carrier: the wake policy": W2 gained on the
 * 2-core machine and lost on the 16-core one confined to 2 CPUs), so it stays an option until it
 * wins everywhere.
 *
 * <h2>Who writes what</h2>
 * The three policy fields are set from the configuration at start-up, and switched only by tests
 * ({@code Scheduler.set...ForTests}) while the runtime is quiet: plain fields. {@link P#wakeOwed}
 * is set by the goroutine running on that P, cleared by its carrier or by sysmon;
 * {@link P#pollOwedSince} is set by the P's carrier and cleared by CAS from the value read, by it
 * or by sysmon. A lost race on either costs at most one extra wakep, or one sysmon round of delay.
 */
final class WakePolicy {
    /**
     * The longest a P's ring may stay non-empty after an owed batch before sysmon pays the
     * wake-up even though the P makes progress: 1 ms. Bounds what owing costs when one carrier
     * cannot keep up (many Ps, heavy load: the spinner woken then steals half and wakes more).
     */
    static final long POLL_WAKE_DELAY = 1_000_000L;

    private final Scheduler s;
    private final Idle idle;
    private final Procs procs;

    // ---- the policy: from SchedulerConfig; switched only by tests (see "Who writes what")
    boolean deferWake;
    boolean pollWakeOwed;
    long spinNanos;

    WakePolicy(Scheduler s) {
        this.s = s;
        this.idle = s.idle;
        this.procs = s.procs;
        this.deferWake = s.config.deferWake();
        this.pollWakeOwed = s.config.pollWakeOwed();
        this.spinNanos = s.config.spinNanos();
    }

    /**
     * Starts a spinning M if there is an idle P and no M spins (Go's wakep). The full fence
     * orders the caller's queue write before the loads: see "Spinning and wake-ups".
     */
    void wakep() {
        VarHandle.fullFence();
        Idle idle = this.idle;
        if (idle.npidle.get() == 0) return;
        if (idle.nmspinning.get() != 0 || !idle.nmspinning.compareAndSet(0, 1)) return;
        idle.startm(null, true);
    }

    /**
     * ready() has queued a goroutine into p's runnext (p null: the global queue): wake a carrier,
     * or, under {@code gort.deferwake}, owe the wake-up when the goroutine is the only work
     * queued on p (this P runs it as soon as the waker parks; a carrier woken now would mostly
     * find nothing to do).
     */
    void readied(P p) {
        if (p != null && deferWake && p.runq.onlyRunnext()) {
            if (!p.wakeOwed) WAKE_OWED.setOpaque(p, true); // opaque: see WAKE_OWED
            return;
        }
        wakep();
    }

    /** The carrier of p has unmounted a goroutine: p runs what that goroutine readied itself. */
    static void carrierUnmounted(P p) {
        if (p.wakeOwed) WAKE_OWED.setOpaque(p, false); // opaque: see WAKE_OWED
    }

    /**
     * {@link P#wakeOwed}, for the two stores of its P's own thread (the goroutine's
     * {@link #readied}, the carrier's {@link #carrierUnmounted}: one thread, so program order
     * orders them). They are opaque, not volatile: a volatile store is followed by a full fence
     * (a locked instruction on x86), two per channel hand-off, and nothing here needs one. The
     * debt pairs with no other memory access: sysmon's volatile read in {@link #payOwedWakes}
     * needs only to see the store eventually (opaque guarantees it, in the field's own order),
     * and it judges the debt by the P's schedtick, not by anything the store would publish. A
     * read of a stale value costs what the field's contract already allows: sysmon pays a debt
     * the carrier settled meanwhile (one extra wakep), or sees a new debt a round later. Sysmon's
     * own clear stays volatile.
     */
    private static final VarHandle WAKE_OWED;

    static {
        try {
            WAKE_OWED = java.lang.invoke.MethodHandles.lookup().findVarHandle(P.class, "wakeOwed", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /**
     * A netpoll batch of n goroutines went into p's ring (p null: the global queue) and the
     * caller runs one of them itself: another M is worth waking only for the rest (Go's
     * findRunnable pops one and injectglist starts Ms for the others only). Under
     * {@code gort.pollwake=owed}, a batch in p's ring owes that wake-up instead.
     */
    void afterPollBatch(P p, int n) {
        if (p == null ? n > 0 : n > 1) {
            if (p != null && pollWakeOwed) {
                // sysmon pays it if p stops making progress or its ring is not drained in POLL_WAKE_DELAY.
                if (p.pollOwedSince == 0) p.pollOwedSince = System.nanoTime() | 1; // never 0
                return;
            }
            wakep();
        }
    }

    /** An M that was spinning found work (Go's resetspinning): maybe there is more, so keep one M looking. */
    void spinnerFoundWork(M m) {
        m.spinning = false;
        if (idle.nmspinning.decrementAndGet() == 0) {
            wakep();
        }
    }

    /**
     * sysmon, every round: settles the wake-ups Ps owe (P.wakeOwed from ready(), P.pollOwedSince
     * from a netpoll batch). Both are paid (wakep) when the P made no progress since sysmon's
     * last round (its schedtick unchanged: the goroutine that owes keeps running, or one
     * goroutine of the batch runs long with the rest waiting behind it). A batch debt is also
     * paid when its ring has been non-empty for POLL_WAKE_DELAY, and dropped when the ring has
     * drained; a ready() debt is otherwise settled by the P's carrier ({@link #carrierUnmounted}).
     *
     * @return true if some debt is still outstanding (sysmon then keeps its rounds short)
     */
    boolean payOwedWakes(long now) {
        boolean owed = false;
        for (P p : procs.allp()) {
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
                if (p.steal.isEmpty()) {
                    P.POLL_OWED_SINCE.compareAndSet(p, since, 0L);
                } else if (stalled || now - since >= POLL_WAKE_DELAY) {
                    pay |= P.POLL_OWED_SINCE.compareAndSet(p, since, 0L);
                } else {
                    owed = true;
                }
            }
            if (pay && !p.steal.isEmpty()) wakep();
        }
        return owed;
    }

    /**
     * Whether the waiting goroutine g should spin before parking (Waiter.await's spin): its P,
     * or null for "park at once". Spinning is worth it only when the partner may be running right
     * now on another P (some other P is not idle) and this P has nothing else to run (its queue
     * and the global queue are empty): then it costs only this P's idle time. Never on one P,
     * never for a goroutine sysmon wants preempted, and not after recent spins failed (the
     * goroutine's penalty, G.Extra).
     */
    P spinBeforePark(G g) {
        if (spinNanos <= 0) return null;
        M m = g.m;
        P p = m != null ? m.p : null;
        if (p == null || g.preempt || g.locked()) return null;
        int n = procs.nprocs();
        if (n < 2 || !s.global.isEmpty()) return null;
        boolean offer = false;
        if (!p.runq.isEmpty()) {
            // The only other work here is runnext (typically the partner this goroutine has just
            // readied) and an M is spinning for work: offer it runnext and spin, so that the two
            // end up on two Ps handing off without parks (see P.offersRunnext).
            if (!p.runq.onlyRunnext() || idle.nmspinning.get() == 0) return null;
            offer = true;
        } else if (idle.npidle.get() >= n - 1) {
            return null; // no other P runs anything: the partner cannot be running
        }
        if (offer) p.offersRunnext = true;
        return p;
    }

    /** How long a wait may spin (Waiter's spin loop), when {@link #spinBeforePark} said to. */
    long spinNanos() {
        return spinNanos;
    }
}
