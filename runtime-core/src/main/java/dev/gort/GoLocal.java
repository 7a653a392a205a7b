package dev.gort;

import dev.gort.sched.G;
import dev.gort.sched.Scheduler;
import java.lang.ref.PhantomReference;
import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * A goroutine-local variable: each goroutine sees its own value (a {@code ThreadLocal} inside a
 * goroutine would be the carrier thread's, shared with every goroutine that carrier runs).
 * On a platform thread it behaves as a {@code ThreadLocal} of that thread.
 *
 * <p>Values live in the goroutine and go away with it. Not inherited by spawned goroutines.
 *
 * <p>Storage: each GoLocal has a slot, an index into the arrays of the goroutines that set it.
 * The slot of a GoLocal that became unreachable is reused by a later one, lowest first, so a
 * goroutine's arrays are sized by the GoLocals that are alive, not by every one ever made. As
 * with a {@code ThreadLocal}, a value set in a live goroutine for a GoLocal that is gone stays
 * referenced by that goroutine until the slot's new GoLocal is set there, or the goroutine ends.
 */
public final class GoLocal<T> {
    // ---- the slot allocator, guarded by ALLOC (a GoLocal is made rarely; get/set never lock)
    private static final Object ALLOC = new Object();
    /** Slots below nextSlot whose GoLocal is gone. */
    private static final BitSet FREE = new BitSet();
    private static int nextSlot;
    /** Generations: one per GoLocal ever made, never 0 (a goroutine's "no value" mark), never reused. */
    private static long nextGen = 1;
    /** Enqueues the reference of a GoLocal that became unreachable: its slot is free then. */
    private static final ReferenceQueue<GoLocal<?>> GONE = new ReferenceQueue<>();
    /** The live GoLocals' references by slot (a reference must stay reachable to be enqueued). */
    private static SlotRef[] refs = new SlotRef[64];

    private static final class SlotRef extends PhantomReference<GoLocal<?>> {
        final int slot;

        SlotRef(GoLocal<?> local, int slot) {
            super(local, GONE);
            this.slot = slot;
        }
    }

    private final int slot;
    /**
     * This GoLocal's generation. A goroutine's value at {@code slot} is this GoLocal's exactly
     * when the goroutine's generation at {@code slot} equals it: a slot freed and reused by a
     * new GoLocal never shows the old one's value to it (it is overwritten on the first set).
     */
    private final long gen;
    private final Supplier<? extends T> initial;
    private final ThreadLocal<T> platform;

    public GoLocal() {
        this(() -> null);
    }

    private GoLocal(Supplier<? extends T> initial) {
        this.initial = initial;
        this.platform = ThreadLocal.withInitial(initial);
        synchronized (ALLOC) {
            for (Reference<? extends GoLocal<?>> r; (r = GONE.poll()) != null; ) {
                int s = ((SlotRef) r).slot;
                refs[s] = null;
                FREE.set(s);
            }
            int s = FREE.nextSetBit(0);
            if (s >= 0) {
                FREE.clear(s);
            } else {
                s = nextSlot++;
                if (s == refs.length) refs = Arrays.copyOf(refs, s * 2);
            }
            slot = s;
            gen = nextGen++;
            refs[s] = new SlotRef(this, s);
        }
    }

    public static <T> GoLocal<T> withInitial(Supplier<? extends T> initial) {
        return new GoLocal<>(Objects.requireNonNull(initial, "initial"));
    }

    @SuppressWarnings("unchecked")
    public T get() {
        G g = Scheduler.currentG();
        if (g == null) return platform.get();
        long[] gens = g.localGens();
        if (gens != null && slot < gens.length && gens[slot] == gen) return (T) g.locals()[slot];
        T init = initial.get(); // may use other GoLocals, growing the arrays: store() reads them again
        store(g, init);
        return init;
    }

    public void set(T value) {
        G g = Scheduler.currentG();
        if (g == null) {
            platform.set(value);
        } else {
            store(g, value);
        }
    }

    public void remove() {
        G g = Scheduler.currentG();
        if (g == null) {
            platform.remove();
            return;
        }
        long[] gens = g.localGens();
        if (gens != null && slot < gens.length && gens[slot] == gen) {
            gens[slot] = 0;
            g.locals()[slot] = null;
        }
    }

    /** Sets the goroutine's value, growing its arrays to hold this slot. Only the goroutine itself touches them. */
    private void store(G g, Object value) {
        Object[] values = g.locals();
        long[] gens = g.localGens();
        if (gens == null || slot >= gens.length) {
            int len = gens == null ? Math.max(8, slot + 1) : Math.max(slot + 1, gens.length * 2);
            values = values == null ? new Object[len] : Arrays.copyOf(values, len);
            gens = gens == null ? new long[len] : Arrays.copyOf(gens, len);
            g.setLocals(values, gens);
        }
        values[slot] = value;
        gens[slot] = gen;
    }
}
