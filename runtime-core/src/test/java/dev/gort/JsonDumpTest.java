package dev.gort;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.Gson;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import dev.gort.sched.Scheduler;
import dev.gort.sync.WaitGroup;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Go.dump in JSON: parsed by a JSON library (strictly), in the shape of the JDK's
 * {@code jcmd Thread.dump_to_file -format=json}, listing every goroutine.
 */
class JsonDumpTest {

    /** Parses {@code json} strictly (RFC 8259), the whole text one value. */
    static JsonObject parse(String json) throws IOException {
        JsonReader reader = new JsonReader(new StringReader(json));
        reader.setStrictness(Strictness.STRICT);
        JsonElement root = new Gson().getAdapter(JsonElement.class).read(reader);
        assertEquals(JsonToken.END_DOCUMENT, reader.peek(), "one JSON value");
        return root.getAsJsonObject();
    }

    /** Every goroutine of the dump, by id: the goroutine's object with its container's name added as "container". */
    static Map<Long, JsonObject> goroutines(JsonObject dump) {
        Map<Long, JsonObject> byId = new HashMap<>();
        for (JsonElement c : dump.getAsJsonObject("threadDump").getAsJsonArray("threadContainers")) {
            JsonObject container = c.getAsJsonObject();
            int n = 0;
            for (JsonElement t : container.getAsJsonArray("threads")) {
                JsonObject g = t.getAsJsonObject().deepCopy();
                g.addProperty("container", container.get("container").getAsString());
                assertNull(byId.put(Long.parseLong(g.get("tid").getAsString()), g), "listed once: " + g);
                n++;
            }
            assertEquals(String.valueOf(n), container.get("threadCount").getAsString(), "threadCount of " + container.get("container"));
        }
        return byId;
    }

