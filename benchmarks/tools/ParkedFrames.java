import dev.gort.Chan;
import dev.gort.Go;

/**
 * The frames a goroutine parked in a channel receive keeps frozen (W5's park: a ring member
 * waiting for the token), counted from its stack in the goroutine dump. Warms the ring's path
 * first, so that the frames are the compiled ones of a measured run.
 *
 * <p>Run: {@code java --add-exports java.base/jdk.internal.vm=ALL-UNNAMED -cp
 * benchmarks/target/benchmarks.jar benchmarks/tools/ParkedFrames.java}
 */
public class ParkedFrames {
    public static void main(String[] args) throws Exception {
        Go.run(() -> {
            Chan<Integer> a = Chan.make(), b = Chan.make();
            Go.spawn(() -> {
                for (;;) {
                    int v = a.receive();
                    if (v < 0) return;
                    b.send(v);
                }
            });
            for (int i = 0; i < 2_000_000; i++) { // warm the hop (C2 compiles it)
                a.send(i);
                b.receive();
            }
            Go.sleep(java.time.Duration.ofMillis(50)); // the partner is parked in a.receive() now
            String dump = Go.dump();
            int start = dump.indexOf("chan receive");
            String block = start < 0 ? dump : dump.substring(dump.lastIndexOf("goroutine ", start), Math.min(dump.length(), dump.indexOf("\n\n", start) < 0 ? dump.length() : dump.indexOf("\n\n", start)));
            System.out.println(block);
            long frames = block.lines().filter(l -> l.startsWith("\t") || l.startsWith("    ") || l.contains("(")).count();
            System.out.println("FRAMES " + frames);
            a.send(-1);
        });
    }
}
