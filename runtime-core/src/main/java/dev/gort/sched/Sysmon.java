package dev.gort.sched;

import java.util.Arrays;
import java.util.concurrent.locks.LockSupport;

/**
 * The system monitor (Go's {@code sysmon}): a platform daemon thread, outside the Ps.
 *
 * <p>It sleeps 20 us, doubling up to 10 ms once it has had nothing to do for 50 rounds, and on
 * each wake-up:
 * <ul>
 *   <li>notes, per running P, when its schedtick last moved; a P whose goroutine has run a whole
 *       time slice gets a preemption request, honoured at the goroutine's next safepoint;</li>
 *   <li>marks a P stuck when its goroutine, asked to yield, has not reached a safepoint for
 *       another {@code STUCK_NANOS - TIME_SLICE_NANOS} (so {@link Scheduler#STUCK_NANOS} in
 *       all: its carrier is blocked in code we do not know about) and adds a spare P;</li>
 *   <li>prints the schedtrace line when {@code -Dgort.schedtrace=MS} is set;</li>
 *   <li>detects deadlock for {@code Go.run}: nothing runnable, nothing running, nobody in a
 *       blocking call, on two rounds at least 10 ms apart with nothing scheduled in between.</li>
 * </ul>
 * Its notes on each P ({@link P#sysmonTick}, {@link P#sysmonWhen}) are its own; it reads the
 * rest racily, which is fine for heuristics that only ever cause an early or late yield.
 */
final class Sysmon implements Runnable {
    private static final long MIN_DELAY = 20_000L;
    private static final long MAX_DELAY = 10_000_000L;
    private static final long DEADLOCK_CONFIRM_NANOS = 10_000_000L;

    private final Scheduler sched;
    private final long traceMillis;
    private final Thread thread;
    /** Written by sysmon each round; read by anyone as a coarse clock. */
    volatile long coarseNanos = System.nanoTime();

    private long nextTrace;
    private long[] quiet;
    private long quietSince;

    Sysmon(Scheduler sched, long traceMillis) {
        this.sched = sched;
        this.traceMillis = traceMillis;
        this.thread = new Thread(null, this, "gort-sysmon", 0, false);
        thread.setDaemon(true);
    }

    void start() {
        nextTrace = System.nanoTime() + traceMillis * 1_000_000L;
        thread.start();
    }

    @Override
    public void run() {
        long delay = MIN_DELAY;
        int idleRounds = 0;
        for (;;) {
            LockSupport.parkNanos(delay);
            long now = System.nanoTime();
            coarseNanos = now;
            boolean acted = false;
            try {
                acted = retake(now);
                if (traceMillis > 0 && now - nextTrace >= 0) {
                    System.out.println(sched.schedtrace());
                    nextTrace = now + traceMillis * 1_000_000L;
                }
                checkDeadlock(now);
            } catch (Throwable t) {
                System.err.println("gort: sysmon: " + t);
            }
            if (acted) {
                idleRounds = 0;
                delay = MIN_DELAY;
            } else if (++idleRounds > 50) {
                delay = Math.min(delay * 2, MAX_DELAY);
            }
        }
    }

    /** Preempts long-running goroutines and adds spare Ps for stuck carriers. */
    private boolean retake(long now) {
        boolean acted = false;
        for (P p : sched.allp()) {
            if (p.status != P.RUNNING) {
                p.sysmonWhen = now;
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
            if (ran < Scheduler.TIME_SLICE_NANOS) continue;
            if (p.sysmonPreemptTick != tick || p.sysmonPreemptG != g) {
                // First request in this slice.
                p.sysmonPreemptTick = tick;
                p.sysmonPreemptG = g;
                p.sysmonPreemptWhen = now;
                sched.requestPreempt(g);
                acted = true;
            } else if (now - p.sysmonPreemptWhen >= Scheduler.STUCK_NANOS - Scheduler.TIME_SLICE_NANOS
                       && !p.stuck && g.status() == G.RUNNING) {
                // Asked to yield and did not reach a safepoint since: its carrier is blocked.
                sched.markStuck(p);
                acted = true;
            }
        }
        return acted;
    }

    private void checkDeadlock(long now) {
        long[] snap = sched.quiescentSnapshot();
        if (snap == null) {
            quiet = null;
            return;
        }
        if (quiet == null || !Arrays.equals(quiet, snap)) {
            quiet = snap;
            quietSince = now;
            return;
        }
        if (now - quietSince >= DEADLOCK_CONFIRM_NANOS) {
            quiet = null;
            sched.reportDeadlock();
        }
    }
}
