/**
 * Gort's scheduler metrics for Micrometer: {@link dev.gort.micrometer.GortMetrics}, a
 * {@code MeterBinder}. An artifact of its own ({@code dev.gort:runtime-micrometer}), so that the
 * runtime does not depend on Micrometer.
 */
@SuppressWarnings("requires-automatic")
module dev.gort.micrometer {
    requires transitive dev.gort.core;
    // micrometer-core declares its module name in its manifest (an automatic module).
    requires transitive micrometer.core;

    exports dev.gort.micrometer;
}
