package dev.orchestrator.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.orchestrator.core.AttributeJson;
import dev.orchestrator.core.ItemCodec;
import dev.orchestrator.core.StackExports;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;
import software.amazon.awssdk.services.dynamodb.model.QueryResponse;

/**
 * Every read of runs the console makes, in one place, done exactly as the CLI's {@code status},
 * {@code history} and {@code runs} commands do: a run is its status item as JSON ({@link AttributeJson},
 * strongly consistent), its history is the history table's query, and lists of runs are RunsIndex
 * queries (never a scan). When the storage under the CLI changes, this class is the one to re-point;
 * the pages only read the JSON shapes these methods return.
 */
final class ConsoleReads {

    /** How many index items one runs page may read at most, per state (a page stays quick on a huge table). */
    static final int READ_BUDGET = 2_000;
    /** The same with a metadata filter, which reads each candidate's item. */
    static final int READ_BUDGET_METADATA = 200;

    private final Target target;

    ConsoleReads(Target target) {
        this.target = target;
    }

    /** The run's status item as JSON (as {@code orchestrator status --json} prints it). */
    Optional<JsonNode> run(String uid, String workflow) {
        String table = target.export(StackExports.STATUS_TABLE);
        Map<String, AttributeValue> item = Target.aws(() -> new dev.orchestrator.core.StatusStore(target.dynamo(), table)
                .runItem(uid, workflow).orElse(null));
        return item == null || item.isEmpty() ? Optional.empty() : Optional.of(AttributeJson.toJson(item));
    }

    /** The run's recorded transitions, oldest first (as {@code orchestrator history --json} prints them). */
    List<JsonNode> history(String uid, String workflow) {
        String table = target.export(StackExports.HISTORY_TABLE);
        List<JsonNode> items = new ArrayList<>();
        Target.aws(() -> {
            target.dynamo().queryPaginator(b -> b.tableName(table).keyConditionExpression("#r = :r")
                    .expressionAttributeNames(Map.of("#r", "run"))
                    .expressionAttributeValues(Map.of(":r", AttributeValue.fromS(uid + "#" + workflow)))
                    .consistentRead(true)).items().forEach(i -> items.add(AttributeJson.toJson(i)));
            return null;
        });
        return entries(items);
    }

    /**
     * History items (as stored, in key order) as one entry per transition, oldest first. An item packs the
     * transitions of a stream batch's writes to one run, each with its own {@code time} and {@code at}; items of
     * different batches interleave in time (the run's header and its plugins' items sit on different stream
     * shards), so entries are sorted by {@code at}, and one {@code at} seen twice (a retried batch packed
     * differently) is shown once.
     */
    static List<JsonNode> entries(List<JsonNode> items) {
        List<JsonNode> out = new ArrayList<>();
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (JsonNode item : items) {
            List<JsonNode> es = transitions(item);
            JsonNode raw = item.path("transitions");
            for (int i = 0; i < es.size(); i++) {
                // older items: every transition shares the item's at
                boolean own = item.has(dev.orchestrator.core.HistoryLines.LINES) || raw.path(i).has("at");
                if (!own || seen.add(es.get(i).path("at").asText())) {
                    out.add(es.get(i));
                }
            }
        }
        out.sort(java.util.Comparator.comparing(e -> e.path("at").asText())); // stable: one write's transitions keep their order
        return out;
    }

    /**
     * A history item holds transitions: {@code lines} ({@link dev.orchestrator.core.HistoryLines}), or, in items
     * written by earlier versions, {@code transitions} (one map each); readers see one entry per transition, each with
     * the item's uid and workflow and its own time and {@code at} (the item's, for items written before history
     * packed a batch's writes together).
     */
    static List<JsonNode> transitions(JsonNode item) {
        List<JsonNode> out = new ArrayList<>();
        if (item.has(dev.orchestrator.core.HistoryLines.LINES)) { // the compact form (HistoryLines)
            List<String> lines = new ArrayList<>();
            item.path(dev.orchestrator.core.HistoryLines.LINES).forEach(l -> lines.add(l.asText()));
            for (var l : dev.orchestrator.core.HistoryLines.decode(lines)) {
                out.add(entry(item, dev.orchestrator.core.HistoryLines.entry(l)));
            }
            return out;
        }
        if (!item.has("transitions")) {
            return List.of(item); // an item written before history grouped a write's transitions
        }
        for (JsonNode t : item.path("transitions")) {
            out.add(entry(item, (com.fasterxml.jackson.databind.node.ObjectNode) t));
        }
        return out;
    }

