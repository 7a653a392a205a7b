package dev.gort.examples;

import dev.gort.Go;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The examples' launcher: {@code java -jar examples/target/examples.jar <example> [args]}
 * (the jar's manifest carries the JVM flags Gort needs).
 */
public final class Main {
    private interface Example {
        void run(String[] args) throws Exception;
    }

    private static final Map<String, Example> EXAMPLES = new LinkedHashMap<>();

    static {
        EXAMPLES.put("tour", Tour::main);
        EXAMPLES.put("sieve", Sieve::main);
        EXAMPLES.put("pingpong", PingPong::main);
        EXAMPLES.put("workers", WorkerPool::main);
        EXAMPLES.put("timeout", SelectTimeout::main);
        EXAMPLES.put("pipeline", Pipeline::main);
        EXAMPLES.put("executor", ExecutorDropIn::main);
        EXAMPLES.put("echo", EchoServer::main);
        EXAMPLES.put("http", HttpServer::main);
        EXAMPLES.put("idleconns", IdleClients::main);
        EXAMPLES.put("overload", Overload::main);
    }

    public static void main(String[] args) throws Exception {
        String name = args.length > 0 ? args[0] : "tour";
        Example e = EXAMPLES.get(name);
        if (e == null) {
            System.err.println("usage: java -jar examples.jar <example> [args]; examples: " + String.join(", ", EXAMPLES.keySet()));
            System.exit(name.equals("help") ? 0 : 2);
        }
        e.run(Arrays.copyOfRange(args, Math.min(1, args.length), args.length));
        // Every example ends its goroutines: the runtime stops, and its threads with it (so that
        // `mvn exec:java`, which waits for the threads a program leaves, ends at once).
        Go.shutdown();
    }
}
