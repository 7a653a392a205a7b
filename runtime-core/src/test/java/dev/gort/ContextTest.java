package dev.gort;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ContextTest {
    @AfterEach
    void schedulerAtRest() throws InterruptedException {
        GoTestSupport.assertSchedulerAtRest();
        GoTestSupport.awaitTrue("no timer left armed", 10_000, () -> dev.gort.sched.Scheduler.get().pendingTimers() == 0);
    }

    @Test
    void backgroundIsNeverCancelled() {
        Context bg = Context.background();
        assertNull(bg.done());
        assertNull(bg.err());
        assertTrue(bg.deadline().isEmpty());
        assertNull(bg.value("k"));
    }

    @Test
    void cancelPropagatesDownNotUp() throws Exception {
        Context.Cancellable parent = Context.withCancel(Context.background());
        Context.Cancellable child = Context.withCancel(Context.withValue(parent, "k", "v"));
        Context.Cancellable grandchild = Context.withCancel(child);
        Context.Cancellable sibling = Context.withCancel(parent);
        grandchild.cancel();
        assertSame(Context.CANCELED, grandchild.err());
        assertNull(child.err(), "a child's cancel reached its parent");
        child.cancel();
        assertNull(parent.err());
        assertNull(sibling.err());
        parent.cancel();
        assertSame(Context.CANCELED, sibling.err());
        assertNull(sibling.done().receiveOrNull(), "done is closed");
        assertEquals(0, parent.childCount(), "children are forgotten once cancelled");
        parent.cancel(); // idempotent
        assertEquals("v", Context.withValue(child, "x", 1).value("k"));
        // Deriving from a cancelled context gives a cancelled context.
        assertSame(Context.CANCELED, Context.withCancel(parent).err());
    }

    @Test
    void timeoutCancelsWithDeadlineExceeded() throws Exception {
        Context.Cancellable ctx = Context.withTimeout(Context.background(), Duration.ofMillis(20));
        assertTrue(ctx.deadline().isPresent());
        long t0 = System.nanoTime();
        assertNull(ctx.done().receiveOrNull());
        assertTrue(System.nanoTime() - t0 >= 10_000_000);
        assertSame(Context.DEADLINE_EXCEEDED, ctx.err());
        // A child's deadline is never later than its parent's.
        Context.Cancellable p = Context.withDeadline(Context.background(), Instant.now().plusSeconds(1));
        Context.Cancellable c = Context.withDeadline(p, Instant.now().plusSeconds(100));
        assertEquals(p.deadline(), c.deadline());
        p.cancel();
        assertSame(Context.CANCELED, c.err());
        assertSame(Context.DEADLINE_EXCEEDED, Context.withTimeout(Context.background(), Duration.ZERO).err());
    }

    /** err() prints as Go prints ctx.Err(), and stays a CancellationException of its own kind. */
    @Test
    void errorsPrintAsGoPrintsThem() {
        Context.Cancellable cancelled = Context.withCancel(Context.background());
        cancelled.cancel();
        Context.Cancellable expired = Context.withTimeout(Context.background(), Duration.ZERO);
        assertEquals("context canceled", String.valueOf(cancelled.err()));
        assertEquals("context canceled", cancelled.err().getMessage());
        assertEquals("context deadline exceeded", String.valueOf(expired.err()));
        assertEquals("context deadline exceeded", expired.err().getMessage());
        assertEquals("canceled: context canceled", "canceled: " + Context.CANCELED);
        assertInstanceOf(CancellationException.class, cancelled.err());
        assertInstanceOf(CancellationException.class, expired.err());
        assertNotSame(Context.CANCELED, Context.DEADLINE_EXCEEDED);
        assertEquals(0, Context.CANCELED.getStackTrace().length, "a shared constant has no stack to show");
    }

    @Test
    void aPipelineStopsWhenItsContextIsCancelled() {
        AtomicInteger produced = new AtomicInteger();
        AtomicReference<Object> why = new AtomicReference<>();
        Go.run(() -> {
            Context.Cancellable ctx = Context.withCancel(Context.background());
            Chan<Integer> nums = Chan.make();
            Goroutine producer = Go.spawn(() -> {
                boolean[] stop = {false};
                for (int i = 0; !stop[0]; i++) {
                    int v = i;
                    try {
                        new Select().send(nums, v, produced::incrementAndGet).recv(ctx.done(), x -> stop[0] = true).run();
                    } catch (InterruptedException e) {
                        throw new AssertionError(e);
                    }
                }
                why.set(ctx.err());
            });
            try {
                for (int i = 0; i < 100; i++) assertEquals(i, nums.receive());
                ctx.cancel();
                producer.join();
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        });
        assertSame(Context.CANCELED, why.get());
        assertTrue(produced.get() >= 100 && produced.get() <= 101, "produced " + produced.get());
    }

    @Test
    void badInput() {
        assertThrows(NullPointerException.class, () -> Context.withCancel(null));
        assertThrows(NullPointerException.class, () -> Context.withValue(Context.background(), null, 1));
        assertThrows(NullPointerException.class, () -> Context.withTimeout(Context.background(), null));
        assertFalse(Context.withCancel(Context.background()).done().isClosed());
    }

    /**
     * A timeout of centuries is "forever" (saturated as Go.sleep's), not an ArithmeticException
     * or DateTimeException from Instant.plus; a hugely negative one is already over.
     */
    @Test
    void aHugeTimeoutSaturatesInsteadOfOverflowing() {
        for (java.time.Duration d : java.util.List.of(java.time.Duration.ofSeconds(Long.MAX_VALUE),
                java.time.Duration.ofDays(365L * 1_000_000))) {
            Context.Cancellable ctx = Context.withTimeout(Context.background(), d);
            assertFalse(ctx.done().isClosed(), d + ": cancelled at once");
            assertNull(ctx.err(), d.toString());
            assertTrue(ctx.deadline().orElseThrow().isAfter(java.time.Instant.now().plus(java.time.Duration.ofDays(365L * 50))),
                d + ": deadline " + ctx.deadline());
            ctx.cancel(); // releases its timer
            assertSame(Context.CANCELED, ctx.err());
        }
        Context.Cancellable past = Context.withTimeout(Context.background(), java.time.Duration.ofSeconds(Long.MIN_VALUE));
        assertSame(Context.DEADLINE_EXCEEDED, past.err());
        assertTrue(past.done().isClosed());
    }
    /**
     * err() is null exactly while done() is open (Go: Err returns nil until Done is closed, and
     * non-nil after). A platform thread cancels contexts one after another while a goroutine reads
     * each one's err() and done() in both orders. err was once set before done was closed, outside
     * the lock, so err() could already be non-null with done still open.
     */
    @Test
    void errIsSetExactlyWhenDoneIsClosed() throws Exception {
        int n = 20_000;
        AtomicReference<Context.Cancellable> current = new AtomicReference<>();
        AtomicBoolean over = new AtomicBoolean();
        List<String> errors = Collections.synchronizedList(new ArrayList<>());
        Goroutine checker = Go.spawn(() -> {
            while (!over.get() && errors.isEmpty()) {
                Go.safepoint();
                Context.Cancellable c = current.get();
                if (c == null) continue;
                if (c.err() != null && !c.done().isClosed()) errors.add("err() set while done() is open");
                if (c.done().isClosed() && c.err() == null) errors.add("done() closed while err() is null");
            }
        });
        for (int i = 0; i < n && errors.isEmpty(); i++) {
            Context.Cancellable c = Context.withCancel(Context.background());
            current.set(c);
            c.cancel();
        }
        over.set(true);
        checker.join();
        assertTrue(errors.isEmpty(), errors.toString());
    }
}
