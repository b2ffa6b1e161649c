package dev.orchestrator.plugintest;

import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.orchestrator.core.ActivityStatus;
import dev.orchestrator.core.EnvNames;
import dev.orchestrator.core.ItemCodec;
import dev.orchestrator.core.Json;
import dev.orchestrator.core.Keys;
import dev.orchestrator.core.PluginStatus;
import dev.orchestrator.core.Stage;
import dev.orchestrator.core.StageStatus;
import dev.orchestrator.core.State;
import dev.orchestrator.core.StatusStore;
import dev.orchestrator.core.WorkflowRun;
import dev.orchestrator.plugin.StageMessage;
import dev.orchestrator.testkit.Emulator;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;
import software.amazon.awssdk.services.sqs.model.MessageSystemAttributeName;

/**
 * Tests for plugin authors, on a real AWS API (moto on loopback, or AWS_ENDPOINT_URL): a status table,
 * runs whose stage is open, the stage messages the engine would send, the SNS / SQS events Lambda
 * would pass, and the status the plugin reported.
 * <pre>
 * try (PluginTestKit kit = PluginTestKit.start()) {
 *     MyPlugin plugin = new MyPlugin(kit.environment());
 *     StageMessage m = kit.openStage("run-1", "Configure", Stage.PARALLEL, "{\"tenantId\":\"acme\"}");
 *     kit.deliverSns(plugin, m);
 *     assertEquals(State.COMPLETE, kit.state(m, "my-plugin").orElseThrow());
 * }
 * </pre>
 */
public final class PluginTestKit implements AutoCloseable {

    private final Emulator emulator;
    private final DynamoDbClient dynamo;
    private final SqsClient sqs;
    private final StatusStore store;
    private final String table;

    private PluginTestKit(Emulator emulator) {
        this.emulator = emulator;
        this.dynamo = emulator.client(DynamoDbClient.builder());
        this.sqs = emulator.client(SqsClient.builder());
        this.table = "plugin-test-status-" + UUID.randomUUID();
        dynamo.createTable(b -> b.tableName(table).billingMode(BillingMode.PAY_PER_REQUEST)
                .attributeDefinitions(a -> a.attributeName(ItemCodec.UID).attributeType(ScalarAttributeType.S),
                        a -> a.attributeName(ItemCodec.WORKFLOW).attributeType(ScalarAttributeType.S))
                .keySchema(k -> k.attributeName(ItemCodec.UID).keyType(KeyType.HASH),
                        k -> k.attributeName(ItemCodec.WORKFLOW).keyType(KeyType.RANGE)));
        this.store = new StatusStore(dynamo, table);
    }

    public static PluginTestKit start() {
        Emulator emulator = new Emulator().start();
        try {
            return new PluginTestKit(emulator);
        } catch (RuntimeException e) {
            emulator.close();
            throw e;
        }
    }

    /** The environment a plugin gets from its template, pointed at the emulator. */
    public Map<String, String> environment() {
        Map<String, String> env = new LinkedHashMap<>(emulator.clientEnvironment());
        env.put(EnvNames.STATUS_TABLE, table);
        return env;
    }

    /** A new queue (standard or FIFO) for a queue-bridged plugin's PLUGIN_QUEUE_URL. */
    public String queue(boolean fifo) {
        String name = "plugin-test-" + UUID.randomUUID() + (fifo ? ".fifo" : "");
        return sqs.createQueue(b -> b.queueName(name).attributes(fifo
                ? Map.of(software.amazon.awssdk.services.sqs.model.QueueAttributeName.FIFO_QUEUE, "true") : Map.of())).queueUrl();
    }

