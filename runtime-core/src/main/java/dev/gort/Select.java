package dev.gort;

import dev.gort.sched.G;
import dev.gort.sched.ParkCommit;
import dev.gort.sched.Scheduler;
import dev.gort.sched.SelectGroup;
import dev.gort.sched.StackReserve;
import dev.gort.sched.WaitReason;
import dev.gort.sched.Waiter;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * Go's {@code select}: waits until one of several channel operations can proceed, does that
 * one, and runs its action.
 *
 * <pre>{@code
 * new Select()
 *     .recv(jobs, job -> handle(job))            // job == null: jobs is closed and drained
 *     .send(results, r, () -> sent++)
 *     .otherwise(() -> idle())                   // optional: never wait
 *     .run();
 * }</pre>
 *
 * <p>When several cases are ready, one is chosen at random (uniformly), as in Go. Without
 * {@link #otherwise}, {@link #run()} waits, parked on every channel at once; the first operation
 * to complete wins and the select's waiters leave every other channel's queue. The same channel
 * may appear in several cases. A null channel is never ready (Go's nil channel). A send case on
 * a closed channel throws {@link ChannelClosedException}, as a send does. A Select may be run
 * again; its cases and actions are kept.
 *
 * <p>For maintainers: Go's {@code selectgo}. The channels are locked in a fixed order (their
 * creation ids), the cases polled in a random order; if none is ready, one {@link Waiter} per
 * case is queued on its channel under the locks, all sharing one {@link SelectGroup}, and the
 * goroutine parks with a commit that releases every lock. The channel operation that dequeues
 * one of the waiters first claims the group (a CAS); waiters dequeued after that are dropped.
 * After waking, the selecting goroutine locks the channels again and unlinks its other waiters.
 */
public final class Select {
    private static final int RECV = 0, SEND = 1;

    private record Case(int kind, Chan<?> chan, Object value, Consumer<Object> onRecv, Runnable onSend) {}

    private final List<Case> cases = new ArrayList<>();
    private Runnable otherwise;
    private java.time.Duration timeout;
    private Runnable onTimeout;

    /** A receive case: {@code action} gets the value, or null once {@code ch} is closed and drained. */
    @SuppressWarnings("unchecked")
    public <T> Select recv(Chan<T> ch, Consumer<? super T> action) {
        Objects.requireNonNull(action, "action");
        cases.add(new Case(RECV, ch, null, (Consumer<Object>) action, null));
        return this;
    }

    /** A send case: sends {@code value} on {@code ch}, then runs {@code action}. */
    public <T> Select send(Chan<T> ch, T value, Runnable action) {
        Objects.requireNonNull(value, "channel values must not be null");
        Objects.requireNonNull(action, "action");
        cases.add(new Case(SEND, ch, value, null, action));
        return this;
    }

    /**
     * A timeout case: if no other case happened within {@code d} of {@link #run()}'s start,
     * {@code action} runs instead (Go's {@code case <-time.After(d)}; the timer is stopped when
     * another case wins).
     */
    public Select after(java.time.Duration d, Runnable action) {
        if (timeout != null) throw new IllegalStateException("select has a timeout case already");
        timeout = Objects.requireNonNull(d, "d");
        onTimeout = Objects.requireNonNull(action, "action");
        return this;
    }

    /** The default case: runs when no other case is ready, so {@link #run()} never waits. */
    public Select otherwise(Runnable action) {
        if (otherwise != null) throw new IllegalStateException("select has a default case already");
        otherwise = Objects.requireNonNull(action, "action");
        return this;
    }

    /** Racy xorshift state: only the quality of the random order depends on it. */
    private static long seed = System.nanoTime() | 1;

    private static int random(int bound) {
        long x = seed;
        x ^= x << 13;
        x ^= x >>> 7;
        x ^= x << 17;
        seed = x;
        return (int) ((x >>> 33) % bound);
    }

    /**
     * Runs the select: one case (or the default) happens, and its action runs on the caller.
     *
     * @throws InterruptedException if the calling goroutine or platform thread is interrupted while waiting
     *         (no case happened)
     */
    public void run() throws InterruptedException {
        if (timeout == null) {
            runCases();
            return;
        }
        dev.gort.time.Timer timer = dev.gort.time.Timer.start(timeout);
        cases.add(new Case(RECV, timer.c(), null, v -> onTimeout.run(), null));
        try {
            runCases();
        } finally {
            cases.remove(cases.size() - 1);
            timer.stop();
        }
    }

    private void runCases() throws InterruptedException {
        Go.safepoint();
        int n = cases.size();
        if (n == 0 && otherwise == null) {
            throw new IllegalStateException("select with no cases would wait forever");
        }
        // The distinct channels, in lock order.
        List<Chan<?>> chans = new ArrayList<>();
        for (Case c : cases) {
            if (c.chan != null && !chans.contains(c.chan)) chans.add(c.chan);
        }
        chans.sort((a, b) -> Long.compare(a.id, b.id));
        // A random order in which to poll the cases.
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            int j = random(i + 1);
            order[i] = order[j];
            order[j] = i;
        }

        // Stack for the whole select, reserved once: the channels' locks and the group's are
        // taken within it (see StackReserve), so an overflow cannot leave some of them held.
        StackReserve.reserve();
        lockAll(chans);
        for (int k = 0; k < n; k++) {
            Case c = cases.get(order[k]);
            if (c.chan == null) continue;
            if (c.kind == RECV) {
                Object v = c.chan.recvLocked();
                if (v != null) {
                    Chan<?> done = c.chan;
                    unlockAllBut(chans, done);
                    done.unlockAndWake();
                    c.onRecv.accept(v == Chan.CLOSED ? null : v);
                    return;
                }
            } else {
                int r = c.chan.sendLocked(c.value);
                if (r != Chan.FULL) {
                    Chan<?> done = c.chan;
                    unlockAllBut(chans, done);
                    done.unlockAndWake();
                    if (r == Chan.IS_CLOSED) throw new ChannelClosedException("send on closed channel");
                    c.onSend.run();
                    return;
                }
            }
        }
        if (otherwise != null) {
            unlockAll(chans);
            otherwise.run();
            return;
        }

        // Nothing ready: wait on every case at once.
        SelectGroup group;
        Waiter[] waiters = null;
        G self = Scheduler.currentG();
        ParkCommit unlock = null;
        try {
            group = new SelectGroup();
            waiters = new Waiter[n];
            for (int k = 0; k < n; k++) {
                // In the random poll order: when several cases wait on one channel, which of them
                // a later operation meets first is random too (Go's TestPseudoRandomSend).
                int i = order[k];
                Case c = cases.get(i);
                if (c.chan == null) continue;
                Waiter w = Waiter.forSelect(group, i);
                if (c.kind == SEND) w.item = c.value;
                c.chan.enqueueSelect(w, c.kind == SEND);
                waiters[i] = w;
            }
            if (self != null) {
                unlock = g -> {
                    unlockAll(chans);
                    group.unlockForPark();
                    return true;
                };
            }
        } catch (Throwable e) { // out of memory: no waiter may stay queued, no lock held
            if (waiters != null) removeAll(waiters);
            unlockAll(chans);
            throw e;
        }
        Waiter winner;
        if (self != null) {
            // Interruptible (see G.interrupt()): the group is installed as the goroutine's wait
            // while every channel is locked, so no case can win before the install; an
            // interrupter claims the group and waits for the park lock, released by the commit.
            group.lockForPark();
            if (!Scheduler.beginInterruptibleWait(self, group)) {
                removeAll(waiters);
                unlockAll(chans);
                group.unlockForPark();
                Scheduler.clearInterruptForThrow(self);
                throw new InterruptedException();
            }
            WaitReason reason = chans.isEmpty() ? WaitReason.SELECT_NO_CASES : WaitReason.SELECT;
            Scheduler.get().park(reason, unlock);
            winner = group.winner();
            if (winner == SelectGroup.CANCELLED) {
                lockAll(chans);
                removeAll(waiters);
                unlockAll(chans);
                Scheduler.clearInterruptForThrow(self);
                throw new InterruptedException();
            }
        } else {
            unlockAll(chans);
            winner = awaitPlatform(group);
            if (winner == null) { // interrupted, and we cancelled before any case won
                lockAll(chans);
                removeAll(waiters);
                unlockAll(chans);
                throw new InterruptedException();
            }
        }
        // Unlink the waiters that did not win.
        lockAll(chans);
        for (int i = 0; i < n; i++) {
            if (waiters[i] != null && waiters[i] != winner) {
                cases.get(i).chan.removeSelect(waiters[i], cases.get(i).kind == SEND);
            }
        }
        unlockAll(chans);
        Case c = cases.get(winner.caseIndex);
        if (c.kind == RECV) {
            c.onRecv.accept(winner.success ? winner.item : null);
        } else {
            if (!winner.success) throw new ChannelClosedException("send on closed channel");
            c.onSend.run();
        }
    }

    /** A platform thread waits for a case to win; null if interrupted first (interrupt cleared). */
    private static Waiter awaitPlatform(SelectGroup group) {
        for (;;) {
            Waiter w = group.winner();
            if (w != null && w != SelectGroup.CANCELLED && w.isWoken()) return w;
            if (w == null && Thread.interrupted()) {
                if (group.cancel()) return null;
                Thread.currentThread().interrupt(); // a case won meanwhile: it stands; keep the flag
                continue;
            }
            LockSupport.park(group);
        }
    }

    private void removeAll(Waiter[] waiters) {
        for (int i = 0; i < waiters.length; i++) {
            if (waiters[i] != null) cases.get(i).chan.removeSelect(waiters[i], cases.get(i).kind == SEND);
        }
    }

    private static void lockAll(List<Chan<?>> chans) {
        for (Chan<?> c : chans) c.lockForSelect();
    }

    private static void unlockAll(List<Chan<?>> chans) {
        for (int i = chans.size() - 1; i >= 0; i--) chans.get(i).unlockForSelect();
    }

    private static void unlockAllBut(List<Chan<?>> chans, Chan<?> keep) {
        for (int i = chans.size() - 1; i >= 0; i--) {
            if (chans.get(i) != keep) chans.get(i).unlockForSelect();
        }
    }
}
