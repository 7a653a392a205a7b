package dev.gort.sched;

/**
 * The pieces of a channel hand-off's path, one static method each, for the JMH benchmark
 * {@code dev.gort.bench.jmh.HopPartsBench}: it lives in the benchmarks jar but in the scheduler's
 * package, so that it calls the runtime's own package-private code (the same methods the hot
 * path calls, nothing re-implemented). Each piece runs on a platform thread with no scheduler:
 * uncontended, its cache lines owned by the calling core, so each figure is the piece's cost
 * without the cache misses of a real hop.
 */
public final class HopParts {
    private final G g = new G(1, "hop-parts", () -> {});
    private final P p = new P(0);
    private final GlobalQueue global = new GlobalQueue();
    private final SpinLock lock = new SpinLock();
    private final Waiter waiter;

    public HopParts() {
        g.setStatusRelease(G.WAITING);
        waiter = Waiter.sentinel(); // a waiter object: what the CAS installs
    }

    /** makeRunnable's CAS and execute's two release stores: WAITING -> RUNNABLE -> RUNNING -> WAITING. */
    public int statusCycle() {
        if (!g.casStatus(G.WAITING, G.RUNNABLE)) throw new IllegalStateException();
        g.setStatusRelease(G.RUNNING);
        g.setStatusRelease(G.WAITING);
        return g.status();
    }

    /** ready's put into runnext (one exchange) and findRunnable's poll of it (one CAS). */
    public G runnextPutPoll() {
        p.runq.put(g, true, global);
        return p.runq.poll();
    }

    /** The wake decision of ready() under deferred wake-ups, and its settling at the unmount. */
    public boolean wakeDecision() {
        p.runq.put(g, true, global);
        boolean owe = p.runq.onlyRunnext(); // WakePolicy.readied's test
        if (owe && !p.wakeOwed) p.wakeOwed = true; // readied: the debt (a volatile store)
        WakePolicy.carrierUnmounted(p); // execute: settled (a volatile store)
        p.runq.poll();
        return owe;
    }

    /** A channel's lock and unlock (CAS, release store), with the stack reserve of lock(). */
    public boolean lockUnlock() {
        lock.lock();
        boolean held = lock.isLocked();
        lock.unlock();
        return held;
    }

    /** Waiter.await's install of the interruptible wait (a CAS on the goroutine's interrupt state). */
    public boolean beginInterruptibleWait() {
        return g.beginInterruptibleWait(waiter);
    }

    /** Waiter.current()'s reset of a goroutine's reused waiter, without the carrier lookup. */
    public Object waiterReset() {
        Waiter w = waiter;
        w.item = null;
        w.success = false;
        w.next = w.prev = null;
        return w;
    }

    /** The carrier lookup (a call that is never inlined), from a thread that is no carrier. */
    public static M carrierLookup() {
        return CarrierLookup.currentM();
    }

    /**
     * The carrier loop's bookkeeping per switch that is not a queue or status operation: the
     * tick, the timer check, the 61st-tick test, the interrupt flag read at the unmount, the
     * preemption-request clear, the bubble test, the stuck test.
     */
    public int carrierBookkeeping() {
        int t = p.tick();
        long firstTimer = p.timers.next;
        if (firstTimer != Long.MAX_VALUE && firstTimer - System.nanoTime() <= 0) t++;
        if (p.schedtick() % 61 == 0) t++;
        if (Thread.interrupted()) t++;
        if (Preemption.clear(g)) t++;
        if (Bubble.active()) t++;
        if (p.stuck) t++;
        return t;
    }
}
