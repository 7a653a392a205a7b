package dev.gort;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Without the export of {@code jdk.internal.vm}, the first use of Gort fails with one line naming
 * the flag to add, for the way the JVM was started: {@code =ALL-UNNAMED} with runtime-core on the
 * class path, {@code =dev.gort.core} with it on the module path.
 */
class MissingExportTest {

    @Test
    void onTheClassPathTheErrorNamesAllUnnamed() throws Exception {
        ChildJvm.Result r = ChildJvm.onClassPath(List.of());
        assertEquals(3, r.exit(), r.toString());
        assertEquals(1, r.stdout().lines().count(), r.toString());
        assertTrue(r.stdout().contains("--add-exports java.base/jdk.internal.vm=ALL-UNNAMED"), r.toString());
        assertFalse((r.stdout() + r.stderr()).contains("IllegalAccessError"), r.toString());
    }

    @Test
    void onTheModulePathTheErrorNamesGortsModule() throws Exception {
        ChildJvm.Result r = ChildJvm.onModulePath(List.of());
        assertEquals(3, r.exit(), r.toString());
        assertEquals(1, r.stdout().lines().count(), r.toString());
        assertTrue(r.stdout().contains("--add-exports java.base/jdk.internal.vm=dev.gort.core"), r.toString());
        assertFalse((r.stdout() + r.stderr()).contains("IllegalAccessError"), r.toString());
    }

    @Test
    void onTheModulePathTheNamedFlagIsEnough() throws Exception {
        ChildJvm.Result r = ChildJvm.onModulePath(List.of("--add-exports", "java.base/jdk.internal.vm=dev.gort.core"));
        assertEquals(0, r.exit(), r.toString());
        assertEquals("ok dev.gort.core", r.stdout(), r.toString());
    }
}
