package dev.gort;

import dev.gort.usercode.CoreOnlyProgram;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@link CoreOnlyProgram} in a child JVM that sees runtime-core only (none of the test
 * libraries, which may use {@code sun.misc.Unsafe} themselves; runtime-core has no library of its
 * own), with runtime-core either on the class path or on the module path as module
 * {@code dev.gort.core}.
 */
final class ChildJvm {
    private ChildJvm() {}

    /** Exit status and the two streams of a finished child. */
    record Result(int exit, String stdout, String stderr) {
        @Override
        public String toString() {
            return "exit " + exit + "\n--- stdout\n" + stdout + "\n--- stderr\n" + stderr;
        }
    }

    /** Where runtime-core was loaded from: its classes directory, with module-info.class. */
    private static String runtime() {
        return location(Go.class);
    }

    private static String location(Class<?> c) {
        try {
            return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Runtime-core and the program on the class path, with {@code flags} before them. */
    static Result onClassPath(List<String> flags) throws Exception {
        List<String> cmd = new ArrayList<>(flags);
        cmd.addAll(List.of("-cp", runtime() + File.pathSeparator + location(CoreOnlyProgram.class),
            CoreOnlyProgram.class.getName()));
        return run(cmd);
    }

    /** Runtime-core on the module path (module dev.gort.core), the program on the class path. */
    static Result onModulePath(List<String> flags) throws Exception {
        List<String> cmd = new ArrayList<>(flags);
        cmd.addAll(List.of("--module-path", runtime(), "--add-modules", "dev.gort.core",
            "-cp", location(CoreOnlyProgram.class), CoreOnlyProgram.class.getName()));
        return run(cmd);
    }

    private static Result run(List<String> args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
        cmd.addAll(args);
        Process p = new ProcessBuilder(cmd).start();
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
        String out = read(p.getInputStream());
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("child JVM did not end in 60 s: " + cmd + "\n" + out);
        }
        return new Result(p.exitValue(), out.trim(), err.get().trim());
    }

    private static String read(java.io.InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
