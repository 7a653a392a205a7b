package dev.gort.sched;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;

/**
 * A carrier (Go's {@code m}): a platform daemon thread that runs goroutines by mounting their
 * continuations, while it holds a P.
 *
 * <p>Fields written by the M's own thread are plain unless another thread reads them; the
 * hand-off fields ({@link #nextP}, {@link #spinning} on wake-up) are written by the waker
 * <em>before</em> {@link #wakeup()} and read by this thread after {@link #sleep()} returns,
 * ordered by the wake-up token's release/acquire.
 */
final class M {
    final int id;
    final CarrierThread thread;
    /**
     * The idle thread started right after {@link #thread} ({@link CarrierSpacer}), which ends with
     * it; null without one. Set just before the spacer starts (null again if it could not start);
     * volatile: the runtime's stop reads it on another thread, and waits for it as for the carrier.
     */
    volatile Thread spacer;
    /** The held P, or null. Written only by this M's thread. */
    P p;
    /** A P handed over by startm / pidleput to a sleeping M. */
    P nextP;
    /** Looking for work without having found any (counted in Idle.nmspinning). */
    boolean spinning;
    /**
     * The mounted goroutine, or null. Written by this M's thread only (release store), read by
     * it plainly (currentG) and by sysmon and the dump with {@link #curgAcquire()}.
     */
    private G curg;
    /** Idle-list link; guarded by {@link Idle#lock}. */
    M idleNext;
    /**
     * Retired by sysmon after a long idleness ({@link Idle#retireIdleCarriers}): written under
     * {@link Idle#lock} before the {@link #wakeup()} that ends this M, read by this M after it.
     */
    boolean retired;
    /**
     * Allocation accounting ({@code gort.allocstats}): the carrier's allocated-bytes counter read
     * just before the mounted goroutine's slice began (-1: unreadable). Written and read only by
     * this M's thread (Schedule.execute, and the mounted goroutine's own
     * {@link G#allocatedBytes()}).
     */
    long allocAtMount = -1;
    /** First mounts this carrier has made while a memory limit was set: every fourth samples the heap (Admission.holdNew; this thread's own). */
    int admissionChecks;
    /** Parks of goroutines on this carrier, counted to pick the ones JFR times (Scheduler.park, dev.gort.sched.jfr.ParkSampling; this thread's own). */
    int jfrParks;
    /**
     * Bytes allocated by all the goroutine slices this carrier ran: written by this M's thread
     * only (opaque, in {@link #addGoroutineAllocated}), read opaque by {@code Go.metrics()}
     * ({@link #goroutineAllocated()}); folded into the ended carriers' total when the thread
     * ends (see {@code Schedule.carrierMain}).
     */
    private long goroutineAllocated;
    /** Per-M random state for the steal order. */
    int rand;
    /** The carrier's Linux thread id (from /proc/thread-self), or -1; for sysmon's stuck check. */
    volatile int tid = -1;
    /** The scheduler's network poller, or null (see {@link NetpollDriver}). */
    private final NetpollDriver netpoll;
    /**
     * True while this M (the timer sleeper) is blocked in, or about to enter, the network poller
     * instead of parking. Dekker pair with {@link #wakeup()} and {@link #poke()}: this M stores
     * {@code netpolling = true}, then reads the token and {@link #poked}; a waker stores the token
     * (or poked), then reads {@code netpolling} and breaks the poll. All four are volatile, so one
     * side sees the other's store: no wake-up is lost to a poll that started too late to see it.
     */
    volatile boolean netpolling;
    /** The cache group of this carrier's CPU ({@link NetpollDriver#carrierStarted}), or -1. Written once at start. */
    volatile int cacheGroup = -1;
    /** Goroutines returned by this M's polls (reused; only this M's thread touches it). */
    final java.util.ArrayList<G> polled = new java.util.ArrayList<>();

    private volatile int wakeToken;
    /**
     * Threads inside {@link G#interrupt()}'s carrier step for a goroutine they saw mounted here.
     * Incremented (full fence) before they re-read {@code G.CarrierInterrupting.mountedOn}; the
     * carrier waits for zero after clearing mountedOn, before it clears its interrupt flag.
     */
    private volatile int interrupters;
    private static final VarHandle INTERRUPTERS;
    private static final VarHandle WAKE_TOKEN;
    private static final VarHandle CURG;
    private static final VarHandle GOROUTINE_ALLOCATED;

