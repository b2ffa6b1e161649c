package dev.orchestrator.plugin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.orchestrator.core.Json;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a plugin declares, returned on {@code initialize}. Wire shape (seed names):
 * <pre>{"pluginName":"x","default":{"mandatory":true,"pluginRegisterTimeout":30},
 *  "overrides":{"Activity":{"mandatory":false}},"order":10,"alwaysRun":false,"idempotent":true,
 *  "description":"...","fifoKey":"tenantId"}</pre>
 */
public record PluginInfo(String pluginName,
                         boolean defaultMandatory,
                         Integer pluginRegisterTimeout,
                         Map<String, Boolean> overrides,
                         Integer order,
                         boolean alwaysRun,
                         boolean idempotent,
                         String description,
                         String fifoKey,
                         Integer timeout,
                         Map<String, Integer> timeoutOverrides) {

    /** Order given to plugins that declare none: after every plugin that does, ties broken by name. */
    public static final int DEFAULT_ORDER = 1000;

    public PluginInfo {
        if (pluginName == null || pluginName.isBlank()) {
            throw new IllegalArgumentException("pluginName is required");
        }
        if (!dev.orchestrator.core.Names.validPluginName(pluginName)) {
            throw new IllegalArgumentException("pluginName '" + dev.orchestrator.core.Names.shorten(pluginName)
                    + "' must be 1-" + dev.orchestrator.core.Names.MAX_PLUGIN_NAME
                    + " letters, digits, '.', '_' or '-', starting with a letter or digit");
        }
        if (timeout != null && timeout <= 0) {
            throw new IllegalArgumentException("timeout of " + pluginName + " must be a positive number of seconds");
        }
        overrides = Map.copyOf(overrides);
        timeoutOverrides = timeoutOverrides == null ? Map.of() : Map.copyOf(timeoutOverrides);
    }

    public PluginInfo(String pluginName, boolean defaultMandatory, Integer pluginRegisterTimeout,
                      Map<String, Boolean> overrides, Integer order, boolean alwaysRun, boolean idempotent,
                      String description, String fifoKey) {
        this(pluginName, defaultMandatory, pluginRegisterTimeout, overrides, order, alwaysRun, idempotent, description,
                fifoKey, null, Map.of());
    }

    /** The execution timeout (seconds) declared for an activity: its override, else default.timeout, else none. */
    public Integer timeout(String activity) {
        return timeoutOverrides.getOrDefault(activity, timeout);
    }

    public static Builder builder(String pluginName) {
        return new Builder(pluginName);
    }

    public boolean isMandatory(String activity) {
        return overrides.getOrDefault(activity, defaultMandatory);
    }

    public ObjectNode toJson() {
        ObjectNode o = Json.object();
        o.put("pluginName", pluginName);
        ObjectNode d = o.putObject("default");
        d.put("mandatory", defaultMandatory);
        if (pluginRegisterTimeout != null) {
            d.put("pluginRegisterTimeout", pluginRegisterTimeout);
        }
        if (timeout != null) {
            d.put("timeout", timeout);
        }
        ObjectNode ov = o.putObject("overrides");
        overrides.forEach((a, m) -> ov.putObject(a).put("mandatory", m));
        timeoutOverrides.forEach((a, t) -> (ov.has(a) ? (ObjectNode) ov.get(a) : ov.putObject(a)).put("timeout", t));
        if (order != null) {
            o.put("order", order);
        }
        o.put("alwaysRun", alwaysRun);
        o.put("idempotent", idempotent);
        if (description != null) {
            o.put("description", description);
        }
        if (fifoKey != null) {
            o.put("fifoKey", fifoKey);
        }
        return o;
    }

    public static PluginInfo fromJson(JsonNode o) {
        if (o == null || !o.isObject()) {
            throw new IllegalArgumentException("plugin info must be a JSON object");
        }
        JsonNode name = o.get("pluginName");
        if (name == null || !name.isTextual() || name.asText().isBlank()) {
            throw new IllegalArgumentException("plugin info lacks pluginName");
        }
        JsonNode d = o.path("default");
        Map<String, Boolean> overrides = new LinkedHashMap<>();
        Map<String, Integer> timeouts = new LinkedHashMap<>();
        o.path("overrides").fields().forEachRemaining(e -> {
            JsonNode m = e.getValue().get("mandatory");
            if (m != null && m.isBoolean()) {
                overrides.put(e.getKey(), m.booleanValue());
            }
            JsonNode t = e.getValue().get("timeout");
            if (t != null && t.canConvertToInt() && t.asInt() > 0) {
                timeouts.put(e.getKey(), t.asInt());
            }
        });
        return new PluginInfo(name.asText(),
                d.path("mandatory").asBoolean(false),
                d.hasNonNull("pluginRegisterTimeout") ? d.get("pluginRegisterTimeout").asInt() : null,
                overrides,
                o.hasNonNull("order") ? o.get("order").asInt() : null,
                o.path("alwaysRun").asBoolean(false),
                o.path("idempotent").asBoolean(true),
                o.hasNonNull("description") ? o.get("description").asText() : null,
                o.hasNonNull("fifoKey") ? o.get("fifoKey").asText() : null,
                d.hasNonNull("timeout") && d.get("timeout").asInt() > 0 ? d.get("timeout").asInt() : null,
                timeouts);
    }

    /** Fluent construction for plugin authors. */
    public static final class Builder {
        private final String name;
        private boolean mandatory;
        private Integer timeout;
        private final Map<String, Boolean> overrides = new LinkedHashMap<>();
        private Integer order;
        private boolean alwaysRun;
        private boolean idempotent = true;
        private String description;
        private String fifoKey;
        private Integer executionTimeout;
        private final Map<String, Integer> timeoutOverrides = new LinkedHashMap<>();

        private Builder(String name) {
            this.name = name;
        }

        public Builder mandatory(boolean value) {
            this.mandatory = value;
            return this;
        }

        public Builder pluginRegisterTimeout(int seconds) {
            this.timeout = seconds;
            return this;
        }

        /** Execution timeout in seconds (default.timeout): longer without a heartbeat and the engine fails it. */
        public Builder timeout(int seconds) {
            this.executionTimeout = seconds;
            return this;
        }

        public Builder timeout(String activity, int seconds) {
            timeoutOverrides.put(activity, seconds);
            return this;
        }

        public Builder override(String activity, boolean mandatoryThere) {
            overrides.put(activity, mandatoryThere);
            return this;
        }

        public Builder order(int value) {
            this.order = value;
            return this;
        }

        public Builder alwaysRun(boolean value) {
            this.alwaysRun = value;
            return this;
        }

        public Builder idempotent(boolean value) {
            this.idempotent = value;
            return this;
        }

        public Builder description(String value) {
            this.description = value;
            return this;
        }

        public Builder fifoKey(String value) {
            this.fifoKey = value;
            return this;
        }

        public PluginInfo build() {
            return new PluginInfo(name, mandatory, timeout, overrides, order, alwaysRun, idempotent, description, fifoKey,
                    executionTimeout, timeoutOverrides);
        }
    }
}
