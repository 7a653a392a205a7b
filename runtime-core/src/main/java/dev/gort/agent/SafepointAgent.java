package dev.gort.agent;

import java.lang.instrument.Instrumentation;
import java.util.ArrayList;
import java.util.List;

/**
 * The safepoint agent: {@code -javaagent:runtime-core.jar} (or any Gort jar whose manifest names
 * this class as {@code Premain-Class}, such as {@code examples.jar} and {@code benchmarks.jar})
 * inserts a call to {@link dev.gort.Go#safepoint()} at every loop back-edge and at the entry of
 * every method of application classes as they are loaded, so that a goroutine spinning in a
 * plain loop with no runtime call is preempted at the end of its 10 ms time slice like any other
 * (docs/DESIGN.md, "sysmon and preemption"). Without it such a loop keeps its carrier and its
 * processor until it ends: a carrier that computes is not stuck (docs/DESIGN.md, "Stuck
 * carriers"), so sysmon lends no spare processor; JDK virtual threads
 * have no way to preempt it at all.
 *
 * <p>What it instruments ({@link SafepointTransformer}): classes defined by the application class
 * loader or its descendants (never the JDK's own, which the bootstrap and platform loaders
 * define), that can see this {@code dev.gort.Go}, except Gort's runtime packages and the
 * libraries the runtime runs on (a preemption inside the runtime's own lock-free queues would
 * stall the carriers that wait for the preempted operation to finish). A poll costs one read of
 * a static volatile field that is non-zero only while some goroutine has been asked to yield;
 * outside goroutines it does nothing. That read costs nothing measurable in a loop bound by
 * latency, but it stops C2 from vectorizing a loop (summing an array: 3-4x slower): leave such
 * kernels out with {@code exclude=}.
 *
 * <p>It also replaces the JDK's sleeps ({@code Thread.sleep}, {@code TimeUnit.sleep}) in those
 * classes with {@link Redirects}', which in a goroutine park it ({@link dev.gort.Go#sleep}) where
 * the JDK's would block its carrier: what a virtual thread's sleep does. Outside goroutines they
 * are the JDK's calls.
 *
 * <p>Options, comma-separated after {@code =}: {@code exclude=<prefix>[:<prefix>...]} more class
 * name prefixes to leave alone (dots or slashes, e.g. {@code exclude=com.acme.hot.}),
 * {@code only=<prefix>[:<prefix>...]} instrument only these, {@code entry=false} no polls at
 * method entries (loops only), {@code sleep=false} leave the JDK's sleeps alone, {@code verbose=true} one line per class that could not be
 * instrumented (such a class is loaded unchanged). Example:
 * {@code -javaagent:runtime-core.jar=only=com.acme.:org.example.,entry=false}.
 */
public final class SafepointAgent {
    private static volatile SafepointTransformer installed;

    private SafepointAgent() {}

    /** Entry point of {@code -javaagent:}. */
    public static void premain(String args, Instrumentation inst) {
        install(args, inst);
    }

    /** Entry point of {@code Launcher-Agent-Class} and of a dynamic attach. */
    public static void agentmain(String args, Instrumentation inst) {
        install(args, inst);
    }

    private static synchronized void install(String args, Instrumentation inst) {
        if (installed != null) return; // a second -javaagent of another Gort jar: one is enough
        SafepointTransformer t = parse(args);
        inst.addTransformer(t, false);
        installed = t;
    }

    /**
     * Parses the agent's options.
     *
     * @throws IllegalArgumentException naming the option that is not understood
     */
    static SafepointTransformer parse(String args) {
        List<String> exclude = new ArrayList<>(), only = new ArrayList<>();
        boolean entry = true, sleeps = true, verbose = false;
        if (args != null && !args.isBlank()) {
            for (String opt : args.split(",")) {
                int eq = opt.indexOf('=');
                String key = eq < 0 ? opt.trim() : opt.substring(0, eq).trim();
                String value = eq < 0 ? "" : opt.substring(eq + 1).trim();
                switch (key) {
                    case "exclude" -> exclude.addAll(prefixes(value));
                    case "only" -> only.addAll(prefixes(value));
                    case "entry" -> entry = bool(key, value);
                    case "sleep" -> sleeps = bool(key, value);
                    case "verbose" -> verbose = bool(key, value);
                    default -> throw new IllegalArgumentException(
                        "gort agent: unknown option '" + opt + "' (exclude=, only=, entry=, sleep=, verbose=)");
                }
            }
        }
        return new SafepointTransformer(exclude, only, entry, sleeps, verbose);
    }

    private static List<String> prefixes(String value) {
        List<String> out = new ArrayList<>();
        for (String p : value.split(":")) {
            if (!p.isBlank()) out.add(p.trim().replace('.', '/'));
        }
        return out;
    }

    private static boolean bool(String key, String value) {
        return switch (value) {
            case "true", "" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException("gort agent: " + key + " must be true or false: " + value);
        };
    }

    /** Whether the agent runs in this JVM. */
    public static boolean isInstalled() {
        return installed != null;
    }

    /** Classes instrumented so far (0 without the agent). */
    public static long instrumentedClasses() {
        SafepointTransformer t = installed;
        return t == null ? 0 : t.instrumented();
    }

    /** Classes the agent tried to instrument and loaded unchanged (an unresolvable type, ...). */
    public static long failedClasses() {
        SafepointTransformer t = installed;
        return t == null ? 0 : t.failed();
    }
}
