package dev.gort.netpoll;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gort.Go;
import java.io.File;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * runtime-netpoll's {@code META-INF/gort/jvm.options} is the complete flag set for core and
 * netpoll on the class path: {@code java @jvm.options} runs a program that opens sockets with no
 * warning, and leaving out any one flag of the netpoll set brings a warning or an error back.
 */
class JvmOptionsTest {
    private static final String RESOURCE = "META-INF/gort/jvm.options";

    /** The file in the jar or classes directory {@code c} was loaded from. */
    private static List<String> fileOf(Class<?> c) throws Exception {
        Path where = Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
        if (Files.isDirectory(where)) {
            return Files.readAllLines(where.resolve(RESOURCE), StandardCharsets.UTF_8);
        }
        try (JarFile jar = new JarFile(where.toFile())) {
            JarEntry e = jar.getJarEntry(RESOURCE);
            assertTrue(e != null, "no " + RESOURCE + " in " + where);
            return new String(jar.getInputStream(e).readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        }
    }

    @Test
    void theNetpollFileListsTheCoreFlagsAndNativeAndUnsafeAccess() throws Exception {
        List<String> netpoll = fileOf(GoSocket.class);
        assertTrue(netpoll.containsAll(fileOf(Go.class)), "core's flags missing: " + netpoll);
        assertEquals(List.of(
            "--add-exports=java.base/jdk.internal.vm=ALL-UNNAMED",
            "--enable-native-access=ALL-UNNAMED",
            "--sun-misc-unsafe-memory-access=allow"), netpoll);
    }

    @Test
    void javaWithTheFileAsArgfileRunsSocketsWithoutWarnings() throws Exception {
        Run r = runProgram(fileOf(GoSocket.class));
        assertEquals(0, r.exit, r.toString());
        assertEquals("ok", r.stdout.strip(), r.toString());
        assertFalse(r.stderr.contains("WARNING"), r.toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow"})
    void withoutOneOfTheNetpollFlagsTheJvmWarns(String left) throws Exception {
        List<String> flags = new ArrayList<>(fileOf(GoSocket.class));
        assertTrue(flags.remove(left), left);
        Run r = runProgram(flags);
        assertEquals(0, r.exit, r.toString());
        assertTrue(r.stderr.contains("WARNING"), "no warning without " + left + ": the flag is not needed\n" + r);
    }

    /** Opens a server socket, connects to it and echoes one message; prints ok. */
    static final class Program {
        public static void main(String[] args) {
            Go.run(() -> {
                try (GoServerSocket server = GoServerSocket.bind(new InetSocketAddress("127.0.0.1", 0))) {
                    Go.spawn(() -> {
                        try (GoSocket c = server.accept()) {
                            byte[] buf = new byte[16];
                            int n = c.read(buf, 0, buf.length);
                            c.write(buf, 0, n);
                        } catch (Exception e) {
                            throw new RuntimeException(e);
                        }
                    });
                    try (GoSocket c = GoSocket.connect(server.localAddress())) {
                        c.write("ping".getBytes(StandardCharsets.US_ASCII), 0, 4);
                        byte[] buf = new byte[16];
                        int n = c.read(buf, 0, buf.length);
                        if (!"ping".equals(new String(buf, 0, n, StandardCharsets.US_ASCII))) throw new AssertionError("echo");
                    }
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            System.out.println("ok");
        }
    }

    private record Run(int exit, String stdout, String stderr) {
        @Override
        public String toString() {
            return "exit " + exit + "\n--- stdout\n" + stdout + "\n--- stderr\n" + stderr;
        }
    }

    /** {@link Program} in a child JVM on this test's class path, with {@code flags} as its argfile. */
    private static Run runProgram(List<String> flags) throws Exception {
        Path argfile = Files.createTempFile("jvm", ".options");
        File out = File.createTempFile("program", ".out");
        File err = File.createTempFile("program", ".err");
        try {
            Files.write(argfile, flags);
            List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "@" + argfile, "-Dgort.netpoll=epoll", "-cp", System.getProperty("java.class.path"), Program.class.getName());
            Process p = new ProcessBuilder(cmd).redirectOutput(out).redirectError(err).start();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("child JVM did not end in 60 s: " + cmd);
            }
            return new Run(p.exitValue(), Files.readString(out.toPath()), Files.readString(err.toPath()));
        } finally {
            Files.deleteIfExists(argfile);
            out.delete();
            err.delete();
        }
    }
}
