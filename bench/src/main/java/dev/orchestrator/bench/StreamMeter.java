package dev.orchestrator.bench;

import dev.orchestrator.core.ItemCodec;
import dev.orchestrator.core.Keys;
import dev.orchestrator.core.RunIndex;
import dev.orchestrator.testkit.DynamoDbLimits;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.GetRecordsResponse;
import software.amazon.awssdk.services.dynamodb.model.Record;
import software.amazon.awssdk.services.dynamodb.model.Shard;
import software.amazon.awssdk.services.dynamodb.model.ShardIteratorType;
import software.amazon.awssdk.services.dynamodb.streams.DynamoDbStreamsClient;

/**
 * The write-unit meter: reads a table's DynamoDB stream (DescribeTable -> LatestStreamArn,
 * DescribeStream, GetShardIterator TRIM_HORIZON, GetRecords) on the emulator and prices each record
 * as DynamoDB bills the write behind it. Every call of {@link #drain()} returns the records that
 * arrived since the previous one, so a workload is metered by draining before and after it.
 *
 * <p>Pricing ({@link #price}): the table write costs ceil(max(old image, new image) / 1 KB) write units
 * (item sizes by DynamoDB's rules, {@link DynamoDbLimits#itemSize}); the status table's
 * {@code RunsIndex} costs nothing when neither its keys nor its projected attributes changed,
 * ceil(projected entry / 1 KB) when they changed under the same key or the entry appears or goes, and
 * a delete plus a put when its key changed. Writes that changed nothing leave no stream record; the
 * caller adds those from the request counts.
 *
 * <p>moto (5.x) records an UpdateItem that creates its item twice: first an INSERT of the bare keys (it
 * puts an empty item, then applies the update), then the item as written. DynamoDB records one write and
 * bills one; the meter skips the bare-keys INSERT ({@link #emulatorPlaceholder}) and counts the skips.
 */
final class StreamMeter {

    /** Attributes RunsIndex projects besides its keys and the table's keys (template.yaml). */
    static final List<String> PROJECTED = RunIndex.PROJECTED;
    static final List<String> TABLE_KEYS = List.of(ItemCodec.UID, ItemCodec.WORKFLOW);

    private final DynamoDbStreamsClient streams;
    private final String streamArn;
    private final Map<String, String> iterators = new LinkedHashMap<>();

    StreamMeter(DynamoDbClient dynamo, DynamoDbStreamsClient streams, String table) {
        this.streams = streams;
        this.streamArn = dynamo.describeTable(b -> b.tableName(table)).table().latestStreamArn();
        if (streamArn == null) {
            throw new IllegalStateException("table " + table + " has no stream: the write-unit meter reads it");
        }
    }

    /** Every record written to the stream since the previous drain (all shards, in order per shard). */
    List<Record> drain() {
        for (Shard shard : streams.describeStream(b -> b.streamArn(streamArn)).streamDescription().shards()) {
            iterators.computeIfAbsent(shard.shardId(), id -> streams.getShardIterator(b -> b.streamArn(streamArn)
                    .shardId(id).shardIteratorType(ShardIteratorType.TRIM_HORIZON)).shardIterator());
        }
        List<Record> out = new ArrayList<>();
        for (Map.Entry<String, String> it : iterators.entrySet()) {
            String next = it.getValue();
            while (next != null) {
                String from = next;
                GetRecordsResponse r = streams.getRecords(b -> b.shardIterator(from).limit(1000));
                out.addAll(r.records());
                next = r.nextShardIterator();
                if (r.records().isEmpty()) {
                    break;
                }
            }
            it.setValue(next);
        }
        return out;
    }

    // ------------------------------------------------------------------ pricing

    /** What kind of item a record is about: header, execution, roster (status table) or history. */
    static String kind(Map<String, AttributeValue> keys) {
        if (keys.containsKey("run")) {
            return "history";
        }
        return switch (Keys.kind(keys.get("uid").s())) {
            case HEADER -> "header";
            case EXECUTION -> "execution";
            case ROSTER -> "roster";
        };
    }

    /** The run uid an item belongs to (history: the {@code run} key's uid part). */
    static String runUid(Map<String, AttributeValue> keys) {
        if (keys.containsKey("run")) {
            String run = keys.get("run").s();
            int hash = run.lastIndexOf('#');
            return hash < 0 ? run : run.substring(0, hash);
        }
        String uid = keys.get("uid").s();
        return switch (Keys.kind(uid)) {
            case HEADER -> uid;
            case ROSTER -> uid.substring(Keys.ROSTER_PREFIX.length());
            case EXECUTION -> Keys.execution(uid, keys.get("workflow").s()).uid();
        };
    }

    /** One priced stream record. */
    record Priced(String kind, String uid, String event, long itemBytes, long wru, long indexWru, Map<String, Long> indexByPartition) {
    }

    /**
     * moto's extra record for an UpdateItem that created its item: an INSERT whose new image holds only the
     * table's keys (the orchestrator never writes a keys-only item: every write sets a state or an entry).
     */
    static boolean emulatorPlaceholder(Record r) {
        if (!"INSERT".equals(r.eventNameAsString()) || !r.dynamodb().hasNewImage() || (r.dynamodb().hasOldImage() && !r.dynamodb().oldImage().isEmpty())) {
            return false;
        }
        return r.dynamodb().keys().keySet().equals(r.dynamodb().newImage().keySet());
    }