    private static void parkOn(Chan<Object> gate) {
        try {
            gate.receiveOrNull();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void theJsonParsesAndListsEveryGoroutine() throws Exception {
        Chan<Object> gate = Chan.make();
        List<Goroutine> parked = new ArrayList<>();
        for (int i = 0; i < 2_000; i++) parked.add(Go.spawn("json-" + i, () -> parkOn(gate)));
        GoTestSupport.awaitTrue("all parked", 30_000, () -> parked.stream().allMatch(g -> g.state() == Goroutine.State.WAITING));
        try {
            JsonObject dump = parse(Go.dumpJson());
            JsonObject top = dump.getAsJsonObject("threadDump");
            assertEquals(String.valueOf(ProcessHandle.current().pid()), top.get("processId").getAsString());
            assertEquals(Runtime.version().toString(), top.get("runtimeVersion").getAsString());
            java.time.Instant.parse(top.get("time").getAsString());
            assertTrue(top.get("schedtrace").getAsString().startsWith("SCHED "), top.toString().substring(0, 300));
            assertFalse(top.has("goroutinesNotListed"));
            JsonObject root = top.getAsJsonArray("threadContainers").get(0).getAsJsonObject();
            assertEquals("<root>", root.get("container").getAsString());
            assertTrue(root.get("parent").isJsonNull() && root.get("owner").isJsonNull(), root.toString().substring(0, 300));

            Map<Long, JsonObject> listed = goroutines(dump);
            for (Goroutine g : parked) {
                JsonObject o = listed.get(g.id());
                assertTrue(o != null, "goroutine " + g.id() + " listed");
                assertEquals(g.name(), o.get("name").getAsString());
                assertEquals("WAITING", o.get("state").getAsString());
                assertEquals("chan receive", o.get("waitReason").getAsString());
                assertTrue(o.get("waitMillis").getAsInt() >= 0, o.toString());
                assertEquals("<root>", o.get("container").getAsString());
                List<String> stack = o.getAsJsonArray("stack").asList().stream().map(JsonElement::getAsString).toList();
                assertTrue(stack.stream().anyMatch(f -> f.contains("JsonDumpTest.parkOn(JsonDumpTest.java:")), stack.toString());
            }
        } finally {
            gate.close();
            GoTestSupport.joinAllSucceeded(parked);
        }
    }

    /** Each Group is a container, under the group its owner is in, its owner the owning goroutine's id. */
    @Test
    void groupsAreContainersUnderTheirOwnersGroup() throws Exception {
        Chan<Object> gate = Chan.make();
        WaitGroup inner = new WaitGroup();
        inner.add(2);
        long[] ids = new long[2]; // the outer group's member that owns the inner group; an inner member
        WaitGroup ready = new WaitGroup();
        ready.add(1);
        Goroutine owner = Go.spawn("owner", () -> {
            try (Group outer = new Group()) {
                outer.go(() -> {
                    ids[0] = Go.current().id();
                    try (Group nested = new Group()) {
                        for (int i = 0; i < 2; i++) nested.go(() -> {
                            ids[1] = Go.current().id();
                            inner.done();
                            parkOn(gate);
                        });
                        ready.done();
                        nested.await();
                    }
                });
                outer.await();
            }
        });
        GoTestSupport.await(inner);
        GoTestSupport.await(ready);
        try {
            GoTestSupport.awaitTrue("members parked", 10_000, () -> {
                Map<Long, JsonObject> gs = goroutines(parseUnchecked(Go.dumpJson()));
                JsonObject m = gs.get(ids[1]);
                return m != null && "WAITING".equals(m.get("state").getAsString());
            });
            JsonObject dump = parse(Go.dumpJson());
            Map<String, JsonObject> containers = new HashMap<>();
            for (JsonElement c : dump.getAsJsonObject("threadDump").getAsJsonArray("threadContainers")) {
                containers.put(c.getAsJsonObject().get("container").getAsString(), c.getAsJsonObject());
            }
            Map<Long, JsonObject> gs = goroutines(dump);
            String innerName = gs.get(ids[1]).get("container").getAsString();
            String outerName = gs.get(ids[0]).get("container").getAsString();
            assertTrue(innerName.matches("group \\d+") && outerName.matches("group \\d+"), innerName + ", " + outerName);
            JsonObject innerGroup = containers.get(innerName);
            assertEquals(String.valueOf(ids[0]), innerGroup.get("owner").getAsString());
            assertEquals(outerName, innerGroup.get("parent").getAsString());
            assertEquals("2", innerGroup.get("threadCount").getAsString());
            JsonObject outerGroup = containers.get(outerName);
            assertEquals(String.valueOf(owner.id()), outerGroup.get("owner").getAsString());
            assertEquals("<root>", outerGroup.get("parent").getAsString(), "the owner is in no group");
            List<String> order = new ArrayList<>(containers.keySet());
            order.clear();
            for (JsonElement c : dump.getAsJsonObject("threadDump").getAsJsonArray("threadContainers")) {
                order.add(c.getAsJsonObject().get("container").getAsString());
            }
            assertTrue(order.indexOf(outerName) < order.indexOf(innerName), "a parent before its child: " + order);
        } finally {
            gate.close();
            owner.join();
        }
        assertNull(owner.failure());
    }

    private static JsonObject parseUnchecked(String json) {
        try {
            return parse(json);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** Names are the user's text: quotes, backslashes and control characters come back as they were. */
    @Test
    void namesAreEscaped() throws Exception {
        String name = "a \"quoted\" \\ name\twith\nlines\u0001 and ünïcode";
        WaitGroup gate = new WaitGroup();
        gate.add(1);
        Goroutine g = Go.spawn(name, () -> GoTestSupport.await(gate));
        GoTestSupport.awaitWaiting(g);
        try {
            assertEquals(name, goroutines(parse(Go.dumpJson())).get(g.id()).get("name").getAsString());
        } finally {
            gate.done();
            g.join();
        }
    }

    /**
     * The String form is bounded as Go.dump() is, and stays valid JSON: it stops listing past
     * the limit and counts the goroutines it left out; the streamed form lists them all.
     */
    @Test
    void theBoundedStringStaysValidJsonAndTheStreamListsAll() throws Exception {
        Chan<Object> gate = Chan.make();
        int n = 30_000; // a few hundred characters each: past Scheduler.DUMP_STRING_LIMIT
        WaitGroup started = new WaitGroup();
        started.add(n);
        List<Goroutine> parked = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            parked.add(Go.spawn(() -> {
                started.done();
                parkOn(gate);
            }));
        }
        Set<Long> ids = new HashSet<>();
        for (Goroutine g : parked) ids.add(g.id());
        started.await();
        GoTestSupport.awaitTrue("all parked", 30_000, () -> Go.metrics().globalRunQueue() == 0 && Go.metrics().localRunQueues() == 0);
        try {
            String bounded = Go.dumpJson();
            assertTrue(bounded.length() < Scheduler.DUMP_STRING_LIMIT + 100_000, bounded.length() + " characters");
            JsonObject dump = parse(bounded);
            long left = Long.parseLong(dump.getAsJsonObject("threadDump").get("goroutinesNotListed").getAsString());
            int listed = goroutines(dump).size();
            assertTrue(left > 0 && listed + left >= n, "listed " + listed + ", left out " + left);

            StringWriter out = new StringWriter();
            Go.dump(out, DumpFormat.JSON);
            JsonObject all = parse(out.toString());
            assertFalse(all.getAsJsonObject("threadDump").has("goroutinesNotListed"));
            assertTrue(goroutines(all).keySet().containsAll(ids), "the stream lists every goroutine");
            StringWriter text = new StringWriter();
            Go.dump(text, DumpFormat.TEXT);
            assertTrue(text.toString().startsWith("SCHED ") && !text.toString().contains("dump truncated"), "TEXT is Go.dump(Appendable)");
        } finally {
            gate.close();
            GoTestSupport.joinAllSucceeded(parked);
        }
        assertThrows(NullPointerException.class, () -> Go.dump(new StringWriter(), null));
        assertThrows(NullPointerException.class, () -> Go.dump(null, DumpFormat.JSON));
    }
}
