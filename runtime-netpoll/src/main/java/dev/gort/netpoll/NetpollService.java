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
        return n != null && (n.waiters.get() > 0 || n.poller.hasPending()); // in this order: see IoUringPoller.hasPending
    }

    @Override
    public void poll(long timeoutNanos, List<G> ready) {
        Netpoll n = Netpoll.current();
        if (n != null) n.poller.poll(timeoutNanos, ready);
    }

    private static final boolean AFFINITY = Boolean.getBoolean("gort.affinity");
    private static volatile boolean affinityWarned;

    /** With -Dgort.affinity=true: pins the carrier (see {@link dev.gort.netpoll.affinity.Affinity}). */
    @Override
    public int carrierStarted(int carrierId) {
        if (!AFFINITY) return -1;
        try {
            int cpu = dev.gort.netpoll.affinity.Affinity.cpuForCarrier(carrierId, dev.gort.netpoll.affinity.Affinity.onlineCpus());
            dev.gort.netpoll.affinity.Affinity.set(cpu);
            return dev.gort.netpoll.affinity.Affinity.cacheGroup(cpu);
        } catch (Exception | LinkageError e) {
            if (!affinityWarned) {
                affinityWarned = true;
                System.err.println("gort: -Dgort.affinity=true, but carriers cannot be pinned: " + e);
            }
            return -1;
        }
    }

    /** Closes the poller if no socket is open (see {@link Netpoll#shutdownIfUnused}). */
    @Override
    public void shutdown() {
        Netpoll.shutdownIfUnused();
    }

    @Override
    public void wakeup() {
        Netpoll n = Netpoll.current();
        if (n != null) n.poller.wakeup();
    }
}
