package dev.gort.bench;

import dev.gort.Go;
import java.util.concurrent.CompletionException;

/**
 * Where a repetition's body runs: the counterpart of Go's main goroutine for each runtime.
 * Each repetition gets a fresh driver; the caller (the harness, on the platform main thread)
 * waits for it and gets the body's values or its exception.
 */
public enum Driver {
    /** A Gort goroutine: {@code Go.run(body)}. */
    GOROUTINE {
        @Override
        double[] run(Workload.Body body) throws Exception {
            double[][] out = new double[1][];
            try {
                Go.run(() -> {
                    try {
                        out[0] = body.run();
                    } catch (Exception e) {
                        throw new CompletionException(e);
                    }
                });
            } catch (CompletionException e) {
                throw unwrap(e);
            }
            return out[0];
        }
    },

    /** A JDK virtual thread ({@code Thread.ofVirtual()}), joined by the caller. */
    VIRTUAL_THREAD {
        @Override
        double[] run(Workload.Body body) throws Exception {
            double[][] out = new double[1][];
            Throwable[] failure = new Throwable[1];
            Thread.ofVirtual().name("driver").start(() -> {
                try {
                    out[0] = body.run();
                } catch (Throwable t) {
                    failure[0] = t;
                }
            }).join();
            if (failure[0] instanceof Exception e) throw e;
            if (failure[0] instanceof Error e) throw e;
            return out[0];
        }
    };

    abstract double[] run(Workload.Body body) throws Exception;

    private static Exception unwrap(CompletionException e) {
        return e.getCause() instanceof Exception c ? c : e;
    }
}
