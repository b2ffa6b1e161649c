package dev.orchestrator.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.orchestrator.cli.Exit;
import dev.orchestrator.cli.Orchestrator;
import dev.orchestrator.core.Json;
import dev.orchestrator.core.Stage;
import dev.orchestrator.core.State;
import dev.orchestrator.obs.Log;
import dev.orchestrator.obs.Metrics;
import dev.orchestrator.plugin.PluginContext;
import dev.orchestrator.plugin.PluginHandler;
import dev.orchestrator.plugin.PluginInfo;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.cloudwatchlogs.CloudWatchLogsClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * Every `orchestrator` command against a stack deployed from template.yaml on the emulator (with
 * non-default operations knobs), asserting what the operator sees (lines, exit codes) and what changed.
 * Also: the functions' JSON decision log carries the run's correlation keys.
 */
class CliTest {

    static OrchestratorFixture stack;
    static final List<String> LOG = new CopyOnWriteArrayList<>();
    static final List<String> METRICS = new CopyOnWriteArrayList<>();
    /** The stack's MetricsNamespace (default Orchestrator). */
    static final String METRICS_NAMESPACE = "OpsOrchestrator";
    @TempDir
    static Path dir;

    /** Pre plugin of Setup: fails for uids starting "fail", works 20 s for uids starting "slow". */
    public static final class Gate extends PluginHandler {
        public Gate(Map<String, String> env) {
            super(env);
        }

        @Override
        public PluginInfo info() {
            return PluginInfo.builder("gate").mandatory(true).order(1).description("lets runs through, or not").build();
        }

        @Override
        protected void run(PluginContext ctx) throws Exception {
            if (ctx.uid().startsWith("fail")) {
                throw new IllegalStateException("gate closed for " + ctx.uid());
            }
            if (ctx.uid().startsWith("slow")) {
                Thread.sleep(20_000);
            }
        }
    }

    @BeforeAll
    static void deploy() {
        Log.sink(LOG::add);
        Metrics.sink(METRICS::add);
        stack = OrchestratorFixture.deploy("ops", List.of("Setup", "Configure"), Map.of(
                "LogLevel", "DEBUG", "LogRetentionDays", "7", "EngineReservedConcurrency", "5",
                "HistoryRetentionDays", "7", "AlarmTopicArn", "arn:aws:sns:us-east-1:123456789012:ops-alarms",
                "MetricsNamespace", METRICS_NAMESPACE,
                "PluginTimeoutsAlarmThreshold", "2", "EngineIteratorAgeAlarmMillis", "120000", "ThrottlesAlarmThreshold", "3"));
        stack.register("Setup", Stage.PRE, new Gate(stack.pluginEnv()));
    }

    @AfterAll
    static void stop() {
        Log.sink((java.util.function.Consumer<String>) null);
        Metrics.sink(null);
        if (stack != null) {
            stack.close();
        }
    }

    record Result(int code, String out, String err) {
        List<String> lines() {
            return out.lines().toList();
        }
    }

    static Result cli(String... args) {
        List<String> all = new ArrayList<>(List.of(args).contains("--stack") ? List.of() : List.of("--stack", "ops"));
        all.addAll(List.of(args));
        return cliIn(Map.of(), all.toArray(String[]::new));
    }

    /** The CLI with these environment variables added to the emulator's (no --stack added: the caller decides). */
    static Result cliIn(Map<String, String> environment, String... args) {
        List<String> all = new ArrayList<>(List.of("--endpoint-url", stack.emulator.endpoint().toString(),
                "--lambda-endpoint-url", stack.runtime.lambdaEndpoint()));
        all.addAll(List.of(args));
        Map<String, String> env = new java.util.LinkedHashMap<>(stack.emulator.clientEnvironment());
        env.putAll(environment);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Orchestrator.run(all.toArray(String[]::new), env, ZoneOffset.UTC, new PrintWriter(out), new PrintWriter(err));
        return new Result(code, out.toString(), err.toString());
    }

    static Path request(String uid) throws Exception {
        return request(uid, "ops-flow");
    }