    /** Creates a run whose activity stage is open (In Progress, window an hour long) and returns its stage message. */
    public StageMessage openStage(String uid, String activity, Stage stage, String metadataJson) {
        long windowEndsAt = System.currentTimeMillis() + 3_600_000;
        StageStatus open = new StageStatus(State.IN_PROGRESS, Map.of(), Map.of(), 3600, System.currentTimeMillis(), windowEndsAt);
        StageStatus none = StageStatus.notStarted();
        ActivityStatus a = new ActivityStatus(State.IN_PROGRESS, stage == Stage.PRE ? open : none,
                stage == Stage.PARALLEL ? open : none, stage == Stage.POST ? open : none);
        ObjectNode metadata = (ObjectNode) Json.parse(metadataJson == null ? "{}" : metadataJson);
        String workflow = "plugin-test";
        if (!store.create(new WorkflowRun(uid, workflow, State.IN_PROGRESS, metadata, List.of(activity), Map.of(activity, a),
                null, 1, null), System.currentTimeMillis())) {
            throw new IllegalArgumentException("a run " + uid + " exists already in this kit");
        }
        return new StageMessage(uid, workflow, activity, stage, null, metadata, windowEndsAt, Map.of(), Map.of());
    }

    /**
     * Lists a plugin in the run's stage as Not Started, as the engine does when it dispatches it: the plugin's
     * execution item (protocol v3: key {@code ~<plugin>~<uid>} + {@code <workflow>␟<activity>␟<stage>}) is created
     * Not Started with its order and group. Returns the message the engine would send to it (addressed to it,
     * carrying its own entry only).
     */
    public StageMessage list(StageMessage m, String plugin, boolean mandatory, int order) {
        dev.orchestrator.core.UpdateBuilder u = new dev.orchestrator.core.UpdateBuilder().mayCreate();
        u.set(List.of(ItemCodec.STATE), software.amazon.awssdk.services.dynamodb.model.AttributeValue.fromS(State.NOT_STARTED.wire()));
        u.set(List.of(ItemCodec.ORDER), software.amazon.awssdk.services.dynamodb.model.AttributeValue.fromN(Integer.toString(order)));
        u.set(List.of(ItemCodec.MANDATORY), software.amazon.awssdk.services.dynamodb.model.AttributeValue.fromBool(mandatory));
        u.set(List.of(ItemCodec.DISPATCHED_AT), software.amazon.awssdk.services.dynamodb.model.AttributeValue.fromN(
                Long.toString(System.currentTimeMillis())));
        u.set(List.of(ItemCodec.RUN_UID), software.amazon.awssdk.services.dynamodb.model.AttributeValue.fromS(m.uid()));
        u.set(List.of(ItemCodec.RUN_WORKFLOW), software.amazon.awssdk.services.dynamodb.model.AttributeValue.fromS(m.workflow()));
        u.set(List.of(ItemCodec.ACTIVITY), software.amazon.awssdk.services.dynamodb.model.AttributeValue.fromS(m.activity()));
        u.set(List.of(ItemCodec.STAGE), software.amazon.awssdk.services.dynamodb.model.AttributeValue.fromS(m.stage().wireName()));
        store.updateExecution(execution(m, plugin), u, System.currentTimeMillis());
        Map<String, PluginStatus> own = Map.of(plugin, PluginStatus.notStarted(order));
        return new StageMessage(m.uid(), m.workflow(), m.activity(), m.stage(), plugin, m.metadata(), m.windowEndsAt(),
                mandatory ? own : Map.of(), mandatory ? Map.of() : own, m.pluginTimeout(), m.defaultPluginTimeout(),
                m.filterAttributes());
    }

    private static Keys.Execution execution(StageMessage m, String plugin) {
        return new Keys.Execution(plugin, m.uid(), m.workflow(), m.activity(), m.stage());
    }

    /** The same message addressed to one plugin, as pre and post stages send it. */
    public StageMessage addressedTo(StageMessage m, String plugin) {
        return new StageMessage(m.uid(), m.workflow(), m.activity(), m.stage(), plugin, m.metadata(), m.windowEndsAt(),
                m.mandatory(), m.optional());
    }

