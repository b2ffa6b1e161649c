package dev.orchestrator.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * Converts between plain JSON (run metadata) and DynamoDB attribute values, and reads the
 * DynamoDB-JSON form ({"S": ...}) that stream records carry.
 */
public final class AttributeJson {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private AttributeJson() {
    }

    public static AttributeValue toAttribute(JsonNode node) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            return AttributeValue.fromNul(true);
        }
        if (node.isTextual()) {
            return AttributeValue.fromS(node.asText());
        }
        if (node.isNumber()) {
            return AttributeValue.fromN(node.decimalValue().stripTrailingZeros().toPlainString());
        }
        if (node.isBoolean()) {
            return AttributeValue.fromBool(node.booleanValue());
        }
        if (node.isArray()) {
            List<AttributeValue> items = new ArrayList<>();
            node.forEach(n -> items.add(toAttribute(n)));
            return AttributeValue.fromL(items);
        }
        Map<String, AttributeValue> map = new LinkedHashMap<>();
        node.fields().forEachRemaining(e -> map.put(e.getKey(), toAttribute(e.getValue())));
        return AttributeValue.fromM(map);
    }

    public static JsonNode toJson(AttributeValue value) {
        if (value == null || Boolean.TRUE.equals(value.nul())) {
            return NODES.nullNode();
        }
        if (value.s() != null) {
            return NODES.textNode(value.s());
        }
        if (value.n() != null) {
            BigDecimal d = new BigDecimal(value.n());
            return d.scale() <= 0 && d.abs().compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) < 0
                    ? NODES.numberNode(d.longValueExact())
                    : NODES.numberNode(d);
        }
        if (value.bool() != null) {
            return NODES.booleanNode(value.bool());
        }
        if (value.hasL()) {
            ArrayNode arr = NODES.arrayNode();
            value.l().forEach(v -> arr.add(toJson(v)));
            return arr;
        }
        if (value.hasM()) {
            return toJson(value.m());
        }
        if (value.hasSs()) {
            ArrayNode arr = NODES.arrayNode();
            value.ss().forEach(arr::add);
            return arr;
        }
        if (value.hasNs()) {
            ArrayNode arr = NODES.arrayNode();
            value.ns().forEach(n -> arr.add(new BigDecimal(n)));
            return arr;
        }
        return NODES.nullNode();
    }

    public static ObjectNode toJson(Map<String, AttributeValue> map) {
        ObjectNode obj = NODES.objectNode();
        map.forEach((k, v) -> obj.set(k, toJson(v)));
        return obj;
    }

    /** Reads a DynamoDB-JSON attribute ({"S":"x"}, {"M":{...}}, ...), as found in stream records. */
    public static AttributeValue fromDynamoJson(JsonNode typed) {
        if (typed == null || !typed.isObject() || typed.size() != 1) {
            throw new IllegalArgumentException("not a DynamoDB JSON attribute: " + typed);
        }
        var field = typed.fields().next();
        JsonNode v = field.getValue();
        return switch (field.getKey()) {
            case "S" -> AttributeValue.fromS(v.asText());
            case "N" -> AttributeValue.fromN(v.asText());
            case "BOOL" -> AttributeValue.fromBool(v.asBoolean());
            case "NULL" -> AttributeValue.fromNul(true);
            case "B" -> AttributeValue.fromB(SdkBytes.fromByteArray(java.util.Base64.getDecoder().decode(v.asText())));
            case "SS" -> AttributeValue.fromSs(strings(v));
            case "NS" -> AttributeValue.fromNs(strings(v));
            case "L" -> {
                List<AttributeValue> items = new ArrayList<>();
                v.forEach(n -> items.add(fromDynamoJson(n)));
                yield AttributeValue.fromL(items);
            }
            case "M" -> AttributeValue.fromM(fromDynamoJsonMap(v));
            default -> throw new IllegalArgumentException("unsupported DynamoDB JSON type " + field.getKey());
        };
    }

    public static Map<String, AttributeValue> fromDynamoJsonMap(JsonNode object) {
        Map<String, AttributeValue> map = new LinkedHashMap<>();
        object.fields().forEachRemaining(e -> map.put(e.getKey(), fromDynamoJson(e.getValue())));
        return map;
    }

    private static List<String> strings(JsonNode arr) {
        List<String> out = new ArrayList<>();
        arr.forEach(n -> out.add(n.asText()));
        return out;
    }
}
