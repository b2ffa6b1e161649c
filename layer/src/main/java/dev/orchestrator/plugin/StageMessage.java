package dev.orchestrator.plugin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.orchestrator.core.Json;
import dev.orchestrator.core.PluginStatus;
import dev.orchestrator.core.Stage;
import dev.orchestrator.core.State;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What the engine publishes to a stage topic. {@code plugin} names the one plugin a sequential stage
 * addresses (null for parallel). The stage's plugin statuses ride along so a plugin that is already
 * complete skips without reading the table. {@code listsOptional} (parallel): the engine listed optional plugins
 * in this stage (registered ones its message reaches), so an optional plugin the broadcast does not name may be
 * listed: it claims even after {@code windowEndsAt}, and the engine decides. When false, every optional plugin
 * is a joiner, and one past the window may skip its work (the engine would refuse it).
 */
public record StageMessage(String uid,
                           String workflow,
                           String activity,
                           Stage stage,
                           String plugin,
                           ObjectNode metadata,
                           Long windowEndsAt,
                           Map<String, PluginStatus> mandatory,
                           Map<String, PluginStatus> optional,
                           Integer pluginTimeout,
                           Integer defaultPluginTimeout,
                           java.util.List<String> filterAttributes,
                           Long expiresAt,
                           boolean listsOptional,
                           ObjectNode inputs,
                           dev.orchestrator.core.Outputs.Ref inputsRef,
                           JsonNode item,
                           Integer index) {

    /** SNS allows 10 message attributes; 4 are ours, the rest carry the run's chosen metadata fields. */
    public static final int MAX_ATTRIBUTES = 10;

    public StageMessage {
        mandatory = Map.copyOf(mandatory);
        optional = Map.copyOf(optional);
        filterAttributes = filterAttributes == null ? null : java.util.List.copyOf(filterAttributes);
        inputs = inputs == null ? Json.object() : inputs;
    }

    /** Without inputs (a stage that depends on nothing, or a message built before they are known). */
    public StageMessage(String uid, String workflow, String activity, Stage stage, String plugin, ObjectNode metadata,
                        Long windowEndsAt, Map<String, PluginStatus> mandatory, Map<String, PluginStatus> optional,
                        Integer pluginTimeout, Integer defaultPluginTimeout, java.util.List<String> filterAttributes,
                        Long expiresAt, boolean listsOptional) {
        this(uid, workflow, activity, stage, plugin, metadata, windowEndsAt, mandatory, optional, pluginTimeout,
                defaultPluginTimeout, filterAttributes, expiresAt, listsOptional, null, null, null, null);
    }

    /** With inputs, as every message but a map element's carries them. */
    public StageMessage(String uid, String workflow, String activity, Stage stage, String plugin, ObjectNode metadata,
                        Long windowEndsAt, Map<String, PluginStatus> mandatory, Map<String, PluginStatus> optional,
                        Integer pluginTimeout, Integer defaultPluginTimeout, java.util.List<String> filterAttributes,
                        Long expiresAt, boolean listsOptional, ObjectNode inputs, dev.orchestrator.core.Outputs.Ref inputsRef) {
        this(uid, workflow, activity, stage, plugin, metadata, windowEndsAt, mandatory, optional, pluginTimeout,
                defaultPluginTimeout, filterAttributes, expiresAt, listsOptional, inputs, inputsRef, null, null);
    }

    /** The same message for element {@code i} of a map: it carries the element ({@code item}) and its {@code index}. */
    public StageMessage forElement(JsonNode newItem, int i) {
        return new StageMessage(uid, workflow, activity, stage, plugin, metadata, windowEndsAt, mandatory, optional,
                pluginTimeout, defaultPluginTimeout, filterAttributes, expiresAt, listsOptional, inputs, inputsRef,
                newItem, i);
    }

    /**
     * The same message carrying {@code inputs} ({@code inputs[activity][plugin]} = {@code {"output":..}} or
     * {@code {"outputRef":..}}), or, when the engine put them in the payload bucket, {@code inputsRef} instead.
     */
    public StageMessage withInputs(ObjectNode newInputs, dev.orchestrator.core.Outputs.Ref newInputsRef) {
        return new StageMessage(uid, workflow, activity, stage, plugin, metadata, windowEndsAt, mandatory, optional,
                pluginTimeout, defaultPluginTimeout, filterAttributes, expiresAt, listsOptional,
                newInputsRef != null ? null : newInputs, newInputsRef, item, index);
    }

    public StageMessage(String uid, String workflow, String activity, Stage stage, String plugin, ObjectNode metadata,
                        Long windowEndsAt, Map<String, PluginStatus> mandatory, Map<String, PluginStatus> optional,
                        Integer pluginTimeout, Integer defaultPluginTimeout, java.util.List<String> filterAttributes,
                        Long expiresAt) {
        this(uid, workflow, activity, stage, plugin, metadata, windowEndsAt, mandatory, optional, pluginTimeout,
                defaultPluginTimeout, filterAttributes, expiresAt, false);
    }

    public StageMessage(String uid, String workflow, String activity, Stage stage, String plugin, ObjectNode metadata,
                        Long windowEndsAt, Map<String, PluginStatus> mandatory, Map<String, PluginStatus> optional) {
        this(uid, workflow, activity, stage, plugin, metadata, windowEndsAt, mandatory, optional, null, null, null, null);
    }

    /** Without {@code expiresAt}: the execution items of this run do not expire. */
    public StageMessage(String uid, String workflow, String activity, Stage stage, String plugin, ObjectNode metadata,
                        Long windowEndsAt, Map<String, PluginStatus> mandatory, Map<String, PluginStatus> optional,
                        Integer pluginTimeout, Integer defaultPluginTimeout, java.util.List<String> filterAttributes) {
        this(uid, workflow, activity, stage, plugin, metadata, windowEndsAt, mandatory, optional, pluginTimeout,
                defaultPluginTimeout, filterAttributes, null);
    }

    /** The same message addressed to one plugin (a sequential dispatch or a re-run). */
    public StageMessage addressedTo(String pluginName) {
        return new StageMessage(uid, workflow, activity, stage, pluginName, metadata, windowEndsAt, mandatory, optional,
                pluginTimeout, defaultPluginTimeout, filterAttributes, expiresAt, listsOptional, inputs, inputsRef, item, index);
    }

    /**
     * A plugin's execution timeout in seconds, as the engine computes it: the run's pluginTimeout, else the
     * plugin's own declaration, else the stack default (900 s when the message does not say).
     */
    public int effectiveTimeout(Integer declared) {
        if (pluginTimeout != null) {
            return pluginTimeout;
        }
        if (declared != null && declared > 0) {
            return declared;
        }
        return defaultPluginTimeout != null ? defaultPluginTimeout : 900;
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
        if (pluginTimeout != null) {
            o.put("pluginTimeout", pluginTimeout);
        }
        if (defaultPluginTimeout != null) {
            o.put("defaultPluginTimeout", defaultPluginTimeout);
        }
        if (expiresAt != null) {
            o.put("expiresAt", expiresAt); // epoch seconds: the plugin's claim records it (DynamoDB TTL)
        }
        if (listsOptional) {
            o.put("listsOptional", true);
        }
        if (inputsRef != null) {
            o.set(dev.orchestrator.core.Outputs.INPUTS_REF, inputsRef.toJson());
        } else {
            o.set(dev.orchestrator.core.Outputs.INPUTS, inputs);
        }
        if (index != null) {
            o.put("index", index);
            o.set("item", item == null ? com.fasterxml.jackson.databind.node.NullNode.getInstance() : item);
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
            if (p.attempt() > 0) {
                s.put("attempt", p.attempt());
            }
            if (p.timeout() != null) {
                s.put("timeout", p.timeout());
            }
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
                statusesFrom(o.path("plugins").path("optional")),
                o.hasNonNull("pluginTimeout") ? o.get("pluginTimeout").asInt() : null,
                o.hasNonNull("defaultPluginTimeout") ? o.get("defaultPluginTimeout").asInt() : null,
                null,
                o.hasNonNull("expiresAt") && o.get("expiresAt").canConvertToLong() ? o.get("expiresAt").asLong() : null,
                o.path("listsOptional").asBoolean(false),
                o.path(dev.orchestrator.core.Outputs.INPUTS).isObject() ? (ObjectNode) o.get(dev.orchestrator.core.Outputs.INPUTS) : null,
                o.path(dev.orchestrator.core.Outputs.INPUTS_REF).isObject()
                        ? dev.orchestrator.core.Outputs.Ref.fromJson(o.get(dev.orchestrator.core.Outputs.INPUTS_REF), "inputsRef") : null,
                o.has("index") ? o.get("item") : null, index(o));
    }

    /** A map element's index: absent, or a whole number from 0 (anything else is refused, naming the field). */
    private static Integer index(JsonNode o) {
        if (!o.has("index") || o.get("index").isNull()) {
            return null;
        }
        JsonNode i = o.get("index");
        if (!i.isIntegralNumber() || !i.canConvertToInt() || i.asInt() < 0) {
            throw new IllegalArgumentException("stage message's 'index' must be a whole number from 0, got " + i);
        }
        return i.asInt();
    }

    private static Map<String, PluginStatus> statusesFrom(JsonNode o) {
        Map<String, PluginStatus> out = new LinkedHashMap<>();
        o.fields().forEachRemaining(e -> {
            JsonNode v = e.getValue();
            State state;
            try {
                state = State.fromWire(v.path("state").asText());
            } catch (IllegalArgumentException bad) {
                state = State.ERROR;
            }
            out.put(e.getKey(), new PluginStatus(state, v.path("order").asInt(0), null, null, null, null,
                    v.path("attempt").asInt(0), v.hasNonNull("timeout") ? v.get("timeout").asInt() : null, null, null, null, null));
        });
        return out;
    }

    /**
     * Message attributes (string values) for SNS filter policies: workflow, activity, stage, plugin, then
     * the metadata fields the run chose ({@code filterAttributes}) that it has. Start validation makes sure
     * they fit SNS's limit of 10 and are non-empty scalars; one that is not is left out here, never sent empty.
     */
    public Map<String, String> attributes() {
        Map<String, String> a = new LinkedHashMap<>();
        a.put("workflow", workflow);
        a.put("activity", activity);
        a.put("stage", stage.wireName());
        if (plugin != null) {
            a.put("plugin", plugin);
        }
        {
            for (String k : filterAttributes != null ? filterAttributes : dev.orchestrator.core.Names.DEFAULT_FILTER_ATTRIBUTES) {
                JsonNode v = metadata.get(k);
                if (a.size() < MAX_ATTRIBUTES && v != null && v.isValueNode() && !v.isNull() && !v.asText().isEmpty()
                        && !a.containsKey(k)) {
                    a.put(k, v.asText());
                }
            }
        }
        return a;
    }
}
