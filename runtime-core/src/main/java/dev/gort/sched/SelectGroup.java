package dev.gort.sched;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The waiters of one blocked select, one per case, queued on different channels (Go's
 * {@code sudog} list with {@code g.selectDone}). Exactly one of them wins: the first party to
 * {@link #claim} it (a channel operation that dequeued it, or the selecting platform thread
 * giving up on an interrupt). The others are stale: a channel that dequeues one drops it, and the
 * selecting goroutine unlinks the rest after it wakes.
 */
public final class SelectGroup {
    /** Claimed by the selecting thread itself (interrupted): no case won. */
    public static final Waiter CANCELLED = Waiter.sentinel();

    private volatile Waiter winner;
    private static final VarHandle WINNER;

    static {
        try {
            WINNER = MethodHandles.lookup().findVarHandle(SelectGroup.class, "winner", Waiter.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** @return true if w is the first (and only) waiter of the group to be claimed */
    boolean claim(Waiter w) {
        return WINNER.compareAndSet(this, null, w);
    }

    /** The selecting platform thread gives up. @return false if a case won first */
    public boolean cancel() {
        return WINNER.compareAndSet(this, null, CANCELLED);
    }

    public Waiter winner() {
        return winner;
    }
}
