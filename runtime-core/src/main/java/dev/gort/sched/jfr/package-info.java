/**
 * JFR events of the scheduler ({@link dev.gort.sched.jfr.GoroutineEvents}: {@code dev.gort.GoroutinePark},
 * {@code GoroutinePreempt}, {@code Steal}, {@code NetpollWait}, {@code BlockingCall},
 * {@code StuckCarrier}, {@code StuckCarrierReturned}, {@code ProcessorRetired}), on in JFR's
 * {@code default} settings with thresholds, and the scheduler's one-line hooks into them
 * ({@link dev.gort.sched.jfr.Jfr}). Only loaded when the {@code jdk.jfr} module is present.
 * docs/gort-profile.jfc holds the detailed settings; docs/DESIGN.md, "JFR events", the table.
 */
package dev.gort.sched.jfr;
