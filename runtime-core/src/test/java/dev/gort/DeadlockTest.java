package dev.gort;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gort.sync.WaitGroup;
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
            + "idlethreads=\\d+ runqueue=\\d+ \\[\\d+( \\d+)*\\]", line), line);
    }
}
