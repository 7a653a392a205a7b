package dev.gort;

/** The forms of the goroutine dump ({@link Go#dump(Appendable, DumpFormat)}). */
public enum DumpFormat {
    /** Text, as {@link Go#dump()} returns it: Go's traceback of all goroutines, with a header. */
    TEXT,
    /**
     * JSON in the shape of the JDK's thread dump ({@code jcmd <pid> Thread.dump_to_file
     * -format=json}): each goroutine a thread (its id the {@code tid}), each {@link Group} a
     * thread container under the group its owner belongs to, goroutines in no group in the
     * {@code <root>} container; Gort's own fields (wait reason and time, the carrier's wait,
     * locked to thread) as keys of their own, which readers of the JDK's form ignore.
     */
    JSON
}
