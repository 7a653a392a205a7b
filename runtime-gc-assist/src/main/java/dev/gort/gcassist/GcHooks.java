package dev.gort.gcassist;

import dev.gort.gc.GcMXBean;
import dev.gort.gc.GcMonitor;
import dev.gort.gc.MemoryLimit;
import dev.gort.gc.MemoryLimitMetrics;
import dev.gort.sched.SchedulerHooks;
import java.lang.management.ManagementFactory;
import javax.management.InstanceAlreadyExistsException;
import javax.management.ObjectName;

/**
 * This module's {@link SchedulerHooks}: the scheduler finds it with ServiceLoader at each start.
 * At {@link #started()} (the scheduler's gort-jmx thread) it starts the {@link GcMonitor} (once
 * per JVM) and registers {@code dev.gort:type=GC}; {@link #stopped()} unregisters it and detaches
 * the {@link MemoryPacer} (the soft memory limit's policy), which {@link #memoryLimit()}
 * attached: the scheduler asks it while it is built, before any goroutine runs. Until the
 * monitor is up, {@link #pausedNanos()} answers 0 (sysmon then sees one jump, the pauses since
 * the JVM started, which it clamps to restarting each slice once).
 *
 * <p>Who writes what: {@link #monitor} is written once by {@code started()} (volatile: sysmon's
 * read is its partner); {@link #registered} by started() and stopped(), which the scheduler
 * orders (stopped runs after it joined the thread that ran started).
 */
public final class GcHooks implements SchedulerHooks {
    private volatile GcMonitor monitor;
    private boolean registered;

    /** For ServiceLoader. */
    public GcHooks() {
    }

    @Override
    public long memoryLimit() {
        return MemoryPacer.get().attach();
    }

    @Override
    public void memoryLimitExceeded() {
        MemoryPacer.get().wake();
    }

    @Override
    public void started() {
        GcMonitor m = GcMonitor.get();
        monitor = m;
        try {
            ObjectName name = new ObjectName(GcMXBean.NAME);
            var server = ManagementFactory.getPlatformMBeanServer();
            if (!server.isRegistered(name)) {
                server.registerMBean(new Bean(m), name);
                registered = true;
            }
        } catch (InstanceAlreadyExistsException e) {
            // another Gort (another class loader) registered it first: it keeps the name
        } catch (Exception e) {
            System.err.println("gort: " + GcMXBean.NAME + " not registered: " + e);
        }
    }

    @Override
    public void stopped() {
        MemoryPacer.get().detach();
        if (!registered) return;
        registered = false;
        try {
            ManagementFactory.getPlatformMBeanServer().unregisterMBean(new ObjectName(GcMXBean.NAME));
        } catch (Exception e) {
            System.err.println("gort: " + GcMXBean.NAME + " not unregistered: " + e);
        }
    }

    @Override
    public long pausedNanos() {
        GcMonitor m = monitor;
        return m != null ? m.pauseTotalNanos() : 0;
    }

    @Override
    public void appendSchedtrace(StringBuilder line) {
        GcMonitor m = monitor;
        if (m != null) m.appendSchedtrace(line);
        MemoryLimitMetrics l = MemoryPacer.get().metrics();
        if (l.limitBytes() > 0) {
            line.append(" memlimit=").append(l.limitBytes() >> 20).append("MiB paced=")
                .append(l.pacedNanos() / 1_000_000L).append("ms held=").append(l.heldGoroutines());
        }
    }

    @Override
    public void appendDumpHeader(StringBuilder header) {
        GcMonitor m = monitor;
        if (m != null) m.appendDumpHeader(header);
        MemoryLimitMetrics l = MemoryPacer.get().metrics();
        if (l.limitBytes() > 0) {
            header.append("memory limit: ").append(l.limitBytes() >> 20).append(" MiB, heap in use ")
                .append(SchedulerHooks.heapUsed() >> 20).append(" MiB, ")
                .append(l.pacing() ? "pacing: " + l.heldGoroutines() + " goroutine(s) held" : "not pacing")
                .append("; paced ").append(l.pacedNanos() / 1_000_000L).append(" ms in ").append(l.pacings())
                .append(" interval(s), ").append(l.heldTotal()).append(" held in all, ")
                .append(l.cyclesAboveLimit()).append(" cycle(s) above the limit, ")
                .append(l.gcRequests()).append(" collection(s) requested, ").append(l.letGoWhileIdle())
                .append(" let go while idle, pacing budget spent ").append(l.limiterEngagements()).append(" time(s)\n");
        }
    }

    /** {@code dev.gort:type=GC}. */
    static final class Bean implements GcMXBean {
        private final GcMonitor m;

        Bean(GcMonitor m) {
            this.m = m;
        }

        @Override public long getCycles() { return m.metrics().cycles(); }
        @Override public long getPauses() { return m.metrics().pauses(); }
        @Override public double getPauseP50Millis() { return ms(m.metrics().pauseP50Nanos()); }
        @Override public double getPauseP99Millis() { return ms(m.metrics().pauseP99Nanos()); }
        @Override public double getPauseMaxMillis() { return ms(m.metrics().pauseMaxNanos()); }
        @Override public double getPauseTotalMillis() { return ms(m.pauseTotalNanos()); }
        @Override public long getHeapAfterLastGc() { return m.metrics().heapAfterLastGc(); }
        @Override public long getMemoryLimit() { return MemoryLimit.get(); }
        @Override public void setMemoryLimit(long bytes) { MemoryLimit.set(bytes); }
        @Override public boolean isPacing() { return MemoryLimit.metrics().pacing(); }
        @Override public int getHeldGoroutines() { return MemoryLimit.metrics().heldGoroutines(); }
        @Override public double getPacedTotalMillis() { return ms(MemoryLimit.metrics().pacedNanos()); }
        @Override public long getCyclesAboveLimit() { return MemoryLimit.metrics().cyclesAboveLimit(); }

        private static double ms(long nanos) {
            return nanos / 1e6;
        }
    }

}
