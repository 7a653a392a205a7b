package dev.gort.sched;

import dev.gort.DeadlockException;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.LockSupport;

/**
 * Go.run and its deadlock detection (Go's {@code checkdead}): a platform thread that runs a main
 * goroutine waits for it, and is told "all goroutines are asleep - deadlock!" when nothing can
 * ever wake any goroutine again.
 *
 * <h2>When the runtime is deadlocked</h2>
 * Only while some Go.run waits ({@link #runs} not empty). sysmon, every round, takes a
 * {@link #quiescentSnapshot}: null (busy) unless every P is idle, no M spins, no carrier is in a
 * blocking call (a pinned or locked goroutine asleep in its wait counts as asleep, not as a
 * blocking call), every run queue is empty, no goroutine is held at the memory gate
 * ({@link Admission}), no timer is armed and no goroutine waits for I/O
 * (a timer or the network could still wake someone; Go decides the same). The snapshot holds the
 * Ps' schedticks, their number and the goroutine count, so that any scheduling between two
 * rounds changes it. {@link #check} reports a deadlock when the same quiescent snapshot is seen on
 * four consecutive rounds (the first, then three confirmations) spanning at least
 * {@link #CONFIRM_NANOS}: a moment of idleness between two hand-offs is not a deadlock. A round
 * in which sysmon overslept ({@link #forget}: a GC pause, a starved machine) starts the count
 * again from its own snapshot, since sysmon cannot vouch that nothing ran meanwhile.
 *
 * <h2>Who writes what</h2>
 * {@link #runs}: copy-on-write, added to and removed from by the Go.run callers. A
 * {@link RunState}'s {@code deadlockDump} is written by sysmon before it unparks the waiter (the
 * volatile write and the unpark order it before the waiter's read). sysmon hands over only the
 * dump: the waiter creates the {@link DeadlockException} itself, on its own thread, so that the
 * exception's stack trace is the Go.run caller's (where the user looks, and what a launcher that
 * trims its own frames from a main method's exception expects to find; sysmon's loop frames
 * said nothing). {@link #quiet},
 * {@link #quietSince}, {@link #quietRounds}: sysmon's thread only.
 */
final class Deadlock {
    /** How long the runtime must stay quiescent, unchanged, before a deadlock is reported. */
    static final long CONFIRM_NANOS = 50_000_000L;
    /** Go's words. */
    static final String DEADLOCK_MESSAGE = "all goroutines are asleep - deadlock!";

    private final Scheduler s;
    /** The Go.run calls waiting now. */
    final List<RunState> runs = new CopyOnWriteArrayList<>();

    // sysmon's own
    private long[] quiet;
    private long quietSince;
    private int quietRounds;

    Deadlock(Scheduler s) {
        this.s = s;
    }

    /** The state of one Go.run call: the caller's thread waits on it. */
    static final class RunState {
        final Thread waiter = Thread.currentThread();
        volatile G main;
        /** Set by sysmon when every goroutine is asleep: {@link dev.gort.Go#dump()} at detection. */
        volatile String deadlockDump;

        void wake() {
            LockSupport.unpark(waiter);
        }
    }

    /**
     * Runs {@code task} as a main goroutine and waits for it; see Go.run.
     *
     * @return false if the runtime stopped before main could be queued (nothing ran: the caller
     *         runs it on the next runtime); true once main has ended
     */
    boolean run(Runnable task) {
        if (task == null) throw new NullPointerException("main");
        if (Scheduler.currentG() != null) {
            G g = s.spawn(task, "main");
            G self = Scheduler.currentG();
            boolean interrupted = false;
            for (;;) { // Go.run waits uninterruptibly (as from a platform thread) and keeps the status
                try {
                    g.awaitEnd(); // its failure is rethrown below, after the interrupt is restored
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) self.interrupt();
            rethrow(g.failure());
            return true;
        }
        RunState rs = new RunState();
        G g = new G(s.nextExternalId(), "main", task);
        g.extra().runState = rs;
        rs.main = g;
        boolean interrupted = false;
        try {
            // main is queued before the run is registered: sysmon must never see a run whose
            // main goroutine is not yet anywhere (a false deadlock, seen under CPU load).
            if (!s.enqueueExternal(g)) return false;
            runs.add(rs);
            s.sysmon.wake(); // deadlock detection needs it
            while (g.status() != G.DEAD && rs.deadlockDump == null) {
                LockSupport.park(rs);
                if (Thread.interrupted()) interrupted = true;
            }
        } finally {
            runs.remove(rs);
            if (interrupted) Thread.currentThread().interrupt();
        }
        String dump = rs.deadlockDump;
        if (g.status() != G.DEAD && dump != null) throw new DeadlockException(DEADLOCK_MESSAGE, dump); // on this thread: the caller's stack
        rethrow(g.failure());
        return true;
    }

    private static void rethrow(Throwable t) {
        if (t == null) return;
        if (t instanceof RuntimeException r) throw r;
        if (t instanceof Error e) throw e;
        throw new java.util.concurrent.CompletionException(t);
    }

    /** sysmon: a snapshot that changes whenever anything runs; null if something runs now (see the class comment). */
    long[] quiescentSnapshot() {
        if (runs.isEmpty()) return null;
        P[] ps = s.procs.allp();
        Idle idle = s.idle;
        // Ms in a pinned/locked park whose goroutine still sleeps are asleep goroutines, not
        // blocking calls (nmsys first: a park that starts between the two reads makes the
        // difference negative, one that ends makes it positive; both say "busy").
        if (idle.npidle.get() != ps.length || idle.nmspinning.get() != 0
            || s.syscalls.nmsys.get() - s.syscalls.parkedLocked.get() != 0) return null;
        if (!s.global.isEmpty() || s.procs.anyLocalWork()) return null;
        if (s.admission.heldNow() != 0) return null; // runnable, waiting for the memory gate (which its policy opens)
        if (s.timers.earliestTimer() != Long.MAX_VALUE) return null; // a timer will wake someone
        if (s.polling.hasWaiters()) return null; // I/O may wake someone (Go: same)
        long ticks = 0;
        for (P p : ps) ticks += p.schedtickOpaque();
        return new long[] {ticks, ps.length, s.numGoroutine()};
    }

    /** sysmon, every round (after {@link #forget} in a round that overslept): reports a deadlock once confirmed (see the class comment). */
    void check(long now) {
        long[] snap = quiescentSnapshot();
        if (snap == null) {
            quiet = null;
            return;
        }
        if (quiet == null || !Arrays.equals(quiet, snap)) {
            quiet = snap;
            quietSince = now;
            quietRounds = 0;
            return;
        }
        if (++quietRounds >= 3 && now - quietSince >= CONFIRM_NANOS) {
            quiet = null;
            reportDeadlock();
        }
    }

    /** sysmon overslept: whatever it saw before may not hold, so the confirmation starts again. */
    void forget() {
        quiet = null;
    }

    /** Every goroutine is asleep: each waiting Go.run is given the dump and throws a DeadlockException. */
    private void reportDeadlock() {
        String dump = s.diagnostics.dump();
        for (RunState rs : runs) {
            rs.deadlockDump = dump;
            rs.wake();
        }
    }
}
