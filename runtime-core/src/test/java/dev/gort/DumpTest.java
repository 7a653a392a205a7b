package dev.gort;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gort.sched.Scheduler;
import java.io.IOException;
import java.io.StringWriter;
import java.io.Writer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Go.dump at scale: streamed to an Appendable, bounded as a String, and never stalling the scheduler. */
class DumpTest {
    private static final int PARKED = 200_000;

    /** Counts what a dump writes: characters, and the entries of goroutines named "parked". */
    private static final class CountingWriter extends Writer {
        long chars;
        long parkedEntries;
        private final StringBuilder line = new StringBuilder();

        @Override
        public void write(char[] buf, int off, int len) {
            chars += len;
            for (int i = off; i < off + len; i++) {
                char c = buf[i];
                if (c == '\n') {
                    if (line.indexOf("\"parked\" [waiting, chan receive") > 0 && line.indexOf("goroutine ") == 0) parkedEntries++;
                    line.setLength(0);
                } else if (line.length() < 200) {
                    line.append(c);
                }
            }
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
    }

    /** Measures how late the 1 ms sleeps of a goroutine wake, until stopped. */
    private static final class Sleeper {
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicLong worstNanos = new AtomicLong();
        final AtomicLong sleeps = new AtomicLong();
        final Goroutine g = Go.spawn("sleeper", () -> {
            try {
                while (!stop.get()) {
                    long t0 = System.nanoTime();
                    Go.sleep(Duration.ofMillis(1));
                    worstNanos.accumulateAndGet(System.nanoTime() - t0 - 1_000_000L, Math::max);
                    sleeps.incrementAndGet();
                }
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        });

        long stop() throws InterruptedException {
            stop.set(true);
            g.join();
            return worstNanos.get();
        }
    }

