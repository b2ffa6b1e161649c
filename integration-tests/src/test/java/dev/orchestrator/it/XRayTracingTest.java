package dev.orchestrator.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.orchestrator.core.EnvNames;
import dev.orchestrator.core.Json;
import dev.orchestrator.core.Stage;
import dev.orchestrator.core.State;
import dev.orchestrator.obs.Trace;
import dev.orchestrator.plugin.PluginContext;
import dev.orchestrator.plugin.PluginInfo;
import dev.orchestrator.plugin.PluginResult;
import dev.orchestrator.plugin.QueuePlugin;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
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
 * A traced run, as Lambda traces it: every function gets {@code AWS_XRAY_DAEMON_ADDRESS} (here a UDP listener on
 * loopback standing in for the X-Ray daemon) and a sampled trace header. The daemon receives a subsegment per AWS
 * SDK call (DynamoDB, SNS) and the start's, the engine's and the plugin's subsegments annotated with the run's uid
 * and workflow: what the X-Ray console's filter {@code annotation.uid = "..." AND annotation.workflow = "..."} finds.
 * A refused tenant event is a faulted subsegment annotated with its tenantId.
 */
class XRayTracingTest {

    static final String UID = "trace-1";
    static final String WORKFLOW = "traced";
    static final String HEADER = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";

    /** A queue plugin that completes at once: its bridge and its worker are traced apart. */
    static final class Queued extends QueuePlugin {
        Queued(Map<String, String> env) {
            super(env);
        }

        @Override
        public PluginInfo info() {
            return PluginInfo.builder("traced-queued").mandatory(true).build();
        }

        @Override
        protected PluginResult process(PluginContext context) {
            return PluginResult.complete();
        }
    }

    static DatagramSocket daemon;
    static final List<JsonNode> DOCUMENTS = new CopyOnWriteArrayList<>();
    static final List<String> REFUSED = new CopyOnWriteArrayList<>();
    static OrchestratorFixture stack;

    @BeforeAll
    static void runATracedWorkflow() throws Exception {
        daemon = new DatagramSocket(0, InetAddress.getLoopbackAddress());
        Thread listener = new Thread(XRayTracingTest::listen, "xray-daemon");
        listener.setDaemon(true);
        listener.start();
        Map<String, String> lambda = Map.of(Trace.DAEMON_ADDRESS, "127.0.0.1:" + daemon.getLocalPort(),
                Trace.HEADER_VARIABLE, HEADER);
        stack = OrchestratorFixture.deploy("xray", List.of("Traced"), Map.of(), lambda);
        Map<String, String> pluginEnv = new LinkedHashMap<>(stack.pluginEnv());
        pluginEnv.putAll(lambda);
        stack.register("Traced", Stage.PARALLEL, new TestPlugin(pluginEnv,
                PluginInfo.builder("traced-plugin").mandatory(true).build(), new CopyOnWriteArrayList<>()));
        String[] queue = stack.queueWithDlq("q-traced", 3, false);
        Map<String, String> queuedEnv = new LinkedHashMap<>(pluginEnv);
        queuedEnv.put(EnvNames.PLUGIN_QUEUE_URL, queue[0]);
        Queued queued = new Queued(queuedEnv);
        stack.register("Traced", Stage.PARALLEL, queued);
        stack.runtime.subscribeQueue(queue[0], queued, 5, true);

        stack.start(WorkflowRunTest.startJson(UID, WORKFLOW, List.of("Traced"), 1, "{}"));
        assertThat(stack.awaitEnd(UID, WORKFLOW, Duration.ofSeconds(90)).status()).isEqualTo(State.COMPLETE);
        // The same start again: its conditional PutItem loses (a 400 from DynamoDB), and the start says so.
        assertThat(stack.start(WorkflowRunTest.startJson(UID, WORKFLOW, List.of("Traced"), 1, "{}")).path("outcome").asText())
                .isEqualTo("alreadyComplete");
        // A tenant event from a source the stack does not accept: refused, and traced as a failure.
        assertThatThrownBy(() -> stack.runtime.invoke("TenantRouterFunction",
                "{\"version\":\"0\",\"id\":\"evt-traced\",\"source\":\"someone.else\",\"detail-type\":\"TENANT_PROVISIONING\","
                        + "\"detail\":{\"tenantId\":\"t-traced\"}}"))
                .isInstanceOf(RuntimeException.class);
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
        if (daemon != null) {
            daemon.close();
        }
    }

