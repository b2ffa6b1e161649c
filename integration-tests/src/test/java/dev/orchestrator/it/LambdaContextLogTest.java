package dev.orchestrator.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.orchestrator.core.EnvNames;
import dev.orchestrator.core.Stage;
import dev.orchestrator.core.State;
import dev.orchestrator.obs.Log;
import dev.orchestrator.plugin.PluginContext;
import dev.orchestrator.plugin.PluginInfo;
import dev.orchestrator.plugin.PluginResult;
import dev.orchestrator.plugin.QueuePlugin;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every function of the stack and both kinds of Java plugin log with the Lambda context of the
 * invocation: function_request_id, function_name and cold_start (and nothing the log group names), on the lines
 * that also carry the run's keys. One run (a plain plugin and a queue plugin), one tenant event and
 * one reconcile produce the lines; each test reads those of one function. LogLevel=DEBUG so the
 * history function, which logs transitions at DEBUG only, writes lines too. The stack is deployed
 * with non-default operations knobs (Tracing=PassThrough), and the functions say so.
 */
class LambdaContextLogTest {

    static OrchestratorFixture stack;
    static final TenantTestSupport.LogCapture LOGS = new TenantTestSupport.LogCapture();
    static final String UID = "ctx-1";

    /** A queue plugin that completes at once. */
    static final class Queued extends QueuePlugin {
        Queued(Map<String, String> env) {
            super(env);
        }

        @Override
        public PluginInfo info() {
            return PluginInfo.builder("ctx-queued").mandatory(true).build();
        }

        @Override
        protected PluginResult process(PluginContext context) {
            return PluginResult.complete();
        }
    }

    @BeforeAll
    static void runEveryFunction() {
        LOGS.install();
        // Non-default operations knobs: tracing off and a higher failed-runs threshold (both checked below).
        stack = OrchestratorFixture.deploy("ctxlog", List.of("Ctx"), Map.of("LogLevel", "DEBUG",
                "Tracing", "PassThrough", "FailedRunsAlarmThreshold", "3"));
        stack.register("Ctx", Stage.PARALLEL, new TestPlugin(stack.pluginEnv(),
                PluginInfo.builder("ctx-plain").mandatory(true).build(), new CopyOnWriteArrayList<>()));
        String[] queue = stack.queueWithDlq("q-ctx", 3, false);
        Map<String, String> env = new LinkedHashMap<>(stack.pluginEnv());
        env.put(EnvNames.PLUGIN_QUEUE_URL, queue[0]);
        Queued queued = new Queued(env);
        stack.register("Ctx", Stage.PARALLEL, queued);
        stack.runtime.subscribeQueue(queue[0], queued, 5, true);

        stack.start(WorkflowRunTest.startJson(UID, "ctx", List.of("Ctx"), 1, "{\"tier\":\"gold\"}"));
        assertThat(stack.awaitEnd(UID, "ctx", Duration.ofSeconds(90)).status()).isEqualTo(State.COMPLETE);

        stack.runtime.invoke("RegistrarFunction", "{\"action\":\"reconcile\"}");
        // A tenant event from a source the stack does not accept: refused with a line, and an error.
        assertThatThrownBy(() -> stack.runtime.invoke("TenantRouterFunction",
                "{\"source\":\"someone.else\",\"detail-type\":\"TENANT_PROVISIONING\",\"detail\":{\"tenantId\":\"t-1\"}}"))
                .isInstanceOf(RuntimeException.class);
        // History writes from the same stream as the engine: wait until it has logged this run.
        LOGS.await(stack, l -> "HistoryHandler".equals(l.path("logger").asText()) && UID.equals(l.path("uid").asText()),
                Duration.ofSeconds(60));
    }

    @AfterAll
    static void stop() {
        LOGS.uninstall();
        Log.configure(Map.of(Log.LEVEL_VARIABLE, "INFO"));
        if (stack != null) {
            stack.close();
        }
    }

    /** Lines written by one logger (a handler class) inside an invocation of the given function. */
    static List<JsonNode> lines(String logger, Predicate<String> functionName) {
        return LOGS.lines.stream()
                .filter(l -> logger.equals(l.path("logger").asText()))
                .filter(l -> functionName.test(l.path("function_name").asText("")))
                .toList();
    }

    static List<JsonNode> ofFunction(String logicalId, String logger) {
        String physical = stack.runtime.function(logicalId).functionName();
        return lines(logger, physical::equals);
    }

    /** What every line must carry: the invocation's request id, name and whether it was cold; and no ARN, version, memory size. */
    static void assertLambdaContext(List<JsonNode> lines, String what) {
        assertThat(lines).as(what + ": lines logged inside an invocation").isNotEmpty();
        for (JsonNode l : lines) {
            assertThat(l.path("function_request_id").asText("")).as(what + " function_request_id in " + l).isNotBlank();
            assertThat(l.path("function_name").asText("")).as(what + " function_name in " + l).isNotBlank();
            assertThat(l.has("function_arn") || l.has("function_version") || l.has("function_memory_size") || l.has("service"))
                    .as(what + ": no field the log group already names, in " + l).isFalse();
            assertThat(l.path("cold_start").isBoolean()).as(what + " cold_start (a boolean) in " + l).isTrue();
        }
    }

