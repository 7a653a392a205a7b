package dev.gort.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The soft memory limit ({@code -Dgort.memlimit}, runtime-gc-assist) against an allocation
 * overload ({@link Overload}: a burst of 2,000 requests that each hold a 1 MiB buffer over three
 * hand-offs to eight slow workers), in child JVMs with a 256 MiB heap. The JVM exits with code 3
 * on {@code OutOfMemoryError} ({@code -XX:+ExitOnOutOfMemoryError}), so that "died of it" is one
 * unambiguous outcome.
 */
class MemoryLimitOverloadTest {
    /** Exit code of {@code -XX:+ExitOnOutOfMemoryError}. */
    static final int OOM_EXIT = 3;

    record Outcome(int exit, String out, long seconds) {
        @Override
        public String toString() {
            return "exit " + exit + " after " + seconds + " s\n" + out;
        }
    }

    static Outcome overload(String... flagsThenArgs) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java",
            "--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED", "--enable-native-access=ALL-UNNAMED",
            "--sun-misc-unsafe-memory-access=allow", "-Xmx256m", "-XX:+UseG1GC", "-XX:+ExitOnOutOfMemoryError",
            "-Dgort.maxprocs=2"));
        int i = 0;
        while (i < flagsThenArgs.length && flagsThenArgs[i].startsWith("-D")) cmd.add(flagsThenArgs[i++]);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName(), "overload"));
        while (i < flagsThenArgs.length) cmd.add(flagsThenArgs[i++]);
        long start = System.nanoTime();
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> {
            try (var in = p.getInputStream()) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        if (!p.waitFor(90, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("the overload did not end in 90 s: " + cmd + "\n" + out.get(5, TimeUnit.SECONDS));
        }
        return new Outcome(p.exitValue(), out.get().trim(), (System.nanoTime() - start) / 1_000_000_000L);
    }

    static long field(String out, String key) {
        Matcher m = Pattern.compile("\\b" + key + "=(\\d+)").matcher(out);
        if (!m.find()) throw new AssertionError("no " + key + "= in:\n" + out);
        return Long.parseLong(m.group(1));
    }

    @Test
    void withoutALimitTheOverloadDiesOfOutOfMemory() throws Exception {
        Outcome o = overload();
        assertEquals(OOM_EXIT, o.exit(), o.toString());
        assertTrue(o.out().contains("OutOfMemoryError"), o.toString());
    }

    @Test
    void underTheLimitTheOverloadCompletesEveryRequest() throws Exception {
        Outcome o = overload("-Dgort.memlimit=192m");
        assertEquals(0, o.exit(), o.toString());
        assertEquals(2000, field(o.out(), "done"), o.toString());
        assertEquals(2000 * 3, field(o.out(), "checksum"), o.toString()); // every hop of every request
        assertTrue(field(o.out(), "paced_ms") > 0, "no pacing reported: " + o);
        assertTrue(field(o.out(), "held_total") > 0, o.toString());
        assertEquals(192, field(o.out(), "limit_mib"), o.toString());
    }

    @Test
    void aLeakStillDiesOfOutOfMemoryUnderTheLimitInBoundedTime() throws Exception {
        Outcome o = overload("-Dgort.memlimit=192m", "--leak");
        assertEquals(OOM_EXIT, o.exit(), o.toString());
        assertTrue(o.out().contains("OutOfMemoryError"), o.toString());
        assertTrue(o.seconds() < 60, "the leak crawled: " + o);
    }
}
