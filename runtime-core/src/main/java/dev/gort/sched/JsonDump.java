package dev.gort.sched;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

/**
 * The goroutine dump in JSON ({@code Go.dump(out, DumpFormat.JSON)}), in the shape of the JDK's
 * thread dump ({@code jcmd <pid> Thread.dump_to_file -format=json}, written by
 * {@code jdk.internal.vm.ThreadDumper}), so that tools that read JDK thread dumps read goroutine
 * dumps:
 * <pre>
 * {
 *   "threadDump": {
 *     "processId": "4242",
 *     "time": "2026-12-07T10:30:00.123Z",
 *     "runtimeVersion": "25.0.3+9-LTS",
 *     "schedtrace": "SCHED 5012ms: maxprocs=2 ...",
 *     "threadContainers": [
 *       {
 *         "container": "&lt;root&gt;",
 *         "parent": null,
 *         "owner": null,
 *         "threads": [
 *           {
 *             "tid": "7",
 *             "name": "request-17",
 *             "state": "WAITING",
 *             "waitReason": "chan receive",
 *             "waitMillis": 12,
 *             "stack": [
 *               "dev.gort.Chan.receive(Chan.java:210)",
 *               "com.example.Server.handle(Server.java:42)"
 *             ]
 *           }
 *         ],
 *         "threadCount": "1"
 *       },
 *       {
 *         "container": "group 2",
 *         "parent": "&lt;root&gt;",
 *         "owner": "7",
 *         "threads": [ ... ],
 *         "threadCount": "2"
 *       }
 *     ]
 *   }
 * }
 * </pre>
 *
 * <p>The mapping. A thread is a goroutine: {@code tid} its id, {@code name}, {@code state} its
 * {@code Goroutine.State}, {@code stack} its frames as the text dump writes them. A thread
 * container is a {@code dev.gort.Group} ({@code "group N"}), whose {@code owner} is the id of
 * the goroutine that owns it (null when a platform thread does: then {@code ownerThread} names
 * it) and whose {@code parent} is the group that owner is a member of, or {@code <root>};
 * goroutines in no group are in {@code <root>}, as the JDK's unowned threads are. Containers
 * come root first, then by group id, so a parent comes before its children (a group's owner was
 * spawned into its parent group before it made the group). As in the JDK's form, 64-bit numbers
 * ({@code tid}, {@code owner}, {@code threadCount}, {@code processId}) are strings (JSON readers
 * may hold numbers as doubles); {@code carrier} is the carrier thread's id while a goroutine is
 * mounted, as the JDK writes it for a mounted virtual thread. Keys of Gort's own, which readers
 * of the JDK's form ignore: {@code schedtrace} (the dump's first line), {@code waitReason} and
 * {@code waitMillis} (WAITING), {@code carrierState} (a mounted goroutine whose carrier waits
 * where the scheduler does not see it, as the text dump says), {@code lockedToThread},
 * {@code ownerThread}, and {@code goroutinesNotListed} (a bounded dump that stopped early: the
 * document stays valid JSON).
 *
 * <p>It reads the goroutines with the dump's walk and reading ({@link Diagnostics#goroutines()},
 * {@link Diagnostics.Seen}) and writes one goroutine at a time: no scheduler lock, each parked
 * goroutine held only while its stack is read, preemptible between goroutines when called on one.
 * Memory: a reference per goroutine (sorted by group), a map entry per group, one goroutine's
 * text.
 */
final class JsonDump {
    private JsonDump() {}

    private static final String ROOT = "<root>";

    /**
     * Writes the dump of {@code d}'s runtime to {@code out}; past {@code limit} characters it
     * lists no further goroutine, closes the document and says how many it left out. Errors of
     * {@code out} end the dump and are thrown.
     */
    static void write(Diagnostics d, String schedtrace, Appendable out, long limit) throws java.io.IOException {
        G[] gs = d.goroutines();
        long now = d.coarseNanos();
        // Goroutines by container: root (no group) first, then by group id, each by goroutine id.
        Arrays.sort(gs, (a, b) -> {
            int c = Long.compare(containerOrder(a), containerOrder(b));
            return c != 0 ? c : Long.compare(a.id, b.id);
        });
        Set<G.Scope> listed = new HashSet<>(); // the groups with a goroutine in the dump
        for (G g : gs) if (g.scope() != null) listed.add(g.scope());

        StringBuilder sb = new StringBuilder(512);
        sb.append("{\n  \"threadDump\": {\n");
        property(sb, 4, "processId", Long.toString(ProcessHandle.current().pid())).append(",\n");
        property(sb, 4, "time", java.time.Instant.now().toString()).append(",\n");
        property(sb, 4, "runtimeVersion", Runtime.version().toString()).append(",\n");
        property(sb, 4, "schedtrace", schedtrace).append(",\n");
        sb.append("    \"threadContainers\": [");
        out.append(sb);
        long written = sb.length();
        boolean onGoroutine = Scheduler.currentG() != null;
        G.Scope container = null;
        boolean open = false; // a container's "threads" array is open
        long count = 0; // goroutines listed in the open container
        int notListed = -1;
        for (int i = 0; i < gs.length; i++) {
            G g = gs[i];
            if (g.status() == G.DEAD) continue;
            if (written >= limit) {
                notListed = Diagnostics.liveFrom(gs, i);
                break;
            }
            gs[i] = null; // a goroutine that ends meanwhile need not stay reachable for the dump
            Diagnostics.Seen seen = Diagnostics.Seen.read(g, now);
            sb.setLength(0);
            G.Scope scope = g.scope();
            if (!open || scope != container) {
                if (open) closeContainer(sb, count).append(',');
                openContainer(sb, scope, listed);
                container = scope;
                open = true;
                count = 0;
            } else {
                sb.append(',');
            }
            appendGoroutine(sb, seen);
            count++;
            out.append(sb);
            written += sb.length();
            if (onGoroutine) Scheduler.safepoint(); // a long dump on a goroutine is preemptible
        }
        sb.setLength(0);
        if (open) closeContainer(sb, count);
        sb.append("\n    ]");
        if (notListed >= 0) sb.append(",\n    \"goroutinesNotListed\": \"").append(notListed).append('"');
        sb.append("\n  }\n}\n");
        out.append(sb);
    }

