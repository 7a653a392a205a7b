package dev.gort.sched;

import java.io.PrintStream;

/**
 * Error reports that allocate nothing on the Java heap: for the runtime's own threads' last-resort
 * paths (sysmon's and the carriers' catch-alls, a failing uncaught-exception handler), which must
 * work when the heap is full. A string concatenation there would allocate (and its first run
 * bootstraps an invokedynamic call site, which fails with BootstrapMethodError under
 * OutOfMemoryError), as would PrintStream.print(String), which wraps its chars in a CharBuffer.
 *
 * <p>So the texts are byte arrays made when the class is initialized ({@link #bytes}, from the
 * static initializers of the classes that report: before any heap is full); strings already on
 * the heap (a class's cached name, an exception's message) and numbers are copied byte by byte
 * into a preallocated buffer; everything goes out through {@code PrintStream.write(byte[], int,
 * int)}, which copies into the stream's existing buffer. The first run of a call site resolves
 * it, which for an application class may call its class loader (allocating): the class
 * initializer runs each call site once, writing nothing. Every method swallows its own failure:
 * reporting must never throw from a catch-all.
 */
final class ErrorOut {
    private ErrorOut() {}

    private static final byte[] COLON = bytes(": ");
    private static final byte[] NEWLINE = {'\n'};
    /** Where chars and digits are copied before writing; guarded by {@link #LOCK}. */
    private static final byte[] SCRATCH = new byte[128];
    /** Held by a reporter for a whole report, so that reports of several threads do not mix. */
    static final Object LOCK = new Object();

    static {
        // Resolve the call sites now (see the class comment): writes nothing.
        write(SCRATCH, 0);
        flush();
        // Class.getName() caches the name it computes: the errors of a full heap have theirs.
        OutOfMemoryError.class.getName();
        StackOverflowError.class.getName();
        BootstrapMethodError.class.getName();
    }

    /**
     * At most one report a second, for an error that may recur on every round while the heap
     * stays full. Racy when shared by threads (plain fields): at worst a few more reports.
     */
    static final class RateLimit {
        private long last;
        private boolean any;

        boolean allow() {
            long now = System.nanoTime();
            if (any && now - last < 1_000_000_000L) return false;
            any = true;
            last = now;
            return true;
        }
    }

    /** A text for the reports below, made ahead (ASCII). */
    static byte[] bytes(String s) {
        return s.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }

    private static void write(byte[] b, int len) {
        try {
            System.err.write(b, 0, len);
        } catch (Throwable ignored) {
            // nothing more can be done
        }
    }

    private static void flush() {
        try {
            System.err.flush();
        } catch (Throwable ignored) {
            // nothing more can be done
        }
    }

    static void write(byte[] text) {
        write(text, text.length);
    }

    /** Writes s (non-ASCII chars as '?'), or nothing if s is null. */
    static void write(CharSequence s) {
        if (s == null) return;
        try {
            synchronized (LOCK) {
                byte[] b = SCRATCH;
                int n = 0;
                for (int i = 0, len = s.length(); i < len; i++) {
                    char c = s.charAt(i);
                    b[n++] = (byte) (c < 0x80 ? c : '?');
                    if (n == b.length) {
                        write(b, n);
                        n = 0;
                    }
                }
                write(b, n);
            }
        } catch (Throwable ignored) {
            // nothing more can be done
        }
    }

    static void write(long v) {
        synchronized (LOCK) {
            byte[] b = SCRATCH;
            int n = 0;
            if (v < 0) {
                b[n++] = '-';
            } else {
                v = -v; // digits of a negative number: Long.MIN_VALUE has no positive counterpart
            }
            long div = 1;
            while (v / div <= -10) div *= 10;
            for (; div > 0; div /= 10) b[n++] = (byte) ('0' - (int) (v / div % 10));
            write(b, n);
        }
    }

    /** "ClassName: message" of t (what its name and message cost if not yet computed: maybe nothing). */
    static void write(Throwable t) {
        try {
            write(t.getClass().getName());
            String m = t.getMessage();
            if (m != null) {
                write(COLON);
                write(m);
            }
        } catch (Throwable ignored) {
            // nothing more can be done
        }
    }

    static void newline() {
        write(NEWLINE);
        flush();
    }

}
