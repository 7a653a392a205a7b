package dev.gort.gc;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Runs a main class of these tests in a child JVM with the test's class path and the given flags. */
final class Child {
    private Child() {}

    record Result(int exit, String stdout, String stderr) {
        @Override
        public String toString() {
            return "exit " + exit + "\n--- stdout\n" + stdout + "\n--- stderr\n" + stderr;
        }
    }

    static Result run(List<String> flags, Class<?> main, String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
        cmd.addAll(List.of("--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED"));
        cmd.addAll(flags);
        String cp = System.getProperty("java.class.path");
        String mp = System.getProperty("jdk.module.path");
        if (mp != null && !mp.isEmpty()) cp = cp + File.pathSeparator + mp;
        cmd.addAll(List.of("-cp", cp, main.getName()));
        cmd.addAll(List.of(args));
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

    /** The value of "key=value" on a line of out, or throws. */
    static long value(String out, String key) {
        for (String line : out.split("\n")) {
            for (String f : line.trim().split(" ")) {
                if (f.startsWith(key + "=")) return Long.parseLong(f.substring(key.length() + 1));
            }
        }
        throw new AssertionError("no " + key + "= in:\n" + out);
    }
}
