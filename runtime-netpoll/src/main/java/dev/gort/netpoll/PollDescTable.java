package dev.gort.netpoll;

import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * fd -> {@link PollDesc}, for pollers whose events carry the fd and the descriptor's sequence
 * number (not a pointer: Java cannot hand the kernel one). File descriptors are small, dense
 * integers, so an array indexed by fd, grown by doubling, beats a hash map. Readers (pollers)
 * read without a lock; registration writes under this object's lock and publishes a grown
 * array through a volatile field after copying.
 */
public final class PollDescTable {
    private volatile AtomicReferenceArray<PollDesc> table = new AtomicReferenceArray<>(1024);

    public synchronized void put(PollDesc pd) {
        AtomicReferenceArray<PollDesc> t = table;
        if (pd.fd >= t.length()) {
            int n = t.length();
            while (n <= pd.fd) n *= 2;
            AtomicReferenceArray<PollDesc> bigger = new AtomicReferenceArray<>(n);
            for (int i = 0; i < t.length(); i++) bigger.set(i, t.get(i));
            table = t = bigger;
        }
        t.set(pd.fd, pd);
    }

    public synchronized void remove(PollDesc pd) {
        AtomicReferenceArray<PollDesc> t = table;
        if (pd.fd < t.length()) t.compareAndSet(pd.fd, pd, null);
    }

    /** The live descriptor for (fd, seq), or null if the event is stale. */
    public PollDesc get(int fd, int seq) {
        AtomicReferenceArray<PollDesc> t = table;
        if (fd < 0 || fd >= t.length()) return null;
        PollDesc pd = t.get(fd);
        return pd != null && pd.seq == seq ? pd : null;
    }
}
