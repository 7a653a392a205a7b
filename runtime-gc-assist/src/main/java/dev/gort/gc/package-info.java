/**
 * Gort's GC assist: the runtime working beside the JVM's collector, whose algorithm is not ours
 * to change (Go's runtime and its collector cooperate; here the scheduler can only watch and
 * adapt).
 *
 * <h2>Glossary</h2>
 * <ul>
 *   <li><b>Pause</b>: a stop-the-world phase of the collector; no goroutine runs during it.</li>
 *   <li><b>Cycle</b>: one collection: a stop-the-world collection (G1's young and full ones,
 *       Parallel, Serial), or a concurrent cycle (ZGC, Shenandoah) with short pauses inside.</li>
 *   <li><b>P</b>: a processor of the scheduler ({@code dev.gort.sched}); per-P structures are
 *       indexed by its id.</li>
 *   <li><b>Victim</b>: the generation of a {@link dev.gort.gc.Pool} that the last cycle retired:
 *       still served, dropped at the next cycle.</li>
 * </ul>
 *
 * <h2>What is here</h2>
 * <ul>
 *   <li>{@link dev.gort.gc.GcMonitor}: the collector's notifications as pauses and cycles, an
 *       HdrHistogram of pauses, {@link dev.gort.gc.GcMetrics}, the {@code dev.gort:type=GC}
 *       MBean; through the scheduler's hook ({@code dev.gort.sched.SchedulerHooks}, implemented
 *       in the non-exported {@code dev.gort.gcassist}), sysmon's pause accounting and the
 *       schedtrace and dump lines.</li>
 *   <li>{@link dev.gort.gc.Pool}: Go's {@code sync.Pool}, per P, emptied by the collector's
 *       cycles.</li>
 * </ul>
 *
 * <h2>Approaches not taken</h2>
 * <ul>
 *   <li>Telling sysmon of pauses through the JVM's GC notifications: they arrive 20 to 100 ms
 *       after the pause, after sysmon's next round; sysmon reads the collectors' accumulated
 *       pause time instead, which the collector updates before the world restarts.</li>
 *   <li>A pool of {@code ThreadLocal}s: a goroutine moves between carriers, and a carrier's
 *       objects would stay with it while other carriers allocate; per P is where goroutines run.</li>
 *   <li>A pool emptied by soft or weak references: the collector would clear them at its own
 *       pace; the cycle notification gives Go's two-cycle life exactly.</li>
 * </ul>
 *
 * <h2>Invariants</h2>
 * <ul>
 *   <li>Nothing in this package is instrumented with safepoints (the agent skips
 *       {@code dev/gort/gc/}), so a goroutine is on the same P from the start of a pool
 *       operation to its end.</li>
 *   <li>A pooled object is handed to at most one {@code get} per {@code put}.</li>
 * </ul>
 */
package dev.gort.gc;
