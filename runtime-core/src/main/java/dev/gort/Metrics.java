package dev.gort;

/**
 * A snapshot of the scheduler's gauges and counters, returned by {@link Go#metrics()}.
 *
 * <p>The fields are read one after another while the runtime runs, so they need not agree with
 * each other (a goroutine may be counted in a run queue and be running by the time
 * {@code goroutines} is read). Counters only grow; under contention an increment may be lost,
 * so they are approximate.
 *
 * @param maxProcs        GOMAXPROCS: processors that run goroutines ({@link Go#maxProcs()})
 * @param processors      processors that exist: {@code maxProcs} plus the spares added for
 *                        stuck carriers, until they retire
 * @param goroutines      live goroutines ({@link Go#numGoroutine()})
 * @param threads         carrier threads started and not ended
 * @param idleThreads     carrier threads parked with nothing to run
 * @param idleProcs       processors that no carrier holds
 * @param spinningThreads carriers looking for work (stealing) without having found any
 * @param globalRunQueue  entries in the global run queue (an overflow batch counts once)
 * @param localRunQueues  goroutines in the processors' own run queues, all together
 * @param preemptions     yields at a safepoint of goroutines asked to yield (see
 *                        {@code preemptionsByCause})
 * @param stuckRetakes    processors taken from a carrier that ran one goroutine too long
 *                        without reaching a safepoint, and given to a spare carrier
 * @param blockingCalls   {@link Go#blocking} calls made by goroutines
 * @param carrierWakeups  carriers started or unparked to run goroutines
 * @param netpoller       the network poller's driver ({@code epoll}, {@code io_uring}, ...),
 *                        {@code idle} before the first socket, {@code none} without runtime-netpoll
 * @param netpollReadied  goroutines made runnable by the network poller
 * @param allocatedBytes  bytes allocated by all goroutines since the runtime started, those that
 *                        ended included (the sum of {@link Goroutine#allocatedBytes()}, up to the
 *                        slices running now), or -1 when the runtime does not count them
 *                        ({@code -Dgort.allocstats}, off by default)
 * @param schedulingLatency  how long goroutines waited, runnable, for a carrier to run them: from
 *                        the moment one is made runnable (spawned, readied by a waker, preempted
 *                        or yielding) to the moment a carrier mounts it (Go's
 *                        {@code /sched/latencies:seconds}); sampled, see {@link Distribution}
 * @param waitTimes       how long goroutines waited, parked, for each wait reason: from the park
 *                        to the moment a waker made the goroutine runnable again. Keyed by the
 *                        reason's text as {@link Go#dump()} shows it ({@code "chan receive"},
 *                        {@code "select"}, {@code "sleep"}, {@code "sync.Mutex.Lock"},
 *                        {@code "IO wait"}, ...), plus {@code "blocking call"}: the time spent in
 *                        {@link Go#blocking}. Unmodifiable, in a fixed order, every key present
 *                        ({@link Distribution#EMPTY} for those with nothing recorded); sampled
 * @param preemptionsByCause {@code preemptions} by the cause of the request that the goroutine
 *                        honoured at a safepoint: {@code "time slice"} (it ran a whole time
 *                        slice), {@code "memory gate"} (it allocated while the soft memory limit's
 *                        gate was closed), {@code "stuck carrier"} (its carrier was found blocked
 *                        and its processor's work went to a spare, counted in
 *                        {@code stuckRetakes}; it yields once back). Unmodifiable, every key
 *                        present; the values add up to {@code preemptions}
 * @param steals          successful steals: a carrier with nothing to run took goroutines (half
 *                        of a run queue, or its runnext) from another processor
 */
public record Metrics(int maxProcs, int processors, int goroutines, int threads, int idleThreads,
                      int idleProcs, int spinningThreads, int globalRunQueue, int localRunQueues,
                      long preemptions, long stuckRetakes, long blockingCalls, long carrierWakeups,
                      String netpoller, long netpollReadied, long allocatedBytes,
                      Distribution schedulingLatency, java.util.Map<String, Distribution> waitTimes,
                      java.util.Map<String, Long> preemptionsByCause, long steals) {}
