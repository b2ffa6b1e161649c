package dev.orchestrator.core;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BatchGetItemResponse;
import software.amazon.awssdk.services.dynamodb.model.BatchWriteItemResponse;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.KeysAndAttributes;
import software.amazon.awssdk.services.dynamodb.model.PutRequest;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;
import software.amazon.awssdk.services.dynamodb.model.WriteRequest;

/**
 * A run's rosters and its plugins' execution items. A stage's roster is written once when it is entered, in
 * chunks of {@link #CHUNK} entries and batches of {@link #BATCH_WRITE} items, so entering a stage of 10,000
 * plugins needs no request near a DynamoDB limit; a plugin that joins unlisted gets a small item of its own.
 * Reading a run's entries is one paginated Query of its roster and BatchGetItem of the executions, 100 keys
 * at a time: the cost grows with the plugins, never with their square.
 */
public final class Rosters {

    /** Entries per roster item: 200 names of at most 128 characters keep an item under 40 KB (limit 400 KB). */
    public static final int CHUNK = 200;
    /** DynamoDB's BatchWriteItem limit. */
    public static final int BATCH_WRITE = 25;
    /** DynamoDB's BatchGetItem limit. */
    public static final int BATCH_GET = 100;

    /** One listed plugin: its group, dispatch order and declared timeout. */
    public record Entry(String name, boolean mandatory, int order, Integer timeout) {
    }

    private final DynamoDbClient dynamo;
    private final String table;

    private final long retentionSeconds;
    private final SeenEnded seen;

    Rosters(DynamoDbClient dynamo, String table, long retentionSeconds, SeenEnded seen) {
        this.dynamo = dynamo;
        this.table = table;
        this.retentionSeconds = retentionSeconds;
        this.seen = seen;
    }

    /** The TTL of a roster item written now: the retention after its write (none when retention is 0). */
    private void expire(Map<String, AttributeValue> item) {
        if (retentionSeconds > 0) {
            item.put(ItemCodec.EXPIRES_AT, AttributeValue.fromN(Long.toString(System.currentTimeMillis() / 1000 + retentionSeconds)));
        }
    }

    /** Writes a stage's roster under {@code version} (the header's version at entry: a retry writes its own). */
    public void writeListed(String uid, String workflow, String activity, Stage stage, long version, List<Entry> entries) {
        List<WriteRequest> puts = new ArrayList<>();
        for (int i = 0, chunk = 0; i < entries.size(); i += CHUNK, chunk++) {
            Map<String, AttributeValue> item = new LinkedHashMap<>(Keys.listedChunk(uid, workflow, activity, stage, version, chunk));
            List<AttributeValue> list = new ArrayList<>();
            for (Entry e : entries.subList(i, Math.min(entries.size(), i + CHUNK))) {
                Map<String, AttributeValue> m = new LinkedHashMap<>();
                m.put(ItemCodec.NAME, AttributeValue.fromS(e.name()));
                m.put(ItemCodec.MANDATORY, AttributeValue.fromBool(e.mandatory()));
                m.put(ItemCodec.ORDER, AttributeValue.fromN(Integer.toString(e.order())));
                if (e.timeout() != null) {
                    m.put(ItemCodec.TIMEOUT, AttributeValue.fromN(e.timeout().toString()));
                }
                list.add(AttributeValue.fromM(m));
            }
            item.put(ItemCodec.ENTRIES, AttributeValue.fromL(list));
            expire(item);
            puts.add(WriteRequest.builder().putRequest(PutRequest.builder().item(item).build()).build());
        }
        writeAll(puts);
    }

    /** Puts items in batches of 25, resending what DynamoDB leaves unprocessed. */
    public void putAll(List<Map<String, AttributeValue>> items) {
        writeAll(items.stream().map(i -> WriteRequest.builder().putRequest(PutRequest.builder().item(i).build()).build()).toList());
    }

    private void writeAll(List<WriteRequest> requests) {
        for (int i = 0; i < requests.size(); i += BATCH_WRITE) {
            List<WriteRequest> batch = requests.subList(i, Math.min(requests.size(), i + BATCH_WRITE));
            Map<String, List<WriteRequest>> pending = Map.of(table, batch);
            for (int attempt = 0; !pending.isEmpty(); attempt++) {
                if (attempt > 0) {
                    backoff(attempt);
                }
                Map<String, List<WriteRequest>> send = pending;
                BatchWriteItemResponse r = dynamo.batchWriteItem(b -> b.requestItems(send));
                pending = r.unprocessedItems() == null ? Map.of() : r.unprocessedItems();
                if (attempt > 20 && !pending.isEmpty()) {
                    throw new IllegalStateException("DynamoDB left " + pending.get(table).size() + " roster writes unprocessed after 20 tries");
                }
            }
        }
    }

