package dev.gort.internal;

/**
 * Start-up probe: can this JVM run goroutines? Checked before any class that links against
 * {@code jdk.internal.vm} is loaded, so that a missing flag gives one line, not a stack of
 * linkage errors.
 *
 * <p>The flag names the module that reads {@code jdk.internal.vm}: Gort's own module,
 * {@code dev.gort.core}, when runtime-core is on the module path; every unnamed module
 * ({@code ALL-UNNAMED}) when it is on the class path (a shaded jar included). The error names
 * the one for the way this JVM was started, so that it can be copied as it is.
 */
public final class ContinuationSupport {
    private static final String UNAVAILABLE = unavailableReason();

    private ContinuationSupport() {}

    /**
     * The flag this JVM needs to run Gort: {@code --add-exports java.base/jdk.internal.vm=}
     * followed by the name of the module Gort was loaded in, or {@code ALL-UNNAMED} on the class
     * path.
     */
    public static String requiredFlag() {
        Module gort = ContinuationSupport.class.getModule();
        return "--add-exports java.base/jdk.internal.vm=" + (gort.isNamed() ? gort.getName() : "ALL-UNNAMED");
    }

    private static String unavailableReason() {
        if (Runtime.version().feature() < 25) {
            return "Gort needs JDK 25 or newer; this JVM is " + Runtime.version();
        }
        Module base = Object.class.getModule();
        Module gort = ContinuationSupport.class.getModule();
        if (!base.isExported("jdk.internal.vm", gort)) {
            return "Gort cannot start goroutines: add the JVM flag " + requiredFlag()
                + " (java.base does not export jdk.internal.vm to " + (gort.isNamed() ? "module " + gort.getName() : "the class path") + ")";
        }
        return null;
    }

    /** @return null when goroutines can run here, else the one-line reason they cannot */
    public static String unavailableReasonOrNull() {
        return UNAVAILABLE;
    }

    /** @throws UnsupportedOperationException with a one-line message naming the flag to add */
    public static void ensureAvailable() {
        if (UNAVAILABLE != null) {
            throw new UnsupportedOperationException(UNAVAILABLE);
        }
    }
}
