package dev.gort.sched;

import dev.gort.SchedulerMXBean;
import java.lang.management.ManagementFactory;
import javax.management.ObjectName;

/** The JMX view of the scheduler; loaded only when java.management is present. */
final class SchedulerMXBeanImpl implements SchedulerMXBean {
    static final String NAME = "dev.gort:type=Scheduler";
    private final Scheduler s;

    private SchedulerMXBeanImpl(Scheduler s) {
        this.s = s;
    }

    /**
     * Registers s under {@link #NAME} unless that name is taken (by another Gort, loaded by
     * another class loader: the first one keeps the name).
     *
     * @return true if this call registered it (the runtime's stop unregisters it then)
     */
    static boolean register(Scheduler s) throws Exception {
        ObjectName name = new ObjectName(NAME);
        var server = ManagementFactory.getPlatformMBeanServer();
        if (server.isRegistered(name)) return false;
        try {
            server.registerMBean(new SchedulerMXBeanImpl(s), name);
            return true;
        } catch (javax.management.InstanceAlreadyExistsException e) {
            return false; // another Gort registered it in between
        }
    }

    /** Unregisters {@link #NAME}, which the stopping runtime registered: the platform server must not keep it (nor its class loader). */
    static void unregister() throws Exception {
        ManagementFactory.getPlatformMBeanServer().unregisterMBean(new ObjectName(NAME));
    }

    @Override public int getMaxProcs() { return s.maxProcs(); }
    @Override public void setMaxProcs(int n) { s.setMaxProcs(n); }
    @Override public int getProcessors() { return s.metrics().processors(); }
    @Override public int getGoroutines() { return s.numGoroutine(); }
    @Override public int getThreads() { return s.metrics().threads(); }
    @Override public int getIdleThreads() { return s.metrics().idleThreads(); }
    @Override public int getIdleProcs() { return s.metrics().idleProcs(); }
    @Override public int getSpinningThreads() { return s.metrics().spinningThreads(); }
    @Override public int getGlobalRunQueue() { return s.metrics().globalRunQueue(); }
    @Override public int getLocalRunQueues() { return s.metrics().localRunQueues(); }
    @Override public long getPreemptions() { return Preemption.preemptions.get(); }
    @Override public long getStuckRetakes() { return s.procs.stuckRetakes.get(); }
    @Override public long getBlockingCalls() { return s.syscalls.blockingCalls.get(); }
    @Override public long getCarrierWakeups() { return s.idle.carrierWakeups.get(); }
    @Override public long getAllocatedBytes() { return s.schedule.goroutineAllocated(); }
    @Override public dev.gort.Distribution getSchedulingLatency() { return s.metrics().schedulingLatency(); }
    @Override public long getSchedulingLatencyP99Nanos() { return s.metrics().schedulingLatency().p99Nanos(); }
    @Override public java.util.Map<String, dev.gort.Distribution> getWaitTimes() { return s.metrics().waitTimes(); }
    @Override public String getWaitTimesSummary() { return SchedStats.summary(s.metrics().waitTimes()); }
    @Override public java.util.Map<String, Long> getPreemptionsByCause() { return s.metrics().preemptionsByCause(); }
    @Override public long getSteals() { return s.metrics().steals(); }
    @Override public String dump() { return s.dump(); }
    @Override public String schedtrace() { return s.schedtrace(); }
    @Override public String profile() { return s.profile(); }
    @Override public String dumpJson() { return s.dumpJson(); }

    @Override
    public String writeDump(String path, String format) throws java.io.IOException {
        if (path == null || path.isEmpty()) throw new IllegalArgumentException("gort: writeDump needs a path");
        if (format == null) throw new IllegalArgumentException("gort: writeDump needs a format: text, json or profile");
        java.nio.file.Path file = java.nio.file.Path.of(path);
        if (!file.isAbsolute()) {
            throw new IllegalArgumentException("gort: writeDump needs an absolute path (the JVM's working directory is not the caller's): " + path);
        }
        String f = format.trim().toLowerCase(java.util.Locale.ROOT);
        if (!f.equals("text") && !f.equals("json") && !f.equals("profile")) {
            throw new IllegalArgumentException("gort: writeDump's format is text, json or profile, not \"" + format + '"');
        }
        // CREATE_NEW: the check that the file does not exist and its creation are one step.
        try (var out = java.nio.file.Files.newBufferedWriter(file, java.nio.charset.StandardCharsets.UTF_8,
                java.nio.file.StandardOpenOption.CREATE_NEW, java.nio.file.StandardOpenOption.WRITE)) {
            switch (f) {
                case "text" -> s.dump(out);
                case "json" -> s.dump(out, dev.gort.DumpFormat.JSON);
                default -> s.profile(out);
            }
        } catch (java.nio.file.FileAlreadyExistsException e) {
            throw new IllegalArgumentException("gort: writeDump does not overwrite: " + path + " exists");
        }
        return "Created " + path;
    }
}
