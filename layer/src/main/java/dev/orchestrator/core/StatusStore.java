package dev.orchestrator.core;

import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.GetItemRequest;
import software.amazon.awssdk.services.dynamodb.model.PutItemRequest;

/** The status table: one item per run. Every write is conditional; a lost condition returns false. */
public final class StatusStore {

    private final DynamoDbClient dynamo;
    private final String table;

    public StatusStore(DynamoDbClient dynamo, String table) {
        this.dynamo = dynamo;
        this.table = table;
    }

    public DynamoDbClient client() {
        return dynamo;
    }

    public String table() {
        return table;
    }

    /** Creates a new run; false when one with this uid + workflow exists already. */
    public boolean create(WorkflowRun run, long now) {
        try {
            dynamo.putItem(PutItemRequest.builder()
                    .tableName(table)
                    .item(ItemCodec.toItem(run, now))
                    .conditionExpression("attribute_not_exists(#uid)")
                    .expressionAttributeNames(Map.of("#uid", ItemCodec.UID))
                    .build());
            return true;
        } catch (ConditionalCheckFailedException e) {
            return false;
        }
    }

    /** Replaces a run whole, if nobody wrote it since {@code expectedVersion} was read. */
    public boolean replace(WorkflowRun run, long expectedVersion, long now) {
        try {
            dynamo.putItem(PutItemRequest.builder()
                    .tableName(table)
                    .item(ItemCodec.toItem(run, now))
                    .conditionExpression("#v = :v")
                    .expressionAttributeNames(Map.of("#v", ItemCodec.VERSION))
                    .expressionAttributeValues(Map.of(":v", AttributeValue.fromN(Long.toString(expectedVersion))))
                    .build());
            return true;
        } catch (ConditionalCheckFailedException e) {
            return false;
        }
    }

    /** Strongly consistent read: the engine decides from the latest item, not from a stream image. */
    public Optional<WorkflowRun> get(String uid, String workflow) {
        Map<String, AttributeValue> item = dynamo.getItem(GetItemRequest.builder()
                .tableName(table).key(ItemCodec.key(uid, workflow)).consistentRead(true).build()).item();
        return item == null || item.isEmpty() ? Optional.empty() : Optional.of(ItemCodec.fromItem(item));
    }

    /** Applies an update asking for the item as written; empty when its condition did not hold. */
    /** The item as stored, without interpreting it (for a run the engine could not read). */
    public Optional<Map<String, AttributeValue>> getItem(String uid, String workflow) {
        Map<String, AttributeValue> item = dynamo.getItem(b -> b.tableName(table).consistentRead(true)
                .key(ItemCodec.key(uid, workflow))).item();
        return item == null || item.isEmpty() ? Optional.empty() : Optional.of(item);
    }

    public Optional<WorkflowRun> updateAndGet(String uid, String workflow, UpdateBuilder update, long now) {
        try {
            Map<String, AttributeValue> item = dynamo.updateItem(update.returnAllNew().build(table, uid, workflow, now)).attributes();
            return Optional.of(ItemCodec.fromItem(item));
        } catch (ConditionalCheckFailedException e) {
            return Optional.empty();
        }
    }

    /** Applies an update and returns the attributes it wrote (UPDATED_NEW); empty when its condition did not hold. */
    public Optional<Map<String, AttributeValue>> updateReturning(String uid, String workflow, UpdateBuilder update, long now) {
        try {
            return Optional.of(dynamo.updateItem(update.returnUpdatedNew().build(table, uid, workflow, now)).attributes());
        } catch (ConditionalCheckFailedException e) {
            return Optional.empty();
        }
    }

    /** Applies an update; false when its condition did not hold (someone else moved the run on). */
    public boolean update(String uid, String workflow, UpdateBuilder update, long now) {
        try {
            dynamo.updateItem(update.build(table, uid, workflow, now));
            return true;
        } catch (ConditionalCheckFailedException e) {
            return false;
        }
    }
}
