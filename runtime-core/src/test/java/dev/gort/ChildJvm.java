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
 * Child JVMs for tests: {@link CoreOnlyProgram} seeing runtime-core only (none of the test
 * libraries, which may use {@code sun.misc.Unsafe} themselves; runtime-core's one library,
 * HdrHistogram, is optional and absent there: its distributions are off), with runtime-core either on the class path or on the module path as module
 * {@code dev.gort.core}; and any test program with the test classes or the whole test class path.
 * A child that runs past 120 s is killed and fails the test.
 */
public final class ChildJvm {
    private ChildJvm() {}

    /** Exit status and the two streams of a finished child. */
    public record Result(int exit, String stdout, String stderr) {
        @Override
        public String toString() {
            return "exit " + exit + "\n--- stdout\n" + stdout + "\n--- stderr\n" + stderr;
        }
    }

    /** Where runtime-core was loaded from: its classes directory, with module-info.class. */
    private static String runtime() {
        return location(Go.class);
    }

    /**
     * {@code main} with {@code args}, runtime-core and the test classes (nothing else) on the
     * class path, the Continuation export and {@code flags} before them.
     */
    static Result withTestClasses(List<String> flags, Class<?> main, String... args) throws Exception {
        return withClassPath(runtime() + File.pathSeparator + location(main), flags, main, args);
    }

    /** As {@link #withTestClasses}, with the whole test class path (the test libraries too: H2, ...). */
    public static Result withTestClassPath(List<String> flags, Class<?> main, String... args) throws Exception {
        return withClassPath(System.getProperty("java.class.path"), flags, main, args);
    }

    private static Result withClassPath(String cp, List<String> flags, Class<?> main, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED"));
        cmd.addAll(flags);
        cmd.addAll(List.of("-cp", cp, main.getName()));
        cmd.addAll(List.of(args));
        return run(cmd);
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
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("child JVM did not end in 120 s: " + cmd + "\n" + out);
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
