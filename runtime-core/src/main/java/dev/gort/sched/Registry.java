package dev.gort.sched;

import java.util.ArrayList;
import java.util.List;

/**
 * Every live goroutine (Go's {@code allgs}), for {@code Go.numGoroutine()} and {@code Go.dump()}.
 *
 * <p>Striped by goroutine id into {@value #STRIPES} intrusive doubly linked lists, each guarded
 * by its own {@link SpinLock}: a goroutine is added at spawn and removed at exit, usually on
 * different carriers, so one shared lock would be contended on every spawn; with the ids of
 * concurrently spawned goroutines spread over the stripes, the two locks taken per goroutine are
 * almost always uncontended.
 */
final class Registry {
    private static final int STRIPES = 64;

    private static final class Stripe extends SpinLock {
        G head;
        /** Written under the lock, read without it (an estimate; the lock's release publishes it). */
        int count;
    }

    private final Stripe[] stripes = new Stripe[STRIPES];

    Registry() {
        for (int i = 0; i < STRIPES; i++) stripes[i] = new Stripe();
    }

    private Stripe stripe(G g) {
        return stripes[(int) (g.id & (STRIPES - 1))];
    }

    void add(G g) {
        Stripe s = stripe(g);
        s.lock();
        G h = s.head;
        g.allNext = h;
        if (h != null) h.allPrev = g;
        s.head = g;
        s.count = s.count + 1;
        s.unlock();
    }

    void remove(G g) {
        Stripe s = stripe(g);
        s.lock();
        G prev = g.allPrev, next = g.allNext;
        if (prev != null) prev.allNext = next; else s.head = next;
        if (next != null) next.allPrev = prev;
        g.allPrev = g.allNext = null;
        s.count = s.count - 1;
        s.unlock();
    }

    int count() {
        int n = 0;
        for (Stripe s : stripes) {
            s.lock(); // acquire: see the counts as of the last release
            n += s.count;
            s.unlock();
        }
        return n;
    }

    List<G> snapshot() {
        List<G> out = new ArrayList<>();
        for (Stripe s : stripes) {
            s.lock();
            for (G g = s.head; g != null; g = g.allNext) out.add(g);
            s.unlock();
        }
        return out;
    }
}
