package dev.gort;

import dev.gort.sched.Scheduler;
import java.util.concurrent.Callable;
import java.util.function.BiConsumer;

/**
 * Gort's entry points: goroutines on a work-stealing M:N scheduler (Go's {@code go} statement and
 * package {@code runtime}).
 *
 * <p>The runtime starts at the first call, and stops at {@link #shutdown()}. It needs the JVM flag
 * {@code --add-exports java.base/jdk.internal.vm=ALL-UNNAMED} on the class path, or
 * {@code --add-exports java.base/jdk.internal.vm=dev.gort.core} when runtime-core is on the module
 * path; without it the first call throws {@link UnsupportedOperationException} whose message
 * names the flag.
 *
 * <p>System properties read at start: {@code gort.maxprocs} (number of Ps, default the available
 * processors, at most {@link Scheduler#MAX_PROCS}), {@code gort.maxthreads} (carrier threads,
 * default 10000, at least {@code gort.maxprocs}), {@code gort.schedtrace}
 * (print a {@code SCHED} line every that many ms), {@code gort.scheddetail} ({@code true}: each
 * {@code SCHED} line followed by a line per processor and per carrier), {@code gort.stacksize} (carrier stack bytes),
 * {@code gort.netpoll} ({@code none} runs without the network poller of runtime-netpoll, when
 * that module is present; its other values choose the driver, see {@code dev.gort.netpoll}).
 * A value out of range, or not a number, makes the first call throw
 * {@link IllegalArgumentException} naming the property.
 */
public final class Go {
    private Go() {}

    /**
     * Starts {@code body} in a new goroutine. The body may throw: see {@link GoRunnable} for what
     * becomes of an exception that escapes it.
     */
    public static Goroutine spawn(GoRunnable body) {
        return Scheduler.get().spawn(body, null);
    }

    /** Starts {@code task} in a new goroutine (a {@code Runnable} variable or class). */
    public static Goroutine spawn(Runnable task) {
        return Scheduler.get().spawn(task, null);
    }

    /** Starts {@code body} in a new goroutine with a name (shown by {@link #dump()}). */
    public static Goroutine spawn(String name, GoRunnable body) {
        return Scheduler.get().spawn(body, name);
    }

    /** Starts {@code task} in a new goroutine with a name (shown by {@link #dump()}). */
    public static Goroutine spawn(String name, Runnable task) {
        return Scheduler.get().spawn(task, name);
    }

    /**
     * Runs {@code main} as a goroutine and returns when it ends, rethrowing its exception
     * (a checked one wrapped in {@link java.util.concurrent.CompletionException}; an
     * {@code InterruptedException} of an interrupted main ends it quietly, see
     * {@link GoRunnable}). Called from a
     * platform thread, it throws {@link DeadlockException} when every goroutine is asleep and
     * nothing can wake one (platform threads outside Gort are not seen: a program whose
     * goroutines wait for such threads should not rely on this detection).
     */
    public static void run(GoRunnable main) {
        Scheduler.get().run(main);
    }

    /** {@link #run(GoRunnable)} for a {@code Runnable} variable or class. */
    public static void run(Runnable main) {
        Scheduler.get().run(main);
    }

    /** Lets other goroutines run; the caller goes to the back of its processor's run queue. */
    public static void yield() {
        Scheduler.get().yieldNow();
    }

    /**
     * A safepoint: yields if the scheduler asked this goroutine to (its time slice is over).
     * Cheap enough for the inside of a loop: one read of a static field. The safepoint agent
     * ({@code -javaagent:runtime-core.jar}, {@link dev.gort.agent.SafepointAgent}) puts a call
     * to this method at every loop back-edge of application classes, so that loops without one
     * are preempted too. Inside {@link #blocking} it never yields (the goroutine has lent its
     * processor out); a request pending then is honoured at the first safepoint after the call.
     */
    public static void safepoint() {
        Scheduler.safepoint();
    }