    /** Invokes the handler with the SNS event Lambda would pass for this message; returns its output. */
    public String deliverSns(RequestStreamHandler handler, StageMessage m) {
        ObjectNode event = Json.object();
        ObjectNode record = event.putArray("Records").addObject();
        record.put("EventSource", "aws:sns");
        ObjectNode sns = record.putObject("Sns");
        sns.put("Type", "Notification");
        sns.put("MessageId", UUID.randomUUID().toString());
        sns.put("Message", Json.write(m.toJson()));
        ObjectNode attributes = sns.putObject("MessageAttributes");
        m.attributes().forEach((k, v) -> attributes.putObject(k).put("Type", "String").put("Value", v));
        return invoke(handler, Json.write(event));
    }

    /** Receives what waits in a queue and invokes the handler with it as an SQS event; returns its output (batch failures). */
    public String deliverQueue(RequestStreamHandler handler, String queueUrl) {
        List<Message> messages = sqs.receiveMessage(b -> b.queueUrl(queueUrl).maxNumberOfMessages(10).waitTimeSeconds(2)
                .messageSystemAttributeNames(MessageSystemAttributeName.ALL).messageAttributeNames("All")).messages();
        if (messages.isEmpty()) {
            throw new AssertionError("no message in " + queueUrl);
        }
        ObjectNode event = Json.object();
        ArrayNode records = event.putArray("Records");
        for (Message msg : messages) {
            ObjectNode r = records.addObject();
            r.put("messageId", msg.messageId());
            r.put("receiptHandle", msg.receiptHandle());
            r.put("body", msg.body());
            r.put("eventSource", "aws:sqs");
            ObjectNode attrs = r.putObject("attributes");
            msg.attributes().forEach((k, v) -> attrs.put(k.toString(), v));
            ObjectNode mattrs = r.putObject("messageAttributes");
            msg.messageAttributes().forEach((k, v) -> mattrs.putObject(k).put("stringValue", v.stringValue()).put("dataType", v.dataType()));
        }
        String out = invoke(handler, Json.write(event));
        JsonNode failures = Json.parse(out).path("batchItemFailures");
        for (Message msg : messages) {
            boolean failed = false;
            for (JsonNode f : failures) {
                failed |= f.path("itemIdentifier").asText().equals(msg.messageId());
            }
            if (!failed) {
                sqs.deleteMessage(b -> b.queueUrl(queueUrl).receiptHandle(msg.receiptHandle()));
            }
        }
        return out;
    }

    /** What the plugin reported for this run and stage, if anything. */
    public Optional<State> state(StageMessage m, String plugin) {
        return status(m, plugin).map(PluginStatus::state);
    }

    /**
     * The plugin's own execution item for this run and stage, as the plugin wrote it (the engine is not running in
     * the kit, so nothing else changes it).
     */
    public Optional<PluginStatus> status(StageMessage m, String plugin) {
        return store.execution(execution(m, plugin)).map(ItemCodec::pluginFrom);
    }

    /**
     * The same message with one more input, as the engine would put it there: {@code inputs[activity][plugin]} =
     * {@code {"output": <outputJson>}} (an upstream plugin's inline output).
     */
    public StageMessage withInput(StageMessage m, String activity, String plugin, String outputJson) {
        com.fasterxml.jackson.databind.node.ObjectNode inputs = m.inputs() == null
                ? dev.orchestrator.core.Json.object() : m.inputs().deepCopy();
        com.fasterxml.jackson.databind.node.ObjectNode byPlugin = inputs.has(activity)
                ? (com.fasterxml.jackson.databind.node.ObjectNode) inputs.get(activity) : inputs.putObject(activity);
        byPlugin.putObject(plugin).set(dev.orchestrator.core.Outputs.OUTPUT, dev.orchestrator.core.Json.parse(outputJson));
        return m.withInputs(inputs, null);
    }

    /** The output the plugin ended Complete with (inline on its execution item), if any. */
    public Optional<com.fasterxml.jackson.databind.JsonNode> output(StageMessage m, String plugin) {
        return store.execution(execution(m, plugin))
                .map(item -> item.get(dev.orchestrator.core.Outputs.OUTPUT))
                .map(v -> dev.orchestrator.core.Json.parse(v.s()));
    }

    private static String invoke(RequestStreamHandler handler, String json) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            handler.handleRequest(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)), out, null);
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        emulator.close();
    }
}
