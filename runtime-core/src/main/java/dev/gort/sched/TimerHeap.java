package dev.gort.sched;

import java.util.Arrays;

/**
 * A P's timers: a 4-ary min-heap by {@code when} (Go 1.14+: shallower than a binary heap, so
 * fewer cache misses per sift). Guarded by its own {@link SpinLock}: the owner P runs its
 * expired timers, but any thread may add or delete one, and other Ps run a P's expired timers
 * when they steal (so a busy or stuck P does not hold its timers back).
 *
 * <p>{@link #next} mirrors the earliest {@code when} (or {@code Long.MAX_VALUE}) for lock-free
 * reads by the scheduler's idle path and sysmon.
 */
final class TimerHeap {
    final SpinLock lock = new SpinLock();
    private TimerEntry[] heap = new TimerEntry[16];
    private int size;
    /** The earliest when, or Long.MAX_VALUE; written under lock, read without. */
    volatile long next = Long.MAX_VALUE;

    int size() {
        return size;
    }

    /** Holding lock. */
    void add(TimerEntry t) {
        if (size == heap.length) heap = Arrays.copyOf(heap, size * 2);
        t.heap = this;
        t.index = size;
        heap[size++] = t;
        siftUp(t.index);
        next = heap[0].when;
    }

    /** Holding lock; t is in this heap. */
    void remove(TimerEntry t) {
        int i = t.index;
        TimerEntry last = heap[--size];
        heap[size] = null;
        if (i != size) {
            heap[i] = last;
            last.index = i;
            siftDown(i);
            siftUp(last.index);
        }
        t.heap = null;
        t.index = -1;
        next = size > 0 ? heap[0].when : Long.MAX_VALUE;
    }

    /** Holding lock: the earliest timer if it is due at {@code now}, removed; else null. */
    TimerEntry pollDue(long now) {
        if (size == 0 || heap[0].when - now > 0) return null;
        TimerEntry t = heap[0];
        remove(t);
        return t;
    }

    /**
     * Holding this lock and {@code to}'s: moves every timer to {@code to} (a P being retired
     * hands them on, a stuck P gives them to its spare). Each timer's {@link TimerEntry#heap}
     * goes from this heap straight to {@code to}, never null: a deleteTimer that read it meanwhile finds this heap's lock taken,
     * then the timer gone from here, and retries in {@code to}. (Moving through a null, with
     * the locks taken one after the other, would let such a delete answer "not armed" while the
     * timer stays armed in {@code to}: a Timer.stop() would say false and the timer fire anyway.)
     */
    void moveAllTo(TimerHeap to) {
        // Room first: an OutOfMemoryError here leaves every timer where it was, never in neither heap.
        if (to.size + size > to.heap.length) to.heap = Arrays.copyOf(to.heap, Math.max(to.size + size, to.heap.length * 2));
        for (int i = 0; i < size; i++) {
            TimerEntry t = heap[i];
            heap[i] = null;
            to.add(t);
        }
        size = 0;
        next = Long.MAX_VALUE;
    }

    private void siftUp(int i) {
        TimerEntry t = heap[i];
        while (i > 0) {
            int parent = (i - 1) >> 2;
            TimerEntry p = heap[parent];
            if (p.when - t.when <= 0) break;
            heap[i] = p;
            p.index = i;
            i = parent;
        }
        heap[i] = t;
        t.index = i;
    }

    private void siftDown(int i) {
        TimerEntry t = heap[i];
        for (;;) {
            int c = 4 * i + 1;
            if (c >= size) break;
            int best = c;
            for (int k = c + 1; k < Math.min(c + 4, size); k++) {
                if (heap[k].when - heap[best].when < 0) best = k;
            }
            if (heap[best].when - t.when >= 0) break;
            heap[i] = heap[best];
            heap[i].index = i;
            i = best;
        }
        heap[i] = t;
        t.index = i;
    }
}
