package dev.gort;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Two goroutines whose classes' static initializers need each other wait forever, invisible to
 * the JVM (their carriers are RUNNABLE) and to Go.run's deadlock detection (they look running):
 * sysmon reports each of them once. In a child JVM, which the deadlock never lets end.
 */
class ClassInitDeadlockTest {
    static final CountDownLatch A_STARTED = new CountDownLatch(1);
    static final CountDownLatch B_STARTED = new CountDownLatch(1);

    /** Starts initializing, waits until B's initialization has started, then needs B. */
    static final class A {
        static {
            A_STARTED.countDown();
            awaitQuietly(B_STARTED);
            B.touch();
        }

        static void touch() {}
    }

    /** The mirror of A. */
    static final class B {
        static {
            B_STARTED.countDown();
            awaitQuietly(A_STARTED);
            A.touch();
        }

        static void touch() {}
    }

    static void awaitQuietly(CountDownLatch l) {
        try {
            l.await();
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Child JVM: the two goroutines deadlock; main prints their ids and waits (the parent ends it). */
    public static void main(String[] args) throws Exception {
        Goroutine a = Go.spawn("init-a", A::touch);
        Goroutine b = Go.spawn("init-b", B::touch);
        System.out.println("spawned " + a.id() + " " + b.id());
        System.out.flush();
        Thread.sleep(TimeUnit.MINUTES.toMillis(2)); // the parent kills this JVM once it has read the reports
    }

    @Test
    void goroutinesDeadlockedInClassInitializationAreReportedBySysmon() throws Exception {
        Assumptions.assumeTrue(new File("/proc/thread-self").exists(), "needs the kernel's thread state (/proc)");
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        List<String> cmd = new ArrayList<>(List.of(java, "--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED",
            "--enable-native-access=ALL-UNNAMED", "-Dgort.maxprocs=2",
            "-cp", System.getProperty("java.class.path"), ClassInitDeadlockTest.class.getName()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Thread reader = Thread.ofPlatform().daemon().start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String l; (l = r.readLine()) != null; ) lines.add(l);
            } catch (java.io.IOException ignored) {
                // the child was killed
            }
        });
        StringBuilder out = new StringBuilder();
        boolean sawA = false, sawB = false;
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!(sawA && sawB) && System.nanoTime() - deadline < 0) {
                String l = lines.poll(100, TimeUnit.MILLISECONDS);
                if (l == null) {
                    if (!p.isAlive() && lines.isEmpty()) break;
                    continue;
                }
                out.append(l).append('\n');
                if (l.startsWith("gort: goroutine ") && l.contains("a class-initialization deadlock?")) {
                    if (l.contains("\"init-a\"")) sawA = true;
                    if (l.contains("\"init-b\"")) sawB = true;
                }
            }
        } finally {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
            reader.join(5_000);
        }
        assertTrue(sawA && sawB, "both goroutines reported:\n" + out);
    }
}
