/**
 * Go's {@code time} package for goroutines: {@link dev.gort.time.Timer}, {@link dev.gort.time.Ticker},
 * {@link dev.gort.time.Time#after}. Sleeping is {@link dev.gort.Go#sleep}. Timers live in the
 * scheduler's per-processor 4-ary heaps (see {@code dev.gort.sched.TimerHeap}); processors run
 * their due timers when they look for work, steal due timers of others, and one idle carrier
 * sleeps until the earliest timer, so an idle runtime does not poll. In a test bubble
 * ({@link dev.gort.test.GoTest}) they run on the bubble's clock instead, in its own heap.
 */
package dev.gort.time;
