package dev.gort.examples;

import dev.gort.Chan;
import dev.gort.Go;
import dev.gort.Goroutine;

/** Two goroutines exchange a counter over two unbuffered channels. */
public final class PingPong {
    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        Go.run(() -> {
            Chan<Integer> ping = Chan.make(), pong = Chan.make();
            Goroutine echo = Go.spawn(() -> {
                for (int v : ping) pong.send(v + 1);
            });
            long t0 = System.nanoTime();
            int v = 0;
            for (int i = 0; i < rounds; i++) {
                ping.send(v);
                v = pong.receive();
            }
            long ns = System.nanoTime() - t0;
            ping.close();
            echo.join();
            System.out.printf("%,d round trips, counter %,d, %.0f ns per round trip%n", rounds, v, (double) ns / rounds);
        });
    }
}
