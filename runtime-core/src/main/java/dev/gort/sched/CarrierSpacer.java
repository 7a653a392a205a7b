package dev.gort.sched;

/**
 * An idle thread started right after each carrier thread, so that no two carriers share the
 * JDK's per-thread state in one cache line.
 *
 * <h2>Why</h2>
 * The JDK writes a carrier's own thread state at every continuation mount and unmount
 * ({@code Continuation.run} sets the carrier's scoped-value cache, then clears it) and reads it at
 * every {@code Thread.currentThread()}. Part of that state is native, allocated when the thread
 * starts, in the order threads start: HotSpot takes four 8-byte handles per thread (the thread
 * object, the current virtual thread, JVMTI's, the scoped-value cache) from one shared store, so
 * two threads started one after the other hold their handles in the same 64-byte line. Two busy
 * carriers started back to back then invalidate each other's line at every switch. Measured
 * (docs/BENCHMARKS.md, "Two busy carriers"): bare continuation rings on two platform threads ran
 * at 148.5 ns a hop (median of 12 carriers in 6 processes; one of them 250 ns) against 122.4 ns
 * for one alone; with an idle thread started after each, 123.3 ns (at most 128.0). Padding the
 * two {@code Thread} objects apart in the heap did not help, starting a thread between them did.
 * In Gort, two independent rings of goroutines on two Ps ran 1.16-2.82x slower than one alone
 * without spacers (median 1.40x, 8 processes), 0.90-1.20x with them (median 1.05x).
 *
 * <h2>How</h2>
 * {@link Idle#startm} starts a fresh M's carrier and then its spacer {@code gort-spacer-mN}
 * under {@link #LOCK}, so no other carrier starts between the two: each carrier's handles share a
 * line only with its own spacer's or with those of a thread started before it. The spacer waits
 * in {@link Thread#join()} for its carrier and ends with it (retired, or the runtime stopped), so
 * the store's slots are freed together and a later carrier and spacer reuse them in the same
 * order; the runtime's stop waits for it as for the carrier ({@link M#spacer}). A spacer costs a
 * parked platform thread with the smallest stack the JVM allows; one that cannot be started (no
 * memory for another thread) is left out: it only costs speed. {@code -Dgort.carrierspacers=false}
 * starts none.
 *
 * <h2>The lock</h2>
 * {@link #LOCK} is held for the two {@code Thread.start()} calls and nothing else: no goroutine
 * waits under it, and a carrier that calls {@code startm} meanwhile (a fresh M is rare: the first
 * start of a P's carrier, or a blocking call's hand-off) waits only for those two starts. It
 * orders nothing in memory: {@link M#spacer} is volatile on its own, written before the spacer
 * starts and read by the stop after it has joined the carrier.
 */
final class CarrierSpacer {
    private CarrierSpacer() {}

    /** Held while a carrier and its spacer start, so that their handles are allocated consecutively. */
    private static final Object LOCK = new Object();

    /** The stack asked for: the JVM rounds it up to its minimum for a Java thread. */
    private static final long STACK_SIZE = 64 * 1024;

    /** Starts m's carrier thread, then (if {@code spacer}) its spacer. */
    static void startCarrier(M m, boolean spacer) {
        synchronized (LOCK) {
            m.thread.start();
            if (!spacer) return;
            Thread carrier = m.thread;
            Thread t = new Thread(null, () -> awaitEnd(carrier), "gort-spacer-m" + m.id, STACK_SIZE, false);
            t.setDaemon(true);
            m.spacer = t; // before the start: a stop that joins the carrier joins the spacer too
            try {
                t.start();
            } catch (OutOfMemoryError e) {
                m.spacer = null; // no thread for the spacer: the carrier runs without one (only its speed depends on it)
            }
        }
    }

    /** The spacer's body: waits for its carrier to end, whatever interrupts it meanwhile. */
    private static void awaitEnd(Thread carrier) {
        boolean interrupted = false;
        while (carrier.isAlive()) {
            try {
                carrier.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
    }
}
