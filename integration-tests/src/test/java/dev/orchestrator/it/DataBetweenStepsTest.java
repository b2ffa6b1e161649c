package dev.orchestrator.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.orchestrator.core.EnvNames;
import dev.orchestrator.core.Json;
import dev.orchestrator.core.Keys;
import dev.orchestrator.core.Outputs;
import dev.orchestrator.core.Stage;
import dev.orchestrator.core.State;
import dev.orchestrator.core.WorkflowRun;
import dev.orchestrator.plugin.PluginContext;
import dev.orchestrator.plugin.PluginHandler;
import dev.orchestrator.plugin.PluginInfo;
import dev.orchestrator.plugin.PluginResult;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.s3.S3Client;

/** Issue 21, first slice: plugin outputs, inputs downstream, large outputs through the payload bucket (emulator). */
class DataBetweenStepsTest {

    static OrchestratorFixture stack;

    @BeforeAll
    static void deploy() {
        // Links to payload objects live 900 s here (PayloadLinkSeconds; default 43,200).
        stack = OrchestratorFixture.deploy("data", List.of("DataA", "DataB", "DataC", "DataD", "Big1", "Big2", "Bad",
                "Fan", "FanIn", "Q1", "Q2"), Map.of("PayloadLinkSeconds", "900"));
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    /** A plugin whose work is a function of its context; it keeps the contexts it saw. */
    static final class Fn extends PluginHandler {
        final String name;
        final Function<PluginContext, PluginResult> work;
        final List<PluginContext> seen = new CopyOnWriteArrayList<>();

        Fn(Map<String, String> env, String name, Function<PluginContext, PluginResult> work) {
            super(env);
            this.name = name;
            this.work = work;
        }

        @Override
        public PluginInfo info() {
            return PluginInfo.builder(name).mandatory(true).build();
        }

        @Override
        protected PluginResult process(PluginContext ctx) {
            seen.add(ctx);
            return work.apply(ctx);
        }
    }

    static Map<String, String> env(String... pairs) {
        Map<String, String> env = new LinkedHashMap<>(stack.pluginEnv());
        for (int i = 0; i < pairs.length; i += 2) {
            env.put(pairs[i], pairs[i + 1]);
        }
        return env;
    }

    /** The operator CLI against this stack: exit code and what it printed. */
    static OrchestratorFixture.Cli cli(String... args) {
        return stack.cli("data", args);
    }

    static ObjectNode obj(String json) {
        return (ObjectNode) Json.parse(json);
    }

    @Test
    void aDiamondPassesOutputsDownAndTheLastOutputIsInTheCompletedEvent() {
        stack.register("DataA", Stage.PARALLEL, new Fn(env(), "dns", c -> PluginResult.complete(obj("{\"host\":\"t1.example.com\"}"))));
        Fn cert = stack.register("DataB", Stage.PARALLEL, new Fn(env(), "cert", c ->
                PluginResult.complete(Map.of("cert", "cert-for-" + c.input("DataA", "dns").get("host").asText()))));
        // A non-default inline threshold: this small output goes to the payload bucket as a reference.
        stack.register("DataC", Stage.PARALLEL, new Fn(env(EnvNames.OUTPUT_INLINE_MAX_BYTES, "16"), "ip", c ->
                PluginResult.complete(obj("{\"ip\":\"10.0.0.7\",\"zone\":\"a\"}"))));
        stack.register("DataD", Stage.PRE, new Fn(env(), "prep", c -> PluginResult.complete(obj("{\"ttl\":60}"))));
        Fn publish = stack.register("DataD", Stage.PARALLEL, new Fn(env(), "publish", c -> PluginResult.complete(obj(
                "{\"endpoint\":\"" + c.input("DataB", "cert").get("cert").asText() + "@" + c.input("DataC", "ip").get("ip").asText()
                        + "\",\"ttl\":" + c.input("DataD", "prep").get("ttl").asInt() + "}"))));

        stack.start("{\"uid\":\"diamond-1\",\"workflow\":\"data\",\"pluginRegisterTimeout\":1,\"activities\":["
                + "{\"name\":\"DataA\"},{\"name\":\"DataB\",\"dependsOn\":[\"DataA\"]},{\"name\":\"DataC\",\"dependsOn\":[\"DataA\"]},"
                + "{\"name\":\"DataD\",\"dependsOn\":[\"DataB\",\"DataC\"]}]}");
        WorkflowRun run = stack.awaitEnd("diamond-1", "data", Duration.ofSeconds(180));
        assertThat(run.status()).as("run message: %s", run.message()).isEqualTo(State.COMPLETE);

        assertThat(cert.seen.get(0).message().inputs().path("DataA").path("dns").path("output").path("host").asText())
                .isEqualTo("t1.example.com");
        ObjectNode inputsOfD = publish.seen.get(0).message().inputs();
        assertThat(inputsOfD.path("DataB").path("cert").path("output").path("cert").asText()).isEqualTo("cert-for-t1.example.com");
        assertThat(inputsOfD.path("DataC").path("ip").has("outputRef")).as("C's output over its 16-byte threshold travels as a reference: %s",
                inputsOfD).isTrue();
        assertThat(inputsOfD.path("DataD").path("prep").path("output").path("ttl").asInt()).as("this activity's pre stage").isEqualTo(60);
        assertThat(inputsOfD.has("DataA")).as("only direct dependencies: %s", inputsOfD).isFalse();

        JsonNode event = stack.awaitOutcomeEvent("diamond-1", Duration.ofSeconds(120));
        assertThat(event.path("detail-type").asText()).isEqualTo("Workflow Completed");
        JsonNode outputs = event.path("detail").path("outputs");
        assertThat(outputs.path("DataD").path("publish").path("output"))
                .isEqualTo(Json.parse("{\"endpoint\":\"cert-for-t1.example.com@10.0.0.7\",\"ttl\":60}"));
        assertThat(outputs.path("DataC").path("ip").path("outputRef").path("sha256").asText()).hasSize(64);

        OrchestratorFixture.Cli status = cli("status", "diamond-1", "data");
        assertThat(status.code()).as(status.err()).isZero();
        assertThat(status.out()).contains("· publish  Complete").contains(", output {\"endpoint\":\"cert-for-t1.example.com@10.0.0.7\",\"ttl\":60}")
                .contains("· ip  Complete").contains(", output in s3://");
        OrchestratorFixture.Cli one = cli("output", "diamond-1", "data", "DataC.ip");
        assertThat(one.code()).as(one.err()).isZero();
        assertThat(Json.parse(one.out())).as("the reference resolved").isEqualTo(Json.parse("{\"ip\":\"10.0.0.7\",\"zone\":\"a\"}"));
        OrchestratorFixture.Cli all = cli("output", "diamond-1", "data");
        assertThat(Json.parse(all.out()).path("DataB").path("cert").path("cert").asText()).isEqualTo("cert-for-t1.example.com");
        assertThat(Json.parse(all.out()).path("DataD").fieldNames()).toIterable().containsExactlyInAnyOrder("prep", "publish");
        OrchestratorFixture.Cli none = cli("output", "diamond-1", "data", "DataA.nope");
        assertThat(none.code()).isEqualTo(3);
        assertThat(none.err()).contains("has no output from DataA.nope (outputs: ");
    }

    @Test
    void aOneMegabyteOutputGoesThroughTheBucketAndArrivesByteIdentical() {
        StringBuilder blob = new StringBuilder();
        Random random = new Random(21);
        while (blob.length() < 1_048_576) {
            blob.append(Long.toString(random.nextLong() & Long.MAX_VALUE, 36));
        }
        ObjectNode big = Json.object();
        big.put("blob", blob.toString());
        String producedSha = Outputs.sha256(Json.write(big).getBytes(StandardCharsets.UTF_8));
        S3Client s3 = stack.emulator.client(S3Client.builder().forcePathStyle(true));
        List<String> received = new CopyOnWriteArrayList<>();
        List<String> links = new CopyOnWriteArrayList<>();
        stack.register("Big1", Stage.PARALLEL, new Fn(env(), "big-out", c -> PluginResult.complete(big)));
        stack.register("Big2", Stage.PARALLEL, new Fn(env(), "big-in", c -> {
            if (c.uid().equals("gone-1")) { // the object expired before this plugin read it
                JsonNode ref = c.message().inputs().path("Big1").path("big-out").path("outputRef");
                s3.deleteObject(b -> b.bucket(ref.path("bucket").asText()).key(ref.path("key").asText()));
            }
            links.add(c.message().inputs().path("Big1").path("big-out").path("outputRef").path("url").asText());
            ObjectNode value = c.input("Big1", "big-out");
            received.add(Outputs.sha256(Json.write(value).getBytes(StandardCharsets.UTF_8)));
            return PluginResult.complete(Map.of("length", value.get("blob").asText().length()));
        }));

        stack.start("{\"uid\":\"big-1\",\"workflow\":\"data\",\"pluginRegisterTimeout\":1,\"activities\":[\"Big1\",\"Big2\"]}");
        WorkflowRun run = stack.awaitEnd("big-1", "data", Duration.ofSeconds(180));
        assertThat(run.status()).as("run message: %s", run.message()).isEqualTo(State.COMPLETE);
        assertThat(received).containsExactly(producedSha);
        // The plugin read it through the engine's presigned link (its role has no s3:GetObject): a plain GET, no credentials.
        assertThat(links).hasSize(1);
        assertThat(links.get(0)).contains("/runs/big-1/").contains("X-Amz-Expires=900").contains("X-Amz-Signature=");
        try {
            var plain = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(links.get(0))).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofByteArray());
            assertThat(plain.statusCode()).isEqualTo(200);
            assertThat(Outputs.sha256(plain.body())).isEqualTo(producedSha);
        } catch (java.io.IOException | InterruptedException e) {
            throw new AssertionError(e);
        }
        var item = stack.store.execution(new Keys.Execution("big-out", "big-1", "data", "Big1", Stage.PARALLEL)).orElseThrow();
        assertThat(item).as("the execution item keeps a reference, not the megabyte").doesNotContainKey("output");
        assertThat(item.get("outputRef").m().get("sha256").s()).isEqualTo(producedSha);
        assertThat(item.get("outputRef").m().get("key").s()).startsWith("runs/big-1/");
        assertThat(stack.awaitOutcomeEvent("big-1", Duration.ofSeconds(120)).path("detail").path("outputs").path("Big2")
                .path("big-in").path("output").path("length").asInt()).isEqualTo(blob.length());

