package dev.gort;

import java.util.AbstractList;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A JUnit extension that records what reaches the uncaught-exception handler during each test,
 * as "goroutine name: exception" lines (the list it is), and restores the default handler after:
 * {@code @RegisterExtension final UncaughtReports reports = new UncaughtReports();}.
 */
public final class UncaughtReports extends AbstractList<String> implements BeforeEachCallback, AfterEachCallback {
    private final List<String> lines = Collections.synchronizedList(new ArrayList<>());

    @Override
    public void beforeEach(ExtensionContext context) {
        lines.clear();
        Go.setUncaughtExceptionHandler((g, e) -> lines.add(g.name() + ": " + e));
    }

    @Override
    public void afterEach(ExtensionContext context) {
        Go.setUncaughtExceptionHandler(null);
    }

    @Override
    public String get(int index) {
        return lines.get(index);
    }

    @Override
    public int size() {
        return lines.size();
    }
}
