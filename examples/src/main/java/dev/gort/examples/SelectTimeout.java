package dev.gort.examples;

import dev.gort.Chan;
import dev.gort.Go;
import dev.gort.Select;
import java.time.Duration;

/** A select that gives up after a timeout, and one that gets its answer first. */
public final class SelectTimeout {
    public static void main(String[] args) {
        Go.run(() -> {
            for (long work : new long[] {50, 5}) {
                Chan<String> answer = Chan.make(1);
                Go.spawn(() -> {
                    Go.sleep(Duration.ofMillis(work));
                    answer.send("done after " + work + " ms");
                });
                new Select()
                    .recv(answer, v -> System.out.println("got: " + v))
                    .after(Duration.ofMillis(20), () -> System.out.println("timed out after 20 ms waiting for " + work + " ms of work"))
                    .run();
            }
        });
    }
}
