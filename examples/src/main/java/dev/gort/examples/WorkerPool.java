package dev.gort.examples;

import dev.gort.Chan;
import dev.gort.Go;
import dev.gort.sync.WaitGroup;
import java.time.Duration;

/** A pool of worker goroutines fed by a channel; a WaitGroup tells when they are done. */
public final class WorkerPool {
    public static void main(String[] args) {
        int workers = 8, jobs = 100;
        Go.run(() -> {
            Chan<Integer> work = Chan.make(16);
            Chan<String> results = Chan.make(jobs);
            WaitGroup wg = new WaitGroup();
            wg.add(workers);
            for (int w = 1; w <= workers; w++) {
                int id = w;
                Go.spawn(() -> {
                    try {
                        for (int job : work) {
                            Go.sleep(Duration.ofMillis(10)); // pretend to work: parks, does not block a thread
                            results.send("worker " + id + " did job " + job);
                        }
                    } finally {
                        wg.done();
                    }
                });
            }
            long t0 = System.nanoTime();
            for (int j = 0; j < jobs; j++) work.send(j);
            work.close();
            wg.await();
            results.close();
            int n = 0;
            String last = null;
            for (String r : results) {
                n++;
                last = r;
            }
            System.out.printf("%d jobs of 10 ms on %d workers in %d ms (last: %s)%n",
                n, workers, (System.nanoTime() - t0) / 1_000_000, last);
        });
    }
}