    /** One transition's entry: the item's keys ({@code at} and {@code time} its own when it has them), then its fields. */
    private static JsonNode entry(JsonNode item, com.fasterxml.jackson.databind.node.ObjectNode transition) {
        com.fasterxml.jackson.databind.node.ObjectNode e = dev.orchestrator.core.Json.object();
        for (String k : new String[] {"run", "at", "time", "uid", "workflow"}) {
            if (item.has(k)) {
                e.set(k, item.get(k));
            }
        }
        e.setAll(transition);
        return e;
    }

    /** What the runs page asks for. Null fields do not filter. */
    record Filter(List<String> states, String workflow, Long fromMillis, Long toMillis, String metaKey, String metaValue,
                  Integer silentMinutes) {
        /** Only runs whose last write is older than this (epoch ms), or null. */
        Long silentBefore(long now) {
            return silentMinutes == null ? null : now - silentMinutes * 60_000L;
        }
    }

    /** One page of runs, newest first, and the token of the next page (null: no more). */
    record Page(List<JsonNode> runs, String next) {
    }

    /** Where a page starts: runs updated before {@code updatedAt}, or at it with a key after {@code key}. */
    record Cursor(long updatedAt, String key) {
        String encode() {
            return Base64.getUrlEncoder().withoutPadding().encodeToString((updatedAt + "\n" + key).getBytes(StandardCharsets.UTF_8));
        }

        static Cursor decode(String token) {
            try {
                String text = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
                int nl = text.indexOf('\n');
                return new Cursor(Long.parseLong(text.substring(0, nl)), text.substring(nl + 1));
            } catch (RuntimeException e) {
                throw new CliException(Exit.USAGE, "page token '" + token + "' is not one this console made");
            }
        }

        boolean admits(JsonNode run) {
            long u = run.path(ItemCodec.UPDATED_AT).asLong();
            return u < updatedAt || (u == updatedAt && ConsoleReads.key(run).compareTo(key) > 0);
        }
    }

    /**
     * A run as the index holds it, with {@code updatedAt} = when it entered its status (the index's sort key:
     * lists are ordered by it), and without the index's own partition key.
     */
    static JsonNode indexed(Map<String, AttributeValue> item) {
        com.fasterxml.jackson.databind.node.ObjectNode run = (com.fasterxml.jackson.databind.node.ObjectNode) AttributeJson.toJson(item);
        run.remove(dev.orchestrator.core.RunIndex.PARTITION);
        JsonNode at = run.remove(dev.orchestrator.core.RunIndex.SORT);
        if (at != null) {
            run.put(ItemCodec.UPDATED_AT, at.asLong());
        }
        return run;
    }

    static String key(JsonNode run) {
        return run.path(ItemCodec.UID).asText() + "\u0000" + run.path(ItemCodec.WORKFLOW).asText();
    }

    static final Comparator<JsonNode> NEWEST_FIRST = Comparator.comparingLong((JsonNode n) -> n.path(ItemCodec.UPDATED_AT).asLong())
            .reversed().thenComparing(ConsoleReads::key);

