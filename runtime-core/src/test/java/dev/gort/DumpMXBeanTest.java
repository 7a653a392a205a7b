package dev.gort;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.management.JMX;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import javax.management.RuntimeMBeanException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The profile and the dumps through the platform MBeanServer, as jcmd (ManagementAgent),
 * JConsole and VisualVM call them: the operations of {@code dev.gort:type=Scheduler}.
 */
class DumpMXBeanTest {
    private static final String[] PATH_AND_FORMAT = {String.class.getName(), String.class.getName()};

    private static ObjectName registered() throws Exception {
        Go.maxProcs(); // starts the runtime
        ObjectName name = new ObjectName("dev.gort:type=Scheduler");
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        GoTestSupport.awaitTrue("MBean registered", 10_000, () -> server.isRegistered(name));
        return name;
    }

    private static void parkOn(Chan<Object> gate) {
        try {
            gate.receiveOrNull();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    /** Runs body while 5 goroutines are parked in parkOn. */
    private static void withParked(GoTestSupport.ThrowingRunnable body) throws Exception {
        Chan<Object> gate = Chan.make();
        List<Goroutine> parked = new java.util.ArrayList<>();
        for (int i = 0; i < 5; i++) parked.add(Go.spawn(() -> parkOn(gate)));
        GoTestSupport.awaitTrue("parked", 10_000, () -> parked.stream().allMatch(g -> g.state() == Goroutine.State.WAITING));
        try {
            body.run();
        } finally {
            gate.close();
            GoTestSupport.joinAllSucceeded(parked);
        }
    }

    @Test
    void profileAndDumpJsonAreOperations() throws Exception {
        ObjectName name = registered();
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        withParked(() -> {
            String profile = (String) server.invoke(name, "profile", null, null);
            assertTrue(ProfileTest.parse(profile).stream()
                .anyMatch(e -> e.count() == 5 && e.hasFrame("DumpMXBeanTest.parkOn")), profile);
            String json = (String) server.invoke(name, "dumpJson", null, null);
            assertEquals(5, JsonDumpTest.goroutines(JsonDumpTest.parse(json)).values().stream()
                .filter(g -> g.get("stack").toString().contains("DumpMXBeanTest.parkOn")).count(), json);
            // A client's typed proxy, as a JMX tool that knows the interface makes it.
            SchedulerMXBean proxy = JMX.newMXBeanProxy(server, name, SchedulerMXBean.class);
            assertTrue(proxy.profile().startsWith("goroutine profile: total "));
        });
    }

    @Test
    void writeDumpWritesEachFormatToANewFile(@TempDir Path dir) throws Exception {
        ObjectName name = registered();
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        withParked(() -> {
            for (String format : new String[] {"text", "json", "profile"}) {
                Path file = dir.resolve("gort." + format);
                Object reply = server.invoke(name, "writeDump", new Object[] {file.toString(), format}, PATH_AND_FORMAT);
                assertEquals("Created " + file, reply);
                String text = Files.readString(file, StandardCharsets.UTF_8);
                switch (format) {
                    case "text" -> assertTrue(text.startsWith("SCHED ") && text.contains("DumpMXBeanTest.parkOn"), text);
                    case "json" -> assertEquals(5, JsonDumpTest.goroutines(JsonDumpTest.parse(text)).values().stream()
                        .filter(g -> g.get("stack").toString().contains("DumpMXBeanTest.parkOn")).count());
                    default -> assertTrue(ProfileTest.parse(text).stream()
                        .anyMatch(e -> e.count() == 5 && e.hasFrame("DumpMXBeanTest.parkOn")), text);
                }
            }
        });
    }

    @Test
    void writeDumpRefusesARelativeOrExistingPathAndAnUnknownFormat(@TempDir Path dir) throws Exception {
        ObjectName name = registered();
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        Path existing = Files.writeString(dir.resolve("existing.json"), "keep me");
        assertRefused(server, name, "dump.json", "json", "absolute path");
        assertRefused(server, name, existing.toString(), "json", "does not overwrite");
        assertEquals("keep me", Files.readString(existing), "the existing file is untouched");
        assertRefused(server, name, dir.resolve("x.xml").toString(), "xml", "text, json or profile");
        assertRefused(server, name, null, "json", "needs a path");
        assertRefused(server, name, dir.resolve("y").toString(), null, "needs a format");
        assertTrue(Files.notExists(dir.resolve("x.xml")) && Files.notExists(dir.resolve("y")), "nothing written");
    }

    private static void assertRefused(MBeanServer server, ObjectName name, String path, String format, String says) {
        RuntimeMBeanException e = assertThrows(RuntimeMBeanException.class,
            () -> server.invoke(name, "writeDump", new Object[] {path, format}, PATH_AND_FORMAT));
        IllegalArgumentException cause = assertInstanceOf(IllegalArgumentException.class, e.getCause());
        assertTrue(cause.getMessage().contains(says), cause.getMessage());
    }
}
