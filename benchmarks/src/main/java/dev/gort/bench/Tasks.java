package dev.gort.bench;

import dev.gort.Go;
import dev.gort.Goroutine;

/**
 * Starting the workers of a repetition, with the anchors' failure rule ({@code H.vt} in
 * anchors/jvm): an exception that escapes a worker prints its stack trace and ends the process
 * with status 1 (a worker that dies would otherwise leave the driver waiting forever).
 */
final class Tasks {
    private Tasks() {}

    /** A worker body that may throw (channel operations throw InterruptedException). */
    @FunctionalInterface
    interface Task {
        void run() throws Exception;
    }

    /** A JDK virtual thread running task (the anchors' {@code H.vt}). */
    static Thread vt(Task task) {
        return Thread.ofVirtual().start(() -> {
            try {
                task.run();
            } catch (Throwable e) {
                die("virtual thread", e);
            }
        });
    }

    /** A Gort goroutine running task ({@link Go#spawn}). */
    static Goroutine go(Task task) {
        return Go.spawn(() -> {
            try {
                task.run();
            } catch (Throwable e) {
                die("goroutine", e);
            }
        });
    }

    private static void die(String what, Throwable e) {
        System.out.println("INFO a " + what + " failed: " + e);
        e.printStackTrace(System.out);
        System.out.flush();
        System.exit(1);
    }
}