        OrchestratorFixture.Cli whole = cli("output", "big-1", "data", "Big1.big-out");
        assertThat(whole.code()).as(whole.err()).isZero();
        assertThat(Outputs.sha256(Json.write(Json.parse(whole.out())).getBytes(StandardCharsets.UTF_8))).isEqualTo(producedSha);

        stack.start("{\"uid\":\"gone-1\",\"workflow\":\"data\",\"pluginRegisterTimeout\":1,\"activities\":[\"Big1\",\"Big2\"]}");
        WorkflowRun gone = stack.awaitEnd("gone-1", "data", Duration.ofSeconds(180));
        assertThat(gone.status()).isEqualTo(State.ERROR);
        assertThat(gone.activity("Big2").async().mandatory().get("big-in").message())
                .startsWith("input Big1.big-out: its payload object s3://").contains("/runs/gone-1/").contains("is gone");
    }

    @Test
    void inputsOverTheEnginesBudgetTravelAsOneReferenceAndSoDoTheRunsOutputs() {
        // Nine outputs of 15,000 bytes each stay inline (under 16 KiB) but add up to more than 128 KiB.
        for (int i = 1; i <= 9; i++) {
            String pad = Integer.toString(i).repeat(15_000);
            stack.register("Fan", Stage.PARALLEL, new Fn(env(), "part" + i, c -> PluginResult.complete(Map.of("pad", pad))));
        }
        Fn gather = stack.register("FanIn", Stage.PARALLEL, new Fn(env(), "gather", c -> {
            int total = 0;
            for (int i = 1; i <= 9; i++) {
                total += c.input("Fan", "part" + i).get("pad").asText().length();
            }
            return PluginResult.complete(Map.of("total", total));
        }));
        stack.start("{\"uid\":\"fan-1\",\"workflow\":\"data\",\"pluginRegisterTimeout\":1,\"activities\":[\"Fan\",\"FanIn\"]}");
        WorkflowRun run = stack.awaitEnd("fan-1", "data", Duration.ofSeconds(180));
        assertThat(run.status()).as("run message: %s", run.message()).isEqualTo(State.COMPLETE);
        var message = gather.seen.get(0).message();
        assertThat(message.inputsRef()).as("the inputs document went to the payload bucket").isNotNull();
        assertThat(message.inputsRef().key()).startsWith("runs/fan-1/");
        assertThat(Json.write(message.toJson()).length()).as("the stage message stays small").isLessThan(8_000);
        assertThat(gather.seen.get(0).inputs().path("Fan").size()).isEqualTo(9);

        JsonNode detail = stack.awaitOutcomeEvent("fan-1", Duration.ofSeconds(120)).path("detail");
        assertThat(detail.has("outputs")).isFalse();
        assertThat(detail.path("outputsRef").path("sha256").asText()).hasSize(64);
        S3Client s3 = stack.emulator.client(S3Client.builder().forcePathStyle(true));
        JsonNode outputs = Json.parse(s3.getObjectAsBytes(b -> b.bucket(detail.path("outputsRef").path("bucket").asText())
                .key(detail.path("outputsRef").path("key").asText())).asUtf8String());
        assertThat(outputs.path("FanIn").path("gather").path("output").path("total").asInt()).isEqualTo(9 * 15_000);
    }

    /** A queue plugin (bridge + worker) whose work is a function of its context. */
    static final class QueuedFn extends dev.orchestrator.plugin.QueuePlugin {
        final String name;
        final Function<PluginContext, PluginResult> work;

        QueuedFn(Map<String, String> env, String name, Function<PluginContext, PluginResult> work) {
            super(env);
            this.name = name;
            this.work = work;
        }

        @Override
        public PluginInfo info() {
            return PluginInfo.builder(name).mandatory(true).build();
        }

        @Override
        protected PluginResult process(PluginContext ctx) {
            return work.apply(ctx);
        }
    }

    @Test
    void aQueuePluginsLargeOutputReachesTheNextActivity() {
        String[] queue = stack.queueWithDlq("q-producer", 3, false);
        ObjectNode big = Json.object();
        big.put("zone", "x".repeat(40_000)); // over the default 16 KiB: stored in the payload bucket
        QueuedFn producer = new QueuedFn(env(EnvNames.PLUGIN_QUEUE_URL, queue[0]), "zone-builder", c -> PluginResult.complete(big));
        stack.register("Q1", Stage.PARALLEL, producer);
        stack.runtime.subscribeQueue(queue[0], producer, 5, true);
        List<Integer> lengths = new CopyOnWriteArrayList<>();
        stack.register("Q2", Stage.PARALLEL, new Fn(env(), "zone-reader", c -> {
            lengths.add(c.input("Q1", "zone-builder").get("zone").asText().length());
            return PluginResult.complete();
        }));
        stack.start("{\"uid\":\"queued-1\",\"workflow\":\"data\",\"pluginRegisterTimeout\":1,\"activities\":[\"Q1\",\"Q2\"]}");
        WorkflowRun run = stack.awaitEnd("queued-1", "data", Duration.ofSeconds(180));
        assertThat(run.status()).as("run message: %s", run.message()).isEqualTo(State.COMPLETE);
        assertThat(lengths).containsExactly(40_000);
        var item = stack.store.execution(new Keys.Execution("zone-builder", "queued-1", "data", "Q1", Stage.PARALLEL)).orElseThrow();
        assertThat(item.get("outputRef").m().get("size").n()).isEqualTo(Long.toString(Json.write(big).length()));
    }

    @Test
    void anOutputThatIsNotAnObjectOrIsOverTheHardLimitEndsThatPluginErrorNamingTheField() {
        stack.register("Bad", Stage.PARALLEL, new Fn(env(), "listed", c -> PluginResult.complete(List.of(1, 2))));
        // A non-default hard limit: 2,000 bytes.
        stack.register("Bad", Stage.PARALLEL, new Fn(env(EnvNames.OUTPUT_MAX_BYTES, "2000"), "huge", c ->
                PluginResult.complete(Map.of("pad", "x".repeat(5_000)))));
        stack.start("{\"uid\":\"bad-1\",\"workflow\":\"data\",\"pluginRegisterTimeout\":1,\"activities\":[\"Bad\"]}");
        WorkflowRun run = stack.awaitEnd("bad-1", "data", Duration.ofSeconds(180));
        assertThat(run.status()).isEqualTo(State.ERROR);
        var plugins = run.activity("Bad").async().mandatory();
        assertThat(plugins.get("listed").state()).isEqualTo(State.ERROR);
        assertThat(plugins.get("listed").message()).isEqualTo("output must be a JSON object, got array");
        assertThat(plugins.get("huge").state()).isEqualTo(State.ERROR);
        assertThat(plugins.get("huge").message())
                .isEqualTo("output is 5010 bytes of JSON, over the hard limit of 2000 (OUTPUT_MAX_BYTES)");
    }
}
