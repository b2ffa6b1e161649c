package dev.orchestrator.tenant;

import com.fasterxml.jackson.databind.JsonNode;
import dev.orchestrator.core.AttributeJson;
import dev.orchestrator.core.ItemCodec;
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
    /** Slack on an in-progress claim's expiry, for clock differences between invocations. */
    static final long CLAIM_MARGIN_SECONDS = 1;
    static final String IN_PROGRESS = "in-progress";

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

    /** What a claim found: the key is ours now, handled already, or held by another live invocation. */
    public enum Claim { CLAIMED, DONE, IN_FLIGHT }

    /**
     * Claims an event key for one invocation, as {@link #claim} does, but says when another invocation
     * holds a live claim instead of throwing (the caller decides whether to wait for it).
     */
    public Claim tryClaim(String eventKey, long nowMillis, long leaseMillis) {
        try {
            return claim(eventKey, nowMillis, leaseMillis) ? Claim.CLAIMED : Claim.DONE;
        } catch (InFlightException e) {
            return Claim.IN_FLIGHT;
        }
    }

    /** Another invocation holds a live claim on the key. */
    public static final class InFlightException extends IllegalStateException {
        InFlightException(String eventKey) {
            super("event " + eventKey + " is being handled by another invocation; retry later");
        }
    }

    /**
     * Claims an event key for one invocation; false when it was handled already. The claim lives only
     * as long as the invocation can ({@code leaseMillis}, the function's remaining time): after a
     * timeout or a crash the next delivery may claim it again. A live claim of another invocation
     * throws (EventBridge retries later). Completed keys are kept {@link #PROCESSED_TTL_SECONDS}.
     */
    public boolean claim(String eventKey, long nowMillis, long leaseMillis) {
        long nowSeconds = nowMillis / 1000;
        long expires = (nowMillis + Math.max(0, leaseMillis) + 999) / 1000 + CLAIM_MARGIN_SECONDS;
        try {
            dynamo.putItem(b -> b.tableName(processed).item(Map.of(
                            "eventKey", AttributeValue.fromS(eventKey),
                            "status", AttributeValue.fromS(IN_PROGRESS),
                            ItemCodec.EXPIRES_AT, AttributeValue.fromN(Long.toString(expires))))
                    // TTL deletes late (up to days), so an expired claim is recognised here, not by its absence.
                    .conditionExpression("attribute_not_exists(eventKey) OR (#s = :p AND #x < :now)")
                    .expressionAttributeNames(Map.of("#s", "status", "#x", ItemCodec.EXPIRES_AT))
                    .expressionAttributeValues(Map.of(":p", AttributeValue.fromS(IN_PROGRESS),
                            ":now", AttributeValue.fromN(Long.toString(nowSeconds)))));
            return true;
        } catch (ConditionalCheckFailedException e) {
            Map<String, AttributeValue> existing = dynamo.getItem(b -> b.tableName(processed)
                    .key(Map.of("eventKey", AttributeValue.fromS(eventKey))).consistentRead(true)).item();
            if (existing != null && "done".equals(existing.getOrDefault("status", AttributeValue.fromS("")).s())) {
                return false;
            }
            throw new InFlightException(eventKey);
        }
    }

    /** Marks a key handled; it then stays for {@link #PROCESSED_TTL_SECONDS} so a re-delivery is recognised. */
    public void done(String eventKey, long nowMillis) {
        dynamo.updateItem(b -> b.tableName(processed).key(Map.of("eventKey", AttributeValue.fromS(eventKey)))
                .updateExpression("SET #s = :d, #x = :e").expressionAttributeNames(Map.of("#s", "status", "#x", ItemCodec.EXPIRES_AT))
                .expressionAttributeValues(Map.of(":d", AttributeValue.fromS("done"),
                        ":e", AttributeValue.fromN(Long.toString(nowMillis / 1000 + PROCESSED_TTL_SECONDS)))));
    }

    /** Forgets a key: after a failure (EventBridge's retry handles it again) or a failed build (a re-send retries). */
    public void release(String eventKey) {
        dynamo.deleteItem(b -> b.tableName(processed).key(Map.of("eventKey", AttributeValue.fromS(eventKey))));
    }

    public Optional<Map<String, AttributeValue>> job(String tenantId, String jobId) {
        Map<String, AttributeValue> item = dynamo.getItem(b -> b.tableName(jobs).key(Map.of("tenantId", AttributeValue.fromS(tenantId),
                "jobId", AttributeValue.fromS(jobId))).consistentRead(true)).item();
        return item == null || item.isEmpty() ? Optional.empty() : Optional.of(item);
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