    /**
     * Pauses the calling goroutine for at least {@code d} (Go's time.Sleep): it parks, its carrier
     * runs others, and a timer of its processor readies it. On a platform thread: Thread.sleep.
     *
     * @throws InterruptedException if the calling goroutine or platform thread is interrupted
     *         (before or while sleeping; status cleared)
     */
    public static void sleep(java.time.Duration d) throws InterruptedException {
        Scheduler.get().sleep(Scheduler.delayNanos(d)); // saturates at ~73 years, never overflows
    }

    /**
     * Runs a call that may block its thread (Go's system call): the caller keeps its carrier,
     * its processor goes on running other goroutines meanwhile. From a platform thread, just
     * runs the call.
     */
    public static <T> T blocking(Callable<T> call) throws Exception {
        return Scheduler.get().blocking(call);
    }

    /**
     * Binds the calling goroutine to its current carrier thread until as many
     * {@link #unlockOSThread()} calls (Go's runtime.LockOSThread), for thread-affine code.
     * While locked, waiting blocks that carrier (its processor is lent to others), so locked
     * goroutines hold carriers for good: at most {@code gort.maxthreads} minus
     * {@link #maxProcs()} goroutines may be locked at a time, so that that many carriers
     * always remain for the others and for the timers.
     *
     * @throws IllegalStateException if that many goroutines are locked already (a goroutine
     *         already locked may always lock again)
     */
    public static void lockOSThread() {
        Scheduler.get().lockOSThread();
    }

    public static void unlockOSThread() {
        Scheduler.get().unlockOSThread();
    }

    /** The number of processors (GOMAXPROCS). */
    public static int maxProcs() {
        return Scheduler.get().maxProcs();
    }

    /**
     * Sets the number of processors at run time; returns the previous value. Shrinking retires
     * idle processors at once and busy ones at their next scheduling point.
     *
     * @throws IllegalArgumentException if {@code n} is below 1, above
     *         {@link Scheduler#MAX_PROCS} (1024, or the number of available processors where
     *         that is more), or above {@code gort.maxthreads}
     */
    public static int setMaxProcs(int n) {
        return Scheduler.get().setMaxProcs(n);
    }

    /** The number of goroutines that exist now. */
    public static int numGoroutine() {
        return Scheduler.get().numGoroutine();
    }

    /**
     * Sets the handler of exceptions that escape goroutines (called once per goroutine, on its
     * carrier, with the goroutine and the exception). Null restores the default: print to stderr.
     */
    public static void setUncaughtExceptionHandler(BiConsumer<Goroutine, Throwable> handler) {
        Scheduler.get().setUncaughtExceptionHandler(handler);
    }

    /**
     * Tests and clears the interrupt status of the calling goroutine (see
     * {@link Goroutine#interrupt()}) and its carrier's flag, which is the goroutine's while it
     * runs (set by {@code Thread.currentThread().interrupt()}, or an executor task's interrupt);
     * on a platform thread, {@link Thread#interrupted()}.
     */
    public static boolean interrupted() {
        return Scheduler.interrupted();
    }

    /**
     * The shared {@link GoExecutorService}: unbounded, every task a goroutine, never shut down
     * (as {@code ForkJoinPool.commonPool()}: {@code shutdown()}, {@code shutdownNow()} and
     * {@code close()} have no effect). Create a {@code new GoExecutorService()} for an executor
     * with a lifecycle or a bound on running tasks.
     */
    public static GoExecutorService executor() {
        return GoExecutorService.SHARED;
    }

    /**
     * {@link #shutdown(java.time.Duration)} with 10 seconds, failing loudly: for the end of a
     * program's {@code main}, or an application's undeploy hook.
     *
     * @throws IllegalStateException if goroutines, armed timers or blocking calls were still
     *         there after 10 seconds (the message counts them; the runtime goes on running), or
     *         if called from a goroutine
     */
    public static void shutdown() {
        if (!shutdown(java.time.Duration.ofSeconds(10))) {
            throw new IllegalStateException("gort: shutdown gave up after 10 s: " + Scheduler.leftOver()
                + " (Go.dump() lists the goroutines); the runtime goes on running");
        }
    }

