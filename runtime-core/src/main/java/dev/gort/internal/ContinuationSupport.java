package dev.gort.internal;

/**
 * Start-up probe: can this JVM run goroutines? Checked before any class that links against
 * {@code jdk.internal.vm} is loaded, so that a missing flag gives one line, not a stack of
 * linkage errors.
 */
public final class ContinuationSupport {
    /** The flag a JVM needs to run Gort; named in the error so the user can copy it. */
    public static final String REQUIRED_FLAG = "--add-exports java.base/jdk.internal.vm=ALL-UNNAMED";

    private static final String UNAVAILABLE = unavailableReason();

    private ContinuationSupport() {}

    private static String unavailableReason() {
        if (Runtime.version().feature() < 25) {
            return "Gort needs JDK 25 or newer; this JVM is " + Runtime.version();
        }
        Module base = Object.class.getModule();
        if (!base.isExported("jdk.internal.vm", ContinuationSupport.class.getModule())) {
            return "Gort cannot start goroutines: add the JVM flag " + REQUIRED_FLAG
                + " (java.base does not export jdk.internal.vm to this code)";
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
