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
public final class SelectGroup implements InterruptibleWait {
    /** Claimed by the selecting thread itself (interrupted): no case won. */
    public static final Waiter.SelectCase CANCELLED = Waiter.selectSentinel();

    private volatile Waiter.SelectCase winner;
    /**
     * A selecting goroutine's park lock: held by the goroutine from before it installs this
     * group as its interruptible wait until its park commit, which releases it last (after the
     * channels' locks). An interrupter that claimed the group takes it to know the goroutine is
     * parked before readying it.
     */
    private final SpinLock parkLock = new SpinLock();
    private static final VarHandle WINNER;

    static {
        try {
            WINNER = MethodHandles.lookup().findVarHandle(SelectGroup.class, "winner", Waiter.SelectCase.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** @return true if w is the first (and only) waiter of the group to be claimed */
    boolean claim(Waiter.SelectCase w) {
        return WINNER.compareAndSet(this, null, w);
    }

    /** The selecting platform thread gives up. @return false if a case won first */
    public boolean cancel() {
        return WINNER.compareAndSet(this, null, CANCELLED);
    }

    /** The selecting goroutine, before it installs the group: see {@link #parkLock}. */
    public void lockForPark() {
        parkLock.lockWithinReserve(); // taken holding the channels' locks: the select reserved the stack
    }

    /** The selecting goroutine's park commit, after the channels are unlocked. */
    public void unlockForPark() {
        parkLock.unlock();
    }

    /**
     * An interrupt of the selecting goroutine: it wins only if no case has ({@link #cancel}),
     * then waits for the park to complete and readies the goroutine, which finds
     * {@link #CANCELLED} as the winner and throws.
     */
    @Override
    public void interruptWait(G g) {
        if (!cancel()) return;
        parkLock.lock();
        parkLock.unlock();
        Scheduler.get().ready(g);
    }

    public Waiter.SelectCase winner() {
        return winner;
    }
}
