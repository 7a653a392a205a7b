package dev.gort.bench.jmh;

import java.lang.management.ManagementFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What a read of a thread's allocated-bytes counter costs, for the allocation accounting of
 * goroutines ({@code -Dgort.allocstats}): the carrier reads its own counter twice per goroutine
 * switch (at the mount and at the unmount), against a switch of about 125-145 ns (W2's round
 * trip is two switches, W5's hop one).
 *
 * <ul>
 *   <li>{@code current}: {@code com.sun.management.ThreadMXBean#getCurrentThreadAllocatedBytes()},
 *       the path Gort takes: one JNI call that reads the calling thread's count.</li>
 *   <li>{@code ownId}: {@code getThreadAllocatedBytes(id)} with the caller's own id (the JDK takes
 *       the same native path after comparing the id).</li>
 *   <li>{@code otherId}: {@code getThreadAllocatedBytes(id)} with another thread's id: a thread
 *       list and a lookup in the VM (what reading a carrier's count from sysmon would cost).</li>
 *   <li>{@code mountUnmountPair}: the two reads of one switch and their difference.</li>
 *   <li>{@code nanoTime}: a reference a reader knows.</li>
 * </ul>
 * Run: {@code java -cp benchmarks/target/benchmarks.jar org.openjdk.jmh.Main AllocCounterBench}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class AllocCounterBench {
    private com.sun.management.ThreadMXBean threads;
    private long ownId;
    private Thread other;
    private long otherId;

    @Setup(Level.Trial)
    public void setUp() {
        threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        ownId = Thread.currentThread().threadId();
        other = Thread.ofPlatform().daemon().start(() -> {
            while (!Thread.currentThread().isInterrupted()) LockSupport.park();
        });
        otherId = other.threadId();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws InterruptedException {
        other.interrupt();
        other.join();
    }

    @Benchmark
    public long current() {
        return threads.getCurrentThreadAllocatedBytes();
    }

    @Benchmark
    public long ownId() {
        return threads.getThreadAllocatedBytes(ownId);
    }

    @Benchmark
    public long otherId() {
        return threads.getThreadAllocatedBytes(otherId);
    }

    @Benchmark
    public long mountUnmountPair() {
        long before = threads.getCurrentThreadAllocatedBytes();
        long after = threads.getCurrentThreadAllocatedBytes();
        return after - before;
    }

    @Benchmark
    public long nanoTime() {
        return System.nanoTime();
    }
}
