package dev.gort.examples;

/** Tiny option parsing for the examples: {@code --name value}. */
final class Args {
    private Args() {}

    static int intOption(String[] args, String name, int def) {
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals(name)) {
                if (i + 1 == args.length) throw new IllegalArgumentException(name + " needs a value");
                try {
                    return Integer.parseInt(args[i + 1]);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(name + " must be a number, got \"" + args[i + 1] + "\"");
                }
            }
        }
        return def;
    }

    /** A string option: {@code --name value}. */
    static String stringOption(String[] args, String name, String def) {
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals(name)) {
                if (i + 1 == args.length) throw new IllegalArgumentException(name + " needs a value");
                return args[i + 1];
            }
        }
        return def;
    }

    /** Whether the flag {@code name} (an option without a value) is present. */
    static boolean flag(String[] args, String name) {
        for (String a : args) {
            if (a.equals(name)) return true;
        }
        return false;
    }

    /**
     * A duration option: {@code 500ms}, {@code 30s}, {@code 2m}, or {@code 0} for none (then
     * {@link java.time.Duration#ZERO}).
     */
    static java.time.Duration durationOption(String[] args, String name, java.time.Duration def) {
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals(name)) {
                if (i + 1 == args.length) throw new IllegalArgumentException(name + " needs a value");
                String v = args[i + 1];
                try {
                    if (v.equals("0")) return java.time.Duration.ZERO;
                    if (v.endsWith("ms")) return java.time.Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
                    if (v.endsWith("s")) return java.time.Duration.ofSeconds(Long.parseLong(v.substring(0, v.length() - 1)));
                    if (v.endsWith("m")) return java.time.Duration.ofMinutes(Long.parseLong(v.substring(0, v.length() - 1)));
                } catch (NumberFormatException e) {
                    // below
                }
                throw new IllegalArgumentException(name + " must be a duration such as 500ms, 30s or 2m (0: none), got \"" + v + "\"");
            }
        }
        return def;
    }
}
