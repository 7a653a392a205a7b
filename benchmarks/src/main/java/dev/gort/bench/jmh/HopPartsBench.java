package dev.gort.bench.jmh;

import dev.gort.sched.HopParts;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The pieces of a W5 hop (a send to a parked receiver, then the sender's park and the receiver's
 * run) other than the continuation switch, each alone on one thread (see {@link HopParts}):
 * what each costs with its cache lines at hand. A real hop pays these plus the misses of lines
 * the previous goroutine left elsewhere. docs/BENCHMARKS.md ("Where a hop goes") adds them up.
 *
 * <p>Run: {@code java --add-exports java.base/jdk.internal.vm=ALL-UNNAMED -cp
 * benchmarks/target/benchmarks.jar org.openjdk.jmh.Main HopPartsBench} (the fork inherits the
 * flags; a goroutine is a continuation, which needs the export).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class HopPartsBench {
    private final HopParts parts = new HopParts();

    @Benchmark
    public int statusCycle() {
        return parts.statusCycle();
    }

    @Benchmark
    public Object runnextPutPoll() {
        return parts.runnextPutPoll();
    }

    @Benchmark
    public boolean wakeDecision() {
        return parts.wakeDecision();
    }

    @Benchmark
    public boolean lockUnlock() {
        return parts.lockUnlock();
    }

    @Benchmark
    public boolean beginInterruptibleWait() {
        return parts.beginInterruptibleWait();
    }

    @Benchmark
    public Object waiterReset() {
        return parts.waiterReset();
    }

    @Benchmark
    public Object carrierLookup() {
        return HopParts.carrierLookup();
    }

    @Benchmark
    public int carrierBookkeeping() {
        return parts.carrierBookkeeping();
    }

    @Benchmark
    public long nanoTime() {
        return System.nanoTime();
    }
}
