package dev.gort.sched;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** CarrierLookup.currentM must stay too big for the JIT to inline (see its class comment). */
class CarrierLookupTest {
    @Test
    void currentMIsTooBigToInline() throws Exception {
        assertTooBig("currentM");
    }

    @Test
    void carrierInterruptedIsTooBigToInline() throws Exception {
        assertTooBig("carrierInterrupted");
    }

    private static void assertTooBig(String name) throws Exception {
        int size = BytecodeSize.of(CarrierLookup.class, name);
        assertTrue(size > BytecodeSize.C2_FREQ_INLINE_SIZE, name + " is " + size + " bytes of bytecode; C2 inlines hot methods up to "
            + BytecodeSize.C2_FREQ_INLINE_SIZE);
    }
}
