package dev.gort.examples;

import dev.gort.Distribution;
import dev.gort.Go;
import dev.gort.GoLocal;
import dev.gort.Goroutine;
import dev.gort.Metrics;
import dev.gort.sync.WaitGroup;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/** A short tour of goroutines: spawn, wait, yield, blocking calls, preemption, locals, the dump. */
public final class Tour {
    public static void main(String[] args) {
        Go.run(Tour::tour);
    }

    private static void tour() throws Exception {
        System.out.printf("Gort: %d processors (GOMAXPROCS), running in goroutine %d%n%n", Go.maxProcs(), Go.current().id());

        // 1. Goroutines are cheap: start a million and wait for them with a WaitGroup.
        //    Twice: the first round includes the JIT compiling the runtime.
        int n = 1_000_000;
        for (String round : new String[] {"first (cold)", "second (warm)"}) {
            AtomicLong sum = new AtomicLong();
            WaitGroup wg = new WaitGroup();
            wg.add(n);
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                long v = i;
                Go.spawn(() -> {
                    sum.addAndGet(v);
                    wg.done();
                });
            }
            wg.await();
            long ns = System.nanoTime() - t0;
            System.out.printf("1. %s round: %,d goroutines spawned and finished in %d ms (%.0f ns each); sum = %,d%n",
                round, n, ns / 1_000_000, (double) ns / n, sum.get());
        }

        // 2. Go.yield lets the other goroutines of this processor run (one processor, for now).
        int procs = Go.setMaxProcs(1);
        StringBuilder trace = new StringBuilder();
        WaitGroup two = new WaitGroup();
        two.add(2);
        for (String name : new String[] {"ping", "pong"}) {
            Go.spawn(() -> {
                for (int i = 0; i < 3; i++) {
                    synchronized (trace) {
                        trace.append(name).append(' ');
                    }
                    Go.yield();
                }
                two.done();
            });
        }
        two.await();
        Go.setMaxProcs(procs);
        System.out.println("2. on one processor, two goroutines yielding to each other: " + trace.toString().trim());

        // 3. A blocking call lends the processor to other goroutines while it waits.
        Goroutine sleeper = Go.spawn("sleeper", () -> Go.blocking(() -> {
            Thread.sleep(200);
            return null;
        }));
        AtomicLong others = new AtomicLong();
        WaitGroup many = new WaitGroup();
        many.add(10_000);
        for (int i = 0; i < 10_000; i++) {
            Go.spawn(() -> {
                others.incrementAndGet();
                many.done();
            });
        }
        many.await();
        System.out.printf("3. while \"sleeper\" sits in Go.blocking (state %s), %,d other goroutines ran%n",
            sleeper.state(), others.get());
        sleeper.join();

        // 4. A goroutine in a long loop is preempted at its safepoints after a 10 ms time slice.
        AtomicBoolean stop = new AtomicBoolean();
        long before = Go.metrics().preemptions();
        WaitGroup spinners = new WaitGroup();
        int count = Go.maxProcs() + 1;
        spinners.add(count);
        for (int i = 0; i < count; i++) {
            Go.spawn(() -> {
                long deadline = System.nanoTime() + 100_000_000L;
                while (!stop.get() && System.nanoTime() < deadline) Go.safepoint();
                spinners.done();
            });
        }
        spinners.await();
        System.out.printf("4. %d goroutines spinning 100 ms on %d processors: %d preemptions%n",
            count, Go.maxProcs(), Go.metrics().preemptions() - before);
        // ... and, with the safepoint agent (-javaagent:examples.jar, as demo.sh runs the tour),
        // so is a loop with no runtime call at all: the agent polls at its back-edge.
        before = Go.metrics().preemptions();
        spinners.add(count);
        for (int i = 0; i < count; i++) {
            Go.spawn(() -> {
                long deadline = System.nanoTime() + 100_000_000L;
                while (System.nanoTime() < deadline) {
                    // nothing: no Go.safepoint()
                }
                spinners.done();
            });
        }
        spinners.await();
        System.out.printf("   the same with plain loops (no Go.safepoint()): %d preemptions (safepoint agent %s)%n",
            Go.metrics().preemptions() - before,
            dev.gort.agent.SafepointAgent.isInstalled() ? "on" : "off: add -javaagent:examples/target/examples.jar");

        // 5. Goroutine-local values: ThreadLocals would be shared by every goroutine of a carrier.
        GoLocal<String> who = new GoLocal<>();
        WaitGroup locals = new WaitGroup();
        locals.add(2);
        StringBuilder seen = new StringBuilder();
        for (String name : new String[] {"alice", "bob"}) {
            Go.spawn(() -> {
                who.set(name);
                Go.yield();
                synchronized (seen) {
                    seen.append(name).append(" sees ").append(who.get()).append("; ");
                }
                locals.done();
            });
        }
        locals.await();
        System.out.println("5. GoLocal: " + seen.toString().trim());

        // 6. The dump shows every goroutine, like a Go traceback.
        WaitGroup gate = new WaitGroup();
        gate.add(1);
        Goroutine parked = Go.spawn("parked-on-gate", gate::await);
        while (parked.state() != Goroutine.State.WAITING) Go.yield();
        String dump = Go.dump();
        int at = dump.indexOf("goroutine " + parked.id() + " ");
        int end = at;
        for (int lines = 0; lines < 6 && end >= 0; lines++) end = dump.indexOf('\n', end + 1);
        System.out.println("6. from Go.dump():\n   " + dump.substring(at, end).replace("\n", "\n   "));
        gate.done();
        parked.join();

        Metrics m = Go.metrics();
        Distribution lat = m.schedulingLatency(); // sampled: one goroutine cycle in 64
        System.out.printf("%n7. Go.metrics(): %d goroutines, %d carrier threads, %d preemptions %s, %d steals,"
                + " netpoller=%s;%n   scheduling latency (%d cycles sampled) p50 %.1f us, p99 %.1f us, max %.1f ms%n",
            m.goroutines(), m.threads(), m.preemptions(), m.preemptionsByCause(), m.steals(), m.netpoller(),
            lat.count(), lat.p50Nanos() / 1e3, lat.p99Nanos() / 1e3, lat.maxNanos() / 1e6);
    }
}
