package dev.gort;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Without the export, the first use of Gort fails with one line naming the flag. */
class MissingExportTest {

    /** Run in a child JVM without --add-exports. */
    public static void main(String[] args) {
        try {
            Go.spawn(() -> { });
            System.out.println("started without the export?!");
            System.exit(0);
        } catch (UnsupportedOperationException e) {
            System.out.println(e.getMessage());
            System.exit(3);
        }
    }

    @Test
    void firstUseNamesTheFlag() throws Exception {
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        Process p = new ProcessBuilder(List.of(java, "-cp", System.getProperty("java.class.path"),
            MissingExportTest.class.getName())).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertEquals(3, p.waitFor(), out);
        assertEquals(1, out.lines().count(), out);
        assertTrue(out.contains("--add-exports java.base/jdk.internal.vm=ALL-UNNAMED"), out);
        assertFalse(out.contains("IllegalAccessError"), out);
    }
}
