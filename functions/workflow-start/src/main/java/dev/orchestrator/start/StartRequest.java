package dev.orchestrator.start;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.orchestrator.core.Json;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A request to start (or resume) a run, validated. Accepted as the direct-invoke payload or as the
 * {@code detail} of an EventBridge event. Every problem is reported, each naming its field.
 */
public record StartRequest(String uid,
                           String workflow,
                           ObjectNode metadata,
                           List<String> activities,
                           Integer pluginRegisterTimeout,
                           boolean metadataOverride) {

    /** Activity names become parts of topic names and CloudFormation logical ids: letters and digits. */
    static final Pattern ACTIVITY_NAME = Pattern.compile("[A-Za-z0-9]{1,64}");
    static final int MAX_REGISTER_TIMEOUT = 86_400;

    public StartRequest {
        activities = List.copyOf(activities);
    }

    /**
     * @param deployed the activities this stack has topics for; an empty set accepts any name
     */
    public static StartRequest parse(JsonNode input, Set<String> deployed) {
        if (input == null || !input.isObject()) {
            throw new InvalidStartException(List.of("the request must be a JSON object"));
        }
        JsonNode body = input.has("detail-type") && input.has("detail") ? input.get("detail") : input;
        if (!body.isObject()) {
            throw new InvalidStartException(List.of("detail must be a JSON object"));
        }
        List<String> errors = new ArrayList<>();
        String uid = requiredText(body, "uid", errors);
        String workflow = requiredText(body, "workflow", errors);

        ObjectNode metadata = Json.object();
        JsonNode meta = body.get("metadata");
        if (meta != null && !meta.isNull()) {
            if (meta.isObject()) {
                metadata = (ObjectNode) meta;
            } else {
                errors.add("metadata must be a JSON object");
            }
        }

        List<String> activities = new ArrayList<>();
        JsonNode acts = body.get("activities");
        if (acts == null || acts.isNull()) {
            errors.add("activities is required: a non-empty list of activity names");
        } else if (!acts.isArray() || acts.isEmpty()) {
            errors.add("activities must be a non-empty list of activity names");
        } else {
            Set<String> seen = new LinkedHashSet<>();
            for (int i = 0; i < acts.size(); i++) {
                JsonNode a = acts.get(i);
                if (!a.isTextual() || !ACTIVITY_NAME.matcher(a.asText()).matches()) {
                    errors.add("activities[" + i + "] must be a name of letters and digits, got " + a);
                } else if (!seen.add(a.asText())) {
                    errors.add("activities[" + i + "] repeats '" + a.asText() + "'");
                } else if (!deployed.isEmpty() && !deployed.contains(a.asText())) {
                    errors.add("activities[" + i + "] '" + a.asText() + "' is not deployed in this stack (deployed: "
                            + String.join(", ", deployed) + ")");
                }
            }
            activities.addAll(seen);
        }

        Integer timeout = null;
        JsonNode t = body.get("pluginRegisterTimeout");
        if (t != null && !t.isNull()) {
            if (!t.canConvertToInt() || !t.isIntegralNumber() || t.asInt() < 0 || t.asInt() > MAX_REGISTER_TIMEOUT) {
                errors.add("pluginRegisterTimeout must be a whole number of seconds between 0 and " + MAX_REGISTER_TIMEOUT);
            } else {
                timeout = t.asInt();
            }
        }

        boolean override = false;
        JsonNode o = body.get("metadataOverride");
        if (o != null && !o.isNull()) {
            if (!o.isBoolean()) {
                errors.add("metadataOverride must be true or false");
            } else {
                override = o.booleanValue();
            }
        }
        if (!errors.isEmpty()) {
            throw new InvalidStartException(errors);
        }
        return new StartRequest(uid, workflow, metadata, activities, timeout, override);
    }

    private static String requiredText(JsonNode body, String field, List<String> errors) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            errors.add(field + " is required");
            return null;
        }
        if (!v.isTextual() || v.asText().isBlank()) {
            errors.add(field + " must be a non-empty string");
            return null;
        }
        if (v.asText().length() > 1024) {
            errors.add(field + " must be at most 1024 characters");
            return null;
        }
        return v.asText();
    }
}
