package dev.gort.sched;

import dev.gort.Goroutine;
import dev.gort.internal.GoContinuation;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * What the scheduler tells about itself: the schedtrace line (Go's {@code GODEBUG=schedtrace}),
 * the metrics snapshot, the goroutine dump (Go's traceback of all goroutines) and the walk over
 * the goroutines that its JSON form ({@link JsonDump}) and the goroutine profile
 * ({@link GoroutineProfile}) share, and the uncaught-exception handler that reports a goroutine's
 * failure.
 *
 * <p>Nothing here is on a scheduling path, and nothing here changes scheduling state: it reads
 * the owners' counters (each racy on its own, so a line or snapshot is approximate while the
 * runtime runs) and takes only the scheduler lock for the two thread counts. The dump holds each
 * parked goroutine for the moment its stack is read (WAITING -> DUMPING -> WAITING, by CAS; a
 * waker waits it out: see {@code Scheduler.makeRunnable}).
 *
 * <p>Who writes what: {@link #uncaughtHandler} is set by Go.setUncaughtExceptionHandler (volatile;
 * read by each report); {@link #startNanos} is final.
 */
final class Diagnostics {
    private final Scheduler s;
    private final long startNanos = System.nanoTime();
    private volatile BiConsumer<Goroutine, Throwable> uncaughtHandler = Diagnostics::defaultUncaught;

    private static final byte[] UNCAUGHT = ErrorOut.bytes("gort: exception in goroutine ");
    private static final byte[] COLON = ErrorOut.bytes(": ");
    private static final byte[] HANDLER_FAILED = ErrorOut.bytes(" (the uncaught-exception handler failed: ");
    private static final byte[] CLOSE = ErrorOut.bytes(")");

    Diagnostics(Scheduler s) {
        this.s = s;
    }

    // =====================================================================================
    // Exceptions

    /**
     * Hands t to the uncaught-exception handler; never throws. If the handler fails (the heap
     * is full: the default handler's printing allocates), says what it can without allocating
     * (see {@link ErrorOut}): the goroutine's id, t's class and message, the handler's error.
     */
    void reportUncaught(G g, Throwable t) {
        try {
            uncaughtHandler.accept(g, t);
        } catch (Throwable e) {
            synchronized (ErrorOut.LOCK) {
                ErrorOut.write(UNCAUGHT);
                ErrorOut.write(g.id);
                ErrorOut.write(COLON);
                ErrorOut.write(t);
                ErrorOut.write(HANDLER_FAILED);
                ErrorOut.write(e);
                ErrorOut.write(CLOSE);
                ErrorOut.newline();
            }
        }
    }

    void setUncaughtExceptionHandler(BiConsumer<Goroutine, Throwable> handler) {
        uncaughtHandler = handler != null ? handler : Diagnostics::defaultUncaught;
    }

    private static void defaultUncaught(Goroutine g, Throwable t) {
        synchronized (System.err) {
            // No string concatenation: its first run bootstraps a call site, which fails when
            // the heap is full (reportUncaught then writes what it can).
            System.err.print("gort: exception in goroutine ");
            System.err.print(g.id());
            System.err.print(" \"");
            System.err.print(g.name());
            System.err.print("\": ");
            t.printStackTrace();
        }
    }

    // =====================================================================================
    // schedtrace and metrics

    long uptimeMillis() {
        return (System.nanoTime() - startNanos) / 1_000_000;
    }

    /** Go-style schedtrace line. */
    String schedtrace() {
        P[] ps = s.procs.allp();
        Idle idle = s.idle;
        StringBuilder sb = new StringBuilder();
        int threads, idleThreads;
        synchronized (idle.lock) {
            threads = idle.mcount;
            idleThreads = idle.nmidle;
        }
        sb.append("SCHED ").append(uptimeMillis()).append("ms: maxprocs=").append(s.procs.nprocs())
            .append(" idleprocs=").append(idle.npidle.get())
            .append(" threads=").append(threads)
            .append(" spinning=").append(idle.nmspinning.get())
            .append(" idlethreads=").append(idleThreads)
            .append(" runqueue=").append(s.global.size())
            .append(" [");
        for (int i = 0; i < ps.length; i++) {
            if (i > 0) sb.append(' ');
            sb.append(ps[i].steal.size());
        }
        sb.append(']');
        if (s.stats.on()) {
            SchedStats.appendDuration(sb.append(" schedlat p99="), s.stats.read(ps).latency().p99Nanos());
        } else {
            sb.append(" schedlat off");
        }
        if (s.netpoll != null) sb.append(" netpoll=").append(s.netpoll.name());
        if (s.hooks.length > 0) s.eachHook("schedtrace", h -> h.appendSchedtrace(sb));
        return sb.toString();
    }

    /**
     * With {@code -Dgort.scheddetail=true}, the lines that follow each schedtrace line: one per P,
     * then one per M, as Go's {@code GODEBUG=scheddetail=1} prints them ({@code schedtrace} in
     * Go's proc.go), with Go's fields adapted to what Gort has:
     * <pre>
     *   P0: status=running schedtick=1043 m=3 runqsize=2 timerslen=1
     *   P1: status=idle schedtick=88 m=nil runqsize=0 timerslen=0
     *   M3: p=0 curg=17 spinning=false blocked=false lockedg=nil thread=RUNNABLE
     *   M4: p=nil curg=nil spinning=false blocked=true lockedg=nil thread=WAITING
     * </pre>
     * P: {@code status} idle, running or dead (retired), and {@code stuck} when sysmon found its
     * carrier stuck and added a spare P; {@code schedtick} the goroutines it has run; {@code m}
     * the carrier that holds it; {@code runqsize} its ring plus runnext; {@code timerslen} its
     * timer heap's size. Go's {@code syscalltick} and {@code gfreecnt} have no counterpart (a
     * blocking call keeps its carrier and hands the P off without a per-P count; dead goroutines
     * are not pooled). M: {@code p} the P it holds; {@code curg} the goroutine mounted on it;
     * {@code spinning} looking for work; {@code blocked} its thread parked with no goroutine
     * mounted (asleep, waiting for work or a wake-up: Go's {@code m.blocked}); {@code lockedg} the
     * mounted goroutine when it is locked to the thread ({@code Go.lockOSThread}); {@code thread}
     * the carrier thread's {@link Thread.State} (Gort's addition: a carrier RUNNABLE in the JVM
     * may be blocked in the kernel, one WAITING with a goroutine mounted waits on a JDK lock).
     * Go's {@code mallocing}, {@code throwing}, {@code preemptoff}, {@code locks} and
     * {@code dying} are states of Go's own runtime code, which a JVM carrier does not have.
     * Go prints a line per G as well; here the goroutine dump has them.
     *
     * <p>Every field is read racily (no lock: the Ps' and Ms' plain fields may be stale, as Go's
     * are), so the lines are approximate while the runtime runs.
     */
    String schedDetail() {
        StringBuilder sb = new StringBuilder(128);
        for (P p : s.procs.allp()) {
            M m = p.m;
            sb.append("  P").append(p.id).append(": status=").append(switch (p.status) {
                case P.IDLE -> "idle";
                case P.RUNNING -> "running";
                case P.DEAD -> "dead";
                default -> String.valueOf(p.status);
            });
            if (p.stuck) sb.append(" stuck=true");
            sb.append(" schedtick=").append(p.schedtickOpaque()).append(" m=");
            if (m != null) sb.append(m.id); else sb.append("nil");
            sb.append(" runqsize=").append(p.steal.size())
                .append(" timerslen=").append(p.timers.size()) // read without its lock: may be stale
                .append('\n');
        }
        for (M m : s.idle.allm) {
            P p = m.p;
            G g = m.curgAcquire();
            Thread.State ts = m.thread.getState();
            if (ts == Thread.State.TERMINATED) continue; // a retired carrier that allm still lists
            sb.append("  M").append(m.id).append(": p=");
            if (p != null) sb.append(p.id); else sb.append("nil");
            sb.append(" curg=");
            if (g != null) sb.append(g.id); else sb.append("nil");
            sb.append(" spinning=").append(m.spinning)
                .append(" blocked=").append(g == null && (ts == Thread.State.WAITING || ts == Thread.State.TIMED_WAITING))
                .append(" lockedg=");
            if (g != null && g.locked()) sb.append(g.id); else sb.append("nil");
            sb.append(" thread=").append(ts).append('\n');
        }
        if (!sb.isEmpty()) sb.setLength(sb.length() - 1); // the caller ends the last line
        return sb.toString();
    }

    /** The first line of {@code -Dgort.schedtrace}: the configuration the runtime started with. */
    String schedtraceConfigLine() {
        return "SCHED config: " + s.config.describe();
    }

    dev.gort.Metrics metrics() {
        P[] ps = s.procs.allp();
        Idle idle = s.idle;
        int threads, idleThreads;
        synchronized (idle.lock) {
            threads = idle.mcount;
            idleThreads = idle.nmidle;
        }
        int local = 0;
        for (P p : ps) local += p.steal.size();
        Syscalls sys = s.syscalls;
        SchedStats.Snapshot st = s.stats.read(ps);
        return new dev.gort.Metrics(s.procs.nprocs(), ps.length, s.numGoroutine(), threads, idleThreads,
            idle.npidle.get(), idle.nmspinning.get(), s.global.size(), local, Preemption.preemptions.get(),
            s.procs.stuckRetakes.get(), sys.blockingCalls.get(), idle.carrierWakeups.get(),
            s.netpoll != null ? s.netpoll.name() : "none", s.polling.netpollReadied.get(),
            s.schedule.goroutineAllocated(), st.latency(), st.waits(), preemptionsByCause(), s.stats.steals(ps));
    }

    /** Preemptions by the cause of the request, every cause present ({@code Metrics.preemptionsByCause}). */
    private static java.util.Map<String, Long> preemptionsByCause() {
        java.util.Map<String, Long> m = new java.util.LinkedHashMap<>();
        for (int i = 0; i < Preemption.CAUSES.length; i++) {
            m.put(Preemption.CAUSES[i], Preemption.preemptionsByCause.get(i));
        }
        return java.util.Collections.unmodifiableMap(m);
    }

    // =====================================================================================
    // The dump

    /**
     * {@link #dump(Appendable)} into a String of at most about {@link Scheduler#DUMP_STRING_LIMIT}
     * characters (plus the last goroutine's entry and the truncation note).
     */
    String dump() {
        StringBuilder sb = new StringBuilder();
        try {
            dump(sb, Scheduler.DUMP_STRING_LIMIT);
        } catch (java.io.IOException e) {
            throw new AssertionError(e); // a StringBuilder does not throw
        }
        return sb.toString();
    }

    /**
     * Every live goroutine with its state, wait reason and time, and stack (Go's traceback of all
     * goroutines), written to {@code out} one goroutine at a time. Memory: a reference per
     * goroutine (to list them in id order) and one goroutine's text; the text is never built
     * whole. No scheduler lock is held while it runs: each parked goroutine is held only while its
     * stack is read (DUMPING, which a waker waits out), so goroutines go on running, parking and
     * waking meanwhile (the dump is not an atomic snapshot). Called on a goroutine, it is
     * preemptible between goroutines. Errors of {@code out} end the dump and are thrown.
     */
    void dump(Appendable out) throws java.io.IOException {
        java.util.Objects.requireNonNull(out, "out");
        dump(out, Long.MAX_VALUE);
    }

    /**
     * {@link #dumpJson(Appendable)} into a String: past about {@link Scheduler#DUMP_STRING_LIMIT}
     * characters it lists no further goroutine and ends the document with
     * {@code "goroutinesNotListed"} (it stays valid JSON).
     */
    String dumpJson() {
        StringBuilder sb = new StringBuilder();
        try {
            JsonDump.write(this, schedtrace(), sb, Scheduler.DUMP_STRING_LIMIT);
        } catch (java.io.IOException e) {
            throw new AssertionError(e); // a StringBuilder does not throw
        }
        return sb.toString();
    }

    /** The dump in JSON, every goroutine, streamed to {@code out} (see {@link JsonDump}). */
    void dumpJson(Appendable out) throws java.io.IOException {
        java.util.Objects.requireNonNull(out, "out");
        JsonDump.write(this, schedtrace(), out, Long.MAX_VALUE);
    }

    /** The goroutine profile into a String (see {@link GoroutineProfile}): one entry per group, never truncated. */
    String profile() {
        StringBuilder sb = new StringBuilder();
        try {
            GoroutineProfile.write(this, sb);
        } catch (java.io.IOException e) {
            throw new AssertionError(e); // a StringBuilder does not throw
        }
        return sb.toString();
    }

    /** The goroutine profile, streamed to {@code out} (see {@link GoroutineProfile}). */
    void profile(Appendable out) throws java.io.IOException {
        java.util.Objects.requireNonNull(out, "out");
        GoroutineProfile.write(this, out);
    }

    /** The dump; stops (with a note) before a goroutine that starts past {@code limit} characters written. */
    private void dump(Appendable out, long limit) throws java.io.IOException {
        G[] gs = goroutines();
        int n = gs.length;
        long now = s.coarseNanos();
        StringBuilder sb = new StringBuilder(256);
        sb.append(schedtrace()).append("\n");
        if (s.config.schedDetail()) sb.append(schedDetail()).append('\n');
        long earliest = s.timers.earliestTimer();
        sb.append("timers armed: ").append(s.timers.pendingTimers());
        if (earliest != Long.MAX_VALUE) sb.append(", next in ").append((earliest - System.nanoTime()) / 1_000_000).append(" ms");
        sb.append('\n');
        appendTopAllocators(sb, gs, n);
        appendGroupTree(sb, gs, n);
        if (s.hooks.length > 0) s.eachHook("dump", h -> h.appendDumpHeader(sb));
        int globalEntries = s.global.size();
        if (globalEntries > 0) {
            sb.append("(").append(globalEntries).append(" entries of the global run queue not listed)\n");
        }
        sb.append('\n');
        out.append(sb);
        long written = sb.length();
        boolean onGoroutine = Scheduler.currentG() != null;
        for (int i = 0; i < n; i++) {
            G g = gs[i];
            if (g.status() == G.DEAD) continue;
            if (written >= limit) {
                out.append("... dump truncated at ").append(String.valueOf(written)).append(" characters: ")
                    .append(String.valueOf(liveFrom(gs, i))).append(" more goroutines not listed; Go.dump(Appendable) lists them all\n");
                return;
            }
            gs[i] = null; // a goroutine that ends meanwhile need not stay reachable for the dump
            sb.setLength(0);
            appendGoroutine(sb, Seen.read(g, now));
            out.append(sb);
            written += sb.length();
            if (onGoroutine) Scheduler.safepoint(); // a long dump on a goroutine is preemptible
        }
    }

    /**
     * The walk that the dump, its JSON form ({@link JsonDump}) and the profile
     * ({@link GoroutineProfile}) share: every goroutine that may be alive, in id order. They are
     * the goroutines that parked at least once (the registry), plus those running and those
     * queued in the Ps' rings (few: at most a ring per P and one per carrier), without duplicates:
     * the few go in an identity set, the many are checked against it. Goroutines that had never
     * parked and sit in the global queue are not seen (the text dump counts those entries).
     * Memory: a reference per goroutine; the caller may null out each slot once it has read it,
     * so that a goroutine that ends meanwhile need not stay reachable. Some may be DEAD by the
     * time they are read: callers skip those.
     */
    G[] goroutines() {
        java.util.Set<G> few = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (M m : s.idle.allm) {
            G g = m.curgAcquire();
            if (g != null) few.add(g);
        }
        for (P p : s.procs.allp()) p.steal.snapshotInto(few);
        List<G> parked = s.registry.snapshot();
        G[] gs = new G[parked.size() + few.size()];
        int n = 0;
        for (G g : parked) if (!few.contains(g)) gs[n++] = g;
        parked = null; // the array holds them now: one list of references at a time
        for (G g : few) gs[n++] = g;
        few = null;
        Arrays.sort(gs, 0, n, (a, b) -> Long.compare(a.id, b.id));
        return n == gs.length ? gs : Arrays.copyOf(gs, n);
    }

    /** How many of {@code gs[from..]} are not DEAD: what a truncated dump says it left out. */
    static int liveFrom(G[] gs, int from) {
        int left = 0;
        for (int k = from; k < gs.length; k++) if (gs[k] != null && gs[k].status() != G.DEAD) left++;
        return left;
    }

    /** Now, in the clock of {@link G#statStamp}: for {@link Seen#read}. */
    long coarseNanos() {
        return s.coarseNanos();
    }

    /**
     * What the dump, its JSON form and the profile read of one goroutine, read once so that the
     * three forms agree: its stack first (a parked goroutine is held DUMPING meanwhile, see
     * {@link #stackOf}), then its state, its wait reason and how long it has waited (for WAITING),
     * and for a mounted one how its carrier waits unseen by the scheduler ({@link #carrierWait}).
     * The reads are racy with the goroutine itself (it may wake between them), so an entry is
     * approximate, as the dump is.
     *
     * @param carrier      the carrier's thread while the goroutine is RUNNING or in SYSCALL, else null
     * @param carrierWait  how that carrier waits (see {@link #carrierWait}), or null
     * @param reason       for WAITING, why; else null
     * @param waitedMillis for WAITING, how long so far; else 0
     */
    record Seen(G g, Goroutine.State state, WaitReason reason, int waitedMillis, Thread carrier,
                String carrierWait, StackTraceElement[] stack) {
        static Seen read(G g, long nowNanos) {
            M m = g.m;
            StackTraceElement[] stack = stackOf(g);
            int st = g.status();
            Goroutine.State state = g.state();
            WaitReason reason = null;
            int waited = 0;
            Thread carrier = null;
            String carrierWait = null;
            if (st == G.WAITING) {
                reason = g.waitReason();
                long since = g.statStamp; // racy, as the entry is: clamped below
                waited = (int) Math.min(Integer.MAX_VALUE, Math.max(0, (nowNanos - since) / 1_000_000));
            } else if ((st == G.RUNNING || st == G.SYSCALL) && m != null) {
                carrier = m.thread;
                carrierWait = Diagnostics.carrierWait(m, stack);
            }
            return new Seen(g, state, reason, waited, carrier, carrierWait, stack);
        }
    }

    /** How many goroutines the dump's header names as the top allocators. */
    static final int TOP_ALLOCATORS = 5;

    /**
     * With {@code gort.allocstats}: the runtime's total and the live goroutines of the dump
     * ({@code gs[0..n)}) that allocated most, in the header, one per line, most first:
     * <pre>
     * allocated by goroutines: 64.2 MiB (67350528 bytes) in all; most by
     *   goroutine 12 "parser": 64.0 MiB (67108864 bytes)
     *   goroutine 3: 231.0 KiB (236544 bytes)
     * </pre>
     * Counts as of each goroutine's last finished slice (see {@link G#allocatedBytes()}).
     * Nothing when the accounting is off. One pass, a small array: no allocation per goroutine.
     */
    private void appendTopAllocators(StringBuilder sb, G[] gs, int n) {
        long total = s.schedule.goroutineAllocated();
        if (total < 0) return;
        G[] top = new G[TOP_ALLOCATORS];
        long[] bytes = new long[TOP_ALLOCATORS];
        int k = 0;
        for (int i = 0; i < n; i++) {
            long b = gs[i].allocatedOpaque();
            if (b <= 0 || (k == TOP_ALLOCATORS && b <= bytes[k - 1])) continue;
            int j = k < TOP_ALLOCATORS ? k++ : k - 1; // the last slot is dropped when full
            while (j > 0 && bytes[j - 1] < b) {
                top[j] = top[j - 1];
                bytes[j] = bytes[j - 1];
                j--;
            }
            top[j] = gs[i];
            bytes[j] = b;
        }
        sb.append("allocated by goroutines: ");
        appendBytes(sb, total);
        sb.append(" in all");
        if (k > 0) sb.append("; most by");
        sb.append('\n');
        for (int i = 0; i < k; i++) {
            sb.append("  goroutine ").append(top[i].id);
            if (top[i].name() != null) sb.append(" \"").append(top[i].name()).append('"');
            sb.append(": ");
            appendBytes(sb, bytes[i]);
            sb.append('\n');
        }
    }

    /**
     * The tree of groups ({@code dev.gort.Group}) among the dump's goroutines {@code gs[0..n)},
     * in the header: each group under its owner (a goroutine or a platform thread), each member
     * under its group, so that a server's dump reads as requests and their fan-outs:
     * <pre>
     * groups:
     *   goroutine 1 "main"
     *     group 1
     *       goroutine 5 "request-17"
     *         group 2
     *           goroutine 9 "fetch"
     *           goroutine 10 "fetch"
     *       goroutine 6 "request-18"
     * </pre>
     * An owner that is itself a member of a listed group appears under that group; any other
     * owner (a platform thread, a goroutine in no group, one that ended) is a root. Nothing when
     * no goroutine is in a group. Memory: a map entry per group member and per group.
     */
    private static void appendGroupTree(StringBuilder sb, G[] gs, int n) {
        java.util.Map<G.Scope, List<G>> members = new java.util.HashMap<>();
        for (int i = 0; i < n; i++) {
            G.Scope scope = gs[i].scope();
            if (scope != null) members.computeIfAbsent(scope, k -> new ArrayList<>()).add(gs[i]);
        }
        if (members.isEmpty()) return;
        List<G.Scope> scopes = new ArrayList<>(members.keySet());
        scopes.sort((a, b) -> Long.compare(a.scopeId(), b.scopeId()));
        java.util.Map<Object, List<G.Scope>> owned = new java.util.HashMap<>(); // owner G or thread name -> its groups
        for (G.Scope scope : scopes) owned.computeIfAbsent(ownerKey(scope), k -> new ArrayList<>()).add(scope);
        sb.append("groups:\n");
        java.util.Set<Object> roots = new java.util.HashSet<>();
        for (G.Scope scope : scopes) {
            G owner = scope.scopeOwner();
            boolean nested = owner != null && owner.scope() != null && members.containsKey(owner.scope());
            Object key = ownerKey(scope);
            if (!nested && roots.add(key)) appendTreeNode(sb, key, owned, members, 1);
        }
    }

    private static Object ownerKey(G.Scope scope) {
        G owner = scope.scopeOwner();
        return owner != null ? owner : "thread \"" + scope.scopeOwnerThread() + '"';
    }

    /** One owner of the tree (a goroutine or a thread's text) at {@code depth}, with its groups and their members below. */
    private static void appendTreeNode(StringBuilder sb, Object node, java.util.Map<Object, List<G.Scope>> owned,
                                       java.util.Map<G.Scope, List<G>> members, int depth) {
        sb.repeat("  ", depth);
        if (node instanceof G g) {
            sb.append("goroutine ").append(g.id);
            String name = g.name();
            if (!name.equals("goroutine-" + g.id)) sb.append(" \"").append(name).append('"'); // a name given at spawn
            if (g.status() == G.DEAD) sb.append(" [dead]");
        } else {
            sb.append(node);
        }
        sb.append('\n');
        for (G.Scope scope : owned.getOrDefault(node, List.of())) {
            sb.repeat("  ", depth + 1).append("group ").append(scope.scopeId()).append('\n');
            for (G member : members.get(scope)) appendTreeNode(sb, member, owned, members, depth + 2);
        }
    }

    /** {@code 64.0 MiB (67108864 bytes)}: binary units, one decimal, then the exact count. */
    static void appendBytes(StringBuilder sb, long bytes) {
        String[] units = {"bytes", "KiB", "MiB", "GiB", "TiB"};
        int u = 0;
        double v = bytes;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        if (u == 0) {
            sb.append(bytes).append(" bytes");
            return;
        }
        long tenths = Math.round(v * 10);
        sb.append(tenths / 10).append('.').append(tenths % 10).append(' ').append(units[u])
            .append(" (").append(bytes).append(" bytes)");
    }

    /** One goroutine's entry of the dump (also a test bubble's deadlock report: {@link Bubble}). */
    static void appendGoroutine(StringBuilder sb, G g, long nowNanos) {
        appendGoroutine(sb, Seen.read(g, nowNanos));
    }

    private static void appendGoroutine(StringBuilder sb, Seen seen) {
        G g = seen.g();
        sb.append("goroutine ").append(g.id);
        if (g.name() != null) sb.append(" \"").append(g.name()).append('"');
        sb.append(" [").append(seen.state().name().toLowerCase());
        if (seen.reason() != null) {
            sb.append(", ").append(seen.reason());
            sb.append(", ").append(seen.waitedMillis()).append(" ms");
        } else if (seen.carrierWait() != null) {
            sb.append(", ").append(seen.carrierWait());
        }
        if (g.locked()) sb.append(", locked to thread");
        G.Scope scope = g.scope();
        if (scope != null) {
            G owner = scope.scopeOwner();
            sb.append(", group ").append(scope.scopeId()).append(" of ");
            if (owner != null) sb.append("goroutine ").append(owner.id); else sb.append("thread \"").append(scope.scopeOwnerThread()).append('"');
        }
        sb.append("]:\n");
        for (StackTraceElement e : seen.stack()) {
            sb.append("\t").append(e).append('\n');
        }
        sb.append('\n');
    }

    /**
     * For a mounted goroutine: how its carrier waits without the scheduler knowing (a JDK lock,
     * Thread.sleep, a class's initialization), or null when it runs. The JVM reports a thread
     * that waits for another thread to finish initializing a class as RUNNABLE, with no lock
     * and no frame of the wait (the stack ends at the frame that touched the class); what tells
     * it apart is the kernel: the thread sleeps while its top frame is Java code, not a native
     * method (a blocking native call also sleeps as RUNNABLE, with the native frame on top).
     * Where the kernel state cannot be read (not Linux), nothing is said for RUNNABLE.
     */
    private static String carrierWait(M m, StackTraceElement[] stack) {
        Thread.State ts = m.thread.getState();
        switch (ts) {
            case BLOCKED, WAITING, TIMED_WAITING -> {
                return "carrier " + ts.name().toLowerCase()
                    + (hasClinit(stack) ? ", in class initialization" : "");
            }
            case RUNNABLE -> {
                return waitsForClassInit(m, stack) ? "carrier blocked, waiting for a class's initialization" : null;
            }
            default -> {
                return null;
            }
        }
    }

    /**
     * Is the carrier m, whose stack is {@code stack}, waiting for another thread to finish
     * initializing a class (see {@link #carrierWait})? RUNNABLE to the JVM, asleep to the
     * kernel, with Java code, not a native method, on top. False where the kernel state cannot
     * be read (not Linux).
     */
    static boolean waitsForClassInit(M m, StackTraceElement[] stack) {
        if (m.thread.getState() != Thread.State.RUNNABLE) return false;
        if (stack.length > 0 && stack[0].isNativeMethod()) return false;
        char k = m.kernelState();
        if (k != 'S' && k != 'D') return false;
        // Read again: a thread caught in a brief VM-internal sleep (a safepoint, a GC
        // pause) would be runnable again, or at another frame, a moment later.
        Thread.onSpinWait();
        if (m.thread.getState() != Thread.State.RUNNABLE) return false;
        char k2 = m.kernelState();
        return k2 == 'S' || k2 == 'D';
    }

    private static boolean hasClinit(StackTraceElement[] stack) {
        for (StackTraceElement e : stack) if (e.getMethodName().equals("<clinit>")) return true;
        return false;
    }

    private static StackTraceElement[] stackOf(G g) {
        StackTraceElement[] raw;
        Thread t = g.blockedThread();
        M m = g.m;
        if (t != null) {
            raw = t.getStackTrace();
        } else if (g.casStatus(G.WAITING, G.DUMPING)) {
            try {
                raw = g.getStackTrace();
            } finally {
                g.setStatus(G.WAITING);
            }
        } else if (m != null && (g.status() == G.RUNNING || g.status() == G.SYSCALL)) {
            raw = m.thread.getStackTrace();
        } else {
            return new StackTraceElement[0];
        }
        List<StackTraceElement> out = new ArrayList<>();
        for (StackTraceElement e : raw) {
            if (e.getClassName().startsWith("jdk.internal.vm.Continuation") || e.getClassName().equals(GoContinuation.ENTRY_CLASS)) break;
            out.add(e);
        }
        return out.toArray(new StackTraceElement[0]);
    }
}
