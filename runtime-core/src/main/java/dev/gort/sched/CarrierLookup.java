package dev.gort.sched;

/**
 * Finds the carrier (M) of the calling thread in a method the JIT never inlines.
 *
 * <h2>Why not simply {@code Thread.currentThread()} where it is needed</h2>
 * HotSpot's compilers treat the current thread as constant for the whole of a compiled method:
 * its load is from "immutable memory", so it may be hoisted out of loops and reused across
 * calls. That is true of threads, but not of goroutines: a goroutine that yields in the middle of
 * a compiled loop can resume on another carrier, and the compiled loop would go on using the old
 * carrier, its M and its P (two Ms pushing into one P's run queue, which loses and duplicates
 * goroutines). The JDK avoids this for virtual threads with {@code @ChangesCurrentThread}, which
 * only works for JDK classes. Gort instead reads the thread only here, in a method that is never
 * inlined, so every call reads the thread it runs on.
 *
 * <p>The method is kept out of inlining by its bytecode size: it is larger than C2's
 * {@code FreqInlineSize} (325 bytes) and C1's {@code C1MaxInlineSize} (35), because of a block
 * that never runs ({@link #never} is always 0, but not a constant, so javac keeps the block).
 * {@code CarrierLookupTest} checks the size, so that a refactoring cannot quietly shrink it.
 *
 * <p>Code inside goroutines should likewise not keep {@code Thread.currentThread()} across a
 * call that may yield (any Gort call); see the {@code dev.gort.Go} documentation.
 */
final class CarrierLookup {
    /** Always 0; not final, so that the padding below is compiled but never executed. */
    static int never;

    private CarrierLookup() {}

    /** The M of the calling carrier thread, or null on any other thread. Never inlined (see above). */
    static M currentM() {
        if (never != 0) {
            int x = never;
            x = x * 31 + 3;
            x = x * 31 + 10;
            x = x * 31 + 17;
            x = x * 31 + 24;
            x = x * 31 + 31;
            x = x * 31 + 38;
            x = x * 31 + 45;
            x = x * 31 + 52;
            x = x * 31 + 59;
            x = x * 31 + 66;
            x = x * 31 + 73;
            x = x * 31 + 80;
            x = x * 31 + 87;
            x = x * 31 + 94;
            x = x * 31 + 101;
            x = x * 31 + 108;
            x = x * 31 + 115;
            x = x * 31 + 122;
            x = x * 31 + 129;
            x = x * 31 + 136;
            x = x * 31 + 143;
            x = x * 31 + 150;
            x = x * 31 + 157;
            x = x * 31 + 164;
            x = x * 31 + 171;
            x = x * 31 + 178;
            x = x * 31 + 185;
            x = x * 31 + 192;
            x = x * 31 + 199;
            x = x * 31 + 206;
            x = x * 31 + 213;
            x = x * 31 + 220;
            x = x * 31 + 227;
            x = x * 31 + 234;
            x = x * 31 + 241;
            x = x * 31 + 248;
            x = x * 31 + 255;
            x = x * 31 + 262;
            x = x * 31 + 269;
            x = x * 31 + 276;
            x = x * 31 + 283;
            x = x * 31 + 290;
            x = x * 31 + 297;
            x = x * 31 + 304;
            x = x * 31 + 311;
            x = x * 31 + 318;
            x = x * 31 + 325;
            x = x * 31 + 332;
            x = x * 31 + 339;
            x = x * 31 + 346;
            x = x * 31 + 353;
            x = x * 31 + 360;
            x = x * 31 + 367;
            x = x * 31 + 374;
            x = x * 31 + 381;
            x = x * 31 + 388;
            x = x * 31 + 395;
            x = x * 31 + 402;
            x = x * 31 + 409;
            x = x * 31 + 416;
            x = x * 31 + 423;
            x = x * 31 + 430;
            x = x * 31 + 437;
            x = x * 31 + 444;
            never = x;
        }
        return Thread.currentThread() instanceof M.CarrierThread c ? c.m : null;
    }

    /**
     * The calling thread's interrupt flag: read ({@code clear} false) or test-and-clear
     * ({@code clear} true, Thread.interrupted()), the mounted goroutine's (see
     * {@code G.interrupt()} and {@code Schedule.takeCarrierFlag}); never inlined for the same reason as
     * {@link #currentM()}: a goroutine must reach the carrier it runs on now, never one a compiled
     * caller read before a yield.
     */
    static boolean carrierInterrupted(boolean clear) {
        if (never != 0) {
            int x = never;
            x = x * 31 + 3;
            x = x * 31 + 10;
            x = x * 31 + 17;
            x = x * 31 + 24;
            x = x * 31 + 31;
            x = x * 31 + 38;
            x = x * 31 + 45;
            x = x * 31 + 52;
            x = x * 31 + 59;
            x = x * 31 + 66;
            x = x * 31 + 73;
            x = x * 31 + 80;
            x = x * 31 + 87;
            x = x * 31 + 94;
            x = x * 31 + 101;
            x = x * 31 + 108;
            x = x * 31 + 115;
            x = x * 31 + 122;
            x = x * 31 + 129;
            x = x * 31 + 136;
            x = x * 31 + 143;
            x = x * 31 + 150;
            x = x * 31 + 157;
            x = x * 31 + 164;
            x = x * 31 + 171;
            x = x * 31 + 178;
            x = x * 31 + 185;
            x = x * 31 + 192;
            x = x * 31 + 199;
            x = x * 31 + 206;
            x = x * 31 + 213;
            x = x * 31 + 220;
            x = x * 31 + 227;
            x = x * 31 + 234;
            x = x * 31 + 241;
            x = x * 31 + 248;
            x = x * 31 + 255;
            x = x * 31 + 262;
            x = x * 31 + 269;
            x = x * 31 + 276;
            x = x * 31 + 283;
            x = x * 31 + 290;
            x = x * 31 + 297;
            x = x * 31 + 304;
            x = x * 31 + 311;
            x = x * 31 + 318;
            x = x * 31 + 325;
            x = x * 31 + 332;
            x = x * 31 + 339;
            x = x * 31 + 346;
            x = x * 31 + 353;
            x = x * 31 + 360;
            x = x * 31 + 367;
            x = x * 31 + 374;
            x = x * 31 + 381;
            x = x * 31 + 388;
            x = x * 31 + 395;
            x = x * 31 + 402;
            x = x * 31 + 409;
            x = x * 31 + 416;
            x = x * 31 + 423;
            x = x * 31 + 430;
            x = x * 31 + 437;
            x = x * 31 + 444;
            never = x;
        }
        return clear ? Thread.interrupted() : Thread.currentThread().isInterrupted();
    }
}
