package dev.orchestrator.plugin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.orchestrator.core.PayloadStore;
import dev.orchestrator.core.Stage;
import java.util.ArrayList;
import java.util.List;

/**
 * What a plugin's work sees: which run, which activity and stage, the run's metadata, which attempt this is
 * (1 for the first claim; more after a re-run or a re-claim of a crashed attempt), {@link #heartbeat()}, and
 * {@link #input(String, String)}: the outputs of what this activity depends on.
 */
public record PluginContext(String uid, String workflow, String activity, Stage stage, ObjectNode metadata,
                            StageMessage message, int attempt, Heartbeat heartbeater, PayloadStore payloads) {

    /** Pushes the plugin's execution deadline; false when its claim is no longer its own (timed out, cancelled). */
    @FunctionalInterface
    public interface Heartbeat {
        boolean beat();
    }

    public PluginContext(String uid, String workflow, String activity, Stage stage, ObjectNode metadata,
                         StageMessage message, int attempt, Heartbeat heartbeater) {
        this(uid, workflow, activity, stage, metadata, message, attempt, heartbeater, null);
    }

    public PluginContext(String uid, String workflow, String activity, Stage stage, ObjectNode metadata, StageMessage message) {
        this(uid, workflow, activity, stage, metadata, message, 1, () -> true);
    }

    static PluginContext of(StageMessage m) {
        return new PluginContext(m.uid(), m.workflow(), m.activity(), m.stage(), m.metadata(), m);
    }

    static PluginContext of(StageMessage m, int attempt, Heartbeat heartbeat, PayloadStore payloads) {
        return new PluginContext(m.uid(), m.workflow(), m.activity(), m.stage(), m.metadata(), m, attempt, heartbeat, payloads);
    }

    /**
     * Tells the engine this plugin is alive: long work calls it more often than its timeout
     * ({@code default.timeout}, or the run's {@code pluginTimeout}). One conditional UpdateItem.
     */
    public boolean heartbeat() {
        return heartbeater.beat();
    }

    /**
     * This stage's inputs as the message carries them: {@code inputs[activity][plugin]} is {@code {"output": ..}} or
     * {@code {"outputRef": ..}}. When the engine put the whole document in the payload bucket ({@code inputsRef}),
     * it is fetched (and its sha256 checked) here.
     */
    public ObjectNode inputs() {
        if (message.inputsRef() == null) {
            return message.inputs();
        }
        JsonNode doc = store().get(message.inputsRef(), "inputsRef");
        if (!doc.isObject()) {
            throw new PayloadStore.Gone("inputsRef: its payload object is not a JSON object");
        }
        return (ObjectNode) doc;
    }

    /**
     * The output of {@code plugin} in {@code activity} (an activity this one depends on, or this activity's earlier
     * stage), fetched from the payload bucket when it is a reference (its sha256 checked). An input this stage does
     * not have, or whose payload object is gone, throws: the plugin ends {@code Error} with that message.
     */
    public ObjectNode input(String activity, String plugin) {
        ObjectNode all = inputs();
        JsonNode wire = all.path(activity).path(plugin);
        if (!wire.isObject()) {
            List<String> have = new ArrayList<>();
            all.fields().forEachRemaining(a -> a.getValue().fieldNames().forEachRemaining(p -> have.add(a.getKey() + "." + p)));
            throw new IllegalArgumentException("no input " + activity + "." + plugin + " in this stage's inputs (it has "
                    + (have.isEmpty() ? "none" : String.join(", ", have)) + "): " + activity
                    + " is not a dependency of " + this.activity + ", or " + plugin + " ended there without an output");
        }
        JsonNode value = store().resolve(wire, "input " + activity + "." + plugin);
        if (!value.isObject()) {
            throw new PayloadStore.Gone("input " + activity + "." + plugin + " is not a JSON object");
        }
        return (ObjectNode) value;
    }

    /** In a map's parallel stage: this execution's element of the list (any JSON value); null elsewhere. */
    public JsonNode item() {
        return message.item();
    }

    /** In a map's parallel stage: the element's index in the list, from 0; null elsewhere. */
    public Integer index() {
        return message.index();
    }

    private PayloadStore store() {
        return payloads != null ? payloads : new PayloadStore(() -> {
            throw new IllegalStateException("this context has no payload store: inputs held as references cannot be read");
        }, null);
    }
}
