package dev.orchestrator.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.orchestrator.core.EnvNames;
import dev.orchestrator.core.PluginStatus;
import dev.orchestrator.core.Stage;
import dev.orchestrator.core.State;
import dev.orchestrator.core.WorkflowRun;
import dev.orchestrator.plugin.PluginContext;
import dev.orchestrator.plugin.PluginInfo;
import dev.orchestrator.plugin.PluginResult;
import dev.orchestrator.plugin.QueuePlugin;
import dev.orchestrator.plugin.StageMessage;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * Nothing is lost while a destination is away: a run's outcome event is put once the event bus is back (the
 * outcome it had, not another), and a queue bridge whose queue is missing gives its claim back so the work is
 * queued once the queue is there. The bus and the queue are deleted and re-created on the emulator.
 */
class DeliveryOutageTest {

    static OrchestratorFixture stack;
    static final TenantTestSupport.LogCapture LOGS = new TenantTestSupport.LogCapture();
    static EventBridgeClient events;
    static SqsClient sqs;

    @BeforeAll
    static void deploy() {
        LOGS.install();
        stack = OrchestratorFixture.deploy("outage", List.of("Notify", "Bridge", "Mixed", "Big"));
        events = stack.emulator.client(EventBridgeClient.builder());
        sqs = stack.emulator.client(SqsClient.builder());
    }

    @AfterAll
    static void stop() {
        LOGS.uninstall();
        if (stack != null) {
            stack.close();
        }
    }

    /** The bus goes away with its rules (the test's outcome rule among them). */
    static void deleteBus() {
        events.deleteEventBus(b -> b.name(stack.eventBus()));
    }

    /**
     * The bus comes back with the test's outcome rule. The engine, retrying its put, is held meanwhile: a put
     * between the bus and its rule would be accepted and match no rule, an event the test could never see.
     */
    static void restoreBus() {
        stack.runtime.pause(ENGINE);
        try {
            events.createEventBus(b -> b.name(stack.eventBus()));
            stack.watchOutcomes();
        } finally {
            stack.runtime.resume(ENGINE);
        }
    }

    static final String ENGINE = "EngineFunction";

    @Test
    void aCompleteRunIsAnnouncedCompleteOnceTheBusIsBack() {
        stack.register("Notify", Stage.PARALLEL, new TestPlugin(stack.pluginEnv(), WorkflowRunTest.info("notifier", true, 1), new CopyOnWriteArrayList<>()));
        deleteBus();
        try {
            stack.start(WorkflowRunTest.startJson("done-1", "outage", List.of("Notify"), 0, "{}"));
            // Its status is written with the claim to announce it; the event cannot be put while the bus is away.
            assertThat(stack.awaitEnd("done-1", "outage", OrchestratorFixture.CEILING).status()).isEqualTo(State.COMPLETE);
        } finally {
            restoreBus();
        }
        List<JsonNode> outcomes = stack.outcomeEvents("done-1");
        assertThat(outcomes).as("announced once the bus is back, as what it was (deliveries that failed for good: %s)",
                stack.runtime.failedDeliveries()).singleElement().satisfies(e -> {
            assertThat(e.path("detail-type").asText()).isEqualTo("Workflow Completed");
            assertThat(e.path("detail").path("status").asText()).isEqualTo("Complete");
        });
        assertThat(stack.run("done-1", "outage").orElseThrow().status()).isEqualTo(State.COMPLETE);
    }

    @Test
    void aRunTheEngineCannotReadIsAnnouncedFailedOnceTheBusIsBack() {
        deleteBus();
        try {
            // A run item nobody can parse (activities is not a map): the engine ends it Error with the cause.
            stack.dynamo.putItem(b -> b.tableName(stack.store.table()).item(Map.of(
                    "uid", AttributeValue.fromS("bad-1"), "workflow", AttributeValue.fromS("outage"),
                    "status", AttributeValue.fromS("In Progress"), "activities", AttributeValue.fromS("garbage"),
                    "activityOrder", AttributeValue.fromL(List.of(AttributeValue.fromS("Notify"))),
                    "version", AttributeValue.fromN("1"))));
            assertThat(stack.awaitEnd("bad-1", "outage", OrchestratorFixture.CEILING).status()).isEqualTo(State.ERROR);
        } finally {
            restoreBus();
        }
        List<JsonNode> outcomes = stack.outcomeEvents("bad-1");
        assertThat(outcomes).as("the failure is announced once the bus is back").singleElement().satisfies(e -> {
            assertThat(e.path("detail-type").asText()).isEqualTo("Workflow Failed");
            assertThat(e.path("detail").path("message").asText()).startsWith("engine failed: ");
        });
    }