    static Path request(String uid, String workflow) throws Exception {
        Path f = dir.resolve(uid + ".json");
        Files.writeString(f, "{\"uid\":\"" + uid + "\",\"workflow\":\"" + workflow + "\",\"activities\":[\"Setup\",\"Configure\"],"
                + "\"metadata\":{\"customer\":\"acme\"},\"pluginRegisterTimeout\":1}");
        return f;
    }

    /** The uids in the rows of a `runs` table, top to bottom. */
    static List<String> uids(Result runs) {
        return runs.lines().stream().skip(1).map(l -> l.split("\\s{2,}")[2]).toList();
    }

    static String queueUrl(String logicalId) {
        SqsClient sqs = stack.emulator.client(SqsClient.builder());
        String id = stack.stack.physicalId(logicalId);
        return id.startsWith("http") ? id : sqs.getQueueUrl(b -> b.queueName(id.substring(id.lastIndexOf(':') + 1))).queueUrl();
    }

    @Test
    void startStatusHistoryRunsAndPluginsOfARunThatCompletes() throws Exception {
        Result plugins = cli("plugins");
        assertThat(plugins.code()).isEqualTo(Exit.OK);
        assertThat(plugins.lines().get(0)).matches("ACTIVITY\\s+STAGE\\s+ORDER\\s+PLUGIN\\s+MANDATORY\\s+FUNCTION");
        assertThat(plugins.out()).containsPattern("Setup\\s+pre\\s+1\\s+gate\\s+yes\\s+local-gate");

        Result start = cli("start", request("ok-1").toString());
        assertThat(start.code()).as(start.err()).isEqualTo(Exit.OK);
        assertThat(start.out()).isEqualTo("ok-1 / ops-flow: started (status Not Started)\n");
        assertThat(stack.awaitEnd("ok-1", "ops-flow", Duration.ofSeconds(120)).status()).isEqualTo(State.COMPLETE);

        Result status = cli("status", "ok-1", "ops-flow");
        assertThat(status.code()).isEqualTo(Exit.OK);
        // Times follow when the item has them (startedAt/endedAt): match the start of each line.
        assertThat(status.lines().get(0)).startsWith("ok-1 / ops-flow  Complete [ok]");
        assertThat(status.lines()).anyMatch(l -> l.startsWith("│  ├─ pre      Complete [ok]"))
                .anyMatch(l -> l.startsWith("│  │  · gate  Complete"));
        JsonNode item = Json.parse(cli("--json", "status", "ok-1", "ops-flow").out());
        assertThat(item.path("status").asText()).isEqualTo("Complete");
        assertThat(item.path("metadata").path("customer").asText()).isEqualTo("acme");

        Result again = cli("start", request("ok-1").toString());
        assertThat(again.code()).isEqualTo(Exit.NO_CHANGE);
        assertThat(again.out()).contains("already complete, nothing changed");

        // History: fed by the stream and gathered for HistoryBatchingWindow, so it trails the status by up to that
        // window: wait for the run's own last transition.
        stack.awaitCondition(Duration.ofSeconds(120), () -> java.util.regex.Pattern.compile("\\s+run\\s+In Progress -> Complete")
                .matcher(cli("history", "ok-1", "ops-flow").out()).find());
        Result history = cli("history", "ok-1", "ops-flow");
        assertThat(history.code()).isEqualTo(Exit.OK);
        assertThat(history.lines().get(0)).matches("TIME\\s+WHERE\\s+CHANGE\\s+CAUSE");
        assertThat(history.lines().get(1)).matches("\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3}\\s+run\\s+created \\(Not Started\\)\\s+-");
        assertThat(history.out()).containsPattern("Setup/pre/gate\\s+(Not Started -> )?In Progress")
                .containsPattern("Setup/pre/gate\\s+In Progress -> Complete")
                .containsPattern("\\s+run\\s+In Progress -> Complete");

        Result runs = cli("runs", "--state", "Complete", "--workflow", "ops-flow", "--since", "1h");
        assertThat(runs.code()).isEqualTo(Exit.OK);
        assertThat(runs.lines().get(0)).matches("UPDATED\\s+STATUS\\s+UID\\s+WORKFLOW\\s+MESSAGE");
        assertThat(runs.out()).containsPattern("Complete\\s+ok-1\\s+ops-flow");
        assertThat(cli("runs", "--state", "Complete", "--workflow", "other").out()).isEqualTo("no runs\n");
        assertThat(cli("runs", "--since", "soon").code()).isEqualTo(Exit.USAGE);
        assertThat(cli("runs", "--state", "Done").err()).contains("'Done' is not a state");

        // The decision log: JSON lines in Powertools' layout with the run's correlation keys.
        List<JsonNode> mine = LOG.stream().map(Json::parse)
                .filter(l -> "ok-1".equals(l.path("uid").asText()) && "ops-flow".equals(l.path("workflow").asText())).toList();
        assertThat(mine).as("log lines of run ok-1").isNotEmpty();
        assertThat(mine).anySatisfy(l -> {
            assertThat(l.path("logger").asText()).isEqualTo("HistoryHandler");
            assertThat(l.path("message").asText()).isEqualTo("transition recorded"); // DEBUG: LogLevel=DEBUG took effect
            assertThat(l.path("level").asText()).isEqualTo("DEBUG");
            assertThat(l.has("timestamp")).isTrue();
        });
        assertThat(METRICS).anySatisfy(m -> {
            JsonNode emf = Json.parse(m);
            assertThat(emf.path("_aws").path("CloudWatchMetrics").get(0).path("Metrics").get(0).path("Name").asText())
                    .isEqualTo(Metrics.HISTORY_TRANSITIONS);
            assertThat(emf.path("workflow").asText()).isEqualTo("ops-flow");
        });
        // Every EMF line the functions wrote is in the stack's MetricsNamespace, where its alarms and dashboard look.
        assertThat(METRICS).allSatisfy(m -> assertThat(Json.parse(m).path("_aws").path("CloudWatchMetrics").get(0)
                .path("Namespace").asText()).as(m).isEqualTo(METRICS_NAMESPACE));

        // History entries expire after HistoryRetentionDays (7 here).
        var entries = stack.dynamo.query(b -> b.tableName(stack.stack.export("ops-history-name")).keyConditionExpression("#r = :r")
                .expressionAttributeNames(Map.of("#r", "run")).expressionAttributeValues(Map.of(":r", AttributeValue.fromS("ok-1#ops-flow")))).items();
        long time = Long.parseLong(entries.get(0).get("time").n());
        assertThat(Long.parseLong(entries.get(0).get("expiresAt").n())).isEqualTo(time / 1000 + 7 * 86_400L);

        // So does the finished run itself: its header, its roster and every plugin execution carry a TTL 7 days
        // after their write (a scan is fine in a test: the table holds this stack's few runs).
        long nowSeconds = System.currentTimeMillis() / 1000;
        var items = stack.dynamo.scan(b -> b.tableName(stack.stack.export("ops-status-name"))).items().stream()
                .filter(i -> i.get("uid").s().equals("ok-1") || i.get("uid").s().endsWith("~ok-1")).toList();
        assertThat(items).as("header, roster and executions of ok-1")
                .anyMatch(i -> i.get("uid").s().equals("ok-1"))
                .anyMatch(i -> i.get("uid").s().startsWith("~~"))
                .anyMatch(i -> i.get("uid").s().startsWith("~") && !i.get("uid").s().startsWith("~~"));
        assertThat(items).allSatisfy(i -> {
            assertThat(i).as("TTL of " + i.get("uid").s()).containsKey("expiresAt");
            assertThat(Long.parseLong(i.get("expiresAt").n()))
                    .isBetween(nowSeconds + 7 * 86_400L - 600, nowSeconds + 7 * 86_400L);
        });
    }

