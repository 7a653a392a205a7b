package dev.gort.sched;

import dev.gort.internal.GoContinuation;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Cooperative preemption: sysmon asks a goroutine that has run a whole time slice
 * ({@link Scheduler#TIME_SLICE_NANOS}) to yield, and the goroutine yields at its next safepoint
 * ({@link #safepoint}: {@code Go.safepoint()}, which the safepoint agent puts at every loop
 * back-edge, and the runtime's own calls such as spawn and park).
 *
 * <h2>State and who writes it</h2>
 * <ul>
 *   <li>{@link G#preempt}, per goroutine: set by sysmon ({@link #request}), cleared by the goroutine
 *       itself or its carrier ({@link #clear}: at a park, a yield, a blocking call, an unmount);
 *       both by CAS, so that exactly one side moves it each way.</li>
 *   <li>{@link #pending}: the number of goroutines whose flag is set, moved by whichever side won
 *       that CAS. It is the one field the safepoint poll reads: non-zero is rare, so the poll is a
 *       read of a static field that the JIT keeps cheap. Static because the poll has no scheduler
 *       instance at hand (there is one per JVM).</li>
 * </ul>
 * Ordering: a request is a CAS of the flag then an increment; the poll reads {@code pending}
 * (volatile), then the flag. A poll that misses a request made meanwhile sees it at the next one;
 * a request is a hint, never a correctness matter, so no fence pairs the two.
 *
 * <p>Only a goroutine running on a P yields: one inside {@code Go.blocking} (SYSCALL, its P handed
 * off) keeps the request for after the call (see {@link #slow}). A goroutine that cannot yield
 * (pinned by a native frame or a monitor) goes on; a locked one lends its P out and waits for one
 * ({@link Syscalls#yieldBlocking}).
 */
final class Preemption {
    private Preemption() {}

    /** Goroutines with a request pending; read by every safepoint poll (see the class comment). */
    private static volatile int pending;
    private static final VarHandle PENDING;
    /** Yields honoured (a metric; written by the goroutines that yield). */
    static final AtomicLong preemptions = new AtomicLong();
    /** Why a goroutine was asked to yield: {@link G#preemptCause}, named by {@link #CAUSES} (dev.gort.GoroutinePreempt's cause; the keys of Go.metrics().preemptionsByCause()). Before the counters, which are sized by it. */
    static final byte TIME_SLICE = 0, STUCK_CARRIER = 1, MEMORY_GATE = 2;
    static final String[] CAUSES = {"time slice", "stuck carrier", "memory gate"};

    /** The same, by the cause of the request ({@link #CAUSES}, {@link G#preemptCause}). */
    static final java.util.concurrent.atomic.AtomicLongArray preemptionsByCause =
        new java.util.concurrent.atomic.AtomicLongArray(Preemption.CAUSES.length);

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            PENDING = l.findStaticVarHandle(Preemption.class, "pending", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** The safepoint poll: one read of a static field on the fast path. */
    static void safepoint() {
        if (pending != 0) {
            slow();
        }
    }

    private static void slow() {
        G g = Scheduler.currentG();
        if (g == null || !g.preempt) return;
        // Only a goroutine running on a P yields. One inside Go.blocking (SYSCALL, its P handed
        // off) keeps the request for after the call: sysmon may have read it as its P's current
        // goroutine just before blocking() cleared the request, and a poll in the blocking call
        // (Go.safepoint() or the agent's) must not put it on a run queue with blocking()'s
        // frames, and its hand-off, still in progress.
        if (g.status() != G.RUNNING) return;
        if (!clear(g)) return;
        preemptions.incrementAndGet();
        preemptionsByCause.incrementAndGet(g.preemptCause);
        if (Scheduler.JFR) dev.gort.sched.jfr.Jfr.preempt(g.id, CAUSES[g.preemptCause]); // after clear: see request
        if (g.locked()) {
            Scheduler.get().syscalls.yieldBlocking(g);
            return;
        }
        g.yieldKind = G.YIELD_PREEMPT;
        if (!GoContinuation.yieldNow()) {
            g.yieldKind = G.YIELD_NONE; // pinned: cannot be preempted now
        }
    }

    /**
     * sysmon (its retake and the memory gate's round): asks g to yield at its next safepoint, for
     * {@code cause}. The cause is a plain store before the CAS that sets {@code preempt}; the
     * goroutine reads it after its own CAS that clears the flag ({@link #slow}), which acquires
     * what the setting CAS released. sysmon is the only writer: a request while one is pending
     * overwrites the cause (a racy byte, read only for the JFR event and the count by cause), the later reason winning.
     */
    static void request(G g, byte cause) {
        g.preemptCause = cause;
        if (G.PREEMPT.compareAndSet(g, false, true)) {
            PENDING.getAndAdd(1);
        }
    }

    /** Clears g's request, if any. @return true if there was one */
    static boolean clear(G g) {
        if (g.preempt && G.PREEMPT.compareAndSet(g, true, false)) {
            PENDING.getAndAdd(-1);
            return true;
        }
        return false;
    }
}
