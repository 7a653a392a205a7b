package dev.gort.examples;

import dev.gort.Chan;
import dev.gort.Context;
import dev.gort.Go;
import dev.gort.Select;
import java.time.Duration;

/**
 * A generate -> square -> print pipeline whose stages stop when its Context is cancelled (here:
 * by a timeout), the Go pattern for cancellation.
 */
public final class Pipeline {
    public static void main(String[] args) {
        Go.run(() -> {
            Context.Cancellable ctx = Context.withTimeout(Context.background(), Duration.ofMillis(200));
            try {
                Chan<Long> squares = square(ctx, generate(ctx));
                long count = 0, last = 0;
                for (long v : squares) {
                    count++;
                    last = v;
                }
                System.out.printf("pipeline stopped by \"%s\" after %,d squares (last %,d)%n", ctx.err().getMessage(), count, last);
            } finally {
                ctx.cancel();
            }
        });
    }

    private static Chan<Long> generate(Context ctx) {
        Chan<Long> out = Chan.make();
        Go.spawn(() -> {
            boolean[] stop = {false};
            try {
                for (long i = 1; !stop[0]; i++) {
                    new Select().send(out, i, () -> { }).recv(ctx.done(), x -> stop[0] = true).run();
                }
            } finally {
                out.close();
            }
        });
        return out;
    }

    private static Chan<Long> square(Context ctx, Chan<Long> in) {
        Chan<Long> out = Chan.make();
        Go.spawn(() -> {
            boolean[] stop = {false};
            try {
                for (long v : in) {
                    new Select().send(out, v * v, () -> { }).recv(ctx.done(), x -> stop[0] = true).run();
                    if (stop[0]) break;
                }
            } finally {
                out.close();
            }
        });
        return out;
    }
}
