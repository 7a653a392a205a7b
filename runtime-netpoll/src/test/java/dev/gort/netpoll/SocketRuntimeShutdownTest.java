package dev.gort.netpoll;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Go.shutdown() closes the network poller (its descriptors, io_uring's owner thread) when no
 * socket is open, keeps it while one is, and a fresh runtime opens a new one. In a child JVM
 * ({@link ShutdownProgram}) with this execution's {@code gort.*} properties (its driver: epoll,
 * or io_uring in the uring executions, which run the Socket*Test classes): the other test classes
 * of this JVM leave sockets and goroutines that would keep the runtime from stopping.
 */
class SocketRuntimeShutdownTest {
    @Test
    void shutdownClosesAnUnusedPollerAndEndsItsThreadsAndAFreshRuntimeOpensANewOne() throws Exception {
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> cmd = new ArrayList<>(List.of(java, "--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED",
            "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow"));
        for (String k : System.getProperties().stringPropertyNames()) {
            if (k.startsWith("gort.")) cmd.add("-D" + k + "=" + System.getProperty(k));
        }
        cmd.addAll(List.of("-cp", cp, ShutdownProgram.class.getName()));
        Process p = new ProcessBuilder(cmd).start();
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
        String out = read(p.getInputStream());
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("child JVM did not end in 60 s\n" + out + "\n" + err.getNow(""));
        }
        String result = "exit " + p.exitValue() + "\n--- stdout\n" + out + "\n--- stderr\n" + err.get();
        assertEquals(0, p.exitValue(), result);
        assertTrue(out.trim().endsWith("ok"), result);
    }

    private static String read(java.io.InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
