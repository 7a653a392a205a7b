package dev.gort.netpoll;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gort.netpoll.ffi.Native;
import dev.gort.netpoll.uring.IoUringPoller;
import dev.gort.sched.G;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The io_uring poller's owner thread, driven directly (no scheduler): registrations from many
 * threads while the owner sleeps in io_uring_enter, wake-ups racing a blocking poll, and close.
 * Sockets over io_uring are the Socket*Test classes' (their uring executions).
 */
class IoUringPollerTest {
    @BeforeAll
    static void uring() {
        String refused = IoUringPoller.probe();
        Assumptions.assumeTrue(refused == null, "io_uring refused here: " + refused);
    }

    static int uringThreads() {
        int n = 0;
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.getName().equals("gort-uring") && t.isAlive()) n++;
        }
        return n;
    }

    @Test
    void setupHasSingleIssuerAndDeferTaskrun() throws Exception {
        Assumptions.assumeFalse("false".equals(System.getProperty("gort.uring.defertaskrun")), "fallback setup requested");
        try (IoUringPoller p = new IoUringPoller()) {
            assertNull(p.degraded(), "this kernel (6.1+) should accept SINGLE_ISSUER | DEFER_TASKRUN");
        }
    }

    @Test
    void registrationsFromManyThreadsWhileTheOwnerSleepsAllComplete() throws Exception {
        int threads = 8, each = 200;
        try (IoUringPoller p = new IoUringPoller()) {
            for (int round = 0; round < 3; round++) {
                Thread.sleep(20); // let the owner go to sleep in io_uring_enter
                ConcurrentLinkedQueue<PollDesc> pds = new ConcurrentLinkedQueue<>();
                AtomicInteger seq = new AtomicInteger(round * 100_000);
                CountDownLatch go = new CountDownLatch(1);
                List<Thread> ts = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    ts.add(Thread.ofPlatform().start(() -> {
                        try {
                            go.await();
                            for (int i = 0; i < each; i++) {
                                int fd = Native.C.eventfd(1, 0x80000 | 0x800); // readable from the start
                                assertTrue(fd >= 0);
                                PollDesc pd = new PollDesc(null, fd, seq.incrementAndGet());
                                p.register(pd);
                                pds.add(pd);
                            }
                        } catch (Exception e) {
                            throw new RuntimeException(e);
                        }
                    }));
                }
                go.countDown();
                for (Thread t : ts) t.join(10_000);
                assertEquals(threads * each, pds.size());
                long deadline = System.nanoTime() + 10_000_000_000L;
                for (PollDesc pd : pds) {
                    while (!pd.isReady(true) || !pd.isReady(false)) { // readable and writable (ready() sets one, then the other)
                        assertTrue(System.nanoTime() < deadline, "no readiness for " + pd);
                        Thread.sleep(1);
                    }
                }
                List<G> none = new ArrayList<>();
                p.poll(0, none); // nobody was parked: nothing to hand over
                assertTrue(none.isEmpty());
                long settle = System.nanoTime() + 1_000_000_000L;
                while (p.hasPending()) { // the owner may be mid-reap (reaping) for a moment
                    assertTrue(System.nanoTime() < settle, "hasPending() stuck with nothing handed over");
                    Thread.sleep(1);
                }
                for (PollDesc pd : pds) {
                    p.deregister(pd);
                    Native.C.close(pd.fd);
                }
            }
        }
    }

    @Test
    void wakeupRacingABlockingPollIsNeverLost() throws Exception {
        try (IoUringPoller p = new IoUringPoller()) {
            AtomicLong returns = new AtomicLong();
            Thread poller = Thread.ofPlatform().daemon().start(() -> {
                List<G> out = new ArrayList<>();
                while (!Thread.currentThread().isInterrupted()) {
                    p.poll(-1, out);
                    returns.incrementAndGet();
                }
            });
            ThreadLocalRandom r = ThreadLocalRandom.current();
            for (int i = 0; i < 20_000; i++) {
                long before = returns.get();
                for (int spin = r.nextInt(200); spin > 0; spin--) Thread.onSpinWait(); // vary the moment
                p.wakeup();
                long deadline = System.nanoTime() + 5_000_000_000L;
                while (returns.get() == before) {
                    assertTrue(System.nanoTime() < deadline, "wake-up " + i + " lost: the poll stayed blocked");
                    Thread.onSpinWait();
                }
            }
            poller.interrupt();
            p.wakeup();
            poller.join(5_000);
        }
    }

    @Test
    void blockingPollHonoursItsTimeout() throws Exception {
        try (IoUringPoller p = new IoUringPoller()) {
            long t0 = System.nanoTime();
            p.poll(20_000_000L, new ArrayList<>());
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(ms < 5_000, "poll(20 ms) took " + ms + " ms");
        }
    }

    @Test
    void closeStopsTheOwnerThreadAndLeaksNone() throws Exception {
        int before = uringThreads();
        for (int i = 0; i < 20; i++) {
            IoUringPoller p = new IoUringPoller();
            assertEquals(before + 1, uringThreads());
            int fd = Native.C.eventfd(0, 0x80000 | 0x800);
            p.register(new PollDesc(null, fd, 1)); // an armed poll: closing the ring cancels it
            Thread.sleep(2);
            p.close();
            Native.C.close(fd);
            assertEquals(before, uringThreads(), "the owner thread outlived close()");
        }
    }
}
