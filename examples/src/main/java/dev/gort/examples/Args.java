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
}
