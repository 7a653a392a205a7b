package dev.gort.sched;

import java.util.ArrayList;
import java.util.List;

/**
 * Every live goroutine that has parked at least once, for {@code Go.dump()} (Go's
 * {@code allgs}, in part). A goroutine enters at its first park and leaves when it ends; one
 * that never parks (most: W1 spawns a million that just run) costs nothing here. The dump adds
 * the goroutines found running on carriers and queued in the Ps' rings; the count is kept
 * separately ({@code P.spawned()/exited()}).
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
    }

    private final Stripe[] stripes = new Stripe[STRIPES];

    Registry() {
        for (int i = 0; i < STRIPES; i++) stripes[i] = new Stripe();
    }

    private Stripe stripe(G g) {
        return stripes[(int) (g.id & (STRIPES - 1))];
    }

    /** At a goroutine's first park, maybe holding the lock it parks on: within that lock's reserve. */
    void add(G g) {
        Stripe s = stripe(g);
        s.lockWithinReserve();
        G h = s.head;
        g.allNext = h;
        if (h != null) h.allPrev = g;
        s.head = g;
        g.registered = true;
        s.unlock();
    }

    void remove(G g) {
        Stripe s = stripe(g);
        s.lock();
        G prev = g.allPrev, next = g.allNext;
        if (prev != null) prev.allNext = next; else s.head = next;
        if (next != null) next.allPrev = prev;
        g.allPrev = g.allNext = null;
        s.unlock();
    }

    List<G> snapshot() {
        List<G> out = new ArrayList<>();
        for (Stripe s : stripes) {
            s.lock();
            try {
                for (G g = s.head; g != null; g = g.allNext) out.add(g);
            } finally { // out.add may run out of memory
                s.unlock();
            }
        }
        return out;
    }
}
