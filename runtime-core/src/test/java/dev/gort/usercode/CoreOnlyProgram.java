package dev.gort.usercode;

import dev.gort.Chan;
import dev.gort.Go;
import dev.gort.Select;
import dev.gort.sync.WaitGroup;
import java.time.Duration;

/**
 * A program that uses runtime-core alone, run in a child JVM by {@code MissingExportTest} and
 * {@code NoUnsafeWarningTest}, on the class path or with runtime-core on the module path (this
 * package is not one of the runtime's, so that the class loads from the class path either way).
 *
 * <p>It goes through every queue of the scheduler: enough goroutines at once to overflow a
 * processor's ring into the global queue, yields, channels and select, timers, a blocking call
 * and the dump. Prints {@code ok <module of dev.gort.Go>} and exits 0; exits 3 after printing the
 * message when the runtime cannot start.
 */
public final class CoreOnlyProgram {
    private CoreOnlyProgram() {}

    public static void main(String[] args) throws Exception {
        try {
            Go.run(CoreOnlyProgram::work);
        } catch (UnsupportedOperationException e) {
            System.out.println(e.getMessage());
            System.exit(3);
        }
        Module gort = Go.class.getModule();
        System.out.println("ok " + (gort.isNamed() ? gort.getName() : "unnamed"));
    }

    private static void work() {
        try {
            WaitGroup wg = new WaitGroup();
            int n = 10_000;
            wg.add(n);
            for (int i = 0; i < n; i++) {
                Go.spawn(() -> {
                    Go.yield();
                    wg.done();
                });
            }
            wg.await();

            Chan<Integer> ch = Chan.make();
            Chan<Integer> buffered = Chan.make(4);
            Go.spawn(() -> {
                try {
                    for (int i = 0; i < 100; i++) ch.send(i);
                    ch.close();
                } catch (InterruptedException e) {
                    throw new RuntimeException(e);
                }
            });
            int sum = 0;
            for (int v : ch) sum += v;
            buffered.send(sum);
            int[] got = new int[1];
            new Select().recv(buffered, v -> got[0] = v).run();
            if (got[0] != 4950) throw new AssertionError("sum " + got[0]);

            Go.sleep(Duration.ofMillis(20));
            Go.blocking(() -> {
                Thread.sleep(20);
                return null;
            });
            if (Go.dump().isEmpty() || Go.metrics().goroutines() < 1) throw new AssertionError("no goroutines seen");
        } catch (Exception e) {
            throw new RuntimeException(e);
        }
    }
}
