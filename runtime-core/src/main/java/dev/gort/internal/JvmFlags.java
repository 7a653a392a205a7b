package dev.gort.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The main class of runtime-core's jar: {@code java -jar runtime-core.jar --flags} prints the JVM
 * flags that Gort needs on the class path, one per line.
 *
 * <p>The flags come from {@code META-INF/gort/jvm.options}, a file in each Gort jar that needs
 * flags, in the format of a JDK {@code @argfile}: one flag per line, each a single token
 * ({@code --add-exports=java.base/jdk.internal.vm=ALL-UNNAMED}), so that
 * {@code java @jvm.options ...} works once the file is extracted, and so that a build tool that
 * takes a list of arguments can take the lines as they are. runtime-core's file has the
 * Continuation export; runtime-netpoll's has the full set for core and netpoll. This class prints
 * the union of every such file its class loader sees, in class-path order, each flag once: with
 * {@code -jar}, the core's; with {@code -cp runtime-core.jar:runtime-netpoll.jar}, the full set.
 *
 * <p>It touches nothing of the runtime (no {@code jdk.internal.vm}), so it runs without any of
 * the flags it prints.
 */
public final class JvmFlags {
    /** Where each Gort jar that needs JVM flags keeps them. */
    static final String RESOURCE = "META-INF/gort/jvm.options";

    /** Exit status for a command line this class does not understand. */
    static final int USAGE = 2;

    private static final String USAGE_TEXT = """
        usage: java -jar runtime-core.jar --flags
          --flags  print the JVM flags Gort needs on the class path, one per line
                   (the flags of every Gort jar on this class path; also in each jar's
                   META-INF/gort/jvm.options, a java @argfile)""";

    private JvmFlags() {}

    public static void main(String[] args) {
        int status = run(args, System.out, System.err);
        if (status != 0) {
            System.exit(status);
        }
    }

    /** The command line's work, with its streams given: the exit status it should end with. */
    static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 1 && args[0].equals("--flags")) {
            List<String> flags = flags(JvmFlags.class.getClassLoader());
            if (flags.isEmpty()) {
                err.println("gort: no " + RESOURCE + " on the class path");
                return 1;
            }
            flags.forEach(out::println);
            out.flush();
            return 0;
        }
        if (args.length == 1 && (args[0].equals("--help") || args[0].equals("-h"))) {
            out.println(USAGE_TEXT);
            return 0;
        }
        err.println(args.length == 0 ? USAGE_TEXT : "gort: unknown arguments " + String.join(" ", args) + "\n" + USAGE_TEXT);
        return USAGE;
    }

    /**
     * The flags of every {@value #RESOURCE} that {@code loader} finds, in its search order, each
     * once; blank lines and {@code #} comments (which an argfile allows) are left out.
     */
    static List<String> flags(ClassLoader loader) {
        try {
            Set<String> flags = new LinkedHashSet<>();
            for (URL url : Collections.list(loader.getResources(RESOURCE))) {
                try (InputStream in = url.openStream()) {
                    flags.addAll(parse(new String(in.readAllBytes(), StandardCharsets.UTF_8)));
                }
            }
            return List.copyOf(flags);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The flags of one file: its lines, trimmed, less blank lines and {@code #} comments. */
    static List<String> parse(String file) {
        List<String> flags = new ArrayList<>();
        for (String line : file.lines().map(String::strip).toList()) {
            if (!line.isEmpty() && !line.startsWith("#")) {
                flags.add(line);
            }
        }
        return flags;
    }
}
