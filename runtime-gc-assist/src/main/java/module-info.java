/**
 * Gort's GC assist: the runtime's view of the JVM's collector ({@code dev.gort.gc}: the GC
 * monitor and its metrics, the {@code dev.gort:type=GC} MBean, and {@code Pool}, Go's
 * {@code sync.Pool}, and {@code MemoryLimit}, the soft memory limit).
 *
 * <p>The scheduler finds this module through {@code dev.gort.sched.SchedulerHooks} (a service of
 * {@code dev.gort.core}, which exports {@code dev.gort.sched} to this module only); core runs
 * without it. The hook ({@code dev.gort.gcassist}) is not exported.
 */
@SuppressWarnings("requires-automatic")
module dev.gort.gcassist {
    requires transitive dev.gort.core;
    requires java.management;
    requires jdk.management;
    requires jdk.jfr;
    // HdrHistogram 2.2.2 declares no module name: the automatic module is named after its jar.
    requires HdrHistogram;

    exports dev.gort.gc;

    provides dev.gort.sched.SchedulerHooks with dev.gort.gcassist.GcHooks;
}
