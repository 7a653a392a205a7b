package dev.gort;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gort.sched.G;
import dev.gort.sync.WaitGroup;
import java.lang.reflect.Field;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** GoLocal's storage: slots of unreachable GoLocals are reused, and never show an old value. */
class GoLocalTest {

    private static int slotOf(GoLocal<?> local) {
        try {
            Field f = GoLocal.class.getDeclaredField("slot");
            f.setAccessible(true);
            return f.getInt(local);
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    /** The length of the calling goroutine's GoLocal storage. */
    private static int storageLength() {
        Object[] locals = ((G) Go.current()).locals();
        return locals == null ? 0 : locals.length;
    }

    /**
     * After a million GoLocals were made and dropped, a goroutine that sets one new GoLocal
     * holds a small array: the new one reuses a freed slot (once the collector has seen the old
     * ones go), instead of taking slot 1,000,000 and an array of that size in every goroutine.
     */
    @Test
    void aMillionDroppedGoLocalsLeaveAGoroutinesStorageSmall() throws Exception {
        for (int i = 0; i < 1_000_000; i++) {
            new GoLocal<String>();
        }
        AtomicReference<String> result = new AtomicReference<>();
        long deadline = System.nanoTime() + 10_000_000_000L;
        GoTestSupport.runMain(() -> {
            int len = Integer.MAX_VALUE;
            int slot = -1;
            // The slots come back once the collector has cleared the dropped GoLocals.
            while (System.nanoTime() - deadline < 0) {
                System.gc();
                GoLocal<String> local = new GoLocal<>();
                Goroutine g = Go.spawn(() -> {
                    local.set("mine");
                    result.set(storageLength() + " " + local.get());
                });
                g.join();
                slot = slotOf(local);
                len = Integer.parseInt(result.get().split(" ")[0]);
                assertEquals("mine", result.get().split(" ")[1]);
                if (len <= 1024) break;
                Go.sleep(java.time.Duration.ofMillis(10));
            }
            assertTrue(len <= 1024, "a goroutine that set one GoLocal holds " + len + " slots (the GoLocal's slot: " + slot + ")");
        });
    }

    /**
     * Makes GoLocals with {@code make} (collecting garbage in between) until one takes
     * {@code slot}, keeping the others alive meanwhile so that each takes a new slot.
     */
    private static GoLocal<String> takeSlot(int slot, java.util.function.Supplier<GoLocal<String>> make) throws Exception {
        java.util.List<GoLocal<String>> others = new java.util.ArrayList<>();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() - deadline < 0) {
            System.gc();
            for (int i = 0; i < 16; i++) {
                GoLocal<String> l = make.get();
                if (slotOf(l) == slot) return l;
                others.add(l);
            }
            Go.sleep(java.time.Duration.ofMillis(5));
        }
        throw new AssertionError("slot " + slot + " of an unreachable GoLocal was never reused (" + others.size() + " made)");
    }

    /**
     * A live goroutine set a GoLocal that then became unreachable; a new GoLocal that reuses
     * its slot reads its own initial value in that goroutine, never the old value (a plain one
     * and a withInitial one, in turn).
     */
    @Test
    void aReusedSlotNeverShowsTheOldGoLocalsValue() throws Exception {
        GoTestSupport.runMain(() -> {
            GoLocal<String> old = GoLocal.withInitial(() -> "old-initial");
            old.set("old value");
            int slot = slotOf(old);
            old = null; // unreachable from here on: its slot is freed once the collector clears it
            GoLocal<String> plain = takeSlot(slot, GoLocal::new);
            assertNull(plain.get(), "a new GoLocal in a reused slot shows the old value");
            plain.set("plain value");
            assertEquals("plain value", plain.get());
            plain = null;
            GoLocal<String> withInitial = takeSlot(slot, () -> GoLocal.withInitial(() -> "new-initial"));
            assertEquals("new-initial", withInitial.get(), "a GoLocal.withInitial in a reused slot shows an old value");
            withInitial.set("set");
            withInitial.remove();
            assertEquals("new-initial", withInitial.get());
        });
    }

    /** Each goroutine sees its own GoLocal values, on one carrier shared by turns, and a platform thread its own. */
    @Test
    void goLocalValuesBelongToTheirGoroutine() throws Exception {
        GoLocal<String> local = GoLocal.withInitial(() -> "unset");
        AtomicBoolean ok = new AtomicBoolean(true);
        GoTestSupport.withMaxProcs(1, () -> {
            Go.run(() -> {
                WaitGroup wg = new WaitGroup();
                wg.add(2);
                for (String v : new String[] {"x", "y"}) {
                    Go.spawn(() -> {
                        if (!local.get().equals("unset")) ok.set(false);
                        local.set(v);
                        for (int i = 0; i < 20; i++) {
                            Go.yield(); // the other goroutine runs on the same carrier
                            if (!local.get().equals(v)) ok.set(false);
                        }
                        local.remove();
                        if (!local.get().equals("unset")) ok.set(false);
                        wg.done();
                    });
                }
                GoTestSupport.await(wg);
            });
        });
        assertTrue(ok.get());
        local.set("platform");
        assertSame("platform", local.get());
    }
}
