package dev.gort;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Goroutine bodies that throw ({@link GoRunnable}): what compiles (the first tests are checked
 * by the compiler: a lambda that throws, a method reference, a {@code Runnable} variable, a
 * lambda that fits both overloads) and what becomes of each exception that escapes.
 */
class GoRunnableTest {
    @RegisterExtension
    final UncaughtReports reports = new UncaughtReports();

    @AfterEach
    void atRest() throws InterruptedException {
        GoTestSupport.assertSchedulerAtRest();
    }

    private static void readConfig() throws IOException {
        throw new IOException("no config");
    }

    // ---- What compiles

    @Test
    void aLambdaThatThrowsACheckedExceptionIsABody() throws Exception {
        Chan<Integer> ch = Chan.make(1);
        Goroutine g = Go.spawn(() -> ch.send(42)); // send throws InterruptedException: no try needed
        g.join();
        assertEquals(42, ch.receive());
    }

    @Test
    void aMethodReferenceToAThrowingMethodIsABody() throws Exception {
        Goroutine g = Go.spawn("config", GoRunnableTest::readConfig);
        CompletionException e = assertThrows(CompletionException.class, g::join);
        assertInstanceOf(IOException.class, e.getCause());
    }

    @Test
    void aRunnableVariableStillCompilesAndRuns() throws Exception {
        AtomicInteger runs = new AtomicInteger();
        Runnable task = runs::incrementAndGet;
        Go.spawn(task).join();
        Go.spawn("named", task).join();
        Go.run(task);
        assertEquals(3, runs.get());
    }

    @Test
    void aLambdaThatFitsBothOverloadsIsNotAmbiguousAndRunsOnce() throws Exception {
        AtomicInteger runs = new AtomicInteger();
        Go.spawn(() -> runs.incrementAndGet()).join(); // Runnable and GoRunnable both fit: GoRunnable is more specific
        Go.run(() -> {
            runs.incrementAndGet();
        });
        assertEquals(2, runs.get());
    }

    // ---- What escapes

    @Test
    void aCheckedFailureGoesToTheHandlerAndToJoinWrapped() throws Exception {
        Goroutine g = Go.spawn("reader", () -> {
            throw new IOException("disk gone");
        });
        CompletionException e = assertThrows(CompletionException.class, g::join);
        assertInstanceOf(IOException.class, e.getCause());
        assertSame(e.getCause(), g.failure());
        assertEquals(List.of("reader: java.io.IOException: disk gone"), reports);
    }

    @Test
    void anUncheckedFailureIsRethrownByJoinAsItIs() throws Exception {
        IllegalStateException boom = new IllegalStateException("boom");
        Goroutine g = Go.spawn("bad", () -> {
            throw boom;
        });
        assertSame(boom, assertThrows(IllegalStateException.class, g::join));
        assertSame(boom, assertThrows(IllegalStateException.class, () -> g.join(java.time.Duration.ofSeconds(10))));
        assertEquals(1, reports.size(), "reported once, however often it is joined");
    }

    @Test
    void anInterruptedExceptionOfAnInterruptedGoroutineEndsItQuietly() throws Exception {
        Chan<Integer> never = Chan.make();
        Goroutine g = Go.spawn("waiter", never::receive);
        GoTestSupport.awaitWaiting(g);
        g.interrupt();
        g.join(); // returns normally
        assertNull(g.failure());
        assertTrue(reports.isEmpty(), () -> "reported: " + reports);
    }

    @Test
    void anInterruptedExceptionRethrownAfterGoInterruptedIsQuietToo() throws Exception {
        Goroutine g = Go.spawn(() -> {
            while (!Go.interrupted()) Go.yield();
            throw new InterruptedException("seen by Go.interrupted()");
        });
        g.interrupt();
        g.join();
        assertNull(g.failure());
        assertTrue(reports.isEmpty(), () -> "reported: " + reports);
    }

    @Test
    void anInterruptedExceptionOfAGoroutineNeverInterruptedIsAFailure() throws Exception {
        Goroutine g = Go.spawn("liar", () -> {
            throw new InterruptedException("made up");
        });
        CompletionException e = assertThrows(CompletionException.class, g::join);
        assertInstanceOf(InterruptedException.class, e.getCause());
        assertEquals(1, reports.size());
    }

    @Test
    void goRunRethrowsItsMainsCheckedFailureWrappedWithoutReportingIt() {
        CompletionException e = assertThrows(CompletionException.class, () -> Go.run(GoRunnableTest::readConfig));
        assertEquals("no config", e.getCause().getMessage());
        assertTrue(reports.isEmpty(), () -> "reported: " + reports);
    }

    @Test
    void runOnAPlatformThreadWrapsCheckedExceptionsAndKeepsTheInterrupt() {
        GoRunnable io = GoRunnableTest::readConfig;
        assertInstanceOf(IOException.class, assertThrows(CompletionException.class, io::run).getCause());
        GoRunnable interrupted = () -> {
            throw new InterruptedException();
        };
        assertThrows(CompletionException.class, interrupted::run);
        assertTrue(Thread.interrupted(), "the interrupt is set again");
        IllegalArgumentException bad = new IllegalArgumentException();
        GoRunnable unchecked = () -> {
            throw bad;
        };
        assertSame(bad, assertThrows(IllegalArgumentException.class, unchecked::run));
        assertFalse(Thread.currentThread().isInterrupted());
    }
}
