package dev.gort.sched;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * When and where the scheduler polls the network ({@link NetpollDriver}, optional: without a
 * driver none of this runs). The contract of a poll is the driver's; this file decides who calls
 * it:
 * <ul>
 *   <li>findRunnable, after the global queue, polls without blocking ({@link #pollNow}) unless an
 *       M blocks in the poller already ({@link #pollerBlocked});</li>
 *   <li>the timer sleeper blocks in the poller instead of its timed park ({@link #block}), so
 *       one M waits for both I/O and the earliest timer;</li>
 *   <li>sysmon polls when some goroutine waits for I/O and nobody has polled for 10 ms
 *       ({@link #sysmonPoll}).</li>
 * </ul>
 * Polled goroutines are made runnable as a batch ({@link #injectReady}); whether a carrier is woken
 * for the batch is {@link WakePolicy#afterPollBatch}'s decision.
 *
 * <p>Who writes what: {@link #lastPoll} is written by whoever completed a poll (a plain volatile
 * store: racing writers each store a recent time, and sysmon only needs one within 10 ms).
 * {@code M.polled} is its M's own list; sysmon has its own.
 */
final class Polling {
    private final Scheduler s;
    /** System.nanoTime() of the last completed poll (sysmon polls when it is 10 ms old). */
    private volatile long lastPoll;
    /** Goroutines made runnable by the network poller (a metric). */
    final AtomicLong netpollReadied = new AtomicLong();

    Polling(Scheduler s) {
        this.s = s;
    }

    /** Some goroutine waits for I/O (false without a driver). */
    boolean hasWaiters() {
        NetpollDriver netpoll = s.netpoll;
        return netpoll != null && netpoll.hasWaiters();
    }

    /**
     * An M is blocked in the poller (Go: {@code sched.lastpoll == 0}): it will see the events
     * itself, with an idle P to run them on, so a non-blocking poll would only add a syscall.
     */
    boolean pollerBlocked() {
        M sleeper = s.timers.sleeper();
        return sleeper != null && sleeper.netpolling;
    }

    /** findRunnable's non-blocking poll: readied goroutines go into p's ring; returns one to run. */
    G pollNow(M m, P p) {
        List<G> list = m.polled;
        s.netpoll.poll(0, list);
        lastPoll = System.nanoTime();
        if (list.isEmpty()) return null;
        injectReady(list, p);
        return p.runq.poll(); // null if every one of them was a blocked (pinned) goroutine
    }

    /**
     * The timer sleeper's park, in the poller: blocks until I/O, the deadline, a wake-up (startm
     * handed this M a P) or a poke (an earlier timer). Polled goroutines stay in {@code m.polled}
     * for the caller, which has a P to put them on (or the global queue).
     *
     * @return true if a wake-up token was consumed (as {@link M#sleepUntil})
     */
    boolean block(M m, long deadline) {
        List<G> list = m.polled;
        m.netpolling = true; // then read token and poked: see M.netpolling
        try {
            for (;;) {
                if (m.tryConsumeToken()) return true;
                if (m.poked || !list.isEmpty()) return false;
                long timeout = -1;
                if (deadline != Long.MAX_VALUE) {
                    timeout = deadline - System.nanoTime();
                    if (timeout <= 0) return false;
                }
                Object jfr = Scheduler.JFR ? dev.gort.sched.jfr.Jfr.netpollBegin() : null; // dev.gort.NetpollWait
                s.netpoll.poll(timeout, list);
                if (jfr != null) dev.gort.sched.jfr.Jfr.netpollEnd(jfr, timeout, list.size());
                lastPoll = System.nanoTime();
            }
        } finally {
            m.netpolling = false;
        }
    }

    /**
     * Makes the goroutines a poll returned runnable (Go's injectglist): into p's ring when the
     * caller holds p, else the global queue; then {@link WakePolicy#afterPollBatch} decides
     * whether to wake a carrier for them. Each goroutine was taken out of its poll descriptor by
     * the poller, so no other waker races us except the dump (DUMPING), which we wait out as
     * ready() does.
     */
    void injectReady(List<G> list, P p) {
        GlobalQueue global = s.global;
        for (int i = 0, n = list.size(); i < n; i++) {
            G g = list.get(i);
            if (!s.makeRunnable(g, "netpoll ready")) continue; // its blocked carrier was unparked
            if (p != null) {
                p.runq.put(g, false, global);
            } else {
                global.put(g);
            }
        }
        int n = list.size();
        netpollReadied.addAndGet(n);
        list.clear();
        s.wake.afterPollBatch(p, n);
    }

    /** sysmon: polls when some goroutine waits for I/O, nobody polled for 10 ms, and no M blocks in the poller. */
    boolean sysmonPoll(long now, List<G> list) {
        if (!hasWaiters() || now - lastPoll < 10_000_000L) return false;
        if (pollerBlocked()) return false;
        s.netpoll.poll(0, list);
        lastPoll = System.nanoTime();
        if (list.isEmpty()) return false;
        injectReady(list, null);
        return true;
    }
}
