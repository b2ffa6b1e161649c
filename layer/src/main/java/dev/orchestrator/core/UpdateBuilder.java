package dev.orchestrator.core;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.UpdateItemRequest;

/**
 * Builds one UpdateItem with SET/REMOVE clauses and a condition. Every path segment becomes a
 * {@code #n} placeholder: activity and plugin names are user data and may be reserved words.
 * Each update also bumps {@code version} and stamps {@code updatedAt}.
 */
public final class UpdateBuilder {

    private final Map<String, String> names = new LinkedHashMap<>();
    private final Map<String, String> nameIds = new LinkedHashMap<>();
    private final Map<String, AttributeValue> values = new LinkedHashMap<>();
    private final List<String> sets = new ArrayList<>();
    private final List<String> removes = new ArrayList<>();
    private final List<String> conditions = new ArrayList<>();
    private software.amazon.awssdk.services.dynamodb.model.ReturnValue returnValues;
    private boolean bumpVersion = true;
    private boolean mayCreate = false;
    private String runStatus;

    /**
     * Lets the update create the item: a plugin's claim creates its own execution item, and the engine
     * creates one it dispatches or fails before the plugin claimed. Its conditions still decide.
     */
    public UpdateBuilder mayCreate() {
        mayCreate = true;
        return this;
    }

    /**
     * Leaves {@code version} alone: for writes that change nothing a decision depends on (a timer's touch,
     * the timer mark), so they do not void the engine's version-conditioned writes planned meanwhile.
     */
    public UpdateBuilder withoutVersionBump() {
        bumpVersion = false;
        return this;
    }

    /** Ask for the item as written (the engine decides its next step from it instead of reading again). */
    public UpdateBuilder returnAllNew() {
        returnValues = software.amazon.awssdk.services.dynamodb.model.ReturnValue.ALL_NEW;
        return this;
    }

    /** Ask for the attributes this update wrote (a plugin learns its attempt number from its claim). */
    public UpdateBuilder returnUpdatedNew() {
        returnValues = software.amazon.awssdk.services.dynamodb.model.ReturnValue.UPDATED_NEW;
        return this;
    }

    public String path(List<String> segments) {
        List<String> parts = new ArrayList<>();
        for (String s : segments) {
            parts.add(nameIds.computeIfAbsent(s, k -> {
                String id = "#n" + nameIds.size();
                names.put(id, k);
                return id;
            }));
        }
        return String.join(".", parts);
    }

    public String value(AttributeValue v) {
        String id = ":v" + values.size();
        values.put(id, v);
        return id;
    }

    public UpdateBuilder set(List<String> path, AttributeValue v) {
        sets.add(path(path) + " = " + value(v));
        if (path.size() == 1 && ItemCodec.STATUS.equals(path.get(0)) && v.s() != null) {
            runStatus = v.s(); // a run's own status: its index keys follow (RunIndex)
        }
        return this;
    }

    /** SET path = if_not_exists(path, value): keeps a first value (e.g. a start time) on repeated writes. */
    public UpdateBuilder setIfNotExists(List<String> path, AttributeValue v) {
        String p = path(path);
        sets.add(p + " = if_not_exists(" + p + ", " + value(v) + ")");
        return this;
    }

    /** SET path = if_not_exists(path, 0) + 1. */
    public UpdateBuilder increment(List<String> path) {
        return increment(path, 1);
    }

    /** Adds {@code by} to the number at {@code path} (0 when absent). */
    public UpdateBuilder increment(List<String> path, long by) {
        String p = path(path);
        sets.add(p + " = if_not_exists(" + p + ", " + value(AttributeValue.fromN("0")) + ") + " + value(AttributeValue.fromN(Long.toString(by))));
        return this;
    }

    public boolean isEmpty() {
        return sets.isEmpty() && removes.isEmpty();
    }

    public UpdateBuilder setState(List<String> path, State state) {
        return set(Paths.child(path, ItemCodec.STATUS), AttributeValue.fromS(state.wire()));
    }

    public UpdateBuilder remove(List<String> path) {
        removes.add(path(path));
        return this;
    }

    /** A raw condition; use {@link #path} and {@link #value} to build its operands. */
    public UpdateBuilder condition(String condition) {
        conditions.add("(" + condition + ")");
        return this;
    }

    public UpdateBuilder expectVersion(long version) {
        return condition(path(List.of(ItemCodec.VERSION)) + " = " + value(AttributeValue.fromN(Long.toString(version))));
    }

    public UpdateItemRequest build(String table, String uid, String workflow, long now) {
        // Placeholders only when used: DynamoDB refuses unused expression attribute names.
        List<String> all0 = withStamp(now);
        if (runStatus != null) {
            all0.add(path(List.of(RunIndex.PARTITION)) + " = " + value(AttributeValue.fromS(RunIndex.partition(runStatus, uid))));
            // A run that has not ended keeps the time it became active: its index entry keeps its keys (RunIndex).
            all0.add(path(List.of(RunIndex.SORT)) + " = " + (RunIndex.active(runStatus)
                    ? "if_not_exists(" + path(List.of(RunIndex.SORT)) + ", " + value(AttributeValue.fromN(Long.toString(now))) + ")"
                    : value(AttributeValue.fromN(Long.toString(now)))));
        }
        String expr = "SET " + String.join(", ", all0)
                + (bumpVersion ? " ADD " + path(List.of(ItemCodec.VERSION)) + " " + value(AttributeValue.fromN("1")) : "");
        if (!removes.isEmpty()) {
            expr += " REMOVE " + String.join(", ", removes);
        }
        UpdateItemRequest.Builder b = UpdateItemRequest.builder()
                .tableName(table)
                .key(ItemCodec.key(uid, workflow))
                .updateExpression(expr)
                .expressionAttributeNames(names)
                .expressionAttributeValues(values);
        if (returnValues != null) {
            b.returnValues(returnValues);
        }
        // The item must exist: an update never creates a half-formed run.
        List<String> all = new ArrayList<>(conditions);
        if (!mayCreate) {
            all.add("attribute_exists(" + path(List.of(ItemCodec.UID)) + ")");
        }
        if (!all.isEmpty()) {
            b.conditionExpression(String.join(" AND ", all));
        }
        return b.expressionAttributeNames(names).build();
    }

    private List<String> withStamp(long now) {
        List<String> all = new ArrayList<>(sets);
        all.add(path(List.of(ItemCodec.UPDATED_AT)) + " = " + value(AttributeValue.fromN(Long.toString(now))));
        return all;
    }
}
