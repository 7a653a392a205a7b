package dev.gort;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Go.shutdown: the runtime's threads end, its class loader can be collected, and it starts again.
 *
 * <p>Every test loads Gort in a class loader of its own (runtime-core's classes, and for the
 * scenarios {@link ShutdownScenarios}, under the platform class loader): a Gort that it stops is
 * not the one the other test classes of this JVM (Surefire runs them all in one) use, and
 * goroutines those left behind cannot keep it from stopping.
 */
@Timeout(120)
class ShutdownTest {
    /** Each isolated loader has a name of its own: a runtime thread is recognized by its frames' loader name. */
    private static final AtomicInteger LOADERS = new AtomicInteger();

    /** A class loader of its own over runtime-core's classes (and the tests', for the scenarios). */
    private static URLClassLoader isolatedLoader(boolean withScenarios) throws Exception {
        List<URL> urls = new ArrayList<>();
        urls.add(location(Go.class));
        if (withScenarios) urls.add(location(ShutdownScenarios.class));
        return new URLClassLoader("gort-isolated-" + LOADERS.incrementAndGet(), urls.toArray(URL[]::new), ClassLoader.getPlatformClassLoader());
    }

    private static URL location(Class<?> c) throws Exception {
        return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toUri().toURL();
    }

    /**
     * Live threads named gort-* that belong to {@code loader}'s Gort: a frame of theirs is of a
     * class that loader loaded (each runtime thread runs Gort's code from its first frame on).
     */
    static List<String> gortThreads(ClassLoader loader) {
        List<String> names = new ArrayList<>();
        for (var e : Thread.getAllStackTraces().entrySet()) {
            Thread t = e.getKey();
            if (!t.getName().startsWith("gort-") || !t.isAlive()) continue;
            for (StackTraceElement f : e.getValue()) {
                if (loader.getName().equals(f.getClassLoaderName())) {
                    names.add(t.getName());
                    break;
                }
            }
        }
        return names;
    }

    /**
     * Loads Gort in its own class loader, runs goroutines there through reflection, shuts it
     * down, and checks that its threads are gone and, once dropped, the loader is collected.
     */
    @Test
    void shutdownEndsEveryThreadAndTheClassLoaderIsCollected() throws Exception {
        ReferenceQueue<ClassLoader> queue = new ReferenceQueue<>();
        WeakReference<ClassLoader> ref = useAndShutDown(queue);
        // GC is not timing: collect until the loader's weak reference is cleared, a bounded number of times.
        for (int i = 0; i < 50 && ref.get() != null; i++) {
            System.gc();
            queue.remove(100);
        }
        assertNull(ref.get(), "the class loader of a Gort that was shut down is still reachable");
    }

    /** Everything that refers to the loader lives in this frame only, so that it is gone when it returns. */
    private static WeakReference<ClassLoader> useAndShutDown(ReferenceQueue<ClassLoader> queue) throws Exception {
        URLClassLoader loader = isolatedLoader(false);
        Thread self = Thread.currentThread();
        ClassLoader saved = self.getContextClassLoader();
        self.setContextClassLoader(loader);
        try {
            Class<?> go = loader.loadClass("dev.gort.Go");
            Method spawn = go.getMethod("spawn", Runnable.class);
            Method run = go.getMethod("run", Runnable.class);
            Method sleep = go.getMethod("sleep", Duration.class);
            Method shutdown = go.getMethod("shutdown", Duration.class);
            AtomicInteger ran = new AtomicInteger();
            run.invoke(null, (Runnable) () -> {
                for (int i = 0; i < 100; i++) {
                    try {
                        spawn.invoke(null, (Runnable) () -> {
                            try {
                                sleep.invoke(null, Duration.ofMillis(1)); // a timer and a park
                            } catch (ReflectiveOperationException e) {
                                throw new AssertionError(e);
                            }
                            ran.incrementAndGet();
                        });
                    } catch (ReflectiveOperationException e) {
                        throw new AssertionError(e);
                    }
                }
            });
            assertTrue(gortThreads(loader).contains("gort-sysmon"), "the runtime did not start: " + gortThreads(loader));
            assertEquals(Boolean.TRUE, shutdown.invoke(null, Duration.ofSeconds(30)), "shutdown refused");
            assertEquals(100, ran.get(), "goroutines that ran before the shutdown returned");
            assertEquals(List.of(), gortThreads(loader), "Gort threads alive after shutdown");
        } finally {
            self.setContextClassLoader(saved);
        }
        loader.close();
        return new WeakReference<>(loader, queue);
    }

    /** Runs ShutdownScenarios.{@code name} in a class loader of its own. */
    private static void scenario(String name) throws Throwable {
        try (URLClassLoader loader = isolatedLoader(true)) {
            Thread self = Thread.currentThread();
            ClassLoader saved = self.getContextClassLoader();
            self.setContextClassLoader(loader);
            try {
                loader.loadClass(ShutdownScenarios.class.getName()).getMethod(name).invoke(null);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            } finally {
                self.setContextClassLoader(saved);
            }
            assertEquals(List.of(), gortThreads(loader), "Gort threads alive after the scenario");
        }
    }

    @Test
    void afterShutdownSpawnRunChannelsAndTheExecutorWorkAgain() throws Throwable {
        scenario("restart");
    }

    @Test
    void theMXBeanIsUnregisteredAtShutdownAndRegisteredAtRestart() throws Throwable {
        scenario("mxBeanFollowsTheRuntime");
    }

    @Test
    void shutdownIsIdempotentAndConcurrentCallsAllReturnStopped() throws Throwable {
        scenario("idempotentAndConcurrent");
    }

    @Test
    void spawnsRunsAndTimersRacingWithShutdownAllRunNoneFailsOrHangs() throws Throwable {
        scenario("spawnRacingWithShutdown");
    }

    @Test
    void aParkedGoroutineOrAnArmedTimerKeepsTheRuntimeRunning() throws Throwable {
        scenario("refusesWhileSomethingIsLeft");
    }

    @Test
    void shutdownWaitsForGoroutinesThatEndWithinTheTimeout() throws Throwable {
        scenario("waitsForGoroutinesThatEnd");
    }

    @Test
    void idleCarriersEndAfterTheKeepAliveAndFreshOnesRunTheNextWork() throws Throwable {
        scenario("idleCarriersEndAfterTheKeepAlive");
    }

    @Test
    void aTimerSleeperWatchingNothingEndsAfterTheKeepAliveAndALaterTimerStillFires() throws Throwable {
        scenario("aSleeperWatchingNothingEndsAfterTheKeepAlive");
    }

    @Test
    void shutdownFromAGoroutineThrowsAndTheRuntimeGoesOn() throws Throwable {
        scenario("fromGoroutineThrows");
    }

    @Test
    void aPlatformThreadInAChannelReceiveOutlivesTheShutdown() throws Throwable {
        scenario("platformThreadInChannelOp");
    }
}
