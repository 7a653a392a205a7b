package dev.gort.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.openjdk.jol.info.ClassLayout;
import org.openjdk.jol.vm.VM;

/**
 * What a parked goroutine costs in memory (W6, docs/BENCHMARKS.md), as far as the runtime's own
 * classes decide it: the objects' sizes as the running JVM lays them out (JOL), and the bytecode
 * size that lets C1 fold the continuation's entry, the goroutine's body and the dispatch to its
 * task into one frame of the parked stack (see G#body).
 */
class ParkedFootprintTest {
    @Test
    void aGoroutineIs104BytesTheWaiterItKeeps40AndAnUnbufferedChannel40() {
        // The default layout of a heap under 32 GiB; other flags (compact object headers, no
        // compressed references) give other sizes.
        assumeTrue(VM.current().objectHeaderSize() == 12 && VM.current().sizeOfField("java.lang.Object") == 4
            && VM.current().objectAlignment() == 8, "not the default object layout:\n" + VM.current().details());
        assertEquals(104, ClassLayout.parseClass(G.class).instanceSize(), ClassLayout.parseClass(G.class).toPrintable());
        assertEquals(40, ClassLayout.parseClass(Waiter.class).instanceSize(), ClassLayout.parseClass(Waiter.class).toPrintable());
        assertEquals(40, ClassLayout.parseClass(dev.gort.Chan.class).instanceSize(),
            ClassLayout.parseClass(dev.gort.Chan.class).toPrintable());
    }

    @Test
    void theEntryTheBodyAndTheTaskDispatchAreSmallEnoughForC1ToInline() throws IOException {
        assertSmall(G.class, List.of("body", "start", "runTask"));
        assertSmall(entryClass(), List.of("run"));
    }

    private static Class<?> entryClass() {
        try {
            return Class.forName(dev.gort.internal.GoContinuation.ENTRY_CLASS);
        } catch (ClassNotFoundException e) {
            throw new AssertionError(e);
        }
    }

    private static void assertSmall(Class<?> c, List<String> methods) throws IOException {
        for (String name : methods) {
            int length = BytecodeSize.of(c, name);
            assertTrue(length <= BytecodeSize.C1_MAX_INLINE_SIZE, c.getName() + "." + name + " is " + length
                + " bytes of bytecode, above C1's inline size (" + BytecodeSize.C1_MAX_INLINE_SIZE + "): the parked stack gets a frame more");
        }
    }
}