    /** A bridged plugin that completes its work; it keeps the stage message it bridged last. */
    static final class Bridged extends QueuePlugin {
        final List<String> calls = new CopyOnWriteArrayList<>();
        volatile StageMessage bridgedLast;

        final String name;

        Bridged(Map<String, String> env, String name) {
            super(env);
            this.name = name;
        }

        @Override
        public PluginInfo info() {
            return PluginInfo.builder(name).mandatory(true).build();
        }

        @Override
        public boolean bridge(StageMessage m) {
            bridgedLast = m;
            return super.bridge(m);
        }

        @Override
        protected PluginResult process(PluginContext context) {
            calls.add(context.uid());
            return PluginResult.complete();
        }
    }

    static Optional<PluginStatus> bridged(String uid) {
        return stack.run(uid, "outage").map(r -> r.activity("Bridge").async().mandatory().get("bridged"));
    }

    @Test
    void aBridgeWhoseQueueIsMissingGivesItsClaimBackAndTheWorkRunsOnceTheQueueIsThere() {
        // The queue's URL, then no queue behind it.
        String url = sqs.createQueue(b -> b.queueName("outage-work")).queueUrl();
        sqs.deleteQueue(b -> b.queueUrl(url));
        Map<String, String> env = new LinkedHashMap<>(stack.pluginEnv());
        env.put(EnvNames.PLUGIN_QUEUE_URL, url);
        Bridged plugin = stack.register("Bridge", Stage.PARALLEL, new Bridged(env, "bridged"));
        stack.start(WorkflowRunTest.startJson("queued-1", "outage", List.of("Bridge"), 0, "{}"));

        // Every delivery of the stage message claims, fails to queue and gives the claim back.
        stack.awaitCondition(OrchestratorFixture.CEILING, () -> bridged("queued-1")
                .filter(p -> p.state() == State.NOT_STARTED && p.message() != null
                        && p.message().startsWith("released: could not queue the work: ")).isPresent());
        assertThat(plugin.calls).as("no work ran while the queue was missing").isEmpty();

        String again = sqs.createQueue(b -> b.queueName("outage-work")).queueUrl();
        assertThat(again).isEqualTo(url);
        stack.runtime.subscribeQueue(url, plugin, 5, true);
        // Lambda's next retry of the stage message (here made at once): the claim is free, so the work is queued.
        plugin.bridge(plugin.bridgedLast);

        WorkflowRun run = stack.awaitEnd("queued-1", "outage", OrchestratorFixture.CEILING);
        assertThat(run.status()).isEqualTo(State.COMPLETE);
        assertThat(plugin.calls).as("the work ran once").containsExactly("queued-1");
        PluginStatus p = bridged("queued-1").orElseThrow();
        assertThat(p.state()).isEqualTo(State.COMPLETE);
        assertThat(p.attempt()).as("claimed again after the claims given back").isGreaterThanOrEqualTo(2);
    }

