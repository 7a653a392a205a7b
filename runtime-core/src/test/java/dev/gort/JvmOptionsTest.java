package dev.gort;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * runtime-core ships the JVM flags it needs: {@code META-INF/gort/jvm.options}, a JDK
 * {@code @argfile} with one single-token flag per line, and its jar's main class
 * ({@code dev.gort.internal.JvmFlags}), which prints them for {@code --flags} and otherwise prints
 * a usage to stderr and exits 2.
 */
class JvmOptionsTest {
    private static final String RESOURCE = "META-INF/gort/jvm.options";

    /** runtime-core's classes (target/classes here, the jar for a user). */
    private static Path runtime() throws Exception {
        return Path.of(Go.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    private static List<String> coreFile() throws Exception {
        return Files.readAllLines(runtime().resolve(RESOURCE), StandardCharsets.UTF_8);
    }

    @Test
    void theCoreFileListsTheContinuationExportOneTokenPerLine() throws Exception {
        List<String> lines = coreFile();
        assertEquals(List.of("--add-exports=java.base/jdk.internal.vm=ALL-UNNAMED"), lines);
        for (String line : lines) {
            assertFalse(line.isBlank() || line.strip().contains(" "), "not one token: '" + line + "'");
        }
    }

    @Test
    void javaWithTheFileAsArgfileRunsACoreProgramWithoutWarnings(@TempDir Path dir) throws Exception {
        Path argfile = dir.resolve("jvm.options");
        Files.write(argfile, coreFile());
        ChildJvm.Result r = ChildJvm.onClassPath(List.of("@" + argfile));
        assertEquals(0, r.exit(), r.toString());
        assertEquals("ok unnamed", r.stdout(), r.toString());
        assertFalse(r.stderr().contains("WARNING"), r.toString());
    }

    @Test
    void flagsPrintsTheFileOnePerLine() throws Exception {
        Run r = main("--flags");
        assertEquals(0, r.exit, r.toString());
        assertEquals(coreFile(), r.stdout.lines().toList(), r.toString());
        assertEquals("", r.stderr, r.toString());
    }

    @Test
    void noArgumentPrintsTheUsageToStderrAndExits2() throws Exception {
        Run r = main();
        assertEquals(2, r.exit, r.toString());
        assertEquals("", r.stdout, r.toString());
        assertTrue(r.stderr.startsWith("usage: java -jar runtime-core.jar --flags"), r.toString());
    }

    @Test
    void anUnknownArgumentIsNamedWithTheUsageAndExits2() throws Exception {
        Run r = main("--flag");
        assertEquals(2, r.exit, r.toString());
        assertEquals("", r.stdout, r.toString());
        assertTrue(r.stderr.contains("unknown arguments --flag") && r.stderr.contains("usage:"), r.toString());
    }

    private record Run(int exit, String stdout, String stderr) {
        @Override
        public String toString() {
            return "exit " + exit + "\n--- stdout\n" + stdout + "\n--- stderr\n" + stderr;
        }
    }

    /** The jar's main class in a child JVM with runtime-core alone on its class path, no flags. */
    private static Run main(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-cp", runtime().toString(), "dev.gort.internal.JvmFlags"));
        cmd.addAll(List.of(args));
        File out = File.createTempFile("jvmflags", ".out");
        File err = File.createTempFile("jvmflags", ".err");
        try {
            Process p = new ProcessBuilder(cmd).redirectOutput(out).redirectError(err).start();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("child JVM did not end in 60 s: " + cmd);
            }
            return new Run(p.exitValue(), Files.readString(out.toPath()), Files.readString(err.toPath()));
        } finally {
            out.delete();
            err.delete();
        }
    }
}
