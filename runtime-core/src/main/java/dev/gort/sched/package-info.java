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
 *       stuck goroutine comes back (see {@code Procs}, "Stuck carriers").</li>
 * </ul>
 *
 * <h2>The chosen approach: Go's GMP</h2>
 * Go's protocols, each in the file that owns its state (see "Where things live"): finding work
 * (runnext, local ring, every 61st tick the global queue, stealing half from a random victim),
 * spinning Ms and the "store; full fence; load" pairs that close the lost-wake-up race, parking
 * with a commit step run after the unmount (Go's {@code gopark(unlockf)}), blocking calls that
 * hand the P off, and the pinned/locked fallback that blocks a carrier but lends its P.
 * {@link dev.gort.sched.RunQueue} states the run queue's memory-ordering argument. Gort departs
 * from Go in who wakes a carrier ({@code WakePolicy}): a goroutine readied into its waker's
 * runnext, with nothing else queued, does not wake an idle carrier at once
 * ({@code -Dgort.deferwake}, on by default), since a channel hand-off's waker usually parks next;
 * likewise for the network poller's batches ({@code -Dgort.pollwake=owed}); sysmon pays such a
 * debt when the P stops making progress. Goroutine channel waits park with their wait queue's
 * lock as the commit, like every wait ({@link dev.gort.sched.Waiter}); an unbuffered channel's
 * wait may spin before it parks ({@code -Dgort.spinnanos}, off by default). Every
 * {@code -Dgort.*} knob of the scheduler is read once, into {@code SchedulerConfig}.
 *
 * <h2>Where things live</h2>
 * Each file owns the state it names; another file reads that state only through the owner's
 * fields and methods, and each file's comment states its invariants and who writes each field.
 * <table>
 *   <caption>Files of dev.gort.sched and what each owns</caption>
 *   <tr><th>File</th><th>Owns</th></tr>
 *   <tr><td>{@link dev.gort.sched.Scheduler}</td><td>start-up and stop (Go.shutdown), the reference to every
 *       owner, goroutine ids; the entry points: spawn, ready (and makeRunnable, the CAS every waker goes through),
 *       park, yield, the public operations of {@code Go}</td></tr>
 *   <tr><td>{@code SchedulerConfig}</td><td>every {@code -Dgort.*} knob of the scheduler, read once
 *       and validated; schedtrace's first line</td></tr>
 *   <tr><td>{@code Schedule}</td><td>the carrier loop: carrierMain, schedule, execute, findRunnable,
 *       globrunqget, stealWork</td></tr>
 *   <tr><td>{@code Idle}</td><td>the scheduler lock and what it guards: idle P and M lists,
 *       {@code npidle}, {@code nmspinning}, the Ms waiting for a P, the thread count; the
 *       transitions startm, stopm, handoffp, acquirep/releasep, pidleput/pidleget</td></tr>
 *   <tr><td>{@code WakePolicy}</td><td>who wakes a carrier: wakep, deferred wake-ups, owed netpoll
 *       wake-ups and sysmon's paying of them, spin before park</td></tr>
 *   <tr><td>{@code Timers}</td><td>the timer heaps' protocol (add, delete, run, move), the timer
 *       sleeper role and its deadline, Go.sleep</td></tr>
 *   <tr><td>{@code Polling}</td><td>when the scheduler polls the network, the last poll's time,
 *       the batch of polled goroutines (injectReady)</td></tr>
 *   <tr><td>{@code Syscalls}</td><td>a goroutine that keeps its carrier: Go.blocking, pinned and
 *       locked parks and yields, monitor pins, Go.lockOSThread and its limit</td></tr>
 *   <tr><td>{@code Procs}</td><td>allp, GOMAXPROCS, spare Ps for stuck carriers, retirement</td></tr>
 *   <tr><td>{@code Preemption}</td><td>preemption requests and the safepoint poll</td></tr>
 *   <tr><td>{@code Deadlock}</td><td>Go.run, the running calls, deadlock detection</td></tr>
 *   <tr><td>{@link dev.gort.sched.Bubble}</td><td>a test bubble ({@code dev.gort.test.GoTest}):
 *       its members, its clock and timers, when the clock moves, its deadlock</td></tr>
 *   <tr><td>{@code Diagnostics}</td><td>schedtrace, metrics, the goroutine dump and the walk
 *       over the goroutines that its other forms share, the uncaught-exception handler</td></tr>
 *   <tr><td>{@code JsonDump}, {@code GoroutineProfile}</td><td>the dump in the JDK's JSON shape
 *       ({@code jcmd Thread.dump_to_file -format=json}); the goroutine profile (pprof's
 *       {@code goroutine?debug=1})</td></tr>
 *   <tr><td>{@code SchedStats}, {@code SchedHistograms}</td><td>the sampled scheduling latency and
 *       wait times: the sampling decision and the timestamp a timed cycle carries
 *       ({@link dev.gort.sched.G}'s statSeq and statStamp); each P's HdrHistogram recorders, the
 *       shared ones, and their merge on read</td></tr>
 *   <tr><td>{@code Sysmon}</td><td>the monitor thread, its rounds and its own notes on each P</td></tr>
 *   <tr><td>{@link dev.gort.sched.SchedulerHooks}, {@link dev.gort.sched.NetpollDriver}</td><td>the
 *       services other modules provide (found with ServiceLoader at start-up): the GC assist's
 *       hooks (GC pauses for sysmon, lines for schedtrace and the dump, the current P for per-P
 *       structures); the network poller</td></tr>
 *   <tr><td>{@link dev.gort.sched.G}, {@code M}, {@link dev.gort.sched.P}</td><td>a goroutine, a
 *       carrier, a processor: their own fields (each says who writes it)</td></tr>
 *   <tr><td>{@link dev.gort.sched.RunQueue}, {@code GlobalQueue}</td><td>a P's ring and runnext; the
 *       global queue</td></tr>
 *   <tr><td>{@link dev.gort.sched.Waiter}, {@link dev.gort.sched.WaitQueue},
 *       {@link dev.gort.sched.SelectGroup}, {@link dev.gort.sched.SpinLock}</td><td>the wait
 *       structures and their locks</td></tr>
 *   <tr><td>{@code TimerHeap}, {@link dev.gort.sched.TimerEntry}</td><td>one P's heap; one timer</td></tr>
 *   <tr><td>{@code Registry}, {@code CarrierLookup}, {@link dev.gort.sched.StackReserve},
 *       {@code ErrorOut}</td><td>goroutines that ever parked (for the dump); the current carrier;
 *       the stack reserve; allocation-free error output</td></tr>
 *   <tr><td>{@code AllocCounter}</td><td>the carrier's allocated-bytes counter (read by
 *       {@code Schedule.execute} around each slice when {@code -Dgort.allocstats} is on) and
 *       whether this runtime has it</td></tr>
 * </table>
 * Lock order: a wait structure's {@link dev.gort.sched.SpinLock} (a waker, or a park commit that
 * arms a timer, may wake a carrier while holding it), then {@code Idle}'s lock, then a
 * {@code TimerHeap}'s lock. A test bubble's lock comes after a wait structure's (a ready, which
 * uncounts a member, may run under one) and before its own heap's lock; nothing holding it takes
 * another. Nothing holding a heap lock takes another lock but the heap a
 * retirement moves timers into, and nothing holding the scheduler lock takes a SpinLock.
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
 *   <li>A carrier's interrupt flag is the mounted goroutine's: an executor task's interrupt
 *       reaches its carrier thread only while it is mounted (see {@code G.interrupt()}), and
 *       every unmount clears the flag, one the goroutine set itself becoming its interrupt
 *       status ({@code Schedule.takeCarrierFlag}); an idle carrier's flag is clear.</li>
 *   <li>The current carrier is read only through {@code CarrierLookup.currentM()}, never
 *       cached across a yield (the JIT treats {@code Thread.currentThread()} as constant within a
 *       compiled method; a goroutine resumes on any carrier).</li>
 * </ul>
 */
package dev.gort.sched;
