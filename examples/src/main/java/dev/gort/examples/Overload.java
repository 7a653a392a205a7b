package dev.gort.examples;

import dev.gort.Chan;
import dev.gort.Go;
import dev.gort.gc.MemoryLimit;
import dev.gort.gc.MemoryLimitMetrics;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An allocation overload, the soft memory limit's test case: a burst of requests, each of which
 * allocates a buffer, holds it over a few hand-offs to a small pool of workers that stand for a
 * slow downstream (each hand-off waits a millisecond there), and drops it. With the whole burst
 * admitted at once, the buffers live at the same time: {@code --requests 2000 --mib 1} needs
 * 2 GiB. Without a limit a small heap dies of {@code OutOfMemoryError}; with
 * {@code -Dgort.memlimit} the runtime holds back the requests that have not started yet and
 * lets the burst through as memory comes back.
 *
 * <pre>
 *   java -Xmx256m -Dgort.memlimit=192m -jar examples.jar overload [--requests 2000] [--mib 1]
 *        [--hops 3] [--workers 8] [--leak] [--threads gort|virtual]
 * </pre>
 * {@code --leak} keeps every buffer forever (live data that outgrows any heap: it must still end
 * in {@code OutOfMemoryError}, limit or not); {@code --threads virtual} runs the same program on
 * JDK virtual threads and queues. Prints one line: {@code completed requests=N done=N wall_ms=...
 * peak_heap_mib=...} and, under Gort, the limit's metrics.
 */
public final class Overload {
    private Overload() {}

    /** A request's buffer on its way to a worker, and where the worker hands it back. */
    private record Job(byte[] buffer, Chan<byte[]> reply) {}

    private record VJob(byte[] buffer, SynchronousQueue<byte[]> reply) {}

    public static void main(String[] args) throws Exception {
        int requests = Args.intOption(args, "--requests", 2000);
        int mib = Args.intOption(args, "--mib", 1);
        int hops = Args.intOption(args, "--hops", 3);
        int workers = Args.intOption(args, "--workers", 8);
        boolean leak = List.of(args).contains("--leak");
        String threads = Args.stringOption(args, "--threads", "gort");
        if (requests < 1 || mib < 1 || hops < 1 || workers < 1) {
            throw new IllegalArgumentException("--requests, --mib, --hops and --workers must be at least 1");
        }
        List<byte[]> kept = new ArrayList<>(); // --leak: every buffer, forever
        AtomicLong done = new AtomicLong(), checksum = new AtomicLong();
        long start = System.nanoTime();
        switch (threads) {
            case "gort" -> Go.run(() -> {
                Chan<Job> downstream = Chan.make();
                for (int w = 0; w < workers; w++) {
                    Go.spawn(() -> {
                        for (Job j : downstream) {
                            Go.sleep(Duration.ofMillis(1)); // the slow downstream
                            j.buffer()[0]++;
                            j.reply().send(j.buffer());
                        }
                    });
                }
                dev.gort.sync.WaitGroup wg = new dev.gort.sync.WaitGroup();
                wg.add(requests);
                for (int i = 0; i < requests; i++) {
                    Go.spawn(() -> {
                        try {
                            Chan<byte[]> reply = Chan.make();
                            request(mib, hops, leak, kept, checksum, done, b -> {
                                downstream.send(new Job(b, reply));
                                return reply.receive();
                            });
                        } finally {
                            wg.done();
                        }
                    });
                }
                wg.await();
                downstream.close();
            });
            case "virtual" -> {
                BlockingQueue<VJob> downstream = new ArrayBlockingQueue<>(1);
                List<Thread> pool = new ArrayList<>();
                for (int w = 0; w < workers; w++) {
                    pool.add(Thread.ofVirtual().start(() -> {
                        try {
                            for (;;) {
                                VJob j = downstream.take();
                                Thread.sleep(1);
                                j.buffer()[0]++;
                                j.reply().put(j.buffer());
                            }
                        } catch (InterruptedException e) {
                            // the end
                        }
                    }));
                }
                CountDownLatch all = new CountDownLatch(requests);
                for (int i = 0; i < requests; i++) {
                    Thread.ofVirtual().start(() -> {
                        try {
                            SynchronousQueue<byte[]> reply = new SynchronousQueue<>();
                            request(mib, hops, leak, kept, checksum, done, b -> {
                                downstream.put(new VJob(b, reply));
                                return reply.take();
                            });
                        } catch (InterruptedException e) {
                            throw new IllegalStateException(e);
                        } finally {
                            all.countDown();
                        }
                    });
                }
                all.await();
                for (Thread t : pool) t.interrupt();
            }
            default -> throw new IllegalArgumentException("--threads must be gort or virtual, got \"" + threads + "\"");
        }
        long wallMs = (System.nanoTime() - start) / 1_000_000L;
        StringBuilder line = new StringBuilder("completed requests=").append(requests).append(" done=").append(done.get())
            .append(" checksum=").append(checksum.get()).append(" wall_ms=").append(wallMs)
            .append(" peak_heap_mib=").append(peakHeap() >> 20);
        if (threads.equals("gort")) {
            MemoryLimitMetrics m = MemoryLimit.metrics();
            line.append(" limit_mib=").append(m.limitBytes() >> 20).append(" paced_ms=").append(m.pacedNanos() / 1_000_000L)
                .append(" pacings=").append(m.pacings()).append(" held_total=").append(m.heldTotal())
                .append(" gc_requests=").append(m.gcRequests()).append(" let_go_idle=").append(m.letGoWhileIdle())
                .append(" budget_spent=").append(m.limiterEngagements());
        }
        System.out.println(line);
    }

    /** One hand-off: the buffer goes to a worker and comes back. */
    private interface HandOff {
        byte[] roundTrip(byte[] buffer) throws InterruptedException;
    }

    /** One request: allocates its buffer, holds it over {@code hops} hand-offs, then drops it (or keeps it for ever: --leak). */
    private static void request(int mib, int hops, boolean leak, List<byte[]> kept, AtomicLong checksum, AtomicLong done,
                                HandOff downstream) throws InterruptedException {
        byte[] buf = new byte[mib << 20];
        for (int h = 0; h < hops; h++) buf = downstream.roundTrip(buf);
        checksum.addAndGet(buf[0]);
        if (leak) {
            synchronized (kept) {
                kept.add(buf);
            }
        }
        done.incrementAndGet();
    }

    /** The heap pools' peak usage, summed (each pool's own peak: an upper bound of the heap's). */
    static long peakHeap() {
        long sum = 0;
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            if (p.getType() == MemoryType.HEAP && p.getPeakUsage() != null) sum += p.getPeakUsage().getUsed();
        }
        return sum;
    }
}
