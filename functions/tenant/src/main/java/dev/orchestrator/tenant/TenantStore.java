package dev.orchestrator.tenant;

import com.fasterxml.jackson.databind.JsonNode;
import dev.orchestrator.core.AttributeJson;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;

/**
 * The tenant tables: tiers (hash key {@code tier}), jobs (hash {@code tenantId}, range {@code jobId},
 * index {@code BuildIndex} on {@code buildId}) and processed events (hash {@code eventKey}, TTL
 * {@code expiresAt}).
 */
public final class TenantStore {

    public static final String BUILD_INDEX = "BuildIndex";
    /** The jobs-table item holding a tenant's overall state. */
    public static final String TENANT_JOB = "TENANT";
    static final long PROCESSED_TTL_SECONDS = 7 * 24 * 3600;

    private final DynamoDbClient dynamo;
    private final String tiers;
    private final String jobs;
    private final String processed;

    public TenantStore(DynamoDbClient dynamo, String tiers, String jobs, String processed) {
        this.dynamo = dynamo;
        this.tiers = tiers;
        this.jobs = jobs;
        this.processed = processed;
    }

    public Optional<Map<String, JsonNode>> tier(String tier) {
        Map<String, AttributeValue> item = dynamo.getItem(b -> b.tableName(tiers)
                .key(Map.of("tier", AttributeValue.fromS(tier))).consistentRead(true)).item();
        if (item == null || item.isEmpty()) {
            return Optional.empty();
        }
        Map<String, JsonNode> out = new LinkedHashMap<>();
        item.forEach((k, v) -> out.put(k, AttributeJson.toJson(v)));
        return Optional.of(out);
    }

    /** Claims an event key; false when it was handled already. A key still in flight throws (retry later). */
    public boolean claim(String eventKey, long nowSeconds) {
        try {
            dynamo.putItem(b -> b.tableName(processed).item(Map.of(
                            "eventKey", AttributeValue.fromS(eventKey),
                            "status", AttributeValue.fromS("in-progress"),
                            "expiresAt", AttributeValue.fromN(Long.toString(nowSeconds + PROCESSED_TTL_SECONDS))))
                    .conditionExpression("attribute_not_exists(eventKey)"));
            return true;
        } catch (ConditionalCheckFailedException e) {
            Map<String, AttributeValue> existing = dynamo.getItem(b -> b.tableName(processed)
                    .key(Map.of("eventKey", AttributeValue.fromS(eventKey))).consistentRead(true)).item();
            if (existing != null && "done".equals(existing.getOrDefault("status", AttributeValue.fromS("")).s())) {
                return false;
            }
            throw new IllegalStateException("event " + eventKey + " is being handled by another invocation; retry later");
        }
    }

    public void done(String eventKey) {
        dynamo.updateItem(b -> b.tableName(processed).key(Map.of("eventKey", AttributeValue.fromS(eventKey)))
                .updateExpression("SET #s = :d").expressionAttributeNames(Map.of("#s", "status"))
                .expressionAttributeValues(Map.of(":d", AttributeValue.fromS("done"))));
    }

    /** Releases a claim after a failure, so EventBridge's retry may handle the event again. */
    public void release(String eventKey) {
        dynamo.deleteItem(b -> b.tableName(processed).key(Map.of("eventKey", AttributeValue.fromS(eventKey))));
    }

    public void putJob(String tenantId, String jobId, Map<String, AttributeValue> attributes) {
        Map<String, AttributeValue> item = new LinkedHashMap<>(attributes);
        item.put("tenantId", AttributeValue.fromS(tenantId));
        item.put("jobId", AttributeValue.fromS(jobId));
        item.put("updatedAt", AttributeValue.fromN(Long.toString(System.currentTimeMillis())));
        dynamo.putItem(b -> b.tableName(jobs).item(item));
    }

    public void updateJob(String tenantId, String jobId, Map<String, AttributeValue> attributes) {
        Map<String, String> names = new LinkedHashMap<>();
        Map<String, AttributeValue> values = new LinkedHashMap<>();
        StringBuilder expr = new StringBuilder("SET ");
        int i = 0;
        Map<String, AttributeValue> all = new LinkedHashMap<>(attributes);
        all.put("updatedAt", AttributeValue.fromN(Long.toString(System.currentTimeMillis())));
        for (var e : all.entrySet()) {
            if (i > 0) {
                expr.append(", ");
            }
            names.put("#a" + i, e.getKey());
            values.put(":v" + i, e.getValue());
            expr.append("#a").append(i).append(" = :v").append(i);
            i++;
        }
        dynamo.updateItem(b -> b.tableName(jobs).key(Map.of("tenantId", AttributeValue.fromS(tenantId), "jobId", AttributeValue.fromS(jobId)))
                .updateExpression(expr.toString()).expressionAttributeNames(names).expressionAttributeValues(values));
    }

    public void tenantState(String tenantId, String state, String cause) {
        Map<String, AttributeValue> a = new LinkedHashMap<>();
        a.put("status", AttributeValue.fromS(state));
        a.put("cause", cause == null ? AttributeValue.fromNul(true) : AttributeValue.fromS(cause));
        updateJob(tenantId, TENANT_JOB, a);
    }

    public Optional<Map<String, AttributeValue>> jobByBuild(String buildId) {
        List<Map<String, AttributeValue>> items = dynamo.query(b -> b.tableName(jobs).indexName(BUILD_INDEX)
                .keyConditionExpression("buildId = :b").expressionAttributeValues(Map.of(":b", AttributeValue.fromS(buildId)))).items();
        return items.stream().findFirst();
    }
}
