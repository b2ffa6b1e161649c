package dev.orchestrator.core;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.GetItemRequest;
import software.amazon.awssdk.services.dynamodb.model.PutItemRequest;

/**
 * The status table (engine v3, see {@link Keys}): a small header per run, one item per plugin execution, and
 * each run's roster. Every write is conditional (but the content-addressed start inputs); a lost condition returns false. {@link #get} is the one read
 * model: the header with every entered stage's entries filled in from the roster and the executions, so the
 * engine, the CLI, the console and the tests all see a run the same way.
 */
public final class StatusStore {

    private final DynamoDbClient dynamo;
    private final String table;
    private final Rosters roster;
    private final long retentionSeconds;
    private final SeenEnded seen = new SeenEnded();

    /** A scope that ends without a checked exception. */
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }

    public StatusStore(DynamoDbClient dynamo, String table) {
        this(dynamo, table, 0);
    }

    /**
     * With {@code retentionDays} > 0, what the store writes expires by DynamoDB TTL ({@code expiresAt}) that many
     * days after it was written: roster items and execution items the engine creates; a run's header gets it when
     * the run ends ({@link #expiresAt}), and plugins' claims from the stage message's {@code expiresAt}.
     */
    public StatusStore(DynamoDbClient dynamo, String table, int retentionDays) {
        if (retentionDays < 0) {
            throw new IllegalArgumentException("retention days must be 0 (keep forever) or more, got " + retentionDays);
        }
        this.dynamo = dynamo;
        this.table = table;
        this.retentionSeconds = retentionDays * 86_400L;
        this.roster = new Rosters(dynamo, table, retentionSeconds, seen);
    }

    /** When an item written at {@code nowMs} expires (epoch seconds), or null when nothing expires. */
    public Long expiresAt(long nowMs) {
        return retentionSeconds > 0 ? nowMs / 1000 + retentionSeconds : null;
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

    /**
     * Replaces a run's header whole, if nobody wrote it since {@code expectedVersion} was read. Entries the run
     * holds as Not Started (a resume resets failed work) have their execution items reset first, so the
     * plugins may claim them again; Complete ones are never touched.
     */
    public boolean replace(WorkflowRun run, long expectedVersion, long now) {
        run.activities().forEach((activity, a) -> {
            for (Stage stage : Stage.values()) {
                StageStatus st = a.stage(stage);
                for (StageStatus.Entry e : st.plugins()) {
                    if (e.status().state() == State.NOT_STARTED) {
                        resetExecution(new Keys.Execution(e.name(), run.uid(), run.workflow(), activity, stage), now);
                    }
                }
            }
        });
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

    /** The run as a reader sees it: header plus every entered stage's entries (strongly consistent reads). */
    public Optional<WorkflowRun> get(String uid, String workflow) {
        return header(uid, workflow).map(run -> roster.fill(run, s -> true));
    }

    /**
     * The run as the engine decides on it: the header plus the entries of the stages that can still change
     * (running, failed but not yet closed, or reset by a resume); finished stages are not read again.
     */
    public Optional<WorkflowRun> getForEngine(String uid, String workflow) {
        return header(uid, workflow).map(run -> roster.fill(run, s -> !s.status().isDoneOk() && s.status() != State.DO_NOT_RUN));
    }

    /**
     * The run as one item in the shape readers knew before engine v3 ({@code activities.<A>.<stage>.<group>.<plugin>}
     * entries included), for the CLI's {@code status --json} and the console: the header as stored, with its
     * activities filled from the roster and the execution items. Every reader of a whole run goes through here.
     */
    public Optional<Map<String, AttributeValue>> runItem(String uid, String workflow) {
        Optional<Map<String, AttributeValue>> raw = getItem(uid, workflow);
        if (raw.isEmpty()) {
            return raw;
        }
        WorkflowRun run = roster.fill(ItemCodec.fromItem(raw.get()), s -> true);
        Map<String, AttributeValue> item = new java.util.LinkedHashMap<>(raw.get());
        item.put(ItemCodec.ACTIVITIES, withOutputs(ItemCodec.readerActivities(run), run));
        return Optional.of(item);
    }

    /**
     * The reader's activities with each Complete entry's output ({@code output}: the object, or {@code outputRef})
     * beside its state: one BatchGetItem per 100 Complete executions, projecting only the outputs.
     */
    private AttributeValue withOutputs(AttributeValue activities, WorkflowRun run) {
        java.util.List<Keys.Execution> complete = new java.util.ArrayList<>();
        run.activities().forEach((a, act) -> {
            for (Stage st : Stage.values()) {
                for (StageStatus.Entry e : act.stage(st).plugins()) {
                    if (e.status().state() == State.COMPLETE) {
                        complete.add(new Keys.Execution(e.name(), run.uid(), run.workflow(), a, st));
                    }
                }
            }
        });
        if (complete.isEmpty()) {
            return activities;
        }
        Map<Keys.Execution, com.fasterxml.jackson.databind.node.ObjectNode> outputs = outputs(complete);
        if (outputs.isEmpty()) {
            return activities;
        }
        com.fasterxml.jackson.databind.node.ObjectNode tree = (com.fasterxml.jackson.databind.node.ObjectNode) AttributeJson.toJson(activities);
        outputs.forEach((e, wire) -> {
            com.fasterxml.jackson.databind.JsonNode stage = tree.path(e.activity()).path(e.stage().itemKey());
            for (String group : new String[] {ItemCodec.MANDATORY, ItemCodec.OPTIONAL}) {
                if (stage.path(group).path(e.plugin()).isObject()) {
                    ((com.fasterxml.jackson.databind.node.ObjectNode) stage.path(group).path(e.plugin())).setAll(wire);
                }
            }
        });
        return AttributeJson.toAttribute(tree);
    }

    /** The run as given, with one stage's entries read (a stage the engine's view left unread). */
    public WorkflowRun withEntries(WorkflowRun run, String activity, Stage stage) {
        StageStatus target = run.activity(activity).stage(stage);
        return roster.fill(run, s -> s == target);
    }

    /** The run as given, with the entries of the given stages read (by identity), in one roster Query. */
    public WorkflowRun withEntries(WorkflowRun run, java.util.List<StageStatus> stages) {
        if (stages.isEmpty()) {
            return run;
        }
        return roster.fill(run, s -> stages.stream().anyMatch(t -> t == s));
    }

    /**
     * Until the scope closes, on this thread, the execution items this store reads in full that have ended, and those
     * {@link #sawInStream} shows ended, are kept (bounded): {@link #getForEngine} and {@link #outputs} take them from
     * there instead of reading them again. The engine opens one per drive: a plugin cannot change an item once it has
     * ended, and nothing outlives the drive ({@link SeenEnded}).
     */
    public Scope rememberingEnded() {
        return seen.open();
    }

    /**
     * The latest image of each execution item a stream batch showed, in the batch's order (a later image of an item
     * replaces an earlier one): those that have ended need not be read in the open {@link #rememberingEnded} scope.
     */
    public void sawInStream(java.util.List<Map<String, AttributeValue>> images) {
        images.forEach(seen::saw);
    }

    /**
     * The outputs of executions, as they travel ({@link Outputs#fromItem}): BatchGetItem, 100 keys a request,
     * projecting only the keys and {@code output} / {@code outputRef}. Executions without an output are absent.
     * Executions already seen Complete in an open {@link #rememberingEnded} scope are not read again.
     */
    public Map<Keys.Execution, com.fasterxml.jackson.databind.node.ObjectNode> outputs(java.util.List<Keys.Execution> executions) {
        Map<Map<String, AttributeValue>, Keys.Execution> byKey = new java.util.LinkedHashMap<>();
        Map<Keys.Execution, com.fasterxml.jackson.databind.node.ObjectNode> out = new java.util.HashMap<>();
        for (Keys.Execution e : executions) {
            Map<String, AttributeValue> known = seen.outputs(e.key());
            if (known == null) {
                byKey.put(e.key(), e);
            } else {
                var wire = Outputs.fromItem(known); // a fresh node each time: callers may change what they get
                if (wire != null) {
                    out.put(e, wire);
                }
            }
        }
        java.util.List<Map<String, AttributeValue>> keys = new java.util.ArrayList<>(byKey.keySet());
        for (int i = 0; i < keys.size(); i += Rosters.BATCH_GET) {
            Map<String, software.amazon.awssdk.services.dynamodb.model.KeysAndAttributes> pending = Map.of(table,
                    software.amazon.awssdk.services.dynamodb.model.KeysAndAttributes.builder()
                            .keys(keys.subList(i, Math.min(keys.size(), i + Rosters.BATCH_GET))).consistentRead(true)
                            .projectionExpression("#u, #w, #o, #r")
                            .expressionAttributeNames(Map.of("#u", ItemCodec.UID, "#w", ItemCodec.WORKFLOW,
                                    "#o", Outputs.OUTPUT, "#r", Outputs.OUTPUT_REF)).build());
            for (int attempt = 0; !pending.isEmpty(); attempt++) {
                if (attempt > 20) {
                    throw new IllegalStateException("DynamoDB left output reads unprocessed after 20 tries");
                }
                if (attempt > 0) {
                    try {
                        Thread.sleep(Math.min(1000L, 20L << Math.min(attempt, 6)));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IllegalStateException("interrupted while reading outputs", e);
                    }
                }
                var send = pending;
                var r = dynamo.batchGetItem(b -> b.requestItems(send));
                for (Map<String, AttributeValue> item : r.responses().getOrDefault(table, java.util.List.of())) {
                    Keys.Execution e = byKey.get(ItemCodec.key(item.get(ItemCodec.UID).s(), item.get(ItemCodec.WORKFLOW).s()));
                    var wire = Outputs.fromItem(item);
                    if (e != null && wire != null) {
                        out.put(e, wire);
                    }
                }
                pending = r.unprocessedKeys() == null ? Map.of() : r.unprocessedKeys();
            }
        }
        return out;
    }

    /**
     * Writes the inputs a run starts with ({@link Keys#startInputsItem}), before its header names them: the engine
     * never sees a header whose inputs are not there yet. Unconditional: the same digest is the same document.
     */
    public void putStartInputs(String uid, String workflow, String digest, com.fasterxml.jackson.databind.node.ObjectNode inputs,
                               Long expiresAt) {
        Map<String, AttributeValue> item = new java.util.LinkedHashMap<>(Keys.startInputsItem(uid, workflow, digest));
        item.put(Outputs.INPUTS, AttributeValue.fromS(Json.write(inputs)));
        if (expiresAt != null) {
            item.put(ItemCodec.EXPIRES_AT, AttributeValue.fromN(Long.toString(expiresAt)));
        }
        dynamo.putItem(b -> b.tableName(table).item(item));
    }

    /** The inputs a run started with, {@code {source: {name: {...}}}}; empty when its item is gone. */
    public Optional<com.fasterxml.jackson.databind.node.ObjectNode> startInputs(String uid, String workflow, String digest) {
        Map<String, AttributeValue> item = dynamo.getItem(GetItemRequest.builder().tableName(table)
                .key(Keys.startInputsItem(uid, workflow, digest)).consistentRead(true).build()).item();
        if (item == null || !item.containsKey(Outputs.INPUTS)) {
            return Optional.empty();
        }
        JsonNode doc = Json.parse(item.get(Outputs.INPUTS).s());
        return doc.isObject() ? Optional.of((com.fasterxml.jackson.databind.node.ObjectNode) doc) : Optional.empty();
    }

    /** The header alone (no plugin entries). */
    public Optional<WorkflowRun> header(String uid, String workflow) {
        Map<String, AttributeValue> item = dynamo.getItem(GetItemRequest.builder()
                .tableName(table).key(ItemCodec.key(uid, workflow)).consistentRead(true).build()).item();
        return item == null || item.isEmpty() ? Optional.empty() : Optional.of(ItemCodec.fromItem(item));
    }

    /** Rosters and executions: what a stage lists, who joined, and each plugin's own item. */
    public Rosters rosters() {
        return roster;
    }

    /** Applies an update to one plugin's execution item (which it may create); false when its condition did not hold. */
    public boolean updateExecution(Keys.Execution e, UpdateBuilder update, long now) {
        Long expires = expiresAt(now);
        if (expires != null) {
            update.setIfNotExists(java.util.List.of(ItemCodec.EXPIRES_AT), AttributeValue.fromN(Long.toString(expires)));
        }
        try {
            dynamo.updateItem(update.build(table, e.uidKey(), e.sortKey(), now));
            return true;
        } catch (ConditionalCheckFailedException lost) {
            return false;
        }
    }

    private void resetExecution(Keys.Execution e, long now) {
        UpdateBuilder u = new UpdateBuilder();
        String state = u.path(java.util.List.of(ItemCodec.STATE));
        u.condition(state + " <> " + u.value(AttributeValue.fromS(State.COMPLETE.wire())));
        u.set(java.util.List.of(ItemCodec.STATE), AttributeValue.fromS(State.NOT_STARTED.wire()));
        for (String gone : new String[] {ItemCodec.MESSAGE, ItemCodec.ENDED_AT, ItemCodec.DISPATCHED_AT, ItemCodec.RERUN_AT,
                ItemCodec.RERUN_PUBLISHED_AT, ItemCodec.CHILD, ItemCodec.HEARTBEAT_AT}) {
            u.remove(java.util.List.of(gone));
        }
        updateExecution(e, u, now); // false: never claimed (nothing to reset) or Complete (kept)
    }

    /** The execution item as stored, if any. */
    public Optional<Map<String, AttributeValue>> execution(Keys.Execution e) {
        Map<String, AttributeValue> item = dynamo.getItem(b -> b.tableName(table).consistentRead(true).key(e.key())).item();
        return item == null || item.isEmpty() ? Optional.empty() : Optional.of(item);
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
