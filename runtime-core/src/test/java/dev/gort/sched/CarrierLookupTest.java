package dev.gort.sched;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.lang.classfile.Attributes;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.MethodModel;
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
        byte[] bytes;
        try (InputStream in = CarrierLookup.class.getResourceAsStream("CarrierLookup.class")) {
            bytes = in.readAllBytes();
        }
        ClassModel cm = ClassFile.of().parse(bytes);
        MethodModel m = cm.methods().stream().filter(x -> x.methodName().equalsString(name)).findFirst().orElseThrow();
        int size = m.findAttribute(Attributes.code()).orElseThrow().codeLength();
        assertTrue(size > 325, name + " is " + size + " bytes of bytecode; C2 inlines hot methods up to 325");
    }
}
