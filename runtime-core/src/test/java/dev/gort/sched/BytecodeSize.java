package dev.gort.sched;

import java.io.IOException;
import java.io.InputStream;
import java.lang.classfile.Attributes;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;

/**
 * A method's bytecode size as javac wrote it, for the tests that keep the runtime's code inside
 * or outside the JIT's inlining limits: HotSpot inlines a callee by its bytecode size, up to
 * {@link #C1_MAX_INLINE_SIZE} in C1 and {@link #C2_FREQ_INLINE_SIZE} at C2's hot call sites.
 */
final class BytecodeSize {
    /** C1MaxInlineSize: the largest callee, in bytecode bytes, that C1 inlines. */
    static final int C1_MAX_INLINE_SIZE = 35;
    /** FreqInlineSize: the largest callee, in bytecode bytes, that C2 inlines at a hot call site. */
    static final int C2_FREQ_INLINE_SIZE = 325;

    private BytecodeSize() {}

    /** The bytecode length of {@code c}'s method {@code name} (the first of that name). */
    static int of(Class<?> c, String name) throws IOException {
        ClassModel model;
        try (InputStream in = c.getResourceAsStream(c.getName().substring(c.getName().lastIndexOf('.') + 1) + ".class")) {
            if (in == null) throw new AssertionError("no class file for " + c);
            model = ClassFile.of().parse(in.readAllBytes());
        }
        return model.methods().stream().filter(m -> m.methodName().equalsString(name)).findFirst()
            .orElseThrow(() -> new AssertionError("no method " + name + " in " + c))
            .findAttribute(Attributes.code()).orElseThrow().codeLength();
    }
}
