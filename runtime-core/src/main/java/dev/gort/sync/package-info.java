/**
 * Go's {@code sync} package for goroutines: primitives that park the waiting goroutine (never
 * its carrier) and, used from a platform thread, park that thread. Built on
 * {@link dev.gort.sched.Waiter} and {@link dev.gort.sched.SpinLock}: a waiter is linked under the
 * primitive's lock, and the lock is released only after the goroutine has unmounted.
 */
package dev.gort.sync;
