package dev.gort;

import dev.gort.sched.G;
import dev.gort.sched.Scheduler;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * A goroutine-local variable: each goroutine sees its own value (a {@code ThreadLocal} inside a
 * goroutine would be the carrier thread's, shared with every goroutine that carrier runs).
 * On a platform thread it behaves as a {@code ThreadLocal} of that thread.
 *
 * <p>Values live in the goroutine and go away with it. Not inherited by spawned goroutines.
 */
public final class GoLocal<T> {
    private static final AtomicInteger SLOTS = new AtomicInteger();
    private static final Object UNSET = new Object();

    private final int slot = SLOTS.getAndIncrement();
    private final Supplier<? extends T> initial;
    private final ThreadLocal<T> platform;

    public GoLocal() {
        this(() -> null);
    }

    private GoLocal(Supplier<? extends T> initial) {
        this.initial = initial;
        this.platform = ThreadLocal.withInitial(initial);
    }

    public static <T> GoLocal<T> withInitial(Supplier<? extends T> initial) {
        return new GoLocal<>(Objects.requireNonNull(initial, "initial"));
    }

    @SuppressWarnings("unchecked")
    public T get() {
        G g = Scheduler.currentG();
        if (g == null) return platform.get();
        Object[] locals = slots(g);
        Object v = locals[slot];
        if (v == UNSET) {
            T init = initial.get();
            slots(g)[slot] = init;
            return init;
        }
        return (T) v;
    }

    public void set(T value) {
        G g = Scheduler.currentG();
        if (g == null) {
            platform.set(value);
        } else {
            slots(g)[slot] = value;
        }
    }

    public void remove() {
        G g = Scheduler.currentG();
        if (g == null) {
            platform.remove();
        } else {
            Object[] locals = g.locals();
            if (locals != null && slot < locals.length) locals[slot] = UNSET;
        }
    }

    /** The goroutine's value array, grown to hold this slot. Only the goroutine itself touches it. */
    private Object[] slots(G g) {
        Object[] locals = g.locals();
        if (locals == null || slot >= locals.length) {
            int oldLen = locals == null ? 0 : locals.length;
            locals = locals == null ? new Object[Math.max(8, slot + 1)] : Arrays.copyOf(locals, Math.max(slot + 1, oldLen * 2));
            Arrays.fill(locals, oldLen, locals.length, UNSET);
            g.setLocals(locals);
        }
        return locals;
    }
}
