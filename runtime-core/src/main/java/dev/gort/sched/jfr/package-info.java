/**
 * JFR events of the scheduler ({@code dev.gort.GoroutinePark}, {@code GoroutineUnpark},
 * {@code GoroutinePreempt}, {@code Steal}), disabled by default. Only loaded when the
 * {@code jdk.jfr} module is present.
 */
package dev.gort.sched.jfr;
