/**
 * The only code of Gort that touches {@code jdk.internal.vm}, and the jar's main class.
 *
 * <p>{@link dev.gort.internal.GoContinuation} is a goroutine's stack: a
 * {@code jdk.internal.vm.Continuation} in Gort's own scope whose pinned yields return false
 * instead of throwing, and the superclass of the goroutine ({@code dev.gort.sched.G}), so that a
 * goroutine and its stack are one object. {@link dev.gort.internal.ContinuationSupport} checks,
 * before either class is loaded, that the JVM exports the package to Gort, and otherwise fails
 * with one line naming the flag: {@code --add-exports java.base/jdk.internal.vm=ALL-UNNAMED} on
 * the class path, {@code =dev.gort.core} on the module path.
 *
 * <p>{@link dev.gort.internal.JvmFlags}, the jar's main class, prints the JVM flags Gort needs
 * ({@code java -jar runtime-core.jar --flags}); it reads them from
 * {@code META-INF/gort/jvm.options} and touches nothing of the runtime.
 *
 * <p>Nothing here is public API.
 */
package dev.gort.internal;
