/**
 * Gort's runtime: goroutines, channels, select, timers, sync and the safepoint agent.
 *
 * <p>Exported to everyone: the API ({@code dev.gort}, {@code dev.gort.sync},
 * {@code dev.gort.time}, the test bubble {@code dev.gort.test}, with the scheduler's JMX interface {@code dev.gort.SchedulerMXBean})
 * and the agent's entry ({@code dev.gort.agent}: the JVM calls its {@code premain}, and
 * instrumented classes call its sleep redirects). The scheduler ({@code dev.gort.sched}) is
 * exported only to the runtime's other modules, which hook into it (the network poller's
 * {@code NetpollDriver}, its goroutines and timers; the GC assist's {@code SchedulerHooks}). {@code dev.gort.internal}, the only code
 * that touches {@code jdk.internal.vm}, and {@code dev.gort.sched.jfr} are exported to nobody
 * (JFR reaches its event classes by itself).
 *
 * <p>The JVM must export {@code jdk.internal.vm} to this module:
 * {@code --add-exports java.base/jdk.internal.vm=dev.gort.core} on the module path
 * ({@code =ALL-UNNAMED} when runtime-core is on the class path). Without it the first Gort call
 * throws an {@code UnsupportedOperationException} naming that flag.
 *
 * <p>{@code java.management} (the MXBean, sysmon's thread CPU times), {@code jdk.management}
 * (the carriers' allocated-bytes counter, for {@code -Dgort.allocstats}) and {@code jdk.jfr} (the
 * scheduler's JFR events) are optional: the runtime checks that they are in the boot layer before
 * it uses them, so a runtime image without them still runs Gort. On a full JDK the boot layer
 * has all three (service binding resolves them). {@code requires static}, not reflection: the
 * code compiles against their types and calls them directly (the allocated-bytes counter is read
 * at every goroutine switch when on, where a direct call inlines), and each use sits in a class
 * that is loaded only after the check.
 */
@SuppressWarnings("requires-automatic")
module dev.gort.core {
    requires java.instrument;
    // The scheduler's sampled distributions (SchedStats); optional, as the three above. HdrHistogram
    // 2.2.2 declares no module name: the automatic module is named after its jar.
    requires static HdrHistogram;
    requires static java.management;
    requires static jdk.management;
    requires static jdk.jfr;

    exports dev.gort;
    exports dev.gort.sync;
    exports dev.gort.time;
    exports dev.gort.test;
    exports dev.gort.agent;
    exports dev.gort.sched to dev.gort.netpoll, dev.gort.gcassist;

    uses dev.gort.sched.NetpollDriver;
    uses dev.gort.sched.SchedulerHooks;
}
