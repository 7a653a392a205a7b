package dev.gort.usercode;

import dev.gort.GoExecutorService;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A fixed-size executor's usual load: tasks that block in JDK calls Gort is not told about
 * ({@code Thread.sleep}, a blocking {@link Socket} read, a JDBC query to a database server over
 * TCP). Each fan-out runs {@code rounds * n} tasks on {@code new GoExecutorService(n)} and
 * returns the most tasks that were inside their blocking call at once: {@code n} for
 * {@code Executors.newFixedThreadPool(n)}, and for Gort when it hands a blocked carrier's
 * processor on. Each call blocks {@link #BLOCK_MS}, less than a time slice twice over, so a
 * runtime that only noticed carriers stuck for a time slice or more would run {@code maxProcs}
 * of them at once.
 *
 * <p>In usercode so that the safepoint agent instruments it (and H2's classes) when a child JVM
 * runs {@link #main} with {@code -javaagent}; the agent turns {@code Thread.sleep} into a park,
 * so the sleep fan-out is then the agent's, and the socket and JDBC ones still block carriers.
 */
public final class BlockingFanOut {
    /** How long each call blocks. */
    public static final int BLOCK_MS = 20;

    private BlockingFanOut() {}

    /** A blocking call made by one task; {@code slot} is the task's resource, one of n. */
    @FunctionalInterface
    interface Call<R> {
        void run(R slot) throws Exception;
    }

    /**
     * Runs {@code rounds * n} tasks on {@code new GoExecutorService(n)}, each taking one of the
     * {@code slots} (there are n, and never more than n tasks run), making its call and giving
     * the slot back. @return the peak number of tasks inside their call at once
     */
    static <R> int peak(int n, int rounds, List<R> slots, Call<R> call) throws Exception {
        ConcurrentLinkedQueue<R> free = new ConcurrentLinkedQueue<>(slots);
        AtomicInteger inCall = new AtomicInteger();
        AtomicInteger peak = new AtomicInteger();
        try (GoExecutorService exec = new GoExecutorService(n)) {
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < rounds * n; i++) {
                done.add(exec.submit(() -> {
                    R slot = free.poll();
                    if (slot == null) throw new IllegalStateException("more than " + n + " tasks at once");
                    try {
                        peak.accumulateAndGet(inCall.incrementAndGet(), Math::max);
                        call.run(slot);
                    } finally {
                        inCall.decrementAndGet();
                        free.add(slot);
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) f.get();
        }
        return peak.get();
    }

    /** Tasks that call {@code Thread.sleep}. */
    public static int sleepPeak(int n, int rounds) throws Exception {
        List<Integer> slots = new ArrayList<>();
        for (int i = 0; i < n; i++) slots.add(i);
        return peak(n, rounds, slots, slot -> Thread.sleep(BLOCK_MS));
    }

    /**
     * Tasks that send a byte on a {@link Socket} and block in its read until a slow local server
     * (platform threads) answers {@link #BLOCK_MS} later.
     */
    public static int socketPeak(int n, int rounds) throws Exception {
        try (ServerSocket server = new ServerSocket(0, n, InetAddress.getLoopbackAddress())) {
            Thread acceptor = Thread.ofPlatform().daemon().name("slow-server").start(() -> serveSlowly(server));
            List<Socket> clients = new ArrayList<>();
            try {
                for (int i = 0; i < n; i++) {
                    clients.add(new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort()));
                }
                return peak(n, rounds, clients, s -> {
                    OutputStream out = s.getOutputStream();
                    out.write(1);
                    out.flush();
                    if (s.getInputStream().read() != 1) throw new IOException("the slow server hung up");
                });
            } finally {
                for (Socket s : clients) s.close();
                server.close();
                acceptor.join();
            }
        }
    }

    /** Each connection: read a byte, sleep BLOCK_MS, write it back; until the client closes. */
    private static void serveSlowly(ServerSocket server) {
        try {
            for (;;) {
                Socket s = server.accept();
                Thread.ofPlatform().daemon().start(() -> {
                    try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
                        int b;
                        while ((b = in.read()) >= 0) {
                            Thread.sleep(BLOCK_MS);
                            out.write(b);
                            out.flush();
                        }
                    } catch (IOException | InterruptedException e) {
                        // the client closed: this connection is done
                    }
                });
            }
        } catch (IOException closed) {
            // the fan-out is over
        }
    }

    /**
     * Tasks that run a query on an H2 database served over TCP by an H2 server in this JVM (its
     * own platform threads); the query calls {@link #serverSleep}, so the client's JDBC call
     * blocks in its socket read for {@link #BLOCK_MS}.
     */
    public static int jdbcPeak(int n, int rounds) throws Exception {
        org.h2.tools.Server server = org.h2.tools.Server.createTcpServer("-tcpPort", "0", "-ifNotExists").start();
        List<Connection> conns = new ArrayList<>();
        try {
            String url = "jdbc:h2:tcp://localhost:" + server.getPort() + "/mem:fanout;DB_CLOSE_DELAY=-1";
            for (int i = 0; i < n; i++) conns.add(DriverManager.getConnection(url, "sa", ""));
            try (Statement st = conns.get(0).createStatement()) {
                st.execute("CREATE ALIAS IF NOT EXISTS SLOW_ANSWER FOR '" + BlockingFanOut.class.getName() + ".serverSleep'");
            }
            return peak(n, rounds, conns, c -> {
                try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("CALL SLOW_ANSWER(" + BLOCK_MS + ")")) {
                    if (!rs.next() || rs.getInt(1) != BLOCK_MS) throw new IllegalStateException("unexpected answer");
                }
            });
        } finally {
            for (Connection c : conns) c.close();
            server.stop();
        }
    }

    /** The database function the JDBC fan-out calls (runs on the H2 server's thread). */
    public static int serverSleep(int ms) throws InterruptedException {
        Thread.sleep(ms);
        return ms;
    }

    /** For a child JVM (with or without the agent): prints each fan-out's peak for n tasks at once ({@code -Dfanout.n}). */
    public static void main(String[] args) throws Exception {
        int n = Integer.getInteger("fanout.n", 8);
        System.out.println("n=" + n + " sleep=" + sleepPeak(n, 3) + " socket=" + socketPeak(n, 3) + " jdbc=" + jdbcPeak(n, 3));
        System.exit(0);
    }
}
