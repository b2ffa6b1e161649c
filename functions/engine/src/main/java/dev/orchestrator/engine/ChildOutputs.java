package dev.orchestrator.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.orchestrator.core.Json;
import dev.orchestrator.core.Outputs;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A finished child run's outputs as its parent plugin's output, without I/O (the executor reads the references):
 * the child's run outputs as its {@code Workflow Completed} event has them ({@code [activity][plugin]}, each
 * {@code {"output":..}} or {@code {"outputRef":..}}) become one plain document {@code {activity: {plugin: output}}},
 * the shape {@code orchestrator output} prints. References are resolved rather than kept: a downstream plugin reads
 * payload objects only through links the engine mints for its inputs' top-level references, so a reference nested
 * inside another output would reach it unreadable.
 */
final class ChildOutputs {

    private ChildOutputs() {
    }

    /** The references among a child's outputs by {@code Activity.plugin}, which the executor reads before {@link #unwrap}. */
    static Map<String, Outputs.Ref> references(ObjectNode wire) {
        Map<String, Outputs.Ref> out = new LinkedHashMap<>();
        wire.fields().forEachRemaining(a -> a.getValue().fields().forEachRemaining(p -> {
            JsonNode ref = p.getValue().get(Outputs.OUTPUT_REF);
            if (ref != null) {
                String name = a.getKey() + "." + p.getKey();
                out.put(name, Outputs.Ref.fromJson(ref, name));
            }
        }));
        return out;
    }

    /**
     * The document's size before anything is read: inline outputs as they are, references by their recorded size,
     * names with their quoting. Refusing by this bound keeps the engine from reading more than the hard limit.
     */
    static long boundBytes(ObjectNode wire) {
        long bytes = 2;
        for (var a = wire.fields(); a.hasNext(); ) {
            var activity = a.next();
            bytes += Outputs.utf8(Json.nodes().textNode(activity.getKey())).length + 4;
            for (var p = activity.getValue().fields(); p.hasNext(); ) {
                var plugin = p.next();
                bytes += Outputs.utf8(Json.nodes().textNode(plugin.getKey())).length + 2;
                JsonNode wireValue = plugin.getValue();
                bytes += wireValue.has(Outputs.OUTPUT_REF) ? wireValue.get(Outputs.OUTPUT_REF).path("size").asLong()
                        : Outputs.utf8(wireValue.path(Outputs.OUTPUT)).length;
            }
        }
        return bytes;
    }

    /** {@code {activity: {plugin: output}}}, each reference replaced by what was read for it ({@code Activity.plugin}). */
    static ObjectNode unwrap(ObjectNode wire, Map<String, JsonNode> read) {
        ObjectNode doc = Json.object();
        wire.fields().forEachRemaining(a -> {
            ObjectNode byPlugin = doc.putObject(a.getKey());
            a.getValue().fields().forEachRemaining(p -> {
                JsonNode w = p.getValue();
                if (w.has(Outputs.OUTPUT_REF)) {
                    JsonNode value = read.get(a.getKey() + "." + p.getKey());
                    if (value == null) {
                        throw new IllegalArgumentException("output of " + a.getKey() + "." + p.getKey() + " was not read");
                    }
                    byPlugin.set(p.getKey(), value);
                } else {
                    byPlugin.set(p.getKey(), w.get(Outputs.OUTPUT));
                }
            });
        });
        return doc;
    }
}
