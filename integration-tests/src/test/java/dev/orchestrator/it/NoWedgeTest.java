package dev.orchestrator.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.orchestrator.core.ItemCodec;
import dev.orchestrator.core.Stage;
import dev.orchestrator.core.State;
import dev.orchestrator.core.WorkflowRun;
import dev.orchestrator.plugin.PluginContext;
import dev.orchestrator.plugin.PluginHandler;
import dev.orchestrator.plugin.PluginInfo;
import dev.orchestrator.plugin.PluginResult;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchRequestEntry;

/**
 * No input can wedge a run: each case either is refused at start naming the field, or ends the run with
 * the cause and exactly one outcome event, without taking other runs down with it.
 */
class NoWedgeTest {

    static OrchestratorFixture stack;
    static final TenantTestSupport.LogCapture LOGS = new TenantTestSupport.LogCapture();

    @BeforeAll
    static void deploy() {
        LOGS.install();
        stack = OrchestratorFixture.deploy("wedge", List.of("Meta", "Foreign", "Names", "Timer", "Corrupt", "Filter"));
        stack.register("Meta", Stage.PARALLEL, plugin("meta-ok"));
        stack.register("Timer", Stage.PARALLEL, plugin("timer-ok"));
        stack.register("Corrupt", Stage.PARALLEL, plugin("corrupt-ok"));
    }

    @AfterAll
    static void stop() {
        LOGS.uninstall();
        if (stack != null) {
            stack.close();
        }
    }

    static TestPlugin plugin(String name) {
        return new TestPlugin(stack.pluginEnv(), PluginInfo.builder(name).mandatory(true).build(), new CopyOnWriteArrayList<>());
    }

    static String start(String uid, String activity, String metadata, String extra) {
        return "{\"uid\":\"" + uid + "\",\"workflow\":\"wedge\",\"activities\":[\"" + activity + "\"],"
                + "\"pluginRegisterTimeout\":1,\"metadata\":" + metadata + extra + "}";
    }