    /** Root before every group, groups by id: a parent before its children. */
    private static long containerOrder(G g) {
        G.Scope scope = g.scope();
        return scope != null ? scope.scopeId() : Long.MIN_VALUE;
    }

    private static void openContainer(StringBuilder sb, G.Scope scope, Set<G.Scope> listed) {
        sb.append("\n      {\n");
        if (scope == null) {
            property(sb, 8, "container", ROOT).append(",\n");
            sb.append("        \"parent\": null,\n        \"owner\": null,\n");
        } else {
            property(sb, 8, "container", "group " + scope.scopeId()).append(",\n");
            G owner = scope.scopeOwner();
            G.Scope parent = owner != null ? owner.scope() : null;
            property(sb, 8, "parent", parent != null && listed.contains(parent) ? "group " + parent.scopeId() : ROOT).append(",\n");
            if (owner != null) {
                property(sb, 8, "owner", Long.toString(owner.id)).append(",\n");
            } else {
                sb.append("        \"owner\": null,\n");
                property(sb, 8, "ownerThread", scope.scopeOwnerThread()).append(",\n");
            }
        }
        sb.append("        \"threads\": [");
    }

    private static StringBuilder closeContainer(StringBuilder sb, long count) {
        sb.append("\n        ],\n");
        property(sb, 8, "threadCount", Long.toString(count));
        return sb.append("\n      }");
    }

    /** One goroutine's object, after a newline, without a trailing comma. */
    private static void appendGoroutine(StringBuilder sb, Diagnostics.Seen seen) {
        G g = seen.g();
        sb.append("\n          {\n");
        property(sb, 12, "tid", Long.toString(g.id)).append(",\n");
        property(sb, 12, "name", g.name()).append(",\n");
        property(sb, 12, "state", seen.state().name()).append(",\n");
        if (seen.reason() != null) {
            property(sb, 12, "waitReason", seen.reason().toString()).append(",\n");
            sb.repeat(' ', 12).append("\"waitMillis\": ").append(seen.waitedMillis()).append(",\n");
        }
        if (seen.carrier() != null) property(sb, 12, "carrier", Long.toString(seen.carrier().threadId())).append(",\n");
        if (seen.carrierWait() != null) property(sb, 12, "carrierState", seen.carrierWait()).append(",\n");
        if (g.locked()) sb.repeat(' ', 12).append("\"lockedToThread\": true,\n");
        sb.repeat(' ', 12).append("\"stack\": [");
        StackTraceElement[] stack = seen.stack();
        for (int i = 0; i < stack.length; i++) {
            sb.append(i > 0 ? ",\n" : "\n").repeat(' ', 14);
            string(sb, stack[i].toString());
        }
        sb.append(stack.length > 0 ? "\n" + " ".repeat(12) + "]\n" : "]\n");
        sb.repeat(' ', 10).append('}');
    }

    /** {@code "name": "value"} at {@code indent}, value escaped (null: {@code null}). */
    private static StringBuilder property(StringBuilder sb, int indent, String name, String value) {
        sb.repeat(' ', indent).append('"').append(name).append("\": ");
        if (value == null) return sb.append("null");
        return string(sb, value);
    }

    /**
     * {@code s} as a JSON string (RFC 8259, section 7): quotes, backslash and the control
     * characters escaped; everything else as is (the writer's charset encodes it; the JDK's
     * dumper writes UTF-8, as {@code writeDump} does).
     */
    static StringBuilder string(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    if (c < 0x20) {
                        sb.append("\\u00").append(Character.forDigit(c >> 4, 16)).append(Character.forDigit(c & 0xf, 16));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"');
    }
}
