package dev.gort;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gort.sync.WaitGroup;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class DeadlockTest {
    @AfterEach
    void schedulerAtRest() throws InterruptedException {
        GoTestSupport.assertSchedulerAtRest();
        GoTestSupport.awaitTrue("no timer left armed", 10_000, () -> dev.gort.sched.Scheduler.get().pendingTimers() == 0);
    }


    @Test
    void everyGoroutineAsleepIsADeadlock() {
        DeadlockException e = assertThrows(DeadlockException.class, () -> Go.run(() -> {
            WaitGroup never = new WaitGroup();
            never.add(1);
            Go.spawn("helper", () -> SpawnTest.await(never));
            SpawnTest.await(never);
        }));
        assertTrue(e.getMessage().startsWith("all goroutines are asleep - deadlock!"), e.getMessage());
        assertTrue(e.dump().contains("\"main\" [waiting, sync.WaitGroup.Wait"), e.dump());
        assertTrue(e.dump().contains("\"helper\" [waiting, sync.WaitGroup.Wait"), e.dump());
        assertTrue(e.dump().contains("DeadlockTest"), "the dump shows the parked stacks:\n" + e.dump());
    }

    /**
     * The exception Go.run throws carries the stack of the thread that called Go.run, as any
     * exception a method throws does: the user's frames, not the runtime thread's that detected
     * the deadlock. (The single-file launcher, {@code java Main.java}, trims its own frames from
     * the bottom of a main method's exception by count, and failed with "0 > -1" on sysmon's
     * short stack.)
     */
    @Test
    void deadlockExceptionCarriesTheCallersStack() {
        DeadlockException e;
        try {
            Go.run(() -> {
                WaitGroup never = new WaitGroup();
                never.add(1);
                SpawnTest.await(never);
            });
            throw new AssertionError("no DeadlockException");
        } catch (DeadlockException x) {
            e = x;
        }
        StackTraceElement[] trace = e.getStackTrace();
        String printed = java.util.Arrays.toString(trace);
        int here = -1;
        for (int i = 0; i < trace.length && here < 0; i++) {
            if (trace[i].getClassName().equals(DeadlockTest.class.getName())
                && trace[i].getMethodName().equals("deadlockExceptionCarriesTheCallersStack")) here = i;
        }
        assertTrue(here > 0, "the caller's frame is in the trace: " + printed);
        assertEquals("dev.gort.Go.run", trace[here - 1].getClassName() + "." + trace[here - 1].getMethodName(),
            "thrown out of Go.run, right above the caller: " + printed);
        assertTrue(java.util.Arrays.stream(trace).noneMatch(f -> f.getClassName().contains("Sysmon")), printed);
        assertTrue(e.dump().contains("\"main\" [waiting, sync.WaitGroup.Wait"), e.dump());
    }

    /**
     * A single-file program ({@code java Main.java}) that deadlocks ends with the
     * DeadlockException and its own frames. The source launcher cuts as many frames from the
     * bottom of the main method's exception as it has itself below main; an exception with
     * another thread's shorter stack made that a negative length, and the program ended with
     * "IllegalArgumentException: 0 > -1" instead.
     */
    @Test
    void aSingleFileProgramThatDeadlocksEndsWithTheDeadlockException() throws Exception {
        Path dir = Files.createTempDirectory("gort-launcher");
        Path main = dir.resolve("Main.java");
        try {
            Files.writeString(main, """
                public class Main {
                    public static void main(String[] args) {
                        dev.gort.Go.run(() -> {
                            try {
                                dev.gort.Chan.<Integer>make().receive();
                            } catch (InterruptedException e) {
                                throw new AssertionError(e);
                            }
                        });
                    }
                }
                """);
            String runtime = Path.of(Go.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            Process p = new ProcessBuilder(java, "--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED",
                "-cp", runtime, main.toString()).redirectErrorStream(true).start();
            CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> {
                try (InputStream in = p.getInputStream()) {
                    return new String(in.readAllBytes(), StandardCharsets.UTF_8);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("java Main.java did not end in 60 s");
            }
            String printed = out.get(10, TimeUnit.SECONDS);
            assertTrue(printed.contains("Exception in thread \"main\" dev.gort.DeadlockException: all goroutines are asleep - deadlock!"), printed);
            assertTrue(printed.contains("at Main.main(Main.java:"), printed);
            assertFalse(printed.contains("IllegalArgumentException"), printed);
            assertEquals(1, p.exitValue(), printed);
        } finally {
            Files.deleteIfExists(main);
            Files.deleteIfExists(dir);
        }
    }

    /**
     * A goroutine locked to its carrier (or pinned) that waits on a channel blocks its carrier,
     * but it is asleep like any other: Go reports this deadlock. (Counted like a blocking call in
     * progress, it would leave the program hung.)
     */
    @Test
    void aLockedGoroutineAsleepIsADeadlockToo() throws Exception {
        for (int round = 0; round < 3; round++) {
            Chan<Integer> ch = Chan.make();
            DeadlockException e = assertThrows(DeadlockException.class, () -> Go.run(() -> {
                Go.lockOSThread();
                try {
                    ch.receive();
                } catch (InterruptedException ex) {
                    throw new AssertionError(ex);
                } finally {
                    Go.unlockOSThread();
                }
            }), "round " + round);
            assertTrue(e.dump().contains("\"main\" [waiting, chan receive"), e.dump());
            ch.send(round); // from this thread: the main goroutine ends, its carrier is free again
        }
    }

    /** The same locked goroutine, waiting for one that is in a blocking call: not a deadlock. */
    @Test
    void aLockedGoroutineWaitingForABlockingCallIsNotADeadlock() {
        Go.run(() -> {
            Chan<Integer> ch = Chan.make();
            Go.spawn(() -> {
                try {
                    Go.blocking(() -> {
                        Thread.sleep(300);
                        return null;
                    });
                    ch.send(1);
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
            Go.lockOSThread();
            try {
                assertEquals(1, ch.receive());
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            } finally {
                Go.unlockOSThread();
            }
        });
    }

    @Test
    void aBlockingCallInProgressIsNotADeadlock() {
        Go.run(() -> {
            WaitGroup wg = new WaitGroup();
            wg.add(1);
            Go.spawn(() -> {
                try {
                    Go.blocking(() -> {
                        Thread.sleep(300);
                        return null;
                    });
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
                wg.done();
            });
            SpawnTest.await(wg);
        });
    }

    @Test
    void dumpListsWaitingGoroutinesWithReasonAndStack() throws Exception {
        WaitGroup gate = new WaitGroup();
        gate.add(1);
        Goroutine g = Go.spawn("dumped", () -> SpawnTest.await(gate));
        GoTestSupport.awaitTrue("parked", 10_000, () -> g.state() == Goroutine.State.WAITING);
        String dump = Go.dump();
        Pattern header = Pattern.compile("goroutine " + g.id() + " \"dumped\" \\[waiting, sync.WaitGroup.Wait, \\d+ ms\\]:\\n\\tdev\\.gort\\.");
        assertTrue(header.matcher(dump).find(), dump);
        assertTrue(dump.contains("SpawnTest.await"), dump);
        gate.done();
        g.join();
        assertEquals(Goroutine.State.DEAD, g.state());
    }

    @Test
    void dumpListsRunningAndQueuedGoroutinesThatNeverParked() throws Exception {
        // "queued" cannot run while main holds the only P, unless sysmon preempts main (a slow
        // or loaded machine): then it may run before the dump. Such a round proves nothing and
        // is repeated; a round in which it had not run when the dump returned must list it.
        for (int round = 0; round < 50; round++) {
            String[] dump = new String[1];
            long[] ids = new long[2];
            java.util.concurrent.atomic.AtomicBoolean ran = new java.util.concurrent.atomic.AtomicBoolean();
            boolean[] valid = new boolean[1];
            GoTestSupport.withMaxProcs(1, () -> Go.run(() -> {
                ids[0] = Go.current().id();
                Goroutine queued = Go.spawn("queued", () -> ran.set(true));
                ids[1] = queued.id();
                dump[0] = Go.dump();
                valid[0] = !ran.get();
            }));
            if (!valid[0]) continue;
            assertTrue(dump[0].contains("goroutine " + ids[0] + " \"main\" [running]:"), dump[0]);
            assertTrue(dump[0].contains("goroutine " + ids[1] + " \"queued\" [runnable]:"), dump[0]);
            return;
        }
        throw new AssertionError("main was preempted before the dump in 50 rounds in a row");
    }

    @Test
    void schedtraceHasGoFormat() {
        String line = dev.gort.sched.Scheduler.get().schedtrace();
        assertTrue(Pattern.matches("SCHED \\d+ms: maxprocs=\\d+ idleprocs=\\d+ threads=\\d+ spinning=\\d+ "
            + "idlethreads=\\d+ runqueue=\\d+ \\[\\d+( \\d+)*\\] schedlat (p99=\\d+(\\.\\d)?(ns|us|ms|s)|off)( netpoll=\\S+)?", line), line);
    }
}
