package dev.gort.netpoll;

import static dev.gort.netpoll.NetTestSupport.runMain;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gort.Go;
import dev.gort.Goroutine;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;

/** The poller and the scheduler together: timers and poll batches while carriers wait for I/O, and the poller's wake-up. */
class SocketPollerTest extends SocketTestSupport {
    @Test
    void timersFireWhileTheOnlyIdleCarrierWaitsForIo() {
        runMain(() -> {
            try (GoServerSocket server = GoServerSocket.bind(LOOPBACK)) {
                Goroutine acceptor = Go.spawn(() -> {
                    try {
                        server.accept(); // parks in the poller until the close
                    } catch (IOException expected) {
                        // closed
                    }
                });
                while (acceptor.state() != Goroutine.State.WAITING) Go.yield();
                for (int i = 0; i < 20; i++) Go.sleep(Duration.ofMillis(2)); // timers while the poller blocks
                server.close();
                acceptor.join();
            }
        });
    }

    /**
     * Owed netpoll-batch wake-ups (-Dgort.pollwake=owed, the default; WakePolicy.payOwedWakes):
     * the carrier that puts a batch of readied goroutines into its own ring wakes nobody. Here
     * the first reader of each batch computes without any runtime call until a second reader runs
     * at the same time: the rest of its batch waits on a P that makes no progress, and only
     * sysmon paying the owed wake-up brings another carrier for them. A platform thread writes
     * to all readers at once when every P is idle, so the batch usually lands on one P. Without
     * the payment those rounds never end (each reader gives up after 20 s and the test fails).
     */
    @Test
    void pollBatchBehindAComputingGoroutineReachesAnotherCarrier() {
        // Two readers must run at once: with -Dgort.maxprocs=1 this cannot pass.
        org.junit.jupiter.api.Assumptions.assumeTrue(Go.maxProcs() >= 2, "needs at least 2 processors");
        dev.gort.sched.Scheduler.setPollWakeOwedForTests(true);
        try {
            runMain(() -> {
                int k = 6;
                try (GoServerSocket server = GoServerSocket.bind(LOOPBACK)) {
                    for (int round = 0; round < 20; round++) {
                        GoSocket[] clients = new GoSocket[k];
                        GoSocket[] peers = new GoSocket[k];
                        for (int i = 0; i < k; i++) {
                            clients[i] = GoSocket.connect(server.localAddress());
                            peers[i] = server.accept();
                        }
                        java.util.concurrent.atomic.AtomicInteger running = new java.util.concurrent.atomic.AtomicInteger();
                        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
                        Goroutine[] readers = new Goroutine[k];
                        for (int i = 0; i < k; i++) {
                            GoSocket peer = peers[i];
                            readers[i] = Go.spawn(() -> {
                                try {
                                    assertEquals(1, peer.read(new byte[1], 0, 1));
                                } catch (IOException e) {
                                    failures.add(e.toString());
                                    return;
                                }
                                running.incrementAndGet();
                                long giveUp = System.nanoTime() + 20_000_000_000L;
                                while (running.get() < 2) { // no runtime call: no park, no safepoint
                                    if (System.nanoTime() - giveUp > 0) {
                                        failures.add("no other carrier ran the rest of the batch in 20 s");
                                        return;
                                    }
                                    Thread.onSpinWait();
                                }
                            });
                        }
                        for (Goroutine r : readers) {
                            while (r.state() != Goroutine.State.WAITING) Go.yield();
                        }
                        Thread writer = Thread.ofPlatform().start(() -> {
                            try {
                                for (;;) { // main is parked in join below: wait until every P is idle
                                    var m = Go.metrics();
                                    if (m.idleProcs() == m.processors() && m.spinningThreads() == 0) break;
                                    Thread.onSpinWait();
                                }
                                for (GoSocket c : clients) c.write(new byte[] {1}, 0, 1);
                            } catch (IOException e) {
                                failures.add(e.toString());
                            }
                        });
                        for (Goroutine r : readers) r.join();
                        writer.join();
                        for (int i = 0; i < k; i++) {
                            clients[i].close();
                            peers[i].close();
                        }
                        assertTrue(failures.isEmpty(), "round " + round + ": " + failures);
                    }
                }
            });
        } finally {
            dev.gort.sched.Scheduler.setPollWakeOwedForTests(!"eager".equals(System.getProperty("gort.pollwake")));
        }
    }

    @Test
    void pollerWakesPromptlyOnWakeup() throws Exception {
        // Go's TestNetpollBreak: a poll blocked with no timeout returns when woken.
        String[] why = new String[1];
        try (Poller p = Netpoll.select(NetTestSupport.expectedDriver(), why)) {
            for (int round = 0; round < 3; round++) {
                Thread t = Thread.ofPlatform().start(() -> p.poll(-1, new java.util.ArrayList<>()));
                Thread.sleep(10); // not needed for correctness: wakeup() before the poll also makes it return
                p.wakeup();
                t.join(10_000);
                assertTrue(!t.isAlive(), "poll(-1) did not return after wakeup()");
            }
            p.wakeup(); // pending wake-up: the next poll returns at once
            p.poll(-1, new java.util.ArrayList<>());
            List<dev.gort.sched.G> none = new java.util.ArrayList<>();
            p.poll(0, none);
            assertTrue(none.isEmpty());
        }
    }
}