    /** The daemon's side of the protocol: the header line, a newline, one segment document per datagram. */
    static void listen() {
        byte[] buffer = new byte[65_536];
        while (!daemon.isClosed()) {
            DatagramPacket p = new DatagramPacket(buffer, buffer.length);
            try {
                daemon.receive(p);
            } catch (SocketException closed) {
                return;
            } catch (java.io.IOException e) {
                REFUSED.add(String.valueOf(e));
                continue;
            }
            String text = new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8);
            String[] lines = text.split("\n", 2);
            if (lines.length != 2 || !lines[0].equals("{\"format\":\"json\",\"version\":1}")) {
                REFUSED.add(text);
                continue;
            }
            try {
                DOCUMENTS.add(Json.parse(lines[1]));
            } catch (IllegalArgumentException e) {
                REFUSED.add(text);
            }
        }
    }

    /** Waits (up to 30 s: documents of the run's last invocations may still be on their way) for a matching document. */
    static List<JsonNode> await(String what, Predicate<JsonNode> match) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            List<JsonNode> found = DOCUMENTS.stream().filter(match).toList();
            if (!found.isEmpty()) {
                return found;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        throw new AssertionError("no " + what + " reached the daemon; it received " + DOCUMENTS.size() + " documents: "
                + DOCUMENTS.stream().map(d -> d.path("name").asText() + "/" + d.path("aws").path("operation").asText(""))
                        .distinct().toList());
    }

    static boolean ofTheRun(JsonNode d) {
        return UID.equals(d.path("annotations").path("uid").asText()) && WORKFLOW.equals(d.path("annotations").path("workflow").asText());
    }

    static boolean sdkCall(JsonNode d, String service, String operation) {
        return "aws".equals(d.path("namespace").asText()) && service.equalsIgnoreCase(d.path("name").asText())
                && operation.equals(d.path("aws").path("operation").asText());
    }

    @Test
    void everyDocumentIsAWellFormedSubsegmentOfTheTrace() {
        await("document", d -> true);
        assertThat(REFUSED).as("datagrams without the daemon's header or valid JSON").isEmpty();
        for (JsonNode d : DOCUMENTS) {
            assertThat(d.path("type").asText()).as("type of " + d).isEqualTo("subsegment");
            assertThat(d.path("trace_id").asText()).as("trace_id of " + d).isEqualTo("1-5759e988-bd862e3fe1be46a994272793");
            assertThat(d.path("id").asText()).as("id of " + d).matches("[0-9a-f]{16}");
            assertThat(d.path("parent_id").asText()).as("parent_id of " + d).matches("[0-9a-f]{16}");
            assertThat(d.path("start_time").asDouble()).as("start_time of " + d).isGreaterThan(1.6e9);
            assertThat(d.path("end_time").asDouble()).as("end_time of " + d).isGreaterThanOrEqualTo(d.path("start_time").asDouble());
        }
    }

    @Test
    void dynamoDbAndSnsCallsAreSubsegments() {
        JsonNode put = await("DynamoDB call", d -> sdkCall(d, "DynamoDb", "UpdateItem")).get(0);
        assertThat(put.path("aws").path("table_name").asText()).isNotBlank();
        assertThat(put.path("aws").path("region").asText()).isNotBlank();
        assertThat(put.path("http").path("response").path("status").asInt()).isEqualTo(200);
        JsonNode publish = await("SNS Publish", d -> sdkCall(d, "Sns", "Publish")).get(0);
        assertThat(publish.path("aws").path("topic_arn").asText()).contains("Traced");
        // The run went well: none of its own subsegments is a fault.
        assertThat(DOCUMENTS.stream().filter(XRayTracingTest::ofTheRun).filter(d -> d.path("fault").asBoolean(false)).toList())
                .as("faulted subsegments of a run that completed").isEmpty();
    }

    @Test
    void theEnginesStepsCarryTheRunsUidAndWorkflow() {
        List<JsonNode> steps = await("engine step of the run", d -> "engine step".equals(d.path("name").asText()) && ofTheRun(d));
        // The engine's SDK calls inside a step are children of that step.
        List<String> stepIds = steps.stream().map(d -> d.path("id").asText()).toList();
        await("SDK call inside an engine step", d -> "aws".equals(d.path("namespace").asText())
                && stepIds.contains(d.path("parent_id").asText()));
    }

    @Test
    void thePluginsInvocationCarriesTheRunsUidAndWorkflow() {
        JsonNode plugin = await("plugin subsegment of the run",
                d -> "plugin traced-plugin".equals(d.path("name").asText()) && ofTheRun(d)
                        && "COMPLETED".equals(d.path("annotations").path("outcome").asText())).get(0);
        assertThat(plugin.path("annotations").path("activity").asText()).isEqualTo("Traced");
        assertThat(plugin.path("annotations").path("plugin").asText()).isEqualTo("traced-plugin");
        await("the plugin's own status write", d -> sdkCall(d, "DynamoDb", "UpdateItem")
                && plugin.path("id").asText().equals(d.path("parent_id").asText()));
    }

    @Test
    void aConditionalWriteThatLostIsAnErrorNotAFault() {
        JsonNode lost = await("the second start's PutItem, refused", d -> sdkCall(d, "DynamoDb", "PutItem")
                && d.path("error").asBoolean(false)).get(0);
        assertThat(lost.path("http").path("response").path("status").asInt()).isEqualTo(400);
        assertThat(lost.has("fault")).isFalse();
        assertThat(lost.path("cause").path("exceptions").get(0).path("type").asText()).endsWith("ConditionalCheckFailedException");
        assertThat(lost.path("aws").path("request_id").asText()).isNotBlank();
        await("the second start's subsegment", d -> "start workflow".equals(d.path("name").asText()) && ofTheRun(d)
                && "alreadyComplete".equals(d.path("annotations").path("outcome").asText()));
    }

    @Test
    void aQueuePluginsBridgeAndWorkerCarryTheRunsUidAndWorkflow() {
        await("queue plugin bridge", d -> "plugin traced-queued".equals(d.path("name").asText()) && ofTheRun(d)
                && "bridge".equals(d.path("annotations").path("step").asText()));
        await("queue plugin worker", d -> "plugin traced-queued".equals(d.path("name").asText()) && ofTheRun(d)
                && "work".equals(d.path("annotations").path("step").asText()));
        await("the bridge's SQS send", d -> sdkCall(d, "Sqs", "SendMessage") && d.path("aws").path("queue_url").asText().contains("q-traced"));
    }

    @Test
    void aRefusedTenantEventIsAFaultAnnotatedWithItsTenant() {
        JsonNode event = await("tenant event subsegment", d -> "tenant event".equals(d.path("name").asText())
                && "t-traced".equals(d.path("annotations").path("tenantId").asText())).get(0);
        assertThat(event.path("fault").asBoolean()).isTrue();
        assertThat(event.path("cause").path("exceptions").get(0).path("message").asText()).contains("someone.else");
    }

    @Test
    void theStartCarriesTheRunsUidAndWorkflow() {
        JsonNode start = await("start subsegment", d -> "start workflow".equals(d.path("name").asText()) && ofTheRun(d)).get(0);
        assertThat(start.path("annotations").path("outcome").asText()).isEqualTo("created");
    }
}
