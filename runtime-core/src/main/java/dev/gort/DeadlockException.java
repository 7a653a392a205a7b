package dev.gort;

/**
 * Thrown by {@link Go#run(Runnable)} when every goroutine is asleep and nothing (a runnable
 * goroutine, a running carrier, a blocking call in progress) can wake one: Go's
 * "all goroutines are asleep - deadlock!". Carries {@link Go#dump()} taken at detection (every
 * goroutine's stack); its own stack trace is that of the thread that called Go.run, where it is
 * thrown, not that of the runtime thread that detected the deadlock.
 */
public final class DeadlockException extends RuntimeException {
    private final String dump;

    public DeadlockException(String message, String dump) {
        super(message);
        this.dump = dump;
    }

    /** Every goroutine at the time of detection, with its wait reason and stack. */
    public String dump() {
        return dump;
    }

    @Override
    public String getMessage() {
        return super.getMessage() + "\n\n" + dump;
    }
}
