package dev.orchestrator.plugin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.orchestrator.core.Json;
import dev.orchestrator.core.PluginStatus;
import dev.orchestrator.core.Stage;
import dev.orchestrator.core.State;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the engine publishes to a stage topic. {@code plugin} names the one plugin a sequential stage
 * addresses (null for parallel). The stage's plugin statuses ride along so a plugin that is already
 * complete skips without reading the table.
 */
public record StageMessage(String uid,
                           String workflow,
                           String activity,
                           Stage stage,
                           String plugin,
                           ObjectNode metadata,
                           Long windowEndsAt,
                           Map<String, PluginStatus> mandatory,
                           Map<String, PluginStatus> optional) {

    /** SNS allows 10 message attributes; 4 are ours, the rest carry top-level metadata scalars. */
    public static final int MAX_ATTRIBUTES = 10;

    public StageMessage {
        mandatory = Map.copyOf(mandatory);
        optional = Map.copyOf(optional);
    }

    public PluginStatus statusOf(String pluginName) {
        PluginStatus p = mandatory.get(pluginName);
        return p != null ? p : optional.get(pluginName);
    }

    public ObjectNode toJson() {
        ObjectNode o = Json.object();
        o.put("uid", uid);
        o.put("workflow", workflow);
        o.put("activity", activity);
        o.put("stage", stage.wireName());
        if (plugin != null) {
            o.put("plugin", plugin);
        }
        o.set("metadata", metadata);
        if (windowEndsAt != null) {
            o.put("windowEndsAt", windowEndsAt);
        }
        ObjectNode plugins = o.putObject("plugins");
        plugins.set("mandatory", statuses(mandatory));
        plugins.set("optional", statuses(optional));
        return o;
    }

    private static ObjectNode statuses(Map<String, PluginStatus> map) {
        ObjectNode o = Json.object();
        map.forEach((name, p) -> {
            ObjectNode s = o.putObject(name);
            s.put("state", p.state().wire());
            s.put("order", p.order());
        });
        return o;
    }

    public static StageMessage fromJson(JsonNode o) {
        for (String f : new String[] {"uid", "workflow", "activity", "stage"}) {
            if (!o.hasNonNull(f) || !o.get(f).isTextual()) {
                throw new IllegalArgumentException("stage message lacks '" + f + "'");
            }
        }
        JsonNode meta = o.path("metadata");
        return new StageMessage(o.get("uid").asText(), o.get("workflow").asText(), o.get("activity").asText(),
                Stage.fromWire(o.get("stage").asText()),
                o.hasNonNull("plugin") ? o.get("plugin").asText() : null,
                meta.isObject() ? (ObjectNode) meta : Json.object(),
                o.hasNonNull("windowEndsAt") ? o.get("windowEndsAt").asLong() : null,
                statusesFrom(o.path("plugins").path("mandatory")),
                statusesFrom(o.path("plugins").path("optional")));
    }

    private static Map<String, PluginStatus> statusesFrom(JsonNode o) {
        Map<String, PluginStatus> out = new LinkedHashMap<>();
        o.fields().forEachRemaining(e -> out.put(e.getKey(), new PluginStatus(
                State.fromWire(e.getValue().path("state").asText()), e.getValue().path("order").asInt(0), null, null)));
        return out;
    }

    /**
     * Message attributes (string values) for SNS filter policies: workflow, activity, stage, plugin,
     * then top-level scalar metadata fields in key order until SNS's limit of 10.
     */
    public Map<String, String> attributes() {
        Map<String, String> a = new LinkedHashMap<>();
        a.put("workflow", workflow);
        a.put("activity", activity);
        a.put("stage", stage.wireName());
        if (plugin != null) {
            a.put("plugin", plugin);
        }
        new TreeMap<String, JsonNode>(toMap(metadata)).forEach((k, v) -> {
            if (a.size() < MAX_ATTRIBUTES && v.isValueNode() && !v.isNull() && !a.containsKey(k)) {
                a.put(k, v.asText());
            }
        });
        return a;
    }

    private static Map<String, JsonNode> toMap(ObjectNode node) {
        Map<String, JsonNode> m = new LinkedHashMap<>();
        node.fields().forEachRemaining(e -> m.put(e.getKey(), e.getValue()));
        return m;
    }
}