    static Priced price(Record r) {
        Map<String, AttributeValue> keys = r.dynamodb().keys();
        Map<String, AttributeValue> oldImage = r.dynamodb().hasOldImage() ? r.dynamodb().oldImage() : Map.of();
        Map<String, AttributeValue> newImage = r.dynamodb().hasNewImage() ? r.dynamodb().newImage() : Map.of();
        long bytes = Math.max(DynamoDbLimits.itemSize(oldImage), DynamoDbLimits.itemSize(newImage));
        long wru = Math.max(1, (bytes + 1023) / 1024);
        Map<String, Long> byPartition = new TreeMap<>();
        String oldKey = indexKey(oldImage);
        String newKey = indexKey(newImage);
        if (oldKey != null && newKey != null && oldKey.equals(newKey)) {
            if (!projected(oldImage).equals(projected(newImage))) {
                byPartition.merge(oldImage.get(RunIndex.PARTITION).s(), units(projected(newImage)), Long::sum);
            }
        } else {
            if (oldKey != null) { // the old entry goes (an index delete)
                byPartition.merge(oldImage.get(RunIndex.PARTITION).s(), units(projected(oldImage)), Long::sum);
            }
            if (newKey != null) { // the new entry is put
                byPartition.merge(newImage.get(RunIndex.PARTITION).s(), units(projected(newImage)), Long::sum);
            }
        }
        long index = byPartition.values().stream().mapToLong(Long::longValue).sum();
        return new Priced(kind(keys), runUid(keys), r.eventNameAsString(), bytes, wru, index, byPartition);
    }

    /** The RunsIndex key of an image, or null when it carries none (only run headers do). */
    static String indexKey(Map<String, AttributeValue> image) {
        AttributeValue p = image.get(RunIndex.PARTITION);
        AttributeValue s = image.get(RunIndex.SORT);
        return p == null || s == null ? null : p.s() + "\u0000" + s.n();
    }

    /** The index entry: table keys, index keys and the projected attributes. */
    static Map<String, AttributeValue> projected(Map<String, AttributeValue> image) {
        Map<String, AttributeValue> out = new TreeMap<>();
        for (String a : TABLE_KEYS) {
            putIfPresent(out, image, a);
        }
        putIfPresent(out, image, RunIndex.PARTITION);
        putIfPresent(out, image, RunIndex.SORT);
        for (String a : PROJECTED) {
            putIfPresent(out, image, a);
        }
        return out;
    }

    private static void putIfPresent(Map<String, AttributeValue> out, Map<String, AttributeValue> image, String a) {
        if (image.containsKey(a)) {
            out.put(a, image.get(a));
        }
    }

    private static long units(Map<String, AttributeValue> entry) {
        return Math.max(1, (DynamoDbLimits.itemSize(entry) + 1023) / 1024);
    }

    // ------------------------------------------------------------------ tallies

    /** Write units of a set of records, by item kind, with the largest item and the index's partitions. */
    static final class Tally {
        final Map<String, Long> records = new TreeMap<>();
        final Map<String, Long> wru = new TreeMap<>();
        final Map<String, Long> indexByPartition = new TreeMap<>();
        long indexWru;
        /** moto's bare-keys INSERTs skipped ({@link #emulatorPlaceholder}). */
        long placeholders;
        long largestItem;
        String largestKind = "-";

        void add(Priced p) {
            records.merge(p.kind(), 1L, Long::sum);
            wru.merge(p.kind(), p.wru(), Long::sum);
            indexWru += p.indexWru();
            p.indexByPartition().forEach((k, v) -> indexByPartition.merge(k, v, Long::sum));
            if (p.itemBytes() > largestItem) {
                largestItem = p.itemBytes();
                largestKind = p.kind();
            }
        }

        /** Adds writes that left no stream record (nothing changed): 1 unit each on small items. */
        void addUnrecorded(String kind, long writes) {
            if (writes > 0) {
                wru.merge(kind + " (writes that changed nothing)", writes, Long::sum);
            }
        }

        long tableWru() {
            return wru.values().stream().mapToLong(Long::longValue).sum();
        }

        long statusWru() {
            return wru.entrySet().stream().filter(e -> !e.getKey().startsWith("history")).mapToLong(Map.Entry::getValue).sum();
        }

        long historyWru() {
            return wru.entrySet().stream().filter(e -> e.getKey().startsWith("history")).mapToLong(Map.Entry::getValue).sum();
        }

        long total() {
            return tableWru() + indexWru;
        }

        /** The partition taking the most index write units, and its share of them. */
        Map.Entry<String, Double> largestPartition() {
            return indexByPartition.entrySet().stream().max(Map.Entry.comparingByValue())
                    .map(e -> Map.entry(e.getKey(), e.getValue() / (double) indexWru))
                    .orElse(Map.entry("-", 0d));
        }

        static Tally of(List<Record> records, String uid) {
            Tally t = new Tally();
            for (Record r : records) {
                if (emulatorPlaceholder(r)) {
                    t.placeholders++; // all of them: the run's own and its neighbours' look alike, and none is billed
                    continue;
                }
                Priced p = price(r);
                if (uid == null || Objects.equals(uid, p.uid())) {
                    t.add(p);
                }
            }
            return t;
        }
    }
}