    /**
     * Stops the runtime once nothing is left for it to do, waiting at most {@code timeout} for
     * that: then sysmon and every carrier thread have ended when this returns, the network poller
     * of runtime-netpoll is closed (unless a socket is still open, which keeps it), and the
     * {@code dev.gort:type=Scheduler} MXBean is unregistered. Nothing of Gort's stays behind to
     * keep its class loader alive. The next call that needs the runtime ({@link #spawn},
     * {@link #run}, {@link #executor()}'s tasks, ...) starts a fresh one, which reads the
     * {@code gort.*} system properties again; {@link #setMaxProcs} and
     * {@link #setUncaughtExceptionHandler} apply to the runtime they were called on.
     *
     * <p>"Nothing left" means: no goroutine exists (running, runnable, parked, or in
     * {@link #blocking}; {@code GoExecutorService} tasks are goroutines), no runtime timer is
     * armed ({@code dev.gort.time.Timer}, {@code Ticker}, {@code Time.afterFunc}: stop them
     * first), no goroutine waits for I/O. Goroutines are never abandoned: there is no forced stop,
     * because a parked goroutine can end only by running on (its {@code finally} blocks, its
     * locks); end them first (close their channels, cancel their {@link Context}, interrupt them).
     * Until the runtime stops everything works as usual: goroutines that are finishing may spawn
     * others, which the runtime then waits for too.
     *
     * <p>Races: a {@link #spawn} or {@link #run} from a platform thread during the call runs
     * either on this runtime (which then is not idle, so the call keeps waiting) or on the fresh
     * one; it never fails and is never lost. Likewise a timer armed from a platform thread.
     * A platform thread blocked in a channel operation is not affected (it waits on its own
     * thread, for a goroutine or thread that would wake it). Calls that only read
     * ({@link #numGoroutine}, {@link #metrics}, {@link #dump}) start a fresh runtime too.
     *
     * <p>Idempotent: without a running runtime it returns true at once; of concurrent calls one
     * stops the runtime and each returns once its threads have ended.
     *
     * @param timeout how long to wait for the goroutines and timers to end; zero or negative:
     *        one look
     * @return true if the runtime stopped (or none was running); false if something was still
     *         left at the deadline: the runtime then goes on running, untouched, and
     *         {@link #numGoroutine()} and {@link #dump()} say what is left
     * @throws IllegalStateException if called from a goroutine (it would wait for itself) or
     *         from a timer's action
     */
    public static boolean shutdown(java.time.Duration timeout) {
        return Scheduler.shutdown(Scheduler.delayNanos(timeout));
    }

    /** The current goroutine, or null on a platform thread. */
    public static Goroutine current() {
        return Scheduler.currentG();
    }

    /**
     * Every goroutine with its id, state, wait reason, waiting time and stack, as a String of at
     * most about {@link Scheduler#DUMP_STRING_LIMIT} characters: a larger dump ends with a line
     * saying how many goroutines it left out. {@link #dump(Appendable)} streams them all.
     * Members of a {@link Group} say which ({@code group 2 of goroutine 5}), and the header
     * draws the tree of groups: each group under its owner, each member under its group.
     * A running goroutine whose carrier waits where the scheduler cannot see it says so
     * ({@code [running, carrier waiting]}, {@code [running, carrier blocked, waiting for a
     * class's initialization]}; the latter where the kernel's thread state is readable, Linux).
     * Deadlock detection does not see such waits: a cycle of class initializations between
     * goroutines is shown here, not reported.
     */
    public static String dump() {
        return Scheduler.get().dump();
    }

