package dev.orchestrator.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.orchestrator.core.Json;
import dev.orchestrator.core.MapState;
import dev.orchestrator.core.State;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * A map stage's decisions, without I/O (the executor reads and writes). From the header's counters alone
 * ({@link MapState}: total, released, ended per plugin, failed) it decides, in this order: resolve the list first;
 * end Error once the failures exceed the tolerance; end Complete when every element was released and every listed
 * plugin's execution of it ended; release the next wave (elements {@code released..to-1}, never more than
 * {@code maxConcurrency} in flight for any plugin, at most {@link #RELEASE_BATCH} per step); or wait. Nothing it
 * reads grows with the elements, so a map of 10,000 costs per element what a map of 10 does.
 */
final class MapPlan {

    private MapPlan() {
    }

    /** At most this many elements are published in one engine step (one BatchGetItem of their items). */
    static final int RELEASE_BATCH = 100;

    sealed interface Next {
    }

    /** The list is not resolved yet: resolve and store it. */
    record Resolve() implements Next {
    }

    /** Publish elements {@code from..to-1}. */
    record Release(int from, int to) implements Next {
    }

    /** Every element ended (or the tolerance is exceeded): collect the results and end the stage. */
    record Finish(State state, String message) implements Next {
    }

    record Wait(String reason) implements Next {
    }

    /** {@code plugins}: the names the stage lists (each runs once per element). */
    static Next next(MapState m, Collection<String> plugins) {
        if (m.total() == null) {
            return new Resolve();
        }
        int total = m.total();
        int tolerated = m.spec().tolerated(total);
        if (m.failed() > tolerated) {
            return new Finish(State.ERROR, "map: " + m.failed() + " of " + total + " elements failed, over the tolerance of "
                    + tolerated + " (" + m.spec().toleranceField() + ")");
        }
        int minEnded = minEnded(m, plugins);
        if (m.released() >= total && minEnded >= total) {
            return new Finish(State.COMPLETE, "map: " + total + " elements, " + m.failed() + " failed (tolerated "
                    + tolerated + ")");
        }
        int to = Math.min(total, Math.min(minEnded + m.spec().maxConcurrency(), m.released() + RELEASE_BATCH));
        if (to > m.released()) {
            return new Release(m.released(), to);
        }
        return new Wait("map of " + total + " elements: " + (m.released() - minEnded) + " in flight (maxConcurrency "
                + m.spec().maxConcurrency() + "), " + m.released() + " released");
    }

    /** The fewest ended executions of any listed plugin: what bounds the next release. */
    static int minEnded(MapState m, Collection<String> plugins) {
        if (plugins.isEmpty()) {
            return m.total() == null ? 0 : m.total();
        }
        int min = Integer.MAX_VALUE;
        for (String p : plugins) {
            min = Math.min(min, m.ended().getOrDefault(p, 0));
        }
        return min;
    }

    /**
     * When a map that made no progress (no element counted, none released) since {@code progressAt} is stuck: an
     * element whose plugin never claimed or died without reporting. {@code limitMs}: the run's start plus
     * execution timeouts. Null when no deadline applies (not resolved, or nothing in flight).
     */
    static Long stalledAt(MapState m, long limitMs) {
        if (m.total() == null || m.progressAt() == null) {
            return null;
        }
        return m.progressAt() + limitMs;
    }

    /** One element execution as read back: its state, its output as it travels (or null), its message. */
    record Element(State state, JsonNode output, String message) {
    }

    /**
     * A plugin's output for the whole map: {@code results[i]} is element i's output object ({@code {"outputRef":..}}
     * when the plugin stored it in the payload bucket), or null when it failed or left none; {@code failed} counts
     * the failed elements and {@code errors} says which and why (in index order). Elements never read (a map that
     * ended early) are null in {@code results} and listed in neither.
     */
    static ObjectNode collect(int total, Map<Integer, Element> elements) {
        ObjectNode out = Json.object();
        ArrayNode results = out.putArray("results");
        ArrayNode errors = Json.array();
        int failed = 0;
        for (int i = 0; i < total; i++) {
            Element e = elements.get(i);
            if (e != null && e.state() == State.COMPLETE && e.output() != null) {
                JsonNode wire = e.output();
                results.add(wire.has(dev.orchestrator.core.Outputs.OUTPUT) ? wire.get(dev.orchestrator.core.Outputs.OUTPUT) : wire);
            } else {
                results.add(NullNode.getInstance());
            }
            if (e != null && e.state() == State.ERROR) {
                failed++;
                ObjectNode err = errors.addObject();
                err.put("index", i);
                if (e.message() != null) {
                    err.put("message", e.message());
                }
            }
        }
        out.put("failed", failed);
        out.set("errors", errors);
        return out;
    }

    /** The first failures of a plugin's collected output, for its message: "first: element 4: boom". */
    static String firstErrors(ObjectNode collected, int max) {
        List<String> parts = new java.util.ArrayList<>();
        for (JsonNode e : collected.path("errors")) {
            if (parts.size() == max) {
                break;
            }
            parts.add("element " + e.path("index").asInt() + (e.has("message") ? ": " + e.get("message").asText() : ""));
        }
        return String.join("; ", parts);
    }
}
