package dev.gort.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.gort.Go;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * A preemption request that reaches a goroutine inside Go.blocking (sysmon read it as its P's
 * current goroutine just before blocking() cleared the request) is not honoured there: the
 * goroutine has handed its P off and must come back through exitsyscall on the same carrier.
 * With the safepoint agent every loop in a blocking call polls, so this is no longer rare.
 */
class PreemptInBlockingTest {

    @Test
    void aSafepointInsideABlockingCallDoesNotYield() throws Exception {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        for (int i = 0; i < 200; i++) {
            int round = i;
            Go.run(() -> {
                try {
                    G g = Scheduler.currentG();
                    Thread[] carriers = new Thread[2];
                    int v = Go.blocking(() -> {
                        carriers[0] = carrier();
                        Preemption.request(g); // as sysmon would, racing blocking()'s Preemption.clear
                        Go.safepoint();
                        carriers[1] = carrier();
                        return 42;
                    });
                    assertEquals(42, v);
                    assertSame(carriers[0], carriers[1], "the blocking call moved to another carrier");
                    Go.safepoint(); // the request, kept, is honoured now that g runs on a P again
                    Go.yield();
                } catch (Throwable t) {
                    failure.compareAndSet(null, new AssertionError("round " + round + ": " + t, t));
                }
            });
            if (failure.get() != null) throw (AssertionError) failure.get();
        }
    }

    /** The carrier, read out of line (see CarrierLookup). */
    private static Thread carrier() {
        M m = CarrierLookup.currentM();
        return m != null ? m.thread : null;
    }
}