    /** Records a plugin that joined a stage unlisted (once: a second record of the same join is a no-op). */
    public boolean recordJoiner(String uid, String workflow, String activity, Stage stage, String plugin, boolean mandatory,
                                int order, long joinedAt) {
        Map<String, AttributeValue> item = new LinkedHashMap<>(Keys.joiner(uid, workflow, activity, stage, plugin));
        item.put(ItemCodec.NAME, AttributeValue.fromS(plugin));
        item.put(ItemCodec.MANDATORY, AttributeValue.fromBool(mandatory));
        item.put(ItemCodec.ORDER, AttributeValue.fromN(Integer.toString(order)));
        item.put(ItemCodec.STARTED_AT, AttributeValue.fromN(Long.toString(joinedAt)));
        expire(item);
        try {
            dynamo.putItem(b -> b.tableName(table).item(item).conditionExpression("attribute_not_exists(#u)")
                    .expressionAttributeNames(Map.of("#u", ItemCodec.UID)));
            return true;
        } catch (ConditionalCheckFailedException already) {
            return false;
        }
    }

    private record StageKey(String activity, Stage stage) {
    }

    /** Fills the entries of the stages {@code which} selects (those with a roster) from the roster and executions. */
    WorkflowRun fill(WorkflowRun run, Predicate<StageStatus> which) {
        Map<StageKey, StageStatus> targets = new LinkedHashMap<>();
        for (var a : run.activities().entrySet()) {
            for (Stage stage : Stage.values()) {
                StageStatus s = a.getValue().stage(stage);
                if (s.rosterVersion() != null && which.test(s)) {
                    targets.put(new StageKey(a.getKey(), stage), s);
                }
            }
        }
        if (targets.isEmpty()) {
            return run;
        }
        Map<StageKey, Map<String, Entry>> listed = new HashMap<>();
        readRoster(run, targets, listed);
        Map<Map<String, AttributeValue>, Map<String, AttributeValue>> executions = readExecutions(run, targets, listed);
        WorkflowRun out = run;
        for (var t : targets.entrySet()) {
            StageKey k = t.getKey();
            Map<String, PluginStatus> mandatory = new LinkedHashMap<>();
            Map<String, PluginStatus> optional = new LinkedHashMap<>();
            for (Entry e : listed.getOrDefault(k, Map.of()).values()) {
                Keys.Execution ex = new Keys.Execution(e.name(), run.uid(), run.workflow(), k.activity(), k.stage());
                Map<String, AttributeValue> item = executions.get(ex.key());
                PluginStatus p = item == null ? PluginStatus.listed(e.order(), e.timeout()) : withOrder(ItemCodec.pluginFrom(item), e);
                (e.mandatory() ? mandatory : optional).put(e.name(), p);
            }
            var a = out.activity(k.activity());
            out = out.withActivity(k.activity(), a.withStage(k.stage(), t.getValue().withPlugins(mandatory, optional)));
        }
        return out;
    }

    private static PluginStatus withOrder(PluginStatus p, Entry e) {
        return new PluginStatus(p.state(), e.order(), p.message(), p.dispatchedAt(), p.startedAt(), p.heartbeatAt(),
                p.attempt(), p.timeout() != null ? p.timeout() : e.timeout(), p.rerunAt(), p.rerunPublishedAt(), p.endedAt(),
                p.invalid(), p.child());
    }