    @Test
    void engineLinesCarryTheInvocationAndTheRun() {
        // The engine's decisions are logged by its handler and its executor: every line of the function.
        String engine = stack.runtime.function("EngineFunction").functionName();
        List<JsonNode> all = LOGS.lines.stream().filter(l -> engine.equals(l.path("function_name").asText(""))).toList();
        assertLambdaContext(all, "EngineFunction");
        assertThat(all).as("a run's engine lines keep the invocation's fields next to the run's keys")
                .anyMatch(l -> UID.equals(l.path("uid").asText()) && !l.path("function_request_id").asText("").isBlank());
        assertThat(all).as("the first invocation of the engine is a cold start")
                .anyMatch(l -> l.path("cold_start").asBoolean(false));
    }

    @Test
    void startWorkflowLinesCarryTheInvocation() {
        List<JsonNode> lines = ofFunction("StartWorkflowFunction", "StartWorkflowHandler");
        assertLambdaContext(lines, "StartWorkflowFunction");
        assertThat(lines).anyMatch(l -> "run created".equals(l.path("message").asText()) && UID.equals(l.path("uid").asText())
                && l.path("cold_start").asBoolean(false));
    }

    @Test
    void tenantRouterLinesCarryTheInvocation() {
        List<JsonNode> lines = ofFunction("TenantRouterFunction", "TenantRouterHandler");
        assertLambdaContext(lines, "TenantRouterFunction");
        assertThat(lines).anyMatch(l -> "message refused".equals(l.path("message").asText()));
    }

    @Test
    void registrarLinesCarryTheInvocation() {
        List<JsonNode> lines = ofFunction("RegistrarFunction", "RegistrarHandler");
        assertLambdaContext(lines, "RegistrarFunction");
        assertThat(lines).anyMatch(l -> "reconcile done".equals(l.path("message").asText()));
    }

    @Test
    void historyLinesCarryTheInvocationAndTheRun() {
        List<JsonNode> lines = ofFunction("HistoryFunction", "HistoryHandler");
        assertLambdaContext(lines, "HistoryFunction");
        assertThat(lines).anyMatch(l -> UID.equals(l.path("uid").asText()));
    }

    @Test
    void pluginLibraryLinesCarryTheInvocationAndTheRun() {
        List<JsonNode> lines = lines("PluginHandler", name -> name.startsWith("subscriber-"));
        assertLambdaContext(lines, "PluginHandler");
        assertThat(lines).anyMatch(l -> "plugin completed".equals(l.path("message").asText())
                && UID.equals(l.path("uid").asText()) && "ctx-plain".equals(l.path("plugin").asText())
                && "1".equals(l.path("attempt").asText()));
        // One INFO line per execution, its outcome: the claim is only a DEBUG line.
        assertThat(lines).noneMatch(l -> "plugin claimed".equals(l.path("message").asText())
                && !"DEBUG".equals(l.path("level").asText()));
    }

    @Test
    void queuePluginLinesCarryTheInvocationOfBridgeAndWorker() {
        List<JsonNode> bridge = lines("QueuePlugin", name -> name.startsWith("subscriber-"));
        List<JsonNode> worker = lines("QueuePlugin", name -> name.startsWith("queue-consumer-"));
        assertLambdaContext(bridge, "QueuePlugin bridge");
        assertLambdaContext(worker, "QueuePlugin worker");
        assertThat(bridge).anyMatch(l -> UID.equals(l.path("uid").asText()) && "ctx-queued".equals(l.path("plugin").asText()));
        assertThat(worker).anyMatch(l -> UID.equals(l.path("uid").asText()) && "ctx-queued".equals(l.path("plugin").asText()));
    }

    /**
     * The stack takes a non-default alarm threshold. moto's CloudFormation creates no CloudWatch
     * alarms, so what the emulator shows is the stack's parameter; OperationsTemplateTest checks that
     * FailedRunsAlarm's Threshold is that parameter.
     */
    @Test
    void theFailedRunsThresholdKnobReachesTheStack() {
        try (var cfn = stack.emulator.client(software.amazon.awssdk.services.cloudformation.CloudFormationClient.builder())) {
            var parameters = cfn.describeStacks(b -> b.stackName(stack.stack.name())).stacks().get(0).parameters();
            assertThat(parameters).anyMatch(p -> "FailedRunsAlarmThreshold".equals(p.parameterKey()) && "3".equals(p.parameterValue()));
        }
    }

    @Test
    void theTracingKnobReachesEveryFunction() {
        try (var lambda = stack.emulator.client(software.amazon.awssdk.services.lambda.LambdaClient.builder())) {
            for (String f : List.of("EngineFunction", "StartWorkflowFunction", "TenantRouterFunction", "RegistrarFunction",
                    "HistoryFunction")) {
                var config = lambda.getFunctionConfiguration(b -> b.functionName(stack.runtime.function(f).functionName()));
                assertThat(config.tracingConfig().modeAsString()).as(f).isEqualTo("PassThrough");
            }
        }
    }
}
