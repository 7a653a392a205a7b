package dev.gort.bench;

import dev.gort.Go;
import dev.gort.Metrics;
import java.util.concurrent.CompletionException;

/**
 * Where a repetition's body runs: the counterpart of Go's main goroutine for each runtime.
 * Each repetition gets a fresh driver; the caller (the harness, on the platform main thread)
 * waits for it and gets the body's values or its exception.
 */
public enum Driver {
    /**
     * A Gort goroutine: {@code Go.run(body)}. Prints an INFO line with what the scheduler's
     * counters ({@code Go.metrics()}) did during the repetition, read outside the timing.
     */
    GOROUTINE {
        @Override
        double[] run(Workload.Body body) throws Exception {
            double[][] out = new double[1][];
            Metrics m0 = Go.metrics();
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
            Metrics m1 = Go.metrics();
            System.out.printf("INFO gort sched: preemptions=+%d stuckRetakes=+%d blockingCalls=+%d carrierWakeups=+%d"
                    + " steals=+%d threads=%d goroutines=%d%n", m1.preemptions() - m0.preemptions(),
                m1.stuckRetakes() - m0.stuckRetakes(), m1.blockingCalls() - m0.blockingCalls(),
                m1.carrierWakeups() - m0.carrierWakeups(), m1.steals() - m0.steals(), m1.threads(), m1.goroutines());
            return out[0];
        }
    },

    /** The calling platform thread (the harness's main thread): for bodies that start their own threads. */
    PLATFORM {
        @Override
        double[] run(Workload.Body body) throws Exception {
            return body.run();
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
