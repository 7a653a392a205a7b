package dev.gort;

import dev.gort.sched.Bubble;
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
 * creation ids), the cases ({@code Recv} or {@code Send}, a sealed type) polled in a random
 * order with the channel's {@code *Locked} operations, which return the waiter to wake once every
 * lock is released. If none is ready, one {@link Waiter.SelectCase} per case is queued on its
 * channel under the locks, all sharing one {@link SelectGroup}, and the goroutine parks with a
 * commit that releases every lock. The channel operation that dequeues one of the waiters first
 * claims the group (a CAS); waiters dequeued after that are dropped. After waking, the selecting
 * goroutine locks the channels again and unlinks its other waiters.
 */
public final class Select {
    /** A case: a channel operation and what runs when it happens. */
    private sealed interface Case {
        /** The channel, or null (never ready: Go's nil channel). */
        Chan<?> chan();
    }

    /** A receive case: {@code action} gets the value, or null once the channel is closed and drained. */
    private record Recv(Chan<?> chan, Consumer<Object> action) implements Case {}

    /** A send case: {@code value} is sent, then {@code action} runs. */
    private record Send(Chan<?> chan, Object value, Runnable action) implements Case {}

    private final List<Case> cases = new ArrayList<>();
    private Runnable otherwise;
    private java.time.Duration timeout;
    private Runnable onTimeout;

    /** A receive case: {@code action} gets the value, or null once {@code ch} is closed and drained. */
    @SuppressWarnings("unchecked")
    public <T> Select recv(Chan<T> ch, Consumer<? super T> action) {
        Objects.requireNonNull(action, "action");
        cases.add(new Recv(ch, (Consumer<Object>) action));
        return this;
    }

    /** A send case: sends {@code value} on {@code ch}, then runs {@code action}. */
    public <T> Select send(Chan<T> ch, T value, Runnable action) {
        Objects.requireNonNull(value, "channel values must not be null");
        Objects.requireNonNull(action, "action");
        cases.add(new Send(ch, value, action));
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
        cases.add(new Recv(timer.c(), v -> onTimeout.run()));
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
            if (c.chan() != null && !chans.contains(c.chan())) chans.add(c.chan());
        }
        chans.sort((a, b) -> Long.compare(a.id, b.id));
        // Channels of a test bubble: only its goroutines may use them. Any channel made outside
        // a bubble makes a bubble goroutine's wait here not durable (see Bubble).
        boolean outside = false;
        if (Bubble.active()) {
            for (Chan<?> ch : chans) {
                if (ch.id < 0) Bubble.checkChannel(ch.id); else outside = true;
            }
        } else if (!chans.isEmpty() && chans.get(0).id < 0) { // sorted: a bubble's channels first
            Bubble.checkChannel(chans.get(0).id);
        }
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
            Chan<?> ch = c.chan();
            if (ch == null) continue;
            // instanceof, not a pattern switch, while the locks are held: a pattern switch links
            // through invokedynamic at its first run, a call too deep for the stack the select
            // reserved (see StackReserve).
            if (c instanceof Recv r) {
                Object v;
                Waiter sender = ch.recvLocked();
                if (sender != null) {
                    v = sender.item;
                    sender.item = null;
                } else {
                    v = ch.unbufferLocked();
                    if (v == null && !ch.closedLocked()) continue; // would wait
                }
                unlockAll(chans);
                if (sender != null) sender.wake(); // after the unlock (see Chan)
                r.action().accept(v); // null: closed and drained
                return;
            }
            Send snd = (Send) c;
            if (ch.closedLocked()) {
                unlockAll(chans);
                throw new ChannelClosedException("send on closed channel");
            }
            Waiter receiver = ch.sendLocked(snd.value());
            if (receiver == null && !ch.bufferLocked(snd.value())) continue; // would wait
            unlockAll(chans);
            if (receiver != null) receiver.wake(); // after the unlock (see Chan)
            snd.action().run();
            return;
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
                if (c.chan() == null) continue;
                Waiter w = Waiter.forSelect(group, i);
                if (c instanceof Send snd) w.item = snd.value();
                c.chan().enqueueSelect(w, c instanceof Send);
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
        Waiter.SelectCase winner;
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
            if (outside) Bubble.outsideWait(true);
            Scheduler.get().park(reason, unlock);
            if (outside) Bubble.outsideWait(false);
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
            if (waiters[i] != null && waiters[i] != winner) remove(i, waiters[i]);
        }
        unlockAll(chans);
        switch (cases.get(winner.caseIndex)) {
            case Recv r -> {
                Object v = winner.success ? winner.item : null;
                winner.item = null; // the goroutine's reused waiter keeps no value
                r.action().accept(v);
            }
            case Send snd -> {
                if (!winner.success) throw new ChannelClosedException("send on closed channel");
                snd.action().run();
            }
        }
    }

    /** A platform thread waits for a case to win; null if interrupted first (interrupt cleared). */
    private static Waiter.SelectCase awaitPlatform(SelectGroup group) {
        for (;;) {
            Waiter.SelectCase w = group.winner();
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
            if (waiters[i] != null) remove(i, waiters[i]);
        }
    }

    /** Holding case i's channel's lock: unlinks w, case i's waiter, if it is still queued. */
    private void remove(int i, Waiter w) {
        Case c = cases.get(i);
        c.chan().removeSelect(w, c instanceof Send);
    }

    private static void lockAll(List<Chan<?>> chans) {
        for (Chan<?> c : chans) c.lockForSelect();
    }

    private static void unlockAll(List<Chan<?>> chans) {
        for (int i = chans.size() - 1; i >= 0; i--) chans.get(i).unlockForSelect();
    }

}
