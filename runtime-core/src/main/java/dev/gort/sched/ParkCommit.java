package dev.gort.sched;

/**
 * The last step of parking a goroutine, run by its carrier after the goroutine's stack has been
 * unmounted (Go's {@code gopark} {@code unlockf}). Typically it releases the lock that guards the
 * wait queue the goroutine linked itself into: from then on a waker may find it and ready it,
 * and the goroutine is already safely off its carrier.
 */
@FunctionalInterface
public interface ParkCommit {
    /**
     * @param g the goroutine that parked, now {@link dev.gort.Goroutine.State#WAITING}
     * @return true to stay parked; false to make g runnable again at once (its wait is over)
     */
    boolean afterUnmount(G g);
}
