package dev.gort.sched;

/**
 * The wait a goroutine is parked in, as seen by {@link G#interrupt()}: a plain wait on a
 * {@link WaitQueue} ({@link Waiter}), a blocked select ({@link SelectGroup}) or a sleep.
 *
 * <p>Contract of {@link #interruptWait}: it is called at most once per interrupt, by the
 * interrupter, after it has set the goroutine's interrupt status. It must take the goroutine out
 * of its wait only if it is still waiting there, and only if it wins against every other waker
 * (the same lock or claim the wakers use), then ready the goroutine only once it is parked (its
 * park commit has run). Otherwise it does nothing: the goroutine was woken by someone else (a
 * value handed over stays handed over) or has not parked yet, and then it sees the status itself.
 */
public interface InterruptibleWait {
    void interruptWait(G g);
}
