package dev.gort;

import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.StressOptions;
import org.junit.jupiter.api.Test;

/**
 * Linearizability of Chan's non-blocking operations (Lincheck 3.x on platform threads; it
 * cannot model continuations, so the blocking, parking paths are covered by ChanTest). The
 * sequential specification is Chan itself, run sequentially.
 */
public class ChanLincheckTest {
    private final Chan<Integer> c = Chan.make(2);

    @Operation
    public boolean trySend(int v) {
        return c.trySend(v);
    }

    @Operation
    public Integer tryReceive() {
        return c.tryReceive();
    }

    @Operation
    public int len() {
        return c.len();
    }

    @Operation
    public void close() {
        c.close();
    }

    @Operation
    public boolean isClosed() {
        return c.isClosed();
    }

    @Test
    void modelChecking() {
        new ModelCheckingOptions().iterations(30).invocationsPerIteration(300).check(getClass());
    }

    @Test
    void stress() {
        new StressOptions().iterations(10).invocationsPerIteration(300).check(getClass());
    }
}
