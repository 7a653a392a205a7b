/**
 * Gort's GC assist (to come): reads the scheduler through {@code dev.gort.sched}, which
 * {@code dev.gort.core} exports to this module.
 */
module dev.gort.gcassist {
    requires dev.gort.core;
}