    /** Runs body while PARKED goroutines named "parked" wait on a channel; they end after. */
    private static void withParkedGoroutines(GoTestSupport.ThrowingRunnable body) throws Exception {
        Chan<Object> gate = Chan.make();
        dev.gort.sync.WaitGroup parked = new dev.gort.sync.WaitGroup();
        parked.add(PARKED);
        for (int i = 0; i < PARKED; i++) {
            Go.spawn("parked", () -> {
                parked.done();
                try {
                    gate.receiveOrNull();
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            });
        }
        try {
            parked.await();
            GoTestSupport.awaitTrue("all parked", 30_000, () -> Go.metrics().globalRunQueue() == 0 && Go.metrics().localRunQueues() == 0);
            body.run();
        } finally {
            gate.close();
            GoTestSupport.awaitTrue("the parked goroutines ended", 30_000, () -> Go.numGoroutine() < 10);
        }
    }

    /**
     * A dump of 200,000 parked goroutines streams to a Writer: every one of them is listed, and
     * a sleeping goroutine goes on waking on time meanwhile (no scheduler lock is held, each
     * parked goroutine is held only while its stack is read).
     */
    @Test
    void aStreamedDumpListsEveryGoroutineAndStallsNobody() throws Exception {
        withParkedGoroutines(() -> {
            Sleeper sleeper = new Sleeper();
            GoTestSupport.awaitTrue("the sleeper sleeps", 10_000, () -> sleeper.sleeps.get() > 3);
            CountingWriter out = new CountingWriter();
            long t0 = System.nanoTime();
            Go.dump(out);
            long took = System.nanoTime() - t0;
            long before = sleeper.sleeps.get();
            GoTestSupport.awaitTrue("the sleeper sleeps on", 10_000, () -> sleeper.sleeps.get() > before + 2);
            long worst = sleeper.stop();
            assertEquals(PARKED, out.parkedEntries, "entries of the parked goroutines");
            assertTrue(worst < 1_000_000_000L, "the sleeper woke " + worst / 1_000_000 + " ms late during a "
                + took / 1_000_000 + " ms dump of " + out.chars + " characters");
        });
    }

    /**
     * Go.dump() as a String is bounded: past Scheduler.DUMP_STRING_LIMIT characters it ends with
     * a line that counts the goroutines left out and names the streaming API; the sleeper is not
     * stalled by it either.
     */
    @Test
    void theDumpStringIsBoundedAndSaysWhatItLeftOut() throws Exception {
        withParkedGoroutines(() -> {
            Sleeper sleeper = new Sleeper();
            GoTestSupport.awaitTrue("the sleeper sleeps", 10_000, () -> sleeper.sleeps.get() > 3);
            String dump = Go.dump();
            long worst = sleeper.stop();
            assertTrue(dump.length() < Scheduler.DUMP_STRING_LIMIT + 100_000, "a dump String of " + dump.length() + " characters");
            String last = dump.substring(dump.lastIndexOf('\n', dump.length() - 2) + 1);
            assertTrue(Pattern.compile("^\\.\\.\\. dump truncated at \\d+ characters: (\\d+) more goroutines not listed; "
                + "Go\\.dump\\(Appendable\\) lists them all\\n$").matcher(last).find(), last);
            long left = Long.parseLong(last.replaceAll(".*: (\\d+) more.*\\n", "$1"));
            long listed = Pattern.compile("^goroutine \\d+ ", Pattern.MULTILINE).matcher(dump).results().count();
            assertTrue(left > 0 && listed + left >= PARKED, "listed " + listed + ", left out " + left);
            assertTrue(worst < 1_000_000_000L, "the sleeper woke " + worst / 1_000_000 + " ms late");
        });
    }

    @Test
    void aStreamedDumpHasTheStringsFormat() throws Exception {
        dev.gort.sync.WaitGroup gate = new dev.gort.sync.WaitGroup();
        gate.add(1);
        Goroutine g = Go.spawn("dumped", () -> SpawnTest.await(gate));
        try {
            GoTestSupport.awaitTrue("parked", 10_000, () -> g.state() == Goroutine.State.WAITING);
            StringWriter w = new StringWriter();
            Go.dump(w);
            String dump = w.toString();
            assertTrue(dump.startsWith("SCHED "), dump);
            Pattern header = Pattern.compile("goroutine " + g.id() + " \"dumped\" \\[waiting, sync.WaitGroup.Wait, \\d+ ms\\]:\\n\\tdev\\.gort\\.");
            assertTrue(header.matcher(dump).find(), dump);
            assertTrue(dump.contains("SpawnTest.await"), dump);
            assertTrue(!dump.contains("dump truncated"), dump);
        } finally {
            gate.done();
            g.join();
        }
        assertThrows(NullPointerException.class, () -> Go.dump(null));
        IOException boom = new IOException("disk full");
        Appendable failing = new Appendable() {
            @Override public Appendable append(CharSequence csq) throws IOException { throw boom; }
            @Override public Appendable append(CharSequence csq, int start, int end) throws IOException { throw boom; }
            @Override public Appendable append(char c) throws IOException { throw boom; }
        };
        assertEquals(boom, assertThrows(IOException.class, () -> Go.dump(failing)));
    }

    private static final java.util.concurrent.CountDownLatch INIT_STARTED = new java.util.concurrent.CountDownLatch(1);
    private static final java.util.concurrent.CountDownLatch INIT_RELEASE = new java.util.concurrent.CountDownLatch(1);

    /** A class whose initialization waits (blocking its carrier) until the test releases it. */
    private static final class SlowInit {
        static {
            INIT_STARTED.countDown();
            boolean interrupted = false;
            for (;;) {
                try {
                    if (INIT_RELEASE.await(30, java.util.concurrent.TimeUnit.SECONDS)) break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) Thread.currentThread().interrupt();
        }

        static void touch() {}
    }

    /**
     * A goroutine that waits for another to initialize a class is shown as blocked in class
     * initialization, and the initializer as running in {@code <clinit>} with its carrier
     * waiting, instead of both "[running]" (the JVM calls the waiting carrier RUNNABLE, with one
     * frame). Needs the kernel's thread state (Linux /proc).
     */
    @Test
    void aGoroutineWaitingForAClassInitializationShowsSo() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.exists(java.nio.file.Path.of("/proc/thread-self")),
            "needs /proc");
        Goroutine initializer = Go.spawn("initializer", SlowInit::touch);
        Goroutine user;
        try {
            assertTrue(INIT_STARTED.await(10, java.util.concurrent.TimeUnit.SECONDS), "the initializer never started");
            user = Go.spawn("user", SlowInit::touch);
            Pattern userLine = Pattern.compile("goroutine " + user.id() + " \"user\" \\[running, carrier blocked, waiting for a class's initialization\\]:");
            Pattern initLine = Pattern.compile("goroutine " + initializer.id() + " \"initializer\" \\[running, carrier (timed_)?waiting, in class initialization\\]:\\n(\\t.*\\n)*\\t.*SlowInit\\.<clinit>");
            String[] dump = new String[1];
            long deadline = System.nanoTime() + 10_000_000_000L;
            do {
                Thread.sleep(5);
                dump[0] = Go.dump();
            } while (!(userLine.matcher(dump[0]).find() && initLine.matcher(dump[0]).find()) && System.nanoTime() - deadline < 0);
            assertTrue(userLine.matcher(dump[0]).find(), dump[0]);
            assertTrue(initLine.matcher(dump[0]).find(), dump[0]);
        } finally {
            INIT_RELEASE.countDown();
        }
        assertTrue(initializer.join(Duration.ofSeconds(10)));
        assertTrue(user.join(Duration.ofSeconds(10)));
    }

    /**
     * Go.dump() in a loop on a platform thread while pairs ping-pong, half of them locked to
     * their carrier. The dump holds a parked goroutine in DUMPING while it reads the stack, then
     * puts WAITING back: a locked goroutine must not take DUMPING for "woken" and run on, and a
     * park whose commit failed must not store its new status where the dump overwrites it; either
     * would run a goroutine twice or never ("ready of ... in status 4", "Mounted!!!!").
     */
    @Test
    void dumpRacingParksLosesNoWakeUp() throws Exception {
        int pairs = 4, rounds = 30_000;
        AtomicLong dumps = new AtomicLong();
        GoTestSupport.whileRepeating(() -> {
            Go.dump();
            dumps.incrementAndGet();
        }, () -> GoTestSupport.runMain(() -> {
            List<Goroutine> all = new ArrayList<>();
            for (int k = 0; k < pairs; k++) {
                Chan<Integer> ping = Chan.make(), pong = Chan.make();
                all.add(GoTestSupport.echo(ping, pong));
                boolean lock = k % 2 == 0;
                all.add(Go.spawn(() -> {
                    if (lock) Go.lockOSThread();
                    try {
                        for (int i = 0; i < rounds; i++) GoTestSupport.roundTrip(ping, pong, i);
                        ping.close();
                    } catch (InterruptedException e) {
                        throw new RuntimeException(e);
                    } finally {
                        if (lock) Go.unlockOSThread();
                    }
                }));
            }
            GoTestSupport.joinAllSucceeded(all);
        }));
        assertTrue(dumps.get() > 0, "the dumper never ran");
    }
}
