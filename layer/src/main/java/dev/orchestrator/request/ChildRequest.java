package dev.orchestrator.request;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.orchestrator.core.Json;
import dev.orchestrator.core.Names;
import dev.orchestrator.core.WorkflowRun;
import java.util.List;
import java.util.Set;

/**
 * The start request of a child workflow, from what a plugin asked for (its entry's {@code child.request})
 * and the parent run. Pure. The child's key is derived from the parent entry ({@code <parent uid>/<activity>/<plugin>}
 * with the requested workflow), so asking twice names the same run, and a resumed parent finds its child
 * again. Metadata and filter attributes default to the parent's. Everything a start request accepts is
 * checked the same way, plus: a workflow may not start itself as its own child.
 */
public final class ChildRequest {

    /** Fields a plugin may set in its child request. */
    static final Set<String> FIELDS = Set.of("workflow", "activities", "metadata", "pluginRegisterTimeout",
            "pluginTimeout", "startTimeout", "filterAttributes");

    private ChildRequest() {
    }

    public static String childUid(String parentUid, String activity, String plugin) {
        return parentUid + "/" + activity + "/" + plugin;
    }

    /** The validated request, or {@link InvalidStartException} naming every problem. */
    public static StartRequest build(WorkflowRun parent, String activity, String plugin, String requestJson,
                                     StartRequest.Limits limits) {
        JsonNode asked;
        try {
            asked = Json.parse(requestJson == null ? "" : requestJson);
        } catch (RuntimeException e) {
            throw new InvalidStartException(List.of("child.request is not JSON: " + Names.shorten(String.valueOf(requestJson))));
        }
        if (!asked.isObject()) {
            throw new InvalidStartException(List.of("child.request must be a JSON object with workflow and activities"));
        }
        for (var it = asked.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!FIELDS.contains(f)) {
                throw new InvalidStartException(List.of("child.request has an unknown field '" + Names.shorten(f)
                        + "' (allowed: " + String.join(", ", new java.util.TreeSet<>(FIELDS)) + ")"));
            }
        }
        ObjectNode full = ((ObjectNode) asked).deepCopy();
        full.put("uid", childUid(parent.uid(), activity, plugin));
        if (!full.hasNonNull("metadata")) {
            full.set("metadata", parent.metadata());
        }
        if (!full.hasNonNull("filterAttributes") && parent.filterAttributes() != null) {
            var keys = full.putArray("filterAttributes");
            parent.filterAttributes().forEach(keys::add);
        }
        full.put("metadataOverride", true); // a resumed parent may pass newer metadata to its child
        StartRequest request = StartRequest.parse(full, limits);
        if (request.workflow().equals(parent.workflow())) {
            throw new InvalidStartException(List.of("workflow '" + request.workflow()
                    + "' cannot start itself as a child (pick another workflow name)"));
        }
        return request;
    }
}
