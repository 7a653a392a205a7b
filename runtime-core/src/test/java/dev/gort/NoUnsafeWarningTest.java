package dev.gort;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A program that uses runtime-core alone runs on JDK 25 without {@code sun.misc.Unsafe}
 * warnings, and so without {@code --sun-misc-unsafe-memory-access=allow}: the core's queues are
 * built on VarHandles, and the core depends on no library that calls Unsafe.
 */
class NoUnsafeWarningTest {

    @Test
    void onTheClassPathStderrHasNoWarning() throws Exception {
        ChildJvm.Result r = ChildJvm.onClassPath(List.of("--add-exports", "java.base/jdk.internal.vm=ALL-UNNAMED"));
        assertEquals(0, r.exit(), r.toString());
        assertEquals("ok unnamed", r.stdout(), r.toString());
        assertFalse(r.stderr().contains("WARNING"), r.toString());
    }

    @Test
    void onTheModulePathStderrHasNoWarning() throws Exception {
        ChildJvm.Result r = ChildJvm.onModulePath(List.of("--add-exports", "java.base/jdk.internal.vm=dev.gort.core"));
        assertEquals(0, r.exit(), r.toString());
        assertEquals("ok dev.gort.core", r.stdout(), r.toString());
        assertFalse(r.stderr().contains("WARNING"), r.toString());
    }
}
