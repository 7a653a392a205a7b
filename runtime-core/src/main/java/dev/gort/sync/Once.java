package dev.gort.sync;

/**
 * Runs an action exactly once (Go's {@code sync.Once}): the first {@link #run} runs it; every
 * other call waits (parking) until it has finished, then returns. If the action throws, the Once
 * still counts as done, as in Go.
 */
public final class Once {
    private volatile boolean done;
    private final Mutex m = new Mutex();

    public void run(Runnable action) {
        if (done) return;
        m.lock();
        try {
            if (!done) {
                try {
                    action.run();
                } finally {
                    done = true;
                }
            }
        } finally {
            m.unlock();
        }
    }

    public boolean isDone() {
        return done;
    }
}
