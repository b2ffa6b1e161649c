package dev.orchestrator.history;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import com.fasterxml.jackson.databind.JsonNode;
import dev.orchestrator.core.AttributeJson;
import dev.orchestrator.core.AwsClients;
import dev.orchestrator.core.Env;
import dev.orchestrator.core.EnvNames;
import dev.orchestrator.core.ItemCodec;
import dev.orchestrator.core.Json;
import dev.orchestrator.obs.Log;
import dev.orchestrator.obs.Trace;
import dev.orchestrator.obs.Metrics;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * Keeps every transition of every run: reads the status table's stream (old and new image), lets
 * {@link HistoryDiff} say what changed, and appends, per run and stream batch, items that pack the
 * transitions of every write in the batch (engine steps and plugin writes alike) up to {@link HistoryItems#ITEM_BYTES}.
 * DynamoDB bills a write per started KB of the item, so packing a batch's ~150 B transitions costs about
 * what their bytes cost, not one write unit per plugin write. Each transition keeps its own time and its
 * own {@code at} (time, the record's sequence number, its place in the diff), which readers sort and
 * deduplicate on: a redelivered batch rewrites the same items (keys come from the records), and a bisected
 * retry that packs records differently repeats transitions readers drop by {@code at}. Items go out in
 * BatchWriteItem requests of 25.
 */
public final class HistoryHandler implements RequestStreamHandler {

    private static final Log LOG = Log.of(HistoryHandler.class);

    private final DynamoDbClient dynamo;
    private final String table;
    private final int retentionDays;

    public HistoryHandler() {
        this(System.getenv());
    }

    private final Trace.Config trace;

    public HistoryHandler(Map<String, String> environment) {
        Env env = new Env(environment);
        Log.configure(environment);
        Metrics.configure(environment);
        this.trace = Trace.Config.of(environment);
        this.dynamo = new AwsClients(env).dynamo();
        this.table = env.require(EnvNames.HISTORY_TABLE);
        this.retentionDays = env.getInt(EnvNames.HISTORY_RETENTION_DAYS, 90);
    }

    @Override
    public void handleRequest(InputStream input, OutputStream output, Context context) throws IOException {
        Log.init(context);
        Trace.begin(trace);
        try {
            Map<String, List<HistoryItems.Recorded>> byRun = new LinkedHashMap<>();
            for (JsonNode record : Json.parse(input).path("Records")) {
                HistoryItems.Recorded r = record(record);
                if (r != null) {
                    byRun.computeIfAbsent(HistoryKeys.run(r.uid(), r.workflow()), k -> new java.util.ArrayList<>()).add(r);
                }
            }
            List<Map<String, AttributeValue>> items = new java.util.ArrayList<>();
            for (List<HistoryItems.Recorded> run : byRun.values()) {
                items.addAll(HistoryItems.pack(run, retentionDays, HistoryItems.ITEM_BYTES));
            }
            write(items);
        } catch (RuntimeException e) {
            LOG.error("history not written; the stream batch is retried", e, "cause", String.valueOf(e),
                    "action", "a batch that keeps failing goes to HistoryDeadLetterQueue (its records' sequence numbers): "
                            + "fix the cause, the status table itself is unaffected");
            throw e;
        } finally {
            Metrics.flush();
            Log.clear();
            Trace.end();
        }
        output.write("null".getBytes(StandardCharsets.UTF_8));
    }

    /** BatchWriteItem in 25s; what DynamoDB leaves unprocessed is sent again, then the batch fails (Lambda retries it). */
    private void write(List<Map<String, AttributeValue>> items) {
        for (int from = 0; from < items.size(); from += 25) {
            List<software.amazon.awssdk.services.dynamodb.model.WriteRequest> chunk = new java.util.ArrayList<>();
            for (Map<String, AttributeValue> item : items.subList(from, Math.min(items.size(), from + 25))) {
                chunk.add(software.amazon.awssdk.services.dynamodb.model.WriteRequest.builder()
                        .putRequest(p -> p.item(item)).build());
            }
            Map<String, List<software.amazon.awssdk.services.dynamodb.model.WriteRequest>> pending = Map.of(table, chunk);
            for (int attempt = 1; !pending.isEmpty(); attempt++) {
                if (attempt > 8) {
                    throw new IllegalStateException("history: DynamoDB left " + pending.get(table).size()
                            + " item(s) unprocessed after 8 attempts (throttled?); the stream batch is retried");
                }
                Map<String, List<software.amazon.awssdk.services.dynamodb.model.WriteRequest>> send = pending;
                var left = dynamo.batchWriteItem(b -> b.requestItems(send)).unprocessedItems();
                pending = left == null || left.isEmpty() ? Map.of() : left;
                if (!pending.isEmpty()) {
                    try {
                        Thread.sleep(Math.min(1_000L, 25L << attempt));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IllegalStateException("interrupted while writing history", e);
                    }
                }
            }
        }
    }

    private HistoryItems.Recorded record(JsonNode record) {
        JsonNode ddb = record.path("dynamodb");
        String keyUid = ddb.path("Keys").path(ItemCodec.UID).path("S").asText("");
        if (dev.orchestrator.core.Keys.kind(keyUid) == dev.orchestrator.core.Keys.Kind.ROSTER) {
            return null; // the engine's roster of a stage: not a transition
        }
        JsonNode oldImage = image(ddb.path("OldImage"));
        JsonNode newImage = image(ddb.path("NewImage"));
        if (dev.orchestrator.core.Keys.kind(keyUid) == dev.orchestrator.core.Keys.Kind.EXECUTION) {
            // A plugin's own item: seen as its entry in the run, so one diff serves headers and executions alike.
            var e = dev.orchestrator.core.Keys.execution(keyUid, ddb.path("Keys").path(ItemCodec.WORKFLOW).path("S").asText(""));
            boolean mandatory = (newImage != null ? newImage : oldImage != null ? oldImage : dev.orchestrator.core.Json.object())
                    .path(ItemCodec.MANDATORY).asBoolean(false);
            oldImage = asEntry(e, oldImage, mandatory);
            newImage = asEntry(e, newImage, mandatory);
        }
        JsonNode any = newImage != null ? newImage : oldImage;
        if (any == null) {
            LOG.warn("stream record without images: no history recorded for it", "sequence", ddb.path("SequenceNumber").asText(""),
                    "keys", dev.orchestrator.core.Names.cut(ddb.path("Keys").toString(), 300),
                    "action", "the status table's stream must be NEW_AND_OLD_IMAGES (template.yaml)");
            return null;
        }
        String uid = any.path(ItemCodec.UID).asText();
        String workflow = any.path(ItemCodec.WORKFLOW).asText();
        Log.put(Log.UID, uid);
        Log.put(Log.WORKFLOW, workflow);
        long time = newImage != null && newImage.path(ItemCodec.UPDATED_AT).isNumber()
                ? newImage.path(ItemCodec.UPDATED_AT).asLong()
                : ddb.has("ApproximateCreationDateTime") ? (long) (ddb.path("ApproximateCreationDateTime").asDouble() * 1000)
                : System.currentTimeMillis();
        String sequence = ddb.path("SequenceNumber").asText("0");
        List<Transition> transitions = HistoryDiff.diff(oldImage, newImage);
        for (Transition t : transitions) {
            LOG.debug("transition recorded", "scope", t.scope(), "path", t.path(), "event", t.event(), "from", t.from(), "to", t.to());
        }
        Metrics.count(Metrics.HISTORY_TRANSITIONS, workflow, transitions.size());
        Log.put(Log.UID, null);
        Log.put(Log.WORKFLOW, null);
        return transitions.isEmpty() ? null : new HistoryItems.Recorded(uid, workflow, time, sequence, transitions);
    }

    /** An execution item's image as the run-shaped image HistoryDiff reads (activities.A.stage.group.plugin). */
    static JsonNode asEntry(dev.orchestrator.core.Keys.Execution e, JsonNode image, boolean mandatory) {
        var run = dev.orchestrator.core.Json.object();
        run.put(ItemCodec.UID, e.uid());
        run.put(ItemCodec.WORKFLOW, e.workflow());
        // Never "missing": a plugin item's creation is the entry's first state, not a run being created.
        var group = run.putObject(ItemCodec.ACTIVITIES).putObject(e.activity()).putObject(e.stage().itemKey())
                .putObject(mandatory ? ItemCodec.MANDATORY : ItemCodec.OPTIONAL);
        if (image != null) {
            if (image.has(ItemCodec.UPDATED_AT)) {
                run.set(ItemCodec.UPDATED_AT, image.get(ItemCodec.UPDATED_AT));
            }
            group.set(e.plugin(), image);
        }
        return run;
    }

    private static JsonNode image(JsonNode typed) {
        if (typed == null || !typed.isObject() || typed.isEmpty()) {
            return null;
        }
        return AttributeJson.toJson(AttributeJson.fromDynamoJsonMap(typed));
    }
}