    static {
        try {
            WAKE_TOKEN = MethodHandles.lookup().findVarHandle(M.class, "wakeToken", int.class);
            INTERRUPTERS = MethodHandles.lookup().findVarHandle(M.class, "interrupters", int.class);
            CURG = MethodHandles.lookup().findVarHandle(M.class, "curg", G.class);
            GOROUTINE_ALLOCATED = MethodHandles.lookup().findVarHandle(M.class, "goroutineAllocated", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    M(int id, Scheduler scheduler) {
        this.id = id;
        this.netpoll = scheduler.netpoll;
        this.rand = 0x9E3779B9 * (id + 1);
        this.thread = new CarrierThread(this, scheduler);
    }

    void enterInterrupter() {
        INTERRUPTERS.getAndAdd(this, 1);
    }

    void exitInterrupter() {
        INTERRUPTERS.getAndAdd(this, -1);
    }

    /**
     * This M's thread, after clearing G.mountedOn (or a goroutine's consumed status): waits out
     * interrupters that saw it set. An interrupter's announced section is a few field reads and
     * one Thread.interrupt(), never a wait; but its thread may lose its CPU inside it, so after a
     * short spin this gives the CPU away (an OS yield: the carrier is not parked, and no
     * goroutine is waited for) instead of spinning against it on a crowded machine.
     */
    void awaitNoInterrupters() {
        for (int spins = 0; interrupters != 0; spins++) {
            if (spins < 128) Thread.onSpinWait();
            else Thread.yield();
        }
    }

    /** This M's own thread: the goroutine it runs now. */
    G curg() {
        return curg;
    }

    void setCurg(G g) {
        CURG.setRelease(this, g);
    }

    /** This M's thread: adds a finished slice's bytes to the carrier's total. */
    void addGoroutineAllocated(long bytes) {
        GOROUTINE_ALLOCATED.setOpaque(this, goroutineAllocated + bytes);
    }

    /** Any thread: the bytes of the slices this M ran (never torn; may lag a slice). */
    long goroutineAllocated() {
        return (long) GOROUTINE_ALLOCATED.getOpaque(this);
    }

    /** Other threads: the goroutine this M runs (a snapshot). */
    G curgAcquire() {
        return (G) CURG.getAcquire(this);
    }

    /** Parks this M's thread until {@link #wakeup()} (Go's notesleep). Consumes one token. */
    void sleep() {
        while (!WAKE_TOKEN.compareAndSet(this, 1, 0)) {
            LockSupport.park(this);
        }
    }

    /**
     * Like {@link #sleep()}, but also ends when {@link #poked}: for the timer sleeper that found
     * no timer armed (a timer added later pokes it). @return true if woken by {@link #wakeup()}
     */
    boolean sleepUntilPoked() {
        for (;;) {
            if (WAKE_TOKEN.compareAndSet(this, 1, 0)) return true;
            if (poked) return false;
            LockSupport.park(this);
        }
    }

    /** Set by a timer earlier than this M's timed sleep: it must wake and look again. */
    volatile boolean poked;

    /**
     * Like {@link #sleep()}, giving up at {@code deadline} (System.nanoTime) or when
     * {@link #poked}. @return true if woken by {@link #wakeup()} (the token was consumed)
     */
    boolean sleepUntil(long deadline) {
        for (;;) {
            if (WAKE_TOKEN.compareAndSet(this, 1, 0)) return true;
            if (poked) return false;
            long left = deadline - System.nanoTime();
            if (left <= 0) return false;
            LockSupport.parkNanos(this, left);
        }
    }

    /** Wakes the M (Go's notewakeup): writes before this call are visible after its sleep(). */
    void wakeup() {
        WAKE_TOKEN.setVolatile(this, 1);
        if (netpolling) netpoll.wakeup();
        LockSupport.unpark(thread);
    }

    /** Ends this M's timed sleep early (an earlier timer, or I/O waiters to poll for). */
    void poke() {
        poked = true;
        if (netpolling) netpoll.wakeup();
        LockSupport.unpark(thread);
    }

    /** True if a {@link #wakeup()} is pending (it will not be consumed here). */
    boolean hasToken() {
        return (int) WAKE_TOKEN.getVolatile(this) != 0;
    }

    /** Consumes a pending wake-up, if any. @return true if there was one */
    boolean tryConsumeToken() {
        return WAKE_TOKEN.compareAndSet(this, 1, 0);
    }

    /** Called on the carrier thread itself: learns its kernel thread id where /proc tells it. */
    void learnTid() {
        try {
            java.nio.file.Path link = java.nio.file.Files.readSymbolicLink(java.nio.file.Path.of("/proc/thread-self"));
            tid = Integer.parseInt(link.getFileName().toString());
        } catch (Exception | LinkageError e) {
            tid = -1; // not Linux, or /proc not mounted: sysmon falls back to CPU time
        }
    }

    /**
     * The kernel's scheduling state of this carrier ('R' runnable, 'S' sleeping, 'D' in
     * uninterruptible I/O, ...), or 0 when unknown. Read by sysmon only, rarely.
     */
    char kernelState() {
        int t = tid;
        if (t < 0) return 0;
        try {
            String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/self/task/" + t + "/stat"));
            int close = stat.lastIndexOf(')');
            return close >= 0 && close + 2 < stat.length() ? stat.charAt(close + 2) : 0;
        } catch (Exception e) {
            return 0;
        }
    }

    int nextRandom() {
        int x = rand;
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        rand = x;
        return x;
    }

    /** The carrier thread: knows its M, so that the current goroutine is found without a ThreadLocal. */
    static final class CarrierThread extends Thread {
        final M m;

        CarrierThread(M m, Scheduler scheduler) {
            super(null, () -> scheduler.schedule.carrierMain(m), "gort-m" + m.id, scheduler.config.stackSize(), false);
            this.m = m;
            setDaemon(true);
        }
    }
}
