package dev.gort.netpoll;

import dev.gort.sched.G;
import dev.gort.sched.NetpollDriver;
import java.util.List;

/**
 * The scheduler's view of the poller, registered in
 * {@code META-INF/services/dev.gort.sched.NetpollDriver}. Cheap until the first socket starts
 * {@link Netpoll}: until then nobody waits, so the scheduler never calls {@link #poll}.
 */
public final class NetpollService implements NetpollDriver {
    public NetpollService() {}

    @Override
    public String name() {
        Netpoll n = Netpoll.current();
        return n != null ? n.driverName() : "idle";
    }

    @Override
    public boolean hasWaiters() {
        Netpoll n = Netpoll.current();
        return n != null && n.waiters.get() > 0;
    }

    @Override
    public void poll(long timeoutNanos, List<G> ready) {
        Netpoll n = Netpoll.current();
        if (n != null) n.poller.poll(timeoutNanos, ready);
    }

    @Override
    public void wakeup() {
        Netpoll n = Netpoll.current();
        if (n != null) n.poller.wakeup();
    }
}