    static String refusal(String request) {
        try {
            stack.start(request);
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
        throw new AssertionError("start was accepted: " + request);
    }

    static WorkflowRun endsOnce(String uid, Duration timeout) {
        WorkflowRun run = stack.awaitEnd(uid, "wedge", timeout);
        List<JsonNode> events = stack.outcomeEvents(uid);
        assertThat(events).as("exactly one outcome event for " + uid).hasSize(1);
        return run;
    }

    @Test
    void metadataTheEngineCouldNotSendIsRefusedAtStartNamingTheField() {
        // An empty value in a field sent as an SNS attribute (tier is a default filter attribute).
        assertThat(refusal(start("m-1", "Meta", "{\"tier\":\"\"}", "")))
                .contains("metadata.tier is sent as an SNS message attribute and must not be empty");
        // 300 KB of metadata: over what every stage message and outcome event can carry.
        assertThat(refusal(start("m-2", "Meta", "{\"blob\":\"" + "x".repeat(300_000) + "\"}", "")))
                .contains("metadata is 300011 bytes; at most 131072");
        // Keys that are not valid SNS attribute names, when chosen as attributes.
        assertThat(refusal(start("m-3", "Meta", "{\"bad key!\":\"v\"}", ",\"filterAttributes\":[\"bad key!\"]")))
                .contains("filterAttributes key 'bad key!' is not a valid SNS attribute name");
        assertThat(refusal(start("m-4", "Meta", "{}", ",\"filterAttributes\":[\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\"]")))
                .contains("filterAttributes names 7 keys; SNS carries at most 6");
        for (String uid : List.of("m-1", "m-2", "m-3", "m-4")) {
            assertThat(stack.run(uid, "wedge")).as("refused start %s wrote nothing", uid).isEmpty();
        }
    }

    @Test
    void metadataNotSentAsAttributesMayBeEmptyOrOddlyNamedAndTheRunCompletes() {
        stack.start(start("m-ok", "Meta", "{\"note\":\"\",\"bad key!\":\"v\"}", ""));
        assertThat(endsOnce("m-ok", Duration.ofSeconds(120)).status()).isEqualTo(State.COMPLETE);
    }

    @Test
    void aPluginWritingAnUnknownStateFailsOnlyThatPluginWithTheCauseAndTheRunCanBeResumed() {
        PluginHandler foreign = new PluginHandler(stack.pluginEnv()) {
            final AtomicInteger calls = new AtomicInteger();

            @Override
            public PluginInfo info() {
                return PluginInfo.builder("foreign-writer").mandatory(true).build();
            }

            @Override
            protected PluginResult process(PluginContext ctx) {
                if (calls.getAndIncrement() == 0) {
                    // A plugin in another language writing a state the orchestrator does not know.
                    // v3: a plugin writes only its own execution item.
                    var execution = new dev.orchestrator.core.Keys.Execution("foreign-writer", ctx.uid(), ctx.workflow(),
                            "Foreign", Stage.PARALLEL);
                    stack.dynamo.updateItem(b -> b.tableName(stack.store.table()).key(execution.key())
                            .updateExpression("SET #s = :done")
                            .expressionAttributeNames(Map.of("#s", "state"))
                            .expressionAttributeValues(Map.of(":done", AttributeValue.fromS("Done"))));
                    return PluginResult.waitForReport();
                }
                return PluginResult.complete();
            }
        };
        stack.register("Foreign", Stage.PARALLEL, foreign);
        String request = start("f-1", "Foreign", "{}", "");
        stack.start(request);
        WorkflowRun failed = endsOnce("f-1", Duration.ofSeconds(120));
        assertThat(failed.status()).isEqualTo(State.ERROR);
        assertThat(failed.activity("Foreign").async().mandatory().get("foreign-writer").message())
                .startsWith("plugin wrote an unknown state 'Done'");
        stack.clearOutcomes("f-1");
        assertThat(stack.start(request).path("outcome").asText()).isEqualTo("resumed");
        assertThat(endsOnce("f-1", Duration.ofSeconds(120)).status()).isEqualTo(State.COMPLETE);
    }

    private static final java.util.concurrent.atomic.AtomicReference<String> HUGE_WRITE_REFUSAL = new java.util.concurrent.atomic.AtomicReference<>();

    @Test
    void aPluginEntryWithAHugeNameIsRefusedAndTheRunCompletes() {
        PluginHandler writer = new PluginHandler(stack.pluginEnv()) {
            @Override
            public PluginInfo info() {
                return PluginInfo.builder("names-ok").mandatory(true).build();
            }

            @Override
            protected PluginResult process(PluginContext ctx) {
                // v3: a plugin's name is part of its execution item's key, so DynamoDB itself refuses a name
                // past its 2,048-byte partition-key limit; the write lands nowhere.
                String huge = "p".repeat(65_000);
                var execution = new dev.orchestrator.core.Keys.Execution(huge, ctx.uid(), ctx.workflow(), "Names", Stage.PARALLEL);
                try {
                    stack.dynamo.updateItem(b -> b.tableName(stack.store.table()).key(execution.key())
                            .updateExpression("SET #s = :s")
                            .expressionAttributeNames(Map.of("#s", "state"))
                            .expressionAttributeValues(Map.of(":s", AttributeValue.fromS("In Progress"))));
                } catch (software.amazon.awssdk.services.dynamodb.model.DynamoDbException e) {
                    HUGE_WRITE_REFUSAL.set(e.getMessage());
                }
                return PluginResult.complete();
            }
        };
        stack.register("Names", Stage.PARALLEL, writer);
        stack.start(start("n-1", "Names", "{}", ""));
        WorkflowRun run = endsOnce("n-1", Duration.ofSeconds(120));
        assertThat(run.status()).isEqualTo(State.COMPLETE);
        assertThat(run.activity("Names").async().optional()).isEmpty();
        assertThat(HUGE_WRITE_REFUSAL.get()).as("DynamoDB refuses the oversized key").isNotNull().containsIgnoringCase("key");
        // The library refuses such a name before writing anything.
        assertThat(refusalOf(() -> PluginInfo.builder("q".repeat(200)).build())).contains("must be 1-128 letters");
    }

    private static String refusalOf(Runnable r) {
        try {
            r.run();
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
        throw new AssertionError("accepted");
    }

    @Test
    void aGarbageTimerMessageIsDeadLetteredAndTheOtherWakeUpsInItsBatchStillWork() {
        stack.start(start("t-1", "Timer", "{}", ",\"pluginTimeout\":3"));
        stack.awaitCondition(Duration.ofSeconds(120), () -> stack.run("t-1", "wedge").map(r -> r.activity("Timer").async()
                .publishedAt() != null).orElse(false));
        SqsClient sqs = stack.emulator.client(SqsClient.builder());
        String timers = stack.queueUrl("EngineTimerQueue");
        long now = System.currentTimeMillis();
        sqs.sendMessageBatch(b -> b.queueUrl(timers).entries(
                SendMessageBatchRequestEntry.builder().id("garbage").messageBody("not json at all").build(),
                SendMessageBatchRequestEntry.builder().id("wake").messageBody("{\"uid\":\"t-1\",\"workflow\":\"wedge\",\"dueAt\":" + now + "}").build()));
        assertThat(endsOnce("t-1", Duration.ofSeconds(120)).status()).isEqualTo(State.COMPLETE);
        List<JsonNode> dead = stack.drainRaw("EngineDeadLetterQueue", Duration.ofSeconds(120));
        assertThat(dead).anyMatch(m -> m.asText().equals("not json at all"));
    }

    @Test
    void aTimerMessageWithWrongFieldTypesIsLoggedWithTheFieldAndDeadLetteredNotDropped() {
        // Valid JSON, every field present, none usable: read leniently it would wake run "x"/"" at 0.
        String[] malformed = {
            "{\"uid\":\"x\",\"workflow\":[],\"dueAt\":\"x\"}",
            "{\"uid\":\"x\",\"workflow\":\"wedge\",\"dueAt\":\"soon\"}",
            "{\"uid\":\"\",\"workflow\":\"wedge\",\"dueAt\":1}",
            "[1,2,3]"
        };
        SqsClient sqs = stack.emulator.client(SqsClient.builder());
        String timers = stack.queueUrl("EngineTimerQueue");
        for (String body : malformed) {
            sqs.sendMessage(b -> b.queueUrl(timers).messageBody(body));
        }
        List<String> dead = new java.util.ArrayList<>();
        stack.awaitCondition(Duration.ofSeconds(120), () -> {
            stack.drainRaw("EngineDeadLetterQueue", Duration.ofSeconds(1)).forEach(m -> dead.add(m.asText()));
            return dead.containsAll(List.of(malformed));
        });
        java.util.function.Function<String, String> reasonFor = body -> LOGS.lines.stream()
                .filter(l -> l.path("message").asText().equals("timer message refused; it goes to the dead-letter queue after its retries")
                        && l.path("reason").asText().endsWith(body))
                .map(l -> l.path("reason").asText()).findFirst().orElse("(no log line)");
        assertThat(reasonFor.apply(malformed[0])).startsWith("timer message's workflow must be a non-empty string, got []");
        assertThat(reasonFor.apply(malformed[1])).startsWith("timer message's dueAt must be a whole number of epoch milliseconds, got \"soon\"");
        assertThat(reasonFor.apply(malformed[2])).startsWith("timer message's uid must be a non-empty string, got \"\"");
        assertThat(reasonFor.apply(malformed[3])).startsWith("timer message must be a JSON object");
    }

    @Test
    void aStageMessageForARunThatDoesNotExistIsLoggedWithTheReason() {
        // As the engine would address it, but no such run was ever started: the claim's condition fails.
        var message = new dev.orchestrator.plugin.StageMessage("ghost-1", "wedge", "Meta", Stage.PARALLEL, null,
                dev.orchestrator.core.Json.object(), System.currentTimeMillis() + 60_000, Map.of(), Map.of());
        stack.emulator.client(software.amazon.awssdk.services.sns.SnsClient.builder()).publish(b -> b
                .topicArn(stack.topicArn("Meta", Stage.PARALLEL)).message(dev.orchestrator.core.Json.write(message.toJson())));
        // v3: the claim writes only the plugin's execution item, so the engine, reading it from the stream,
        // finds no run header and refuses the execution with the reason (closing it Do Not Run, or saying it had
        // already ended when the plugin finished first: the plugin is not told before it runs).
        JsonNode line = LOGS.await(stack, l -> l.path("message").asText().startsWith("plugin claim refused")
                && l.path("uid").asText().equals("ghost-1"), Duration.ofSeconds(120));
        assertThat(line.path("plugin").asText()).isEqualTo("meta-ok");
        assertThat(line.path("cause").asText()).isEqualTo("run ghost-1 / wedge does not exist");
        assertThat(line.path("level").asText()).isEqualTo("WARN");
        assertThat(stack.run("ghost-1", "wedge")).isEmpty();
    }

    @Test
    void anUnreadableRunInAStreamBatchEndsErrorWithItsCauseWhileTheOtherRunCompletes() {
        stack.start(start("c-ok", "Corrupt", "{}", ""));
        // A run item nobody can parse (activities is not a map), written beside a healthy run.
        stack.dynamo.putItem(b -> b.tableName(stack.store.table()).item(Map.of(
                "uid", AttributeValue.fromS("c-bad"), "workflow", AttributeValue.fromS("wedge"),
                "status", AttributeValue.fromS("In Progress"), "activities", AttributeValue.fromS("garbage"),
                "activityOrder", AttributeValue.fromL(List.of(AttributeValue.fromS("Corrupt"))),
                "version", AttributeValue.fromN("1"))));
        assertThat(endsOnce("c-ok", Duration.ofSeconds(120)).status()).isEqualTo(State.COMPLETE);
        WorkflowRun bad = stack.awaitEnd("c-bad", "wedge", Duration.ofSeconds(120));
        assertThat(bad.status()).isEqualTo(State.ERROR);
        assertThat(bad.message()).startsWith("engine failed: ");
        assertThat(stack.outcomeEvents("c-bad")).hasSize(1);
    }

    @Test
    void theAttributesAPluginFiltersOnAreTheOnesTheRunChoseNotTheFirstTenKeys() {
        List<String> seen = new CopyOnWriteArrayList<>();
        PluginHandler premium = new PluginHandler(stack.pluginEnv()) {
            @Override
            public PluginInfo info() {
                return PluginInfo.builder("premium-only").mandatory(false).build();
            }

            @Override
            protected void run(PluginContext ctx) {
                seen.add(ctx.uid());
            }
        };
        stack.registerFiltered("Filter", Stage.PARALLEL, premium, "{\"tier\":[\"premium\"]}");
        StringBuilder meta = new StringBuilder("{");
        for (char c = 'a'; c <= 'k'; c++) {
            meta.append('"').append(c).append(c).append("\":\"v\",");
        }
        meta.append("\"tier\":\"premium\"}");
        // An optional plugin joins within the window; 5 s so a slow delivery on a busy machine still joins.
        stack.start(start("fl-1", "Filter", meta.toString(), "").replace("\"pluginRegisterTimeout\":1", "\"pluginRegisterTimeout\":5"));
        WorkflowRun run = endsOnce("fl-1", Duration.ofSeconds(120));
        assertThat(seen).containsExactly("fl-1");
        assertThat(run.activity("Filter").async().optional().get("premium-only").state()).isEqualTo(State.COMPLETE);
    }
}
