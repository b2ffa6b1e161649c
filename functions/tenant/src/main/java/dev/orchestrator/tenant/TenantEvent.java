package dev.orchestrator.tenant;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.orchestrator.core.Json;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;

/**
 * An EventBridge event as the router receives it, with its type resolved: the {@code detail-type}
 * when it names a known event, else {@code detail.type} (arc-saas's connector sends the type inside
 * the detail, wrapped as {@code {"type": ..., "data": {...}}}; the wrapper is removed here).
 */
public record TenantEvent(String id, String source, String detailType, ObjectNode detail) {

    public static TenantEvent parse(JsonNode event) {
        return parse(event, t -> false);
    }

    /**
     * Like {@link #parse(JsonNode)}, with more detail-types that name an event by themselves (sbt-aws's
     * requests under the deployed prefix): their detail is taken as it is, never unwrapped.
     */
    public static TenantEvent parse(JsonNode event, java.util.function.Predicate<String> alsoKnown) {
        if (event == null || !event.isObject()) {
            throw new InvalidTenantEventException("the event must be a JSON object");
        }
        for (String f : new String[] {"id", "source"}) {
            if (!event.hasNonNull(f) || !event.get(f).isTextual()) {
                throw new InvalidTenantEventException("the event lacks '" + f + "'");
            }
        }
        JsonNode dt = event.get("detail-type");
        if (dt != null && !dt.isNull() && !dt.isTextual()) {
            throw new InvalidTenantEventException("detail-type must be a string, got " + dt);
        }
        JsonNode detail = event.get("detail");
        if (detail == null || !detail.isObject()) {
            throw new InvalidTenantEventException("detail must be a JSON object");
        }
        String given = dt == null || dt.isNull() ? null : dt.asText();
        if (given != null && alsoKnown.test(given)) {
            return new TenantEvent(event.get("id").asText(), event.get("source").asText(), given, (ObjectNode) detail);
        }
        return resolve(event.get("id").asText(), event.get("source").asText(), given, (ObjectNode) detail);
    }

    /** Picks the type (detail-type, else detail.type) and unwraps {type, data}. Pure. */
    static TenantEvent resolve(String id, String source, String detailType, ObjectNode detail) {
        JsonNode inner = detail.get("type");
        String innerType = inner != null && inner.isTextual() && !inner.asText().isBlank() ? inner.asText() : null;
        boolean wrapped = innerType != null && detail.has("data");
        ObjectNode body = detail;
        if (wrapped) {
            if (!detail.get("data").isObject()) {
                throw new InvalidTenantEventException("detail.data must be a JSON object (detail.type is " + innerType + ")");
            }
            body = (ObjectNode) detail.get("data");
        }
        boolean known = detailType != null && TenantEventTypes.KNOWN.contains(detailType);
        if (known) {
            if (innerType != null && TenantEventTypes.TENANT_TYPES.contains(innerType) && !innerType.equals(detailType)) {
                throw new InvalidTenantEventException("detail-type '" + detailType + "' and detail.type '" + innerType
                        + "' disagree; send one type");
            }
            return new TenantEvent(id, source, detailType, body);
        }
        if (innerType != null) {
            return new TenantEvent(id, source, innerType, body);
        }
        if (detailType == null || detailType.isBlank()) {
            throw new InvalidTenantEventException("the event has neither 'detail-type' nor 'detail.type'");
        }
        return new TenantEvent(id, source, detailType, body);
    }

    /** The tenant this event is about, when it can be told (for log correlation only). */
    public String tenantIdHint() {
        for (JsonNode n : new JsonNode[] {detail.get("tenantId"), detail.path("tenant").get("id"), detail.path("tenant").get("key"),
                detail.path("metadata").get("tenantId")}) {
            if (n != null && n.isTextual() && !n.asText().isBlank()) {
                return n.asText();
            }
        }
        return null;
    }

    /**
     * The key under which the event is handled once: the producer's {@code detail.eventId} if given,
     * else a digest of detail-type and detail, so the same event put twice (new EventBridge ids) is
     * recognised as one.
     */
    public String idempotencyKey() {
        JsonNode given = detail.get("eventId");
        if (given != null && given.isTextual() && !given.asText().isBlank()) {
            return detailType + "#" + given.asText();
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest((detailType + "\n" + Json.write(canonical(detail))).getBytes(StandardCharsets.UTF_8));
            return detailType + "#" + HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Same content, keys sorted at every level: key order does not make two events different. */
    static JsonNode canonical(JsonNode node) {
        if (node.isObject()) {
            Map<String, JsonNode> sorted = new TreeMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                sorted.put(e.getKey(), canonical(e.getValue()));
            }
            ObjectNode o = Json.object();
            sorted.forEach(o::set);
            return o;
        }
        if (node.isArray()) {
            var arr = Json.array();
            node.forEach(n -> arr.add(canonical(n)));
            return arr;
        }
        return node;
    }
}
