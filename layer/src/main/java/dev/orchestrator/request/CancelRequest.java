package dev.orchestrator.request;

import com.fasterxml.jackson.databind.JsonNode;
import dev.orchestrator.core.Names;
import java.util.ArrayList;
import java.util.List;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/** {@code {"action":"cancel","uid","workflow","reason"}}, or the detail of a {@code Cancel Workflow} event. */
public record CancelRequest(String uid, String workflow, String reason) {

    public static final int MAX_REASON = 500;

    public static CancelRequest parse(JsonNode input) {
        JsonNode body = input.has("detail-type") && input.has("detail") ? input.get("detail") : input;
        List<String> errors = new ArrayList<>();
        String uid = text(body, "uid", Names.MAX_KEY, errors);
        String workflow = text(body, "workflow", Names.MAX_KEY, errors);
        String reason = body.hasNonNull("reason") ? body.get("reason").asText() : "no reason given";
        if (reason.length() > MAX_REASON) {
            errors.add("reason must be at most " + MAX_REASON + " characters");
        }
        if (!errors.isEmpty()) {
            throw new InvalidStartException(errors);
        }
        return new CancelRequest(uid, workflow, reason.isBlank() ? "no reason given" : reason);
    }

    /**
     * The one write that asks for a cancel, shared by operators (StartWorkflow) and the engine (a parent
     * cancelling its child): {@code cancelRequested} = {reason, at}, only while the run is going.
     */
    public static dev.orchestrator.core.UpdateBuilder write(String reason, long now) {
        var u = new dev.orchestrator.core.UpdateBuilder();
        String status = u.path(List.of(dev.orchestrator.core.ItemCodec.STATUS));
        u.condition(status + " IN (" + u.value(AttributeValue.fromS(dev.orchestrator.core.State.NOT_STARTED.wire())) + ", "
                + u.value(AttributeValue.fromS(dev.orchestrator.core.State.IN_PROGRESS.wire())) + ")");
        u.set(List.of(dev.orchestrator.core.ItemCodec.CANCEL_REQUESTED), AttributeValue.fromM(java.util.Map.of(
                dev.orchestrator.core.ItemCodec.REASON, AttributeValue.fromS(reason),
                dev.orchestrator.core.ItemCodec.AT, AttributeValue.fromN(Long.toString(now)))));
        return u;
    }

    private static String text(JsonNode body, String field, int max, List<String> errors) {
        JsonNode v = body.get(field);
        if (v == null || !v.isTextual() || v.asText().isBlank()) {
            errors.add(field + " is required (a non-empty string)");
            return null;
        }
        if (v.asText().length() > max) {
            errors.add(field + " must be at most " + max + " characters");
            return null;
        }
        return v.asText();
    }
}
