package dev.gort.usercode;

import dev.gort.Chan;
import dev.gort.Go;
import dev.gort.Goroutine;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;

/**
 * The allocation accounting ({@code -Dgort.allocstats}) seen from a program, run in a child JVM
 * by {@code AllocStatsTest} (the setting is read once per runtime). One scenario per run, named
 * by the first argument; each prints {@code key=value} lines for the test to check, and
 * {@code done} at the end. Nothing is checked here except what only the program can see.
 */
public final class AllocStatsProgram {
    private AllocStatsProgram() {}

    private static final int MIB = 1 << 20;
    /** Keeps the arrays from being optimized away (escape analysis would drop an unused array). */
    static volatile Object sink;

    public static void main(String[] args) throws Exception {
        try {
            switch (args[0]) {
                case "interleaved" -> interleaved();
                case "moves" -> moves();
                case "off" -> off();
                default -> throw new IllegalArgumentException("no scenario " + args[0]);
            }
        } catch (IllegalArgumentException | IllegalStateException e) {
            System.out.println("error=" + e.getMessage());
            System.exit(3);
        }
        System.out.println("done");
    }

    /**
     * maxProcs 1: an allocator (64 MiB in 64 KiB byte arrays) and a quiet goroutine hand a token
     * back and forth over unbuffered channels, so their slices interleave on the one carrier. The
     * allocator then waits, so that the dump lists it; a platform thread allocates 64 MiB.
     */
    private static void interleaved() throws Exception {
        Go.setMaxProcs(1);
        Chan<Integer> toQuiet = Chan.make(), toAllocator = Chan.make(), release = Chan.make();
        long[] selfSeen = new long[1];
        Goroutine allocator = Go.spawn("allocator", () -> {
            try {
                for (int round = 0; round < 64; round++) {
                    for (int i = 0; i < 16; i++) sink = new byte[64 * 1024];
                    toQuiet.send(round);
                    toAllocator.receive();
                }
                toQuiet.close();
                selfSeen[0] = Go.current().allocatedBytes();
                release.receive();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        Goroutine quiet = Go.spawn("quiet", () -> {
            try {
                while (toQuiet.receiveOrNull() != null) toAllocator.send(0);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        quiet.join();
        // The allocator now waits on release (or is about to): the dump lists it, and its count
        // is final up to that park.
        while (allocator.state() != Goroutine.State.WAITING) Thread.onSpinWait();
        String dump = Go.dump();
        int header = dump.indexOf("allocated by goroutines:");
        System.out.println("dumpHeader=" + (header < 0 ? "none" : dump.substring(header, dump.indexOf('\n', header))));
        System.out.println("dumpFirst=" + firstListed(dump));
        release.send(1);
        allocator.join();
        System.out.println("allocatorId=" + allocator.id());
        System.out.println("allocator=" + allocator.allocatedBytes());
        System.out.println("allocatorSelf=" + selfSeen[0]);
        System.out.println("quiet=" + quiet.allocatedBytes());
        long before = Go.metrics().allocatedBytes();
        for (int i = 0; i < 1024; i++) sink = new byte[64 * 1024]; // a platform thread: nobody's
        long after = Go.metrics().allocatedBytes();
        System.out.println("total=" + before);
        System.out.println("platformDelta=" + (after - before));
    }

    private static String firstListed(String dump) {
        int at = dump.indexOf("most by\n");
        if (at < 0) return "none";
        String line = dump.substring(at + "most by\n".length(), dump.indexOf('\n', at + "most by\n".length()));
        return line.trim();
    }

    /**
     * maxProcs 2: a goroutine allocates 1 MiB per round, with a park (a timer) and a yield between
     * rounds, while another goroutine keeps the second carrier busy, until it has run on both
     * carriers (or more: a spare or the timer sleeper) and done at least 64 rounds (at most 4,000). It reports its own count at each
     * round, which must only grow.
     */
    private static void moves() throws Exception {
        Go.setMaxProcs(2);
        long[] result = new long[4]; // rounds, carriers, final self count, non-monotonic reads
        Goroutine busy = Go.spawn("busy", () -> {
            while (!STOP.get()) Go.yield();
        });
        Goroutine mover = Go.spawn("mover", () -> {
            Set<String> carriers = new HashSet<>();
            long last = 0;
            int rounds = 0;
            try {
                while (rounds < 4000 && (rounds < 64 || carriers.size() < 2)) {
                    carriers.add(Thread.currentThread().getName());
                    sink = new byte[MIB];
                    Go.sleep(Duration.ofNanos(1));
                    carriers.add(Thread.currentThread().getName());
                    Go.yield();
                    long now = Go.current().allocatedBytes();
                    if (now < last) result[3]++;
                    last = now;
                    rounds++;
                }
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            result[0] = rounds;
            result[1] = carriers.size();
            result[2] = last;
        });
        mover.join();
        STOP.set(true);
        busy.join();
        System.out.println("rounds=" + result[0]);
        System.out.println("carriers=" + result[1]);
        System.out.println("self=" + result[2]);
        System.out.println("decreasing=" + result[3]);
        System.out.println("mover=" + mover.allocatedBytes());
        System.out.println("total=" + Go.metrics().allocatedBytes());
    }

    /** Ends the busy goroutine of {@link #moves}. */
    private static final java.util.concurrent.atomic.AtomicBoolean STOP = new java.util.concurrent.atomic.AtomicBoolean();

    /** The setting as the runtime took it: a handle's count, the metrics, the dump's header. */
    private static void off() throws Exception {
        Goroutine g = Go.spawn(() -> sink = new byte[MIB]);
        g.join();
        System.out.println("goroutine=" + g.allocatedBytes());
        System.out.println("total=" + Go.metrics().allocatedBytes());
        System.out.println("dumpHeader=" + Go.dump().contains("allocated by goroutines"));
    }
}