    private void readRoster(WorkflowRun run, Map<StageKey, StageStatus> targets, Map<StageKey, Map<String, Entry>> listed) {
        Map<String, AttributeValue> start = null;
        do {
            Map<String, AttributeValue> from = start;
            QueryResponse r = dynamo.query(b -> b.tableName(table).consistentRead(true)
                    .keyConditionExpression("#u = :u AND begins_with(#w, :p)")
                    .expressionAttributeNames(Map.of("#u", ItemCodec.UID, "#w", ItemCodec.WORKFLOW))
                    .expressionAttributeValues(Map.of(":u", AttributeValue.fromS(Keys.rosterPartition(run.uid())),
                            ":p", AttributeValue.fromS(Keys.rosterPrefix(run.workflow()))))
                    .exclusiveStartKey(from));
            for (Map<String, AttributeValue> item : r.items()) {
                Keys.RosterRef ref;
                try {
                    ref = Keys.roster(run.workflow(), item.get(ItemCodec.WORKFLOW).s());
                } catch (IllegalArgumentException e) {
                    continue; // a workflow whose name extends this one's (never: names hold no separator)
                }
                StageKey k = new StageKey(ref.activity(), ref.stage());
                StageStatus s = targets.get(k);
                if (s == null) {
                    continue;
                }
                Map<String, Entry> entries = listed.computeIfAbsent(k, x -> new LinkedHashMap<>());
                if (Keys.LISTED.equals(ref.kind())) {
                    String version = ref.rest().substring(0, ref.rest().indexOf(Keys.SEP));
                    if (!version.equals(Long.toString(s.rosterVersion())) || !item.containsKey(ItemCodec.ENTRIES)) {
                        continue; // a roster written by an entry attempt that lost its header write
                    }
                    for (AttributeValue v : item.get(ItemCodec.ENTRIES).l()) {
                        Entry e = entryFrom(v.m());
                        entries.putIfAbsent(e.name(), e);
                    }
                } else if (Keys.JOINED.equals(ref.kind())) {
                    Entry e = entryFrom(item);
                    entries.putIfAbsent(e.name(), e);
                }
            }
            start = r.lastEvaluatedKey() == null || r.lastEvaluatedKey().isEmpty() ? null : r.lastEvaluatedKey();
        } while (start != null);
    }

    private static Entry entryFrom(Map<String, AttributeValue> m) {
        AttributeValue t = m.get(ItemCodec.TIMEOUT);
        AttributeValue o = m.get(ItemCodec.ORDER);
        return new Entry(m.get(ItemCodec.NAME).s(), Boolean.TRUE.equals(m.get(ItemCodec.MANDATORY).bool()),
                o == null ? 1000 : Integer.parseInt(o.n()), t == null ? null : Integer.valueOf(t.n()));
    }

    /**
     * The execution items of the listed entries: those the drive has seen end in this entry of their stage
     * ({@link SeenEnded#endedIn}) as seen, the others by BatchGetItem.
     */
    private Map<Map<String, AttributeValue>, Map<String, AttributeValue>> readExecutions(WorkflowRun run,
            Map<StageKey, StageStatus> targets, Map<StageKey, Map<String, Entry>> listed) {
        List<Map<String, AttributeValue>> keys = new ArrayList<>();
        Map<Map<String, AttributeValue>, Map<String, AttributeValue>> out = new HashMap<>();
        listed.forEach((k, entries) -> entries.keySet().forEach(name -> {
            var key = new Keys.Execution(name, run.uid(), run.workflow(), k.activity(), k.stage()).key();
            var known = seen.endedIn(key, targets.get(k).rosterVersion());
            if (known != null) {
                out.put(key, known);
            } else {
                keys.add(key);
            }
        }));
        for (int i = 0; i < keys.size(); i += BATCH_GET) {
            Map<String, KeysAndAttributes> pending = Map.of(table, KeysAndAttributes.builder()
                    .keys(keys.subList(i, Math.min(keys.size(), i + BATCH_GET))).consistentRead(true).build());
            for (int attempt = 0; !pending.isEmpty(); attempt++) {
                if (attempt > 0) {
                    backoff(attempt);
                }
                Map<String, KeysAndAttributes> send = pending;
                BatchGetItemResponse r = dynamo.batchGetItem(b -> b.requestItems(send));
                for (Map<String, AttributeValue> item : r.responses().getOrDefault(table, List.of())) {
                    out.put(ItemCodec.key(item.get(ItemCodec.UID).s(), item.get(ItemCodec.WORKFLOW).s()), item);
                    seen.saw(item);
                }
                pending = r.unprocessedKeys() == null ? Map.of() : r.unprocessedKeys();
                if (attempt > 20 && !pending.isEmpty()) {
                    throw new IllegalStateException("DynamoDB left execution reads unprocessed after 20 tries");
                }
            }
        }
        return out;
    }

    private static void backoff(int attempt) {
        try {
            Thread.sleep(Math.min(1000L, 20L << Math.min(attempt, 6)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while retrying unprocessed DynamoDB batch items", e);
        }
    }
}