    @Test
    void aFailedRunIsFoundByStateExplainedByHistoryAndResumed() throws Exception {
        assertThat(cli("start", request("fail-1").toString()).code()).isEqualTo(Exit.OK);
        assertThat(stack.awaitEnd("fail-1", "ops-flow", Duration.ofSeconds(120)).status()).isEqualTo(State.ERROR);

        Result runs = cli("runs", "--state", "Error");
        assertThat(runs.code()).isEqualTo(Exit.OK);
        assertThat(runs.out()).containsPattern("Error\\s+fail-1\\s+ops-flow").doesNotContain("ok-1");
        Result status = cli("status", "fail-1", "ops-flow");
        assertThat(status.out()).contains("· gate  Error: gate closed for fail-1");

        stack.awaitCondition(Duration.ofSeconds(120), () -> java.util.regex.Pattern.compile("\\s+run\\s+In Progress -> Error")
                .matcher(cli("history", "fail-1", "ops-flow").out()).find());
        Result history = cli("history", "fail-1", "ops-flow");
        assertThat(history.out()).containsPattern("Setup/pre/gate\\s+In Progress -> Error\\s+gate closed for fail-1")
                .containsPattern("\\s+run\\s+In Progress -> Error");

        Result resume = cli("resume", "fail-1", "ops-flow");
        assertThat(resume.code()).as(resume.err()).isEqualTo(Exit.OK);
        assertThat(resume.out()).startsWith("fail-1 / ops-flow: resumed");
        stack.awaitCondition(Duration.ofSeconds(120), () -> cli("history", "fail-1", "ops-flow").out()
                .lines().filter(l -> l.matches(".*\\s+run\\s+Error -> .*")).count() == 1);

        assertThat(cli("status", "nope", "ops-flow").code()).isEqualTo(Exit.NOT_FOUND);
        assertThat(cli("status", "nope", "ops-flow").err()).isEqualTo("error: no run nope / ops-flow in stack ops\n");
        assertThat(cli("history", "nope", "ops-flow").code()).isEqualTo(Exit.NOT_FOUND);
        assertThat(cli("resume", "nope", "ops-flow").code()).isEqualTo(Exit.NOT_FOUND);
        Result unknownStack = cli("--stack", "nosuch", "status", "a", "b");
        assertThat(unknownStack.code()).isEqualTo(Exit.UNREACHABLE);
        assertThat(unknownStack.err()).contains("stack 'nosuch' has no export nosuch-status-name");
    }

