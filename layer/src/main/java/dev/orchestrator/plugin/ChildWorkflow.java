package dev.orchestrator.plugin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.orchestrator.core.Json;
import java.util.List;
import java.util.Objects;

/**
 * A workflow a plugin starts as its child ({@link PluginResult#startChild}): the plugin stays
 * {@code In Progress} until the child run ends, then takes the child's outcome. {@code activities} takes
 * the same forms as a start request (names, or {@code {name, dependsOn}} objects); {@code metadata}
 * defaults to the parent run's. The engine derives the child's uid from the parent's.
 */
public record ChildWorkflow(String workflow, JsonNode activities, ObjectNode metadata, Integer pluginTimeout,
                            Integer startTimeout) {

    public ChildWorkflow {
        Objects.requireNonNull(workflow, "workflow");
        Objects.requireNonNull(activities, "activities");
    }

    /** A child running {@code activities} one after another. */
    public static ChildWorkflow of(String workflow, List<String> activities) {
        ArrayNode a = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.arrayNode();
        activities.forEach(a::add);
        return new ChildWorkflow(workflow, a, null, null, null);
    }

    /** A child whose activities are given as in a start request (a list of names or of {name, dependsOn}). */
    public static ChildWorkflow of(String workflow, JsonNode activities) {
        return new ChildWorkflow(workflow, activities, null, null, null);
    }

    public ChildWorkflow withMetadata(ObjectNode newMetadata) {
        return new ChildWorkflow(workflow, activities, newMetadata, pluginTimeout, startTimeout);
    }

    public ChildWorkflow withTimeouts(Integer newPluginTimeout, Integer newStartTimeout) {
        return new ChildWorkflow(workflow, activities, metadata, newPluginTimeout, newStartTimeout);
    }

    /** The request as the plugin writes it into its entry ({@code child.request}). */
    public String toJson() {
        ObjectNode o = Json.object();
        o.put("workflow", workflow);
        o.set("activities", activities);
        if (metadata != null) {
            o.set("metadata", metadata);
        }
        if (pluginTimeout != null) {
            o.put("pluginTimeout", pluginTimeout);
        }
        if (startTimeout != null) {
            o.put("startTimeout", startTimeout);
        }
        return Json.write(o);
    }
}
