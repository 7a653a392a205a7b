package dev.gort;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.List;
import javax.management.ObjectName;
import org.junit.jupiter.api.Test;

/** JMX sees the scheduler (docs/DESIGN.md, "Observability"; JFR: dev.gort.sched.jfr.JfrEventsTest). */
class ObservabilityTest {

    /** Child JVM for the schedtrace test. */
    public static void main(String[] args) throws Exception {
        Go.run(() -> Go.spawn(() -> { }));
        Thread.sleep(300);
    }

    @Test
    void schedtracePropertyPrintsSchedLines() throws Exception {
        String java = System.getProperty("java.home") + "/bin/java";
        Process p = new ProcessBuilder(List.of(java, "--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED",
            "-Dgort.schedtrace=50", "-Dgort.maxprocs=2",
            "-cp", System.getProperty("java.class.path"), ObservabilityTest.class.getName()))
            .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        long lines = out.lines().filter(l -> l.matches("SCHED \\d+ms: maxprocs=2 idleprocs=\\d+ .*")).count();
        assertTrue(lines >= 2, "expected SCHED lines every 50 ms:\n" + out);
        assertTrue(out.lines().filter(l -> l.startsWith("SCHED ") && !l.startsWith("SCHED config"))
            .allMatch(l -> l.matches(".* schedlat (p99=\\d+(\\.\\d)?(ns|us|ms|s)|off)( .*)?")), "schedlat on each SCHED line:\n" + out);
        String first = out.lines().filter(l -> l.startsWith("SCHED")).findFirst().orElse("");
        assertTrue(first.matches("SCHED config: maxprocs=2 maxthreads=10000 stacksize=0 schedtrace=50 netpoll=(auto|none)"
            + " deferwake=(true|false) pollwake=(owed|eager) spinnanos=\\d+ allocstats=(true|false) scheddetail=false"
            + " schedstats=(true|false) schedstats.sample=64 carrierspacers=true"), "the first SCHED line is the configuration:\n" + out);
    }

    /** The configuration: read once, with the values the properties give and the defaults for the others. */
    @Test
    void schedtraceConfigurationLineNamesEveryKnob() throws Exception {
        String java = System.getProperty("java.home") + "/bin/java";
        Process p = new ProcessBuilder(List.of(java, "--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED",
            "--sun-misc-unsafe-memory-access=allow", "-Dgort.schedtrace=1000", "-Dgort.maxprocs=3",
            "-Dgort.maxthreads=77", "-Dgort.deferwake=false", "-Dgort.pollwake=eager", "-Dgort.spinnanos=5000",
            "-Dgort.netpoll=none", "-Dgort.allocstats=true", "-Dgort.scheddetail=true", "-Dgort.schedstats=false", "-Dgort.schedstats.sample=16",
            "-Dgort.carrierspacers=false", "-cp", System.getProperty("java.class.path"),
            ObservabilityTest.class.getName()))
            .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        String first = out.lines().filter(l -> l.startsWith("SCHED")).findFirst().orElse("");
        assertEquals("SCHED config: maxprocs=3 maxthreads=77 stacksize=0 schedtrace=1000 netpoll=none deferwake=false"
            + " pollwake=eager spinnanos=5000 allocstats=true scheddetail=true schedstats=false schedstats.sample=16"
            + " carrierspacers=false", first, out);
    }

    @Test
    void schedulerMXBeanIsRegistered() throws Exception {
        Go.maxProcs(); // starts the runtime
        var server = ManagementFactory.getPlatformMBeanServer();
        ObjectName name = new ObjectName("dev.gort:type=Scheduler");
        // sysmon registers it when it starts, off the caller's path
        GoTestSupport.awaitTrue("MBean registered", 10_000, () -> server.isRegistered(name));
        assertEquals(Go.maxProcs(), server.getAttribute(name, "MaxProcs"));
        assertEquals(-1L, server.getAttribute(name, "AllocatedBytes"), "gort.allocstats is off by default");
        String dump = (String) server.invoke(name, "dump", null, null);
        assertTrue(dump.startsWith("SCHED "), dump);
    }

    @Test
    void schedulerMXBeanShowsDistributionsAsOpenTypes() throws Exception {
        Go.maxProcs(); // starts the runtime
        var server = ManagementFactory.getPlatformMBeanServer();
        ObjectName name = new ObjectName("dev.gort:type=Scheduler");
        GoTestSupport.awaitTrue("MBean registered", 10_000, () -> server.isRegistered(name));
        var latency = (javax.management.openmbean.CompositeData) server.getAttribute(name, "SchedulingLatency");
        assertTrue(latency.containsKey("p99Nanos"), latency.toString());
        assertTrue((Long) server.getAttribute(name, "SchedulingLatencyP99Nanos") >= 0);
        var waits = (javax.management.openmbean.TabularData) server.getAttribute(name, "WaitTimes");
        assertEquals(Go.metrics().waitTimes().size(), waits.size());
        var byCause = (javax.management.openmbean.TabularData) server.getAttribute(name, "PreemptionsByCause");
        assertEquals(3, byCause.size());
        assertTrue(server.getAttribute(name, "WaitTimesSummary") instanceof String);
        assertTrue((Long) server.getAttribute(name, "Steals") >= 0);
    }
}