    @Test
    void cancelEndsARunningRunWithItsReason() throws Exception {
        assertThat(cli("start", request("slow-1").toString()).code()).isEqualTo(Exit.OK);
        stack.awaitCondition(Duration.ofSeconds(120), () -> stack.run("slow-1", "ops-flow")
                .map(r -> r.status() == State.IN_PROGRESS).orElse(false));
        // In flight (the gate works 20 s): its index entry is in its shard's active partition, where the engine's
        // start of the run changed only its status; `runs` lists it under In Progress and not under Not Started.
        var header = stack.store.getItem("slow-1", "ops-flow").orElseThrow();
        assertThat(header.get(dev.orchestrator.core.RunIndex.PARTITION).s())
                .isEqualTo("active#" + dev.orchestrator.core.RunIndex.shard("slow-1"));
        assertThat(cli("runs", "--state", "In Progress", "--workflow", "ops-flow").out())
                .containsPattern("In Progress\\s+slow-1\\s+ops-flow");
        assertThat(cli("runs", "--state", "Not Started", "--workflow", "ops-flow").out()).doesNotContain("slow-1");
        Result cancel = cli("cancel", "slow-1", "ops-flow", "--reason", "operator test");
        assertThat(cancel.code()).as(cancel.err()).isEqualTo(Exit.OK);
        assertThat(cancel.out()).isEqualTo("slow-1 / ops-flow: cancel requested (operator test)\n");
        stack.awaitCondition(Duration.ofSeconds(120), () -> cli("status", "slow-1", "ops-flow").out()
                .startsWith("slow-1 / ops-flow  Error [FAILED]: cancelled: operator test"));

        Result again = cli("cancel", "slow-1", "ops-flow", "--reason", "twice");
        assertThat(again.code()).isEqualTo(Exit.NO_CHANGE);
        assertThat(again.err()).contains("already ended Error");
        assertThat(cli("cancel", "nope", "ops-flow", "--reason", "x").code()).isEqualTo(Exit.NOT_FOUND);
        assertThat(cli("cancel", "slow-1", "ops-flow").code()).as("--reason is required").isEqualTo(Exit.USAGE);
    }

