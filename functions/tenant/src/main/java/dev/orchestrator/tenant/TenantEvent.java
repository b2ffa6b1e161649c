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

/** An EventBridge event as the router receives it. */
public record TenantEvent(String id, String source, String detailType, ObjectNode detail) {

    public static TenantEvent parse(JsonNode event) {
        if (event == null || !event.isObject()) {
            throw new InvalidTenantEventException("the event must be a JSON object");
        }
        for (String f : new String[] {"id", "source", "detail-type"}) {
            if (!event.hasNonNull(f) || !event.get(f).isTextual()) {
                throw new InvalidTenantEventException("the event lacks '" + f + "'");
            }
        }
        JsonNode detail = event.get("detail");
        if (detail == null || !detail.isObject()) {
            throw new InvalidTenantEventException("detail must be a JSON object");
        }
        return new TenantEvent(event.get("id").asText(), event.get("source").asText(), event.get("detail-type").asText(),
                (ObjectNode) detail);
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
            var arr = Json.MAPPER.createArrayNode();
            node.forEach(n -> arr.add(canonical(n)));
            return arr;
        }
        return node;
    }
}