    /**
     * Writes what {@link #dump()} returns, for every goroutine however many, to {@code out} (a
     * {@link java.io.Writer}, a {@link java.io.PrintStream}, ...) one goroutine at a time: its
     * memory is a reference per goroutine, never the whole text. Goroutines run on meanwhile
     * (each parked one is held only while its stack is read), so the dump is not an atomic
     * snapshot.
     *
     * @throws java.io.IOException from {@code out}, which ends the dump
     */
    public static void dump(Appendable out) throws java.io.IOException {
        Scheduler.get().dump(out);
    }

    /**
     * Writes the dump in {@code format} to {@code out}, every goroutine however many, one at a
     * time, as {@link #dump(Appendable)} does. {@link DumpFormat#JSON} is the shape of the JDK's
     * {@code jcmd <pid> Thread.dump_to_file -format=json}, so that tools that read JDK thread
     * dumps read it:
     * {@code {"threadDump": {"processId", "time", "runtimeVersion", "threadContainers": [...]}}},
     * a container per {@link Group} (its {@code owner} the owning goroutine's id, its
     * {@code parent} the group that owner belongs to) and {@code <root>} for goroutines in no
     * group; each goroutine {@code {"tid", "name", "state", "stack": [...]}}, with
     * {@code waitReason} and {@code waitMillis} while it waits, {@code carrier} (the carrier
     * thread's id) while it is mounted. The JMX operation {@code writeDump(path, "json")} of
     * {@link SchedulerMXBean} writes it to a file from outside the process.
     *
     * @throws NullPointerException if {@code out} or {@code format} is null
     * @throws java.io.IOException from {@code out}, which ends the dump
     */
    public static void dump(Appendable out, DumpFormat format) throws java.io.IOException {
        java.util.Objects.requireNonNull(out, "out");
        java.util.Objects.requireNonNull(format, "format");
        Scheduler.get().dump(out, format);
    }

    /**
     * The dump in JSON ({@link DumpFormat#JSON}) as a String, bounded as {@link #dump()} is: past
     * about {@link Scheduler#DUMP_STRING_LIMIT} characters it lists no further goroutine and
     * closes the document with {@code "goroutinesNotListed": "N"}, so that it stays valid JSON.
     * {@link #dump(Appendable, DumpFormat)} streams them all.
     */
    public static String dumpJson() {
        return Scheduler.get().dumpJson();
    }

    /**
     * The goroutine profile: the goroutines grouped by identical state and stack, with counts,
     * largest group first, in the shape of pprof's {@code goroutine?debug=1} text, so that
     * thousands of goroutines parked at one line read as one entry:
     * <pre>
     * goroutine profile: total 10003
     * 10000 @ [waiting, chan receive]
     * #	dev.gort.Chan.receive(Chan.java:210)
     * #	com.example.Server.handle(Server.java:42)
     *
     * 3 @ [runnable]
     * ...
     * </pre>
     * Go lists program counters after the {@code @}; a JVM has none, so the group's state comes
     * there (the state, and the wait reason of waiting goroutines), and each frame line is
     * {@code #}, a tab and the Java frame. Groups of equal count come oldest first (by their first
     * goroutine's id). Goroutines run on meanwhile, as for {@link #dump()}; the memory is a
     * reference per goroutine and an entry per group. Also the JMX operation {@code profile()} of
     * {@link SchedulerMXBean}.
     */
    public static String profile() {
        return Scheduler.get().profile();
    }

    /**
     * Writes {@link #profile()} to {@code out}.
     *
     * @throws NullPointerException if {@code out} is null
     * @throws java.io.IOException from {@code out}
     */
    public static void profile(Appendable out) throws java.io.IOException {
        java.util.Objects.requireNonNull(out, "out");
        Scheduler.get().profile(out);
    }

    /** A snapshot of the scheduler's gauges and counters. */
    public static Metrics metrics() {
        return Scheduler.get().metrics();
    }
}