    @Test
    void deadLetterQueuesListShowAndRedrive() {
        Result list = cli("dlq", "list");
        assertThat(list.code()).isEqualTo(Exit.OK);
        assertThat(list.lines().get(0)).matches("QUEUE\\s+MESSAGES\\s+REDRIVES TO");
        assertThat(list.out()).containsPattern("EngineDeadLetterQueue\\s+0\\s+queue:EngineTimerQueue")
                .containsPattern("StartDeadLetterQueue\\s+0\\s+function:StartWorkflowFunction")
                .containsPattern("TenantDeadLetterQueue\\s+0\\s+function:TenantRouterFunction")
                .containsPattern("RegistrarDeadLetterQueue\\s+0\\s+function:RegistrarFunction")
                .containsPattern("HistoryDeadLetterQueue\\s+0\\s+stream:HistoryFunction");

        // A start naming an activity the stack lacks fails for good and is dead-lettered by its rule.
        stack.putEvent("ops.test", "Start Workflow", "{\"uid\":\"dlq-bad\",\"workflow\":\"ops-flow\",\"activities\":[\"Nope\"],\"metadata\":{}}");
        stack.awaitCondition(Duration.ofSeconds(120), () -> cli("dlq", "list").out().matches("(?s).*StartDeadLetterQueue\\s+1\\s.*"));
        Result show = cli("dlq", "show", "start");
        assertThat(show.code()).isEqualTo(Exit.OK);
        assertThat(show.lines().get(0)).isEqualTo("StartDeadLetterQueue: 1 message(s); redrive sends them to function:StartWorkflowFunction");
        assertThat(show.out()).contains("\"uid\" : \"dlq-bad\"", "\"Nope\"");
        assertThat(cli("dlq", "show", "start").out()).as("show only peeks").contains("dlq-bad");

        // A good event that had failed for a passing reason, next to the bad one: redrive delivers the good one.
        SqsClient sqs = stack.emulator.client(SqsClient.builder());
        String startDlq = stack.stack.physicalId("StartDeadLetterQueue");
        String startDlqUrl = startDlq.startsWith("http") ? startDlq : sqs.getQueueUrl(b -> b.queueName(startDlq.substring(startDlq.lastIndexOf(':') + 1))).queueUrl();
        sqs.sendMessage(b -> b.queueUrl(startDlqUrl).messageBody("{\"source\":\"ops.test\",\"detail-type\":\"Start Workflow\",\"detail\":"
                + "{\"uid\":\"redriven-1\",\"workflow\":\"ops-flow\",\"activities\":[\"Setup\"],\"metadata\":{}}}"));
        Result redrive = cli("dlq", "redrive", "StartDeadLetterQueue");
        assertThat(redrive.code()).as("a message is left").isEqualTo(Exit.REFUSED);
        assertThat(redrive.lines().get(0)).isEqualTo("StartDeadLetterQueue: redrove 1 message(s) to function:StartWorkflowFunction; 1 left in the queue");
        assertThat(redrive.out()).contains("'Nope' is not deployed");
        assertThat(stack.run("redriven-1", "ops-flow")).as("the redriven start created its run").isPresent();
        assertThat(cli("dlq", "list").out()).as("the refused message stays, visible").containsPattern("StartDeadLetterQueue\\s+1\\s");

        // A timer that failed goes back to the engine's timer queue.
        String engineDlq = stack.stack.physicalId("EngineDeadLetterQueue");
        String engineDlqUrl = engineDlq.startsWith("http") ? engineDlq : sqs.getQueueUrl(b -> b.queueName(engineDlq.substring(engineDlq.lastIndexOf(':') + 1))).queueUrl();
        sqs.sendMessage(b -> b.queueUrl(engineDlqUrl).messageBody("{\"uid\":\"ok-none\",\"workflow\":\"ops-flow\",\"dueAt\":0}"));
        Result timers = cli("--json", "dlq", "redrive", "engine");
        assertThat(timers.code()).as(timers.err()).isEqualTo(Exit.OK);
        JsonNode t = Json.parse(timers.out());
        assertThat(t.path("queue").asText()).isEqualTo("EngineDeadLetterQueue");
        assertThat(t.path("redriven").asInt()).isEqualTo(1);
        assertThat(cli("dlq", "redrive", "engine").out()).isEqualTo("EngineDeadLetterQueue: empty, nothing to redrive\n");

        // A stream failure record names a batch; it cannot be re-sent, and the CLI says what to do instead.
        String historyDlq = stack.stack.physicalId("HistoryDeadLetterQueue");
        String historyDlqUrl = historyDlq.startsWith("http") ? historyDlq : sqs.getQueueUrl(b -> b.queueName(historyDlq.substring(historyDlq.lastIndexOf(':') + 1))).queueUrl();
        sqs.sendMessage(b -> b.queueUrl(historyDlqUrl).messageBody("{\"requestContext\":{\"condition\":\"RetryAttemptsExhausted\"},"
                + "\"DDBStreamBatchInfo\":{\"shardId\":\"s-1\",\"batchSize\":3}}"));
        Result stream = cli("dlq", "redrive", "history");
        assertThat(stream.code()).isEqualTo(Exit.REFUSED);
        assertThat(stream.out()).contains("stream failure record", "orchestrator resume");

        assertThat(cli("dlq", "show", "nosuch").code()).isEqualTo(Exit.NOT_FOUND);
        assertThat(cli("dlq").code()).isEqualTo(Exit.USAGE);
    }

