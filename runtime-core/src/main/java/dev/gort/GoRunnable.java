package dev.gort;

import java.util.concurrent.CompletionException;

/**
 * A goroutine's body: a {@link Runnable} whose work, {@link #call()}, may throw any exception.
 * {@link Go#spawn(GoRunnable)}, {@link Go#run(GoRunnable)} and {@link Group#go(GoRunnable)} take
 * one, so a body that receives from a channel or sleeps needs no
 * {@code catch (InterruptedException e)}:
 *
 * <pre>{@code
 * Go.spawn(() -> {
 *     for (;;) out.send(in.receive() * 2);   // InterruptedException escapes: the goroutine ends
 * });
 * }</pre>
 *
 * <p>Why it extends {@code Runnable}: each of those methods has a {@code Runnable} overload too,
 * so a {@code Runnable} variable or an existing {@code Runnable} class still compiles, and a
 * lambda or method reference that fits both is never ambiguous: Java picks the more specific
 * type, this one, and a lambda that throws a checked exception fits only this one.
 *
 * <h2>What escapes a body</h2>
 * <ul>
 *   <li>An {@link InterruptedException} that escapes a goroutine that was interrupted (by
 *       {@link Goroutine#interrupt()}, its {@link Group}'s cancellation, or
 *       {@code Thread.currentThread().interrupt()} in the goroutine) ends it quietly: it is the
 *       goroutine's answer to the interrupt, as a return would be. Nothing is reported,
 *       {@link Goroutine#failure()} is null and {@link Goroutine#join()} returns normally.</li>
 *   <li>Any other exception (an {@code InterruptedException} of a goroutine never interrupted
 *       included) is the goroutine's failure: {@link Goroutine#failure()} returns it,
 *       {@link Goroutine#join()} and {@link Go#run} rethrow it (a checked one wrapped in a
 *       {@link CompletionException}), and the uncaught-exception handler
 *       ({@link Go#setUncaughtExceptionHandler}) hears of it, except for {@code Go.run}'s
 *       main goroutine, whose caller gets it instead.</li>
 *   <li>A member of a {@link Group} reports to its group instead: its failure cancels the
 *       group and {@link Group#await()} throws it (see {@link Group}).</li>
 * </ul>
 */
@FunctionalInterface
public interface GoRunnable extends Runnable {

    /** The body's work. */
    void call() throws Exception;

    /**
     * Runs {@link #call()} where a plain {@code Runnable} is expected (an executor of platform
     * threads): a checked exception comes out wrapped in a {@link CompletionException}, and an
     * {@link InterruptedException} also sets the interrupt flag again, so the interrupt is not
     * lost. Gort's own entry points call {@link #call()} directly, never this.
     */
    @Override
    default void run() {
        try {
            call();
        } catch (RuntimeException e) {
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CompletionException(e);
        } catch (Exception e) {
            throw new CompletionException(e);
        }
    }
}
