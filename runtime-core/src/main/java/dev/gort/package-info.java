/**
 * Gort's public API: goroutines ({@link dev.gort.Go#spawn}, {@link dev.gort.Go#run}), their bodies
 * ({@link dev.gort.GoRunnable}, which may throw), groups of them ({@link dev.gort.Group}: the first
 * failure cancels the rest, none outlives the group), their
 * handles ({@link dev.gort.Goroutine}), goroutine-local values ({@link dev.gort.GoLocal}),
 * runtime control ({@link dev.gort.Go#setMaxProcs}, {@link dev.gort.Go#dump},
 * {@link dev.gort.Go#metrics}), channels and select, and {@link dev.gort.GoExecutorService}, the
 * {@code java.util.concurrent.ExecutorService} of goroutines ({@link dev.gort.Go#executor()}).
 *
 * <h2>Threads and goroutines</h2>
 * A goroutine runs on a carrier thread and may continue on another one after any Gort call
 * (spawn, yield, a wait, a safepoint). Inside a goroutine:
 * <ul>
 *   <li>{@code Thread.currentThread()} is the carrier of the moment; do not keep it across a Gort
 *       call (and the JIT may reuse one read of it for a whole compiled method, so do not rely on
 *       it after such a call at all). {@code ThreadLocal}s are the carrier's: use
 *       {@link dev.gort.GoLocal}, or {@link dev.gort.Go#lockOSThread} for thread-affine code.</li>
 *   <li>A goroutine that blocks its carrier without telling Gort ({@code Thread.sleep}, a JDK
 *       lock, blocking I/O) is detected after 20 ms and the runtime adds a spare processor so the
 *       others keep running; wrap known blocking calls in {@link dev.gort.Go#blocking} to hand the
 *       processor off at once.</li>
 *   <li>Waiting inside a native frame, or with {@link dev.gort.Go#lockOSThread}, pins the
 *       goroutine to its carrier: it still works (the carrier blocks, its processor is lent to
 *       others) but costs a thread.</li>
 *   <li>Do not wait inside {@code synchronized}: on JDK 25 a held monitor does not pin a
 *       continuation, and the JDK keeps the monitor's exclusion across an unmount only for
 *       virtual threads (a second goroutine entering it blocks its carrier; with a spare
 *       processor, goroutines meet inside the block). Use {@link dev.gort.sync.Mutex}, or the
 *       safepoint agent, which pins goroutines while the code it instruments holds a monitor.
 *       The same goes for JDK locks, which belong to the carrier thread.</li>
 * </ul>
 *
 * <h2>Interrupts</h2>
 * A goroutine has its own interrupt status ({@link dev.gort.Goroutine#interrupt()},
 * {@link dev.gort.Goroutine#isInterrupted()}, {@link dev.gort.Go#interrupted()}), separate from
 * its carrier's: Gort's interruptible waits (channels, select, sleep, WaitGroup, Semaphore, join,
 * the executor's futures and waits) throw {@link java.lang.InterruptedException} and clear it.
 * {@code Thread.currentThread().interrupt()} (Java's idiom for restoring an interrupt in a catch
 * block) sets the carrier's flag, which follows the goroutine: at the goroutine's next park,
 * yield or preemption it becomes the goroutine's interrupt status and the carrier's flag is
 * cleared, so the goroutine's next interruptible wait throws (as a thread's would) and no other
 * goroutine on that carrier ever sees it; a goroutine that ends with it set drops it.
 * After the goroutine resumes, its status says it ({@code Go.current().isInterrupted()},
 * {@code Go.interrupted()}), not {@code Thread.currentThread().isInterrupted()}, which reads the
 * carrier's flag: false for a plain goroutine. For the tasks of
 * {@link dev.gort.GoExecutorService}, written for thread pools, an interrupt also sets the
 * carrier's flag while the task is mounted (so {@code Thread.sleep} and
 * {@code Thread.currentThread().isInterrupted()} see it, after a resume too), and the carrier's
 * flag is cleared at every unmount, so it never reaches another goroutine.
 */
package dev.gort;