    @Test
    void runsLimitShowsThatManyRunsNewestFirst() throws Exception {
        // Three runs of a workflow of their own, each ended before the next starts: the newest is limit-3.
        for (String uid : List.of("limit-1", "limit-2", "limit-3")) {
            Result start = cli("start", request(uid, "limit-flow").toString());
            assertThat(start.code()).as(start.err()).isEqualTo(Exit.OK);
            assertThat(stack.awaitEnd(uid, "limit-flow", Duration.ofSeconds(120)).status()).isEqualTo(State.COMPLETE);
        }
        Result all = cli("runs", "--workflow", "limit-flow");
        assertThat(all.code()).isEqualTo(Exit.OK);
        assertThat(uids(all)).as("default --limit 50: every run").containsExactly("limit-3", "limit-2", "limit-1");

        Result two = cli("runs", "--workflow", "limit-flow", "--limit", "2");
        assertThat(two.code()).isEqualTo(Exit.OK);
        assertThat(two.lines().get(0)).matches("UPDATED\\s+STATUS\\s+UID\\s+WORKFLOW\\s+MESSAGE");
        assertThat(uids(two)).as("--limit 2: the two newest").containsExactly("limit-3", "limit-2");
        JsonNode json = Json.parse(cli("--json", "runs", "--workflow", "limit-flow", "--limit", "1").out());
        assertThat(json).hasSize(1);
        assertThat(json.get(0).path("uid").asText()).isEqualTo("limit-3");
    }

    @Test
    void dlqShowMaxShowsAtMostThatManyMessages() {
        SqsClient sqs = stack.emulator.client(SqsClient.builder());
        String url = queueUrl("TenantDeadLetterQueue");
        try {
            for (int i = 1; i <= 4; i++) {
                int n = i;
                sqs.sendMessage(b -> b.queueUrl(url).messageBody("{\"detail-type\":\"TENANT_PROVISIONING\",\"detail\":{\"tenantId\":\"max-" + n + "\"}}"));
            }
            stack.awaitCondition(Duration.ofSeconds(120), () -> cli("dlq", "list").out().matches("(?s).*TenantDeadLetterQueue\\s+4\\s.*"));

            Result all = cli("dlq", "show", "tenant");
            assertThat(all.code()).isEqualTo(Exit.OK);
            assertThat(all.lines().stream().filter(l -> l.startsWith("--- "))).as("default --max 10: all four").hasSize(4);

            Result two = cli("dlq", "show", "tenant", "--max", "2");
            assertThat(two.code()).isEqualTo(Exit.OK);
            assertThat(two.lines().get(0)).isEqualTo("TenantDeadLetterQueue: 4 message(s); redrive sends them to function:TenantRouterFunction");
            assertThat(two.lines().stream().filter(l -> l.startsWith("--- "))).as("--max 2").hasSize(2);
            assertThat(two.out().split("\"tenantId\" : \"max-", -1)).as("two message bodies").hasSize(3);
            assertThat(Json.parse(cli("--json", "dlq", "show", "tenant", "--max", "3").out())).as("--json --max 3").hasSize(3);
        } finally {
            sqs.purgeQueue(b -> b.queueUrl(url)); // deadLetterQueuesListShowAndRedrive expects this queue empty
        }
    }

