package dev.gort.sched;

/**
 * The wait a goroutine is parked in, as seen by {@link G#interrupt()}: a plain wait on a
 * {@link WaitQueue} ({@link Waiter}), a blocked select ({@link SelectGroup}), a sleep, or a socket
 * wait of runtime-netpoll (its {@code PollDesc}, through {@link #begin} and {@link #takeInterrupt}).
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

    /**
     * The calling goroutine, before it parks in {@code w} (for waits outside this package:
     * runtime-netpoll's): installs it. False if the goroutine is interrupted: then it must not
     * park, and {@link #takeInterrupt()} says true.
     */
    static boolean begin(InterruptibleWait w) {
        return Scheduler.currentG().beginInterruptibleWait(w);
    }

    /**
     * The calling goroutine, after its wait: if its interrupt status is set, clears it (it is
     * about to throw) and returns true.
     */
    static boolean takeInterrupt() {
        G g = Scheduler.currentG();
        if (!g.interruptPending()) return false;
        g.clearInterruptForThrow();
        return true;
    }
}
