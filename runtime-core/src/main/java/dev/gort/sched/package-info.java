/**
 * The scheduler: goroutines (G) run by carriers (M) that hold processors (P). Internal: the
 * public API is {@link dev.gort.Go}; these classes are public only so that the other Gort
 * packages and modules can park and ready goroutines.
 *
 * <h2>Glossary</h2>
 * <ul>
 *   <li><b>G</b> ({@link dev.gort.sched.G}): a goroutine: a {@code jdk.internal.vm.Continuation}
 *       (its stack) plus status, wait reason and preemption flag.</li>
 *   <li><b>M</b> ({@link dev.gort.sched.M}, the <em>carrier</em>): a platform daemon thread
 *       that runs goroutines by mounting their continuations.</li>
 *   <li><b>P</b> ({@link dev.gort.sched.P}, the <em>processor</em>): the right to run
 *       goroutines; owns a 256-slot local run queue and {@code runnext}. There are
 *       {@code maxProcs} of them (GOMAXPROCS).</li>
 *   <li><b>sysmon</b> ({@link dev.gort.sched.Sysmon}): a thread outside the Ps that preempts,
 *       detects stuck carriers and deadlock, and prints schedtrace.</li>
 * </ul>
 *
 * <h2>The problem</h2>
 * Run millions of goroutines on a handful of threads, with (a) no thread ever blocked because a
 * goroutine waits for another goroutine, (b) all processors busy when there is work, (c) idle
 * threads asleep, not spinning, when there is none, and (d) wake-ups never lost between (b) and (c).
 *
 * <h2>Approaches not taken</h2>
 * <ul>
 *   <li>A {@code ForkJoinPool} as the scheduler (as JDK virtual threads do): no per-P
 *       {@code runnext} (the hand-off slot that makes channel ping-pong cheap), no control of
 *       spinning, no place for sysmon's time slices or the stuck-carrier spare P.</li>
 *   <li>One shared queue: every spawn and wake-up contends on it.</li>
 *   <li>Waking a thread on every submission: a futex wake per goroutine, and threads that
 *       steal from each other in a thundering herd. Instead, at most one spinning M is woken and
 *       it wakes the next only when it found work (Go's design, proc.go).</li>
 *   <li>Taking a P away from a carrier that seems stuck (Go's retake of a P in a syscall): the
 *       goroutine may touch its P's run queue at any moment, so the transfer would need a
 *       handshake on every runtime call. Instead sysmon adds a spare P and retires one when the
 *       stuck goroutine comes back (see {@link dev.gort.sched.Scheduler}, "Stuck carriers").</li>
 * </ul>
 *
 * <h2>The chosen approach: Go's GMP</h2>
 * {@link dev.gort.sched.Scheduler} holds the protocols: finding work (runnext, local ring,
 * every 61st tick the global queue, stealing half from a random victim), spinning Ms and the
 * "store; full fence; load" pairs that close the lost-wake-up race, parking with a commit step
 * run after the unmount (Go's {@code gopark(unlockf)}), blocking calls that hand the P off, and
 * the pinned/locked fallback that blocks a carrier but lends its P. {@link dev.gort.sched.RunQueue}
 * states the run queue's memory-ordering argument. Gort departs from Go here (deferred
 * wake-ups, {@code -Dgort.deferwake}, on by default): a goroutine readied into its waker's runnext,
 * with nothing else queued, does not wake an idle carrier at once; the waker's P owes the
 * wake-up ({@code P.wakeOwed}) and sysmon pays it only if the waker keeps running, since a
 * channel hand-off's waker usually parks next. The same idea is on by default for the network
 * poller's batches ({@code -Dgort.pollwake=owed}, {@code P.pollOwedSince}): the carrier that
 * polled runs the batch itself, and sysmon wakes another only if that P stops making progress
 * or its ring stays non-empty for 1 ms. Goroutine channel waits
 * park with the {@link dev.gort.sched.Waiter} as their commit (its {@code parkState} protocol),
 * which also allows an optional spin before parking ({@code -Dgort.spinnanos}).
 *
 * <h2>Invariants</h2>
 * <ul>
 *   <li>A goroutine runs only on an M holding a P; an M without a P runs nothing.</li>
 *   <li>A RUNNABLE goroutine is on exactly one run queue; {@code execute} CASes it to RUNNING
 *       and fails loudly otherwise.</li>
 *   <li>A goroutine that waits is unmounted before anyone can wake it (the commit step).</li>
 *   <li>A parked goroutine is readied exactly once: every waker, a goroutine's interrupter
 *       ({@link dev.gort.sched.G#interrupt()}, {@link dev.gort.sched.InterruptibleWait}) and a
 *       timed wait's timer included, first takes it out of its wait under the wait's lock or
 *       claim ({@link dev.gort.sched.Waiter#claim()}, {@code WaitQueue}'s lock,
 *       {@link dev.gort.sched.SelectGroup}).</li>
 *   <li>An executor task's interrupt reaches its carrier thread only while it is mounted; the
 *       carrier's flag is cleared at every unmount (see {@code G.interrupt()}).</li>
 *   <li>The current carrier is read only through {@code CarrierLookup.currentM()}, never
 *       cached across a yield (the JIT treats {@code Thread.currentThread()} as constant within a
 *       compiled method; a goroutine resumes on any carrier).</li>
 * </ul>
 */
package dev.gort.sched;