    @Test
    void theStackComesFromOrchestratorStackWhenNoStackOptionIsGiven() {
        Result fromEnv = cliIn(Map.of("ORCHESTRATOR_STACK", "ops"), "plugins");
        assertThat(fromEnv.code()).as(fromEnv.err()).isEqualTo(Exit.OK);
        assertThat(fromEnv.out()).containsPattern("Setup\\s+pre\\s+1\\s+gate\\s+yes\\s+local-gate");
        Result missing = cliIn(Map.of("ORCHESTRATOR_STACK", "ops"), "status", "nope", "ops-flow");
        assertThat(missing.code()).isEqualTo(Exit.NOT_FOUND);
        assertThat(missing.err()).isEqualTo("error: no run nope / ops-flow in stack ops\n");

        Result other = cliIn(Map.of("ORCHESTRATOR_STACK", "nosuch"), "status", "a", "b");
        assertThat(other.code()).isEqualTo(Exit.UNREACHABLE);
        assertThat(other.err()).contains("stack 'nosuch' has no export nosuch-status-name");
        assertThat(cliIn(Map.of("ORCHESTRATOR_STACK", "nosuch"), "--stack", "ops", "status", "nope", "ops-flow").code())
                .as("--stack wins over the variable").isEqualTo(Exit.NOT_FOUND);

        Result neither = cliIn(Map.of(), "status", "a", "b");
        assertThat(neither.code()).isEqualTo(Exit.USAGE);
        assertThat(neither.err()).isEqualTo("error: no stack: pass --stack <name> or set ORCHESTRATOR_STACK\n");
    }

    @Test
    void regionPicksWhereTheStackIsLookedFor() {
        // The stack is deployed in us-east-1 (the environment's AWS_REGION); the emulator keeps stacks per region.
        Result elsewhere = cli("--region", "eu-west-1", "status", "nope", "ops-flow");
        assertThat(elsewhere.code()).isEqualTo(Exit.UNREACHABLE);
        assertThat(elsewhere.err()).isEqualTo("error: stack 'ops' has no export ops-status-name"
                + " (is the stack deployed in this account and region, and up to date?)\n");
        Result here = cliIn(Map.of("AWS_REGION", "eu-west-1"), "--stack", "ops", "--region", "us-east-1", "status", "nope", "ops-flow");
        assertThat(here.code()).as("--region wins over AWS_REGION: " + here.err()).isEqualTo(Exit.NOT_FOUND);
        assertThat(here.err()).isEqualTo("error: no run nope / ops-flow in stack ops\n");
    }