    @Test
    void anUnreadableQueuedMessageIsTheOnlyOneOfItsBatchReceivedAgain() throws java.io.IOException {
        String[] queue = stack.queueWithDlq("outage-mixed", 2, false);
        Map<String, String> env = new LinkedHashMap<>(stack.pluginEnv());
        env.put(EnvNames.PLUGIN_QUEUE_URL, queue[0]);
        Bridged plugin = stack.register("Mixed", Stage.PARALLEL, new Bridged(env, "mixed"));
        stack.start(WorkflowRunTest.startJson("mixed-1", "outage", List.of("Mixed"), 0, "{}"));
        // No worker on the queue: the test receives the bridged work and hands the worker a batch as Lambda would.
        List<software.amazon.awssdk.services.sqs.model.Message> got = new CopyOnWriteArrayList<>();
        stack.awaitCondition(OrchestratorFixture.CEILING, () -> {
            got.addAll(sqs.receiveMessage(b -> b.queueUrl(queue[0]).waitTimeSeconds(1).messageAttributeNames("All"))
                    .messages());
            return !got.isEmpty();
        });
        var work = got.get(0);
        var event = dev.orchestrator.core.Json.object();
        var records = event.putArray("Records");
        records.addObject().put("messageId", "garbage-1").put("body", "{not a stage message")
                .putObject("attributes").put("ApproximateReceiveCount", "1");
        var valid = records.addObject().put("messageId", work.messageId()).put("body", work.body());
        valid.putObject("attributes").put("ApproximateReceiveCount", "1");
        valid.putObject("messageAttributes").putObject("attempt").put("stringValue", "1").put("dataType", "Number");

        var out = new java.io.ByteArrayOutputStream();
        plugin.handleRequest(new java.io.ByteArrayInputStream(dev.orchestrator.core.Json.write(event)
                .getBytes(java.nio.charset.StandardCharsets.UTF_8)), out, null);
        JsonNode answer = dev.orchestrator.core.Json.parse(out.toString(java.nio.charset.StandardCharsets.UTF_8));
        assertThat(answer.path("batchItemFailures")).as("only the unreadable message is received again")
                .singleElement().satisfies(f -> assertThat(f.path("itemIdentifier").asText()).isEqualTo("garbage-1"));
        assertThat(plugin.calls).as("the readable work of the same batch ran").containsExactly("mixed-1");
        assertThat(stack.awaitEnd("mixed-1", "outage", OrchestratorFixture.CEILING).status()).isEqualTo(State.COMPLETE);
        JsonNode line = LOGS.await(stack, l -> l.path("message").asText().equals("queued message refused: not a stage message this plugin can read")
                && l.path("messageId").asText().equals("garbage-1"), OrchestratorFixture.CEILING);
        assertThat(line.path("level").asText()).isEqualTo("ERROR");
        assertThat(line.path("action").asText()).contains("dead-letter queue");
    }

    @Test
    void aCompleteRunWhoseOutputsCannotBeStoredIsAnnouncedFailedWithTheCause() {
        // Outputs over the engine's inline budget go to the payload bucket with the event; here the bucket is gone.
        software.amazon.awssdk.services.s3.S3Client s3 = stack.emulator.client(
                software.amazon.awssdk.services.s3.S3Client.builder().forcePathStyle(true));
        String bucket = stack.stack.export(dev.orchestrator.core.StackExports.name(stack.stack.name(),
                dev.orchestrator.core.StackExports.PAYLOAD_BUCKET));
        Map<String, String> env = new LinkedHashMap<>(stack.pluginEnv());
        env.put(EnvNames.OUTPUT_INLINE_MAX_BYTES, "262144"); // the plugin keeps its 150 KB output in its own item
        String blob = "x".repeat(150_000);
        stack.register("Big", Stage.PARALLEL, new DataBetweenStepsTest.Fn(env, "big-out",
                c -> PluginResult.complete(Map.of("blob", blob))));
        s3.deleteBucket(b -> b.bucket(bucket));
        try {
            stack.start(WorkflowRunTest.startJson("big-1", "outage", List.of("Big"), 0, "{}"));
            assertThat(stack.awaitEnd("big-1", "outage", OrchestratorFixture.CEILING).status()).isEqualTo(State.COMPLETE);
            List<JsonNode> outcomes = stack.outcomeEvents("big-1");
            assertThat(outcomes).as("announced, with why its outputs could not go with it").singleElement().satisfies(e -> {
                assertThat(e.path("detail-type").asText()).isEqualTo("Workflow Failed");
                assertThat(e.path("detail").path("message").asText()).startsWith("engine failed: ").contains("NoSuchBucket");
            });
        } finally {
            s3.createBucket(b -> b.bucket(bucket));
        }
    }
}