    /**
     * Runs matching the filter, newest first, {@code size} at most, from {@code token} on. Each state is one
     * RunsIndex query per shard of a state ({@code runsKey} = state#shard, or active#shard for the pending states,
     * whose entries are kept by their status; {@code statusAt} descending, bounded by the time range and
     * the cursor); the shards' streams are merged. A page reads at most {@link #READ_BUDGET} index items per
     * shard: when a filter rejects more than that, the page is short and its token goes on from where the
     * reading stopped, so paging works through any number of runs. The metadata attribute is not in the
     * index: it is checked on each candidate's item.
     */
    Page runs(Filter filter, String token, int size) {
        Cursor cursor = token == null || token.isBlank() ? null : Cursor.decode(token);
        long now = System.currentTimeMillis();
        long upper = Math.min(filter.toMillis() == null ? Long.MAX_VALUE : filter.toMillis(),
                filter.silentBefore(now) == null ? Long.MAX_VALUE : filter.silentBefore(now));
        if (cursor != null) {
            upper = Math.min(upper, cursor.updatedAt());
        }
        long lower = filter.fromMillis() == null ? 0 : filter.fromMillis();
        String table = target.export(StackExports.STATUS_TABLE);
        List<JsonNode> found = new ArrayList<>();
        long floor = Long.MIN_VALUE; // below this, some state was not read to the end: not shown on this page
        for (String partition : dev.orchestrator.core.RunIndex.partitions(filter.states())) {
            List<JsonNode> mine = new ArrayList<>();
            Map<String, AttributeValue> start = null;
            int read = 0;
            long lastRead = Long.MIN_VALUE;
            boolean exhausted = false;
            while (true) {
                Map<String, String> names = new HashMap<>(Map.of("#s", dev.orchestrator.core.RunIndex.PARTITION,
                        "#u", dev.orchestrator.core.RunIndex.SORT));
                Map<String, AttributeValue> values = new HashMap<>(Map.of(":s", AttributeValue.fromS(partition),
                        ":lo", AttributeValue.fromN(Long.toString(lower)), ":hi", AttributeValue.fromN(Long.toString(upper))));
                QueryRequest.Builder q = QueryRequest.builder().tableName(table).indexName(dev.orchestrator.core.RunIndex.NAME)
                        .keyConditionExpression("#s = :s AND #u BETWEEN :lo AND :hi").scanIndexForward(false)
                        .limit(Math.min(500, Math.max(50, size * 2))).exclusiveStartKey(start);
                if (filter.workflow() != null) {
                    q.filterExpression("#w = :w");
                    names.put("#w", ItemCodec.WORKFLOW);
                    values.put(":w", AttributeValue.fromS(filter.workflow()));
                }
                QueryRequest request = q.expressionAttributeNames(names).expressionAttributeValues(values).build();
                QueryResponse r = Target.aws(() -> target.dynamo().query(request));
                read += r.scannedCount() == null ? r.count() : r.scannedCount();
                for (Map<String, AttributeValue> i : r.items()) {
                    JsonNode run = indexed(i);
                    lastRead = run.path(ItemCodec.UPDATED_AT).asLong();
                    // Active partitions hold every pending state: keep the ones asked for.
                    if ((cursor == null || cursor.admits(run)) && filter.states().contains(run.path(ItemCodec.STATUS).asText())
                            && metadataMatches(run, filter)) {
                        mine.add(run);
                    }
                }
                start = r.lastEvaluatedKey() == null || r.lastEvaluatedKey().isEmpty() ? null : r.lastEvaluatedKey();
                if (start == null) {
                    exhausted = true;
                    break;
                }
                if (mine.size() > size || read >= (filter.metaKey() == null ? READ_BUDGET : READ_BUDGET_METADATA)) {
                    if (start.containsKey(dev.orchestrator.core.RunIndex.SORT)) {
                        lastRead = Long.parseLong(start.get(dev.orchestrator.core.RunIndex.SORT).n());
                    }
                    break;
                }
            }
            if (!exhausted) {
                floor = Math.max(floor, lastRead);
            }
            found.addAll(mine);
        }
        List<JsonNode> shown = shown(found, floor, size);
        String next = null;
        if (shown.size() == size) {
            JsonNode last = shown.get(shown.size() - 1);
            next = new Cursor(last.path(ItemCodec.UPDATED_AT).asLong(), key(last)).encode();
        } else if (floor != Long.MIN_VALUE) {
            next = new Cursor(floor, "").encode(); // everything at or below the floor is still to be read
        }
        return new Page(shown, next);
    }

    /**
     * The page's runs: newest first, above the floor, at most {@code size}. A run that changed state between
     * two partitions' queries was read in both; only its newest entry is shown.
     */
    static List<JsonNode> shown(List<JsonNode> found, long floor, int size) {
        List<JsonNode> sorted = new ArrayList<>(found);
        sorted.sort(NEWEST_FIRST);
        List<JsonNode> shown = new ArrayList<>();
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (JsonNode run : sorted) {
            if (run.path(ItemCodec.UPDATED_AT).asLong() <= floor || shown.size() == size) {
                break;
            }
            if (seen.add(key(run))) {
                shown.add(run);
            }
        }
        return shown;
    }

    /** The metadata attribute is not projected into RunsIndex: read it from the run's item. */
    private boolean metadataMatches(JsonNode indexed, ConsoleReads.Filter filter) {
        if (filter.metaKey() == null) {
            return true;
        }
        JsonNode item = run(indexed.path(ItemCodec.UID).asText(), indexed.path(ItemCodec.WORKFLOW).asText()).orElse(null);
        if (item == null) {
            return false;
        }
        JsonNode value = item.path(ItemCodec.METADATA).path(filter.metaKey());
        if (value.isMissingNode() || value.isNull()) {
            return false;
        }
        return filter.metaValue() == null || filter.metaValue().isEmpty() || filter.metaValue().equals(value.asText());
    }

    /** Child runs named by the run's plugin entries ({@code child.uid} / {@code child.workflow}), in run order. */
    static Map<String, JsonNode> children(JsonNode run) {
        Map<String, JsonNode> out = new LinkedHashMap<>();
        run.path(ItemCodec.ACTIVITIES).fields().forEachRemaining(a -> {
            for (String stage : new String[] {"pre", "async", "post"}) {
                for (String group : new String[] {ItemCodec.MANDATORY, ItemCodec.OPTIONAL}) {
                    a.getValue().path(stage).path(group).fields().forEachRemaining(p -> {
                        JsonNode child = p.getValue().path(ItemCodec.CHILD);
                        if (child.hasNonNull(ItemCodec.UID)) {
                            out.put(a.getKey() + " / " + p.getKey(), child);
                        }
                    });
                }
            }
        });
        return out;
    }
}