    @Test
    void tenantsAndOneTenant() {
        String table = stack.stack.export("ops-tenant-jobs-name");
        long now = System.currentTimeMillis();
        stack.dynamo.putItem(b -> b.tableName(table).item(Map.of("tenantId", AttributeValue.fromS("acme"), "jobId", AttributeValue.fromS("TENANT"),
                "status", AttributeValue.fromS("DEPLOYED"), "updatedAt", AttributeValue.fromN(Long.toString(now)))));
        stack.dynamo.putItem(b -> b.tableName(table).item(Map.of("tenantId", AttributeValue.fromS("acme"), "jobId", AttributeValue.fromS("build-1"),
                "status", AttributeValue.fromS("SUCCEEDED"), "project", AttributeValue.fromS("tenant-premium"),
                "updatedAt", AttributeValue.fromN(Long.toString(now - 1000)))));
        stack.dynamo.putItem(b -> b.tableName(table).item(Map.of("tenantId", AttributeValue.fromS("beta"), "jobId", AttributeValue.fromS("TENANT"),
                "status", AttributeValue.fromS("PROVISIONING_FAILED"), "cause", AttributeValue.fromS("BUILD phase failed"),
                "updatedAt", AttributeValue.fromN(Long.toString(now)))));

        Result all = cli("tenants");
        assertThat(all.code()).isEqualTo(Exit.OK);
        assertThat(all.lines()).hasSize(3);
        assertThat(all.lines().get(0)).matches("TENANT\\s+STATE\\s+UPDATED\\s+CAUSE");
        assertThat(all.lines().get(1)).matches("acme\\s+DEPLOYED\\s+\\S+ \\S+\\s+-");
        assertThat(all.lines().get(2)).matches("beta\\s+PROVISIONING_FAILED\\s+\\S+ \\S+\\s+BUILD phase failed");

        Result one = cli("tenant", "acme");
        assertThat(one.code()).isEqualTo(Exit.OK);
        assertThat(one.lines().get(0)).isEqualTo("tenant acme: DEPLOYED");
        assertThat(one.lines().get(1)).matches("  \\S+ \\S+  build-1  SUCCEEDED  project=tenant-premium");
        assertThat(Json.parse(cli("--json", "tenant", "beta").out()).get(0).path("cause").asText()).isEqualTo("BUILD phase failed");
        assertThat(cli("tenant", "nope").code()).isEqualTo(Exit.NOT_FOUND);
    }

    /**
     * The alarm thresholds deployed with non-default values. moto's CloudFormation (5.2) creates no CloudWatch
     * alarms (DescribeAlarms on the emulator lists none), so this reads what CloudFormation would create them
     * from: the template the stack holds (GetTemplate) and the stack's parameter values (DescribeStacks).
     */
    @Test
    void alarmThresholdKnobsReachTheStack() {
        var cfn = stack.emulator.client(software.amazon.awssdk.services.cloudformation.CloudFormationClient.builder());
        Map<String, String> parameters = new java.util.HashMap<>();
        cfn.describeStacks(b -> b.stackName("ops")).stacks().get(0).parameters()
                .forEach(p -> parameters.put(p.parameterKey(), p.parameterValue()));
        JsonNode resources = Json.parse(cfn.getTemplate(b -> b.stackName("ops")).templateBody()).path("Resources");
        Map<String, List<String>> expected = Map.of(
                "PluginTimeoutsAlarm", List.of("PluginTimeoutsAlarmThreshold", "2"),
                "EngineIteratorAgeAlarm", List.of("EngineIteratorAgeAlarmMillis", "120000"),
                "ThrottlesAlarm", List.of("ThrottlesAlarmThreshold", "3"));
        expected.forEach((alarm, knob) -> {
            JsonNode threshold = resources.path(alarm).path("Properties").path("Threshold");
            assertThat(threshold.path("Ref").asText()).as(alarm + " Threshold in the deployed template").isEqualTo(knob.get(0));
            assertThat(parameters.get(knob.get(0))).as(knob.get(0) + " of the deployed stack").isEqualTo(knob.get(1));
        });
    }

    @Test
    void operationsKnobsReachTheDeployedResources() {
        String engine = stack.stack.physicalId("EngineFunction");
        var groups = stack.emulator.client(CloudWatchLogsClient.builder())
                .describeLogGroups(b -> b.logGroupNamePrefix("/aws/lambda/" + engine)).logGroups();
        assertThat(groups).singleElement().satisfies(g -> assertThat(g.retentionInDays()).isEqualTo(7));
        assertThat(stack.emulator.client(LambdaClient.builder()).getFunctionConcurrency(b -> b.functionName(engine))
                .reservedConcurrentExecutions()).isEqualTo(5);
    }
}
