package dev.gort;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.gort.sched.Scheduler;
import dev.gort.sync.WaitGroup;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The spin-before-park hand-off of unbuffered channels (Waiter.await's spin with
 * {@code -Dgort.spinnanos} > 0): every race between a waker and a waiter that spins, gives up
 * and takes the lock again, or is parked must end with the value delivered exactly once and no
 * goroutine readied twice (a double ready throws in the scheduler and fails the run; a lost wake
 * hangs it and the deadlock detector or the timeout fails it). The spins here are long (200 us)
 * so that wakes land in every state: spinning, giving up (unlinked or still linked) and parked.
 */
class SpinHandoffTest {
    private static final long SEED = 0x5EED_5A1DL;

    @BeforeEach
    void spinOn() {
        Scheduler.setSpinNanosForTests(200_000);
    }

    @AfterEach
    void spinOff() throws InterruptedException {
        Scheduler.setSpinNanosForTests(Long.getLong("gort.spinnanos", 0L));
        GoTestSupport.assertSchedulerAtRest();
    }

    @Test
    void pingPongDeliversEveryValueOnce() throws Exception {
        GoTestSupport.withMaxProcs(2, () -> GoTestSupport.runMain(() -> {
            int n = 100_000;
            Chan<Integer> ping = Chan.make(), pong = Chan.make();
            long[] sum = new long[1];
            Goroutine echo = Go.spawn(() -> {
                try {
                    for (int i = 0; i < n; i++) pong.send(ping.receive() + 1);
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            });
            Goroutine init = Go.spawn(() -> {
                try {
                    long s = 0;
                    for (int i = 0; i < n; i++) {
                        ping.send(i);
                        s += pong.receive();
                    }
                    sum[0] = s;
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            });
            echo.join();
            init.join();
            assertEquals((long) n * (n - 1) / 2 + n, sum[0]);
        }));
    }

    /**
     * Many senders and receivers on a few unbuffered channels with random pauses (yields) so
     * that some waits spin and win, some spin and park, and some wakes hit the parking window;
     * then close wakes spinning and parked receivers alike.
     */
    @Test
    void manyToManyWithCloseLosesNothing() throws Exception {
        GoTestSupport.withMaxProcs(2, () -> GoTestSupport.runMain(() -> {
            for (int round = 0; round < 20; round++) {
                long seed = SEED + round;
                SplittableRandom rnd = new SplittableRandom(seed);
                int chans = 1 + rnd.nextInt(3), senders = 2 + rnd.nextInt(6), receivers = chans + rnd.nextInt(6);
                int perSender = 2_000;
                @SuppressWarnings("unchecked")
                Chan<Integer>[] cs = new Chan[chans];
                for (int i = 0; i < chans; i++) cs[i] = Chan.make();
                AtomicLong received = new AtomicLong(), count = new AtomicLong();
                WaitGroup sent = new WaitGroup(), done = new WaitGroup();
                sent.add(senders);
                done.add(receivers);
                for (int s = 0; s < senders; s++) {
                    long sseed = rnd.nextLong();
                    Go.spawn(() -> {
                        SplittableRandom r = new SplittableRandom(sseed);
                        try {
                            for (int i = 1; i <= perSender; i++) {
                                if (r.nextInt(8) == 0) Go.yield();
                                cs[r.nextInt(chans)].send(i);
                            }
                        } catch (InterruptedException e) {
                            throw new AssertionError(e);
                        }
                        sent.done();
                    });
                }
                for (int k = 0; k < receivers; k++) {
                    Chan<Integer> c = cs[k % chans];
                    long rseed = rnd.nextLong();
                    Go.spawn(() -> {
                        SplittableRandom r = new SplittableRandom(rseed);
                        try {
                            Integer v;
                            while ((v = c.receiveOrNull()) != null) {
                                received.addAndGet(v);
                                count.incrementAndGet();
                                if (r.nextInt(8) == 0) Go.yield();
                            }
                        } catch (InterruptedException e) {
                            throw new AssertionError(e);
                        }
                        done.done();
                    });
                }
                sent.await();
                for (Chan<Integer> c : cs) c.close();
                done.await();
                long expectSum = (long) senders * perSender * (perSender + 1) / 2;
                assertEquals((long) senders * perSender, count.get(), "values received, seed " + seed);
                assertEquals(expectSum, received.get(), "sum received, seed " + seed);
            }
        }));
    }

    /**
     * An interrupt racing a hand-off to a goroutine that spins, parks or is parked: the
     * receiver either gets the value or throws InterruptedException with its status cleared,
     * and in the second case receives the value afterwards: never lost, never received twice.
     */
    @Test
    void interruptRacingHandOffLosesNothing() throws Exception {
        GoTestSupport.withMaxProcs(2, () -> GoTestSupport.runMain(() -> {
            SplittableRandom rnd = new SplittableRandom(SEED);
            int interrupted = 0;
            for (int i = 0; i < 2_000; i++) {
                int senderYields = rnd.nextInt(4), interrupterYields = rnd.nextInt(4);
                Chan<Integer> c = Chan.make();
                int[] got = new int[2]; // [0]: values received, [1]: interrupts seen
                Goroutine receiver = Go.spawn(() -> {
                    for (;;) {
                        try {
                            got[0] += c.receive();
                            return;
                        } catch (InterruptedException e) {
                            if (Go.current().isInterrupted()) throw new AssertionError("status not cleared");
                            got[1]++;
                        }
                    }
                });
                Goroutine sender = Go.spawn(() -> {
                    try {
                        for (int k = 0; k < senderYields; k++) Go.yield();
                        c.send(1);
                    } catch (InterruptedException e) {
                        throw new AssertionError(e);
                    }
                });
                for (int k = 0; k < interrupterYields; k++) Go.yield();
                receiver.interrupt();
                sender.join();
                receiver.join();
                assertEquals(1, got[0], "value received once, seed " + SEED + " iteration " + i);
                interrupted += got[1];
            }
            System.out.println("SpinHandoffTest: interrupts that won the race: " + interrupted + " of 2000");
        }));
    }

    /**
     * Deferred wake-ups (-Dgort.deferwake, on by default; turned on for this test): a goroutine readies another and then computes
     * without ever calling the runtime. The readied goroutine sits in the computing goroutine's
     * runnext, no carrier was woken for it, and the computing one never parks or reaches a
     * safepoint: only sysmon paying the wake-up it owes lets the other P run it. Without that
     * payment this test hangs (and fails by its time limit).
     */
    @Test
    void owedWakeIsPaidWhileTheWakerComputes() throws Exception {
        Scheduler.setDeferWakeForTests(true);
        try {
            GoTestSupport.withMaxProcs(2, () -> GoTestSupport.runMain(() -> {
                for (int i = 0; i < 20; i++) {
                    Chan<Integer> c = Chan.make();
                    java.util.concurrent.atomic.AtomicBoolean ran = new java.util.concurrent.atomic.AtomicBoolean();
                    Goroutine sleeper = Go.spawn(() -> {
                        try {
                            c.receive();
                        } catch (InterruptedException e) {
                            throw new AssertionError(e);
                        }
                        ran.set(true);
                    });
                    GoTestSupport.awaitWaiting(sleeper);
                    Goroutine waker = Go.spawn(() -> {
                        // Wait until every other P is idle and no carrier spins for work: then
                        // no one but sysmon can come for what this goroutine readies. "Every
                        // other", not "the other": on a loaded machine sysmon may take this
                        // carrier for a blocked one (its windows of CPU time come out short and
                        // /proc says 'S' twice) and add a spare P, which stays while this
                        // goroutine keeps its P; then two Ps are idle, never one.
                        for (;;) {
                            var m = Go.metrics();
                            if (m.spinningThreads() == 0 && m.idleProcs() == m.processors() - 1) break;
                            Thread.onSpinWait();
                        }
                        try {
                            c.send(1); // readies sleeper into this P's runnext, owing the wake
                        } catch (InterruptedException e) {
                            throw new AssertionError(e);
                        }
                        while (!ran.get()) {
                            Thread.onSpinWait(); // no runtime call: no safepoint, no park
                        }
                    });
                    waker.join();
                    sleeper.join();
                }
            }));
        } finally {
            Scheduler.setDeferWakeForTests(!"false".equals(System.getProperty("gort.deferwake")));
        }
    }
}
