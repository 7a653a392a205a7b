package dev.gort.sched;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Runtime timers (Go's per-P timer heaps, {@code addtimer}, {@code checkTimers}) and the
 * <em>timer sleeper</em>: the one idle M that sleeps until the earliest timer, while every other
 * idle M sleeps without a timeout.
 *
 * <h2>Where timers live and who runs them</h2>
 * Each P has a {@link TimerHeap}, locked by its own lock. A goroutine arms a timer in its P's heap
 * (a platform thread: some P's); a retired P's timers move to a live one ({@link Procs}). Due
 * timers are run (their actions outside the heap's lock) by: their P's carrier at each scheduling
 * point (findRunnable); a thief visiting a victim whose timers are due (stealWork, as Go's
 * checkTimers, so that a busy or stuck P does not hold its timers back); and the timer sleeper,
 * which takes an idle P when it wakes and runs every due timer.
 *
 * <h2>The sleeper role</h2>
 * An M that finds no work and sees a timer armed (or a goroutine waiting for I/O) claims
 * {@link #timerSleeper} by CAS from null (findRunnable) and calls {@link #stopmUntilTimer}: it
 * reads the earliest timer, publishes its deadline in {@link #sleeperDeadline}, and sleeps until
 * then (in the network poller when goroutines wait for I/O: {@link Polling#block}). Whoever arms a
 * timer earlier than that deadline pokes it ({@link #watchTimer}); with no sleeper, it wakes an M,
 * which becomes the sleeper if it finds nothing else to do. The role is released when the sleeper
 * wakes, before it looks for work.
 *
 * <h2>Ordering (no timer slept past)</h2>
 * The sleeper claims timerSleeper (a CAS: full fence), then reads the heaps' {@code next}; an
 * arming thread writes its heap (under the heap's lock), then, after {@code VarHandle.fullFence()}
 * in watchTimer, reads timerSleeper and sleeperDeadline. So either the sleeper sees the new
 * timer, or the armer sees the sleeper and pokes it when its deadline is later or not yet
 * published ({@code Long.MAX_VALUE}). A poke sets {@code M.poked} before unparking, and the
 * sleeper's park re-checks poked, so a poke between the read and the park is not lost.
 *
 * <h2>Who writes what</h2>
 * {@link #timerSleeper}: CAS null -> M by the M taking the role, back to null by that M only.
 * {@link #sleeperDeadline}: written by the sleeper only, read by armers. A heap's contents: under
 * its lock; {@code TimerHeap.next} is written under it and read without it as a hint (every read
 * that leads to running a timer takes the lock).
 */
final class Timers {
    private final Scheduler s;

    /** The one idle M that sleeps until the earliest timer (see "The sleeper role"), or null. */
    private volatile M timerSleeper;
    /** Its deadline, or Long.MAX_VALUE (not yet read, or no timer armed). */
    private volatile long sleeperDeadline = Long.MAX_VALUE;
    private static final VarHandle TIMER_SLEEPER;
    /** Tests only: run by an M that has just taken the sleeper role, before it reads the earliest timer. */
    static volatile Runnable sleeperHookForTests;

    static {
        try {
            TIMER_SLEEPER = MethodHandles.lookup().findVarHandle(Timers.class, "timerSleeper", M.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    Timers(Scheduler s) {
        this.s = s;
    }

    /** The timer sleeper, or null (Polling reads whether it blocks in the poller). */
    M sleeper() {
        return timerSleeper;
    }

    /** findRunnable's M, with nothing to do, takes the sleeper role. @return false if another M holds it */
    boolean claimSleeper(M m) {
        return TIMER_SLEEPER.compareAndSet(this, null, m);
    }

    /**
     * Arms t to fire at {@code when}: in the caller's P's heap, or some P's from a platform
     * thread. Then makes sure some M will wake for it: pokes the timed sleeper if t is earlier,
     * or wakes an M when nobody keeps the timers (see "Ordering").
     *
     * @return false if the runtime is stopping or stopped (read under the heap's lock: see
     *         Scheduler, "Stopping"): t was not armed
     */
    boolean addTimer(TimerEntry t, long when) {
        if (t.bubble != null) { // its bubble's heap and clock: no P keeps it
            t.bubble.addTimer(t, when);
            return true;
        }
        P p = Scheduler.currentP();
        for (;;) {
            if (p == null || p.status == P.DEAD) {
                P[] ps = s.procs.allp();
                p = ps[(int) ((t.hashCode() & 0x7fffffff) % ps.length)];
            }
            TimerHeap h = p.timers;
            h.lock.lock();
            if (p.status == P.DEAD) { // retired meanwhile: its timers were handed on
                h.lock.unlock();
                p = null;
                continue;
            }
            if (s.state != Scheduler.RUNNING) { // only a platform thread's timer can meet this
                h.lock.unlock();
                return false;
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
        // safepoints) may not reach for a long time, or ever, while other Ps sit idle: a 1 ms
        // timer could fire 10-50 ms late beside an idle P, and a goroutine spin-waiting for its
        // own afterFunc would hang. Go's addtimer wakes too. The one caller that needs no
        // wake-up: the scheduler itself (a park commit such as Go.sleep's, or a timer action) on
        // a carrier whose P has nothing queued, with the global queue empty; that carrier looks
        // for work next and, finding none to run on this P, becomes the timer sleeper itself
        // (waking another carrier for the role would cost ~1 thread wake-up per sleep of a lone
        // sleeping goroutine). If it steals work instead, the P it steals from is busy, so no P
        // was idle for the wake-up to use... unless there are 3 or more: then the timer waits for
        // this P's next scheduling point.
        M m = CarrierLookup.currentM();
        boolean goesIdleNext = m != null && m.curg() == null && m.p != null && m.p.runq.isEmpty() && s.global.isEmpty();
        watchTimer(when, !goesIdleNext);
        return true;
    }

    /**
     * Makes sure some M will wake for a timer due at {@code when} (Go's wakeNetPoller): pokes the
     * timed sleeper if the timer is earlier than its deadline; with no sleeper, wakes an M when
     * {@code wakeIfNone} (a spinner that finds nothing becomes the sleeper; with no idle P, every
     * P is busy and runs its timers at its next scheduling point, and one that goes idle looks at
     * them). The full fence orders the caller's heap write (or P hand-off) before the reads: see
     * "Ordering".
     */
    void watchTimer(long when, boolean wakeIfNone) {
        VarHandle.fullFence();
        M sleeper = timerSleeper;
        if (sleeper != null) {
            if (when - sleeperDeadline < 0) {
                sleeper.poke(); // also breaks its poll, if it blocks in the network poller
            }
        } else if (wakeIfNone) {
            s.wake.wakep(); // nobody keeps the timers
        }
    }

    /** Disarms t. @return true if it was armed (it will not fire), false if it fired or was never armed */
    static boolean deleteTimer(TimerEntry t) {
        for (;;) {
            TimerHeap h = t.heap;
            if (h == null) return false;
            h.lock.lock();
            if (t.heap != h) { // moved to another heap meanwhile (a retirement): follow it
                h.lock.unlock();
                continue;
            }
            h.remove(t);
            h.lock.unlock();
            return true;
        }
    }

    /** Runs p's due timers (their actions run here, outside the heap's lock). @return how many */
    static int runTimers(P p, long now) {
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
        for (P p : s.procs.allp()) {
            long due = p.timers.next;
            if (due != Long.MAX_VALUE && due - now <= 0) runTimers(p, now);
        }
    }

    /** Armed timers in all Ps' heaps (diagnostics and tests). */
    int pendingTimers() {
        int n = 0;
        for (P p : s.procs.allp()) {
            p.timers.lock.lock();
            n += p.timers.size();
            p.timers.lock.unlock();
        }
        return n;
    }

    /** The earliest armed timer of any P, or Long.MAX_VALUE. */
    long earliestTimer() {
        long min = Long.MAX_VALUE;
        for (P p : s.procs.allp()) {
            long w = p.timers.next;
            if (w != Long.MAX_VALUE && (min == Long.MAX_VALUE || w - min < 0)) min = w;
        }
        return min;
    }

    /**
     * stopm for the timer sleeper (m holds {@link #timerSleeper}, released here): sleeps until the
     * earliest timer (or until a timer earlier than that is added, which pokes it), then takes an
     * idle P and runs every due timer.
     */
    void stopmUntilTimer(M m) {
        Idle idle = s.idle;
        idle.putIdleM(m);
        m.poked = false;
        Runnable hook = sleeperHookForTests;
        if (hook != null) hook.run();
        long deadline = earliestTimer(); // read after becoming the sleeper: see "Ordering"
        sleeperDeadline = deadline;
        boolean woken;
        if (s.netpoll != null && s.netpoll.hasWaiters()) {
            woken = s.polling.block(m, deadline);
        } else {
            // No timer left (all deleted or run elsewhere since this M took the role): still the
            // sleeper, so a timer added meanwhile pokes it, and a poke must end this sleep too (a
            // sleep deaf to pokes would hold the role while never looking at timers again, every
            // other M idle without it, and no due timer would ever run). Such a sleeper watches
            // nothing, so a long idleness retires it like any idle M (sleeperWatches).
            woken = deadline == Long.MAX_VALUE ? m.sleepUntilPoked() : m.sleepUntil(deadline);
        }
        if (!woken && !idle.removeIdleM(m)) {
            m.sleep(); // startm took us off the list: its wake-up is on the way
            woken = true;
        }
        sleeperDeadline = Long.MAX_VALUE;
        timerSleeper = null;
        if (woken) {
            if (m.nextP == null && m.retired) retiredSleeper(m); // about to end in takeHandedP
            idle.takeHandedP(m);
            if (!m.polled.isEmpty()) s.polling.injectReady(m.polled, m.p);
            if (earliestTimer() != Long.MAX_VALUE) s.wake.wakep(); // let another M keep the timers
            return;
        }
        P p = idle.pidleget();
        if (!m.polled.isEmpty()) s.polling.injectReady(m.polled, p); // no P: the global queue, for busy Ps
        if (p != null) {
            idle.acquirep(m, p);
            runAllDueTimers();
        } else {
            // Every P is busy: they run due timers at their next scheduling point.
            idle.stopm(m);
        }
    }

    /**
     * The sleeper m was retired ({@link Idle#retireIdleCarriers} retires a sleeper that watches
     * no timer and no I/O) and has released the role; its thread ends next. What it would have
     * looked after goes on without it: goroutines its poll readied go to the global queue, and a
     * timer armed since it read "none" gets another M. Ordering, as in "Ordering" with the roles
     * swapped: m wrote timerSleeper = null, then (full fence) reads the heaps; an armer wrote its
     * heap, then (full fence, watchTimer) reads timerSleeper: either the armer saw null and woke
     * an M itself, or m sees the timer here. (An armer that saw m poked it: m is ending, and this
     * read is what keeps that poke from being lost.)
     */
    private void retiredSleeper(M m) {
        if (!m.polled.isEmpty()) s.polling.injectReady(m.polled, null);
        VarHandle.fullFence();
        if (earliestTimer() != Long.MAX_VALUE) s.wake.wakep();
    }

    /**
     * Whether the sleeper, if any, watches something: a timer (its published deadline) or
     * goroutines waiting for I/O. Read by {@link Idle#retireIdleCarriers} under the scheduler's
     * lock; a sleeper that has not published its deadline yet reads as watching nothing and may
     * be retired: it then hands the timers on ({@link #retiredSleeper}).
     */
    boolean sleeperWatches() {
        return sleeperDeadline != Long.MAX_VALUE || s.polling.hasWaiters();
    }

    // =====================================================================================
    // Go.sleep

    /**
     * Go's time.Sleep: parks the goroutine until the time has passed (a platform thread sleeps).
     * Interruptible: a goroutine's interrupt ends the sleep with InterruptedException (status
     * cleared), as does a status already set on entry. A delay beyond MAX_DELAY_NANOS sleeps that long.
     */
    void sleep(long nanos) throws InterruptedException {
        if (nanos > Scheduler.MAX_DELAY_NANOS) nanos = Scheduler.MAX_DELAY_NANOS;
        G g = Scheduler.currentG();
        if (g == null) {
            if (nanos > 0) Thread.sleep(nanos / 1_000_000, (int) (nanos % 1_000_000));
            return;
        }
        if (g.interruptPending()) {
            g.clearInterruptForThrow();
            throw new InterruptedException();
        }
        if (nanos <= 0) {
            s.yieldNow();
            return;
        }
        Sleep sl = new Sleep(g, Bubble.nanoTime() + nanos);
        sl.lock.lock(); // released by the park commit, after the timer is armed
        if (!g.beginInterruptibleWait(sl)) {
            g.clearInterruptForThrow();
            throw new InterruptedException();
        }
        s.park(WaitReason.SLEEP, sl);
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
            if (STATE.compareAndSet(this, WAITING, FIRED)) s.ready(g);
        }

        @Override
        public void interruptWait(G target) {
            if (!STATE.compareAndSet(this, WAITING, INTERRUPTED)) return;
            lock.lock(); // the goroutine is parked and its timer armed
            lock.unlock();
            deleteTimer(timer);
            s.ready(g);
        }
    }
}
