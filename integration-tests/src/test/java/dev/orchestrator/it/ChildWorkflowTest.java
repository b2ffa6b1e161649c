package dev.orchestrator.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.orchestrator.core.Json;
import dev.orchestrator.core.Keys;
import dev.orchestrator.core.PluginStatus;
import dev.orchestrator.core.Stage;
import dev.orchestrator.core.State;
import dev.orchestrator.core.WorkflowRun;
import dev.orchestrator.plugin.ChildWorkflow;
import dev.orchestrator.plugin.PluginContext;
import dev.orchestrator.plugin.PluginHandler;
import dev.orchestrator.plugin.PluginInfo;
import dev.orchestrator.plugin.PluginResult;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Child workflows on the emulator: a parent's plugin starts another workflow and ends when it ends,
 * taking its outcome; cancelling the parent cancels the child; a refused child request fails the plugin
 * with the reason; a resumed parent resumes its failed child; a Complete child's outputs become the plugin's output.
 */
class ChildWorkflowTest {

    static OrchestratorFixture stack;
    static final AtomicInteger dbRuns = new AtomicInteger();

    @BeforeAll
    static void deploy() {
        stack = OrchestratorFixture.deploy("child", List.of("Provision", "CreateDb", "Migrate", "Hold", "Report"));
        stack.register("Provision", Stage.PARALLEL, new Delegator(stack.pluginEnv()));
        stack.register("CreateDb", Stage.PARALLEL, new ChildWork(stack.pluginEnv(), "create-db"));
        stack.register("Migrate", Stage.PRE, new ChildWork(stack.pluginEnv(), "migrate"));
        stack.register("Hold", Stage.PARALLEL, new Holder(stack.pluginEnv()));
        reporter = new Reporter(stack.pluginEnv());
        stack.register("Report", Stage.PARALLEL, reporter);
    }

    static Reporter reporter;

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    /** The parent's plugin: starts the child workflow named in metadata.child (activities from metadata.childActivities). */
    static final class Delegator extends PluginHandler {
        Delegator(Map<String, String> env) {
            super(env);
        }

        @Override
        public PluginInfo info() {
            return PluginInfo.builder("delegate-db").mandatory(true).build();
        }

        @Override
        protected PluginResult process(PluginContext ctx) {
            JsonNode m = ctx.metadata();
            return PluginResult.startChild(ChildWorkflow.of(m.path("child").asText("db-setup"), m.path("childActivities")));
        }
    }

    /** A child's plugin: fails while metadata.fail is true (the child inherits the parent's metadata). */
    static final class ChildWork extends PluginHandler {
        final String name;

        ChildWork(Map<String, String> env, String name) {
            super(env);
            this.name = name;
        }

        @Override
        public PluginInfo info() {
            return PluginInfo.builder(name).mandatory(true).build();
        }

        @Override
        protected PluginResult process(PluginContext ctx) {
            dbRuns.incrementAndGet();
            if (ctx.metadata().path("fail").asBoolean(false)) {
                return PluginResult.fatal(name + " found no capacity");
            }
            // An output, and with metadata.padding a large one (the plugin stores it in the payload bucket).
            Map<String, Object> out = new java.util.LinkedHashMap<>();
            out.put("by", name);
            out.put("host", name + "." + ctx.uid().replace('/', '-') + ".db.internal");
            int padding = ctx.metadata().path("padding").asInt(0);
            if (padding > 0) {
                out.put("padding", "x".repeat(padding));
            }
            return PluginResult.complete(out);
        }
    }

    /** The parent's next activity: keeps the input it received from the plugin that ran the child. */
    static final class Reporter extends PluginHandler {
        final List<JsonNode> received = new java.util.concurrent.CopyOnWriteArrayList<>();

        Reporter(Map<String, String> env) {
            super(env);
        }

        @Override
        public PluginInfo info() {
            return PluginInfo.builder("report").mandatory(true).build();
        }

        @Override
        protected PluginResult process(PluginContext ctx) {
            received.add(ctx.input("Provision", "delegate-db"));
            return PluginResult.complete();
        }
    }

    /** A child's plugin that waits for a report that never comes: its run only ends by cancellation. */
    static final class Holder extends PluginHandler {
        Holder(Map<String, String> env) {
            super(env);
        }

        @Override
        public PluginInfo info() {
            return PluginInfo.builder("hold").mandatory(true).build();
        }

        @Override
        protected PluginResult process(PluginContext ctx) {
            return PluginResult.waitForReport();
        }
    }

    static String start(String uid, String metadata) {
        return "{\"uid\":\"" + uid + "\",\"workflow\":\"onboard\",\"activities\":[\"Provision\"],"
                + "\"pluginRegisterTimeout\":1,\"metadata\":" + metadata + "}";
    }

    static final String DB_CHILD = "{\"child\":\"db-setup\",\"childActivities\":[\"CreateDb\",\"Migrate\"]";

    @Test
    void aParentEndsWhenItsChildEndsAndTakesItsOutcome() {
        stack.start(start("acme", DB_CHILD + ",\"fail\":false}"));
        WorkflowRun parent = stack.awaitEnd("acme", "onboard", Duration.ofSeconds(120));
        assertThat(parent.status()).isEqualTo(State.COMPLETE);
        PluginStatus entry = parent.activity("Provision").async().mandatory().get("delegate-db");
        assertThat(entry.state()).isEqualTo(State.COMPLETE);
        assertThat(entry.child().uid()).isEqualTo("acme/Provision/delegate-db");
        assertThat(entry.child().workflow()).isEqualTo("db-setup");
        assertThat(entry.message()).isEqualTo("child run acme/Provision/delegate-db / db-setup ended Complete");

        WorkflowRun child = stack.run("acme/Provision/delegate-db", "db-setup").orElseThrow();
        assertThat(child.status()).isEqualTo(State.COMPLETE);
        assertThat(child.parent().uid()).isEqualTo("acme");
        assertThat(child.parent().plugin()).isEqualTo("delegate-db");
        assertThat(child.activityOrder()).containsExactly("CreateDb", "Migrate");
        assertThat(child.metadata().path("child").asText()).as("the child inherits the parent's metadata").isEqualTo("db-setup");
        assertThat(parent.endedAt()).as("the parent ends after its child").isGreaterThanOrEqualTo(child.endedAt());
        JsonNode childEvent = stack.awaitOutcomeEvent("acme/Provision/delegate-db", Duration.ofSeconds(120));
        assertThat(childEvent.path("detail").path("parent").path("uid").asText()).isEqualTo("acme");

        // The operator's view: the child's tree under the plugin that started it.
        List<String> tree = cliStatus("acme", "onboard").lines().toList();
        assertThat(tree).anyMatch(l -> l.startsWith("   │  · delegate-db  Complete: child run acme/Provision/delegate-db / db-setup ended Complete")
                        && l.endsWith(", child acme/Provision/delegate-db / db-setup"))
                .anyMatch(l -> l.startsWith("   │      acme/Provision/delegate-db / db-setup  Complete [ok]"))
                .anyMatch(l -> l.equals("   │      │  child of acme / onboard (Provision parallel, plugin delegate-db)"))
                .anyMatch(l -> l.startsWith("   │      ├─ CreateDb  Complete [ok]"));
        assertThat(cliStatus("acme", "onboard", "--no-children")).doesNotContain("child of");
    }

    /** The child's outputs as `orchestrator output` prints them are the parent plugin's output; the next activity gets them. */
    @Test
    void aCompleteChildsOutputsBecomeItsParentPluginsOutputAndReachTheNextActivity() {
        stack.start(start("wayne", DB_CHILD + ",\"fail\":false}").replace("[\"Provision\"]", "[\"Provision\",\"Report\"]"));
        WorkflowRun parent = stack.awaitEnd("wayne", "onboard", Duration.ofSeconds(120));
        assertThat(parent.status()).as(parent.message()).isEqualTo(State.COMPLETE);
        JsonNode expected = Json.parse("{\"CreateDb\":{\"create-db\":{\"by\":\"create-db\",\"host\":\"create-db.wayne-Provision-delegate-db.db.internal\"}},"
                + "\"Migrate\":{\"migrate\":{\"by\":\"migrate\",\"host\":\"migrate.wayne-Provision-delegate-db.db.internal\"}}}");
        assertThat(Json.parse(cli("output", "wayne/Provision/delegate-db", "db-setup"))).as("the child's outputs").isEqualTo(expected);

        var item = stack.store.execution(new Keys.Execution("delegate-db", "wayne", "onboard", "Provision", Stage.PARALLEL)).orElseThrow();
        assertThat(item).as("small: inline on the parent plugin's execution item").containsKey("output").doesNotContainKey("outputRef");
        assertThat(Json.parse(item.get("output").s())).isEqualTo(expected);
        assertThat(Json.parse(cli("output", "wayne", "onboard", "Provision.delegate-db"))).isEqualTo(expected);
        assertThat(reporter.received).as("the next activity's input Provision.delegate-db")
                .filteredOn(in -> in.toString().contains("wayne-")).containsExactly(expected);
        assertThat(stack.awaitOutcomeEvent("wayne", Duration.ofSeconds(120)).path("detail").path("outputs").path("Provision")
                .path("delegate-db").path("output")).isEqualTo(expected);
        assertThat(cliStatus("wayne", "onboard", "--no-children")).as("status shows it briefly")
                .contains("· delegate-db  Complete").contains(", output {\"CreateDb\":{\"create-db\":{\"by\":\"create-db\",");
    }

    /** Child outputs over the inline threshold: the child's plugins store theirs in the bucket, and so does the parent. */
    @Test
    void aLargeChildOutputReachesTheParentAndTheNextActivityThroughThePayloadBucket() {
        stack.start(start("stark", DB_CHILD + ",\"fail\":false,\"padding\":20000}").replace("[\"Provision\"]", "[\"Provision\",\"Report\"]"));
        WorkflowRun parent = stack.awaitEnd("stark", "onboard", Duration.ofSeconds(120));
        assertThat(parent.status()).as(parent.message()).isEqualTo(State.COMPLETE);
        var childItem = stack.store.execution(new Keys.Execution("create-db", "stark/Provision/delegate-db", "db-setup", "CreateDb",
                Stage.PARALLEL)).orElseThrow();
        assertThat(childItem).as("the child's own plugin output is a reference").containsKey("outputRef");
        JsonNode childOutputs = Json.parse(cli("output", "stark/Provision/delegate-db", "db-setup"));
        assertThat(childOutputs.path("CreateDb").path("create-db").path("padding").asText()).hasSize(20000);

        var item = stack.store.execution(new Keys.Execution("delegate-db", "stark", "onboard", "Provision", Stage.PARALLEL)).orElseThrow();
        assertThat(item).as("over 16 KiB: a reference on the parent plugin's execution item").doesNotContainKey("output");
        assertThat(item.get("outputRef").m().get("key").s()).isEqualTo("runs/stark/~delegate-db~/onboard/Provision/parallel.json");
        assertThat(Long.parseLong(item.get("outputRef").m().get("size").n())).isEqualTo(Json.write(childOutputs).length());
        assertThat(Json.parse(cli("output", "stark", "onboard", "Provision.delegate-db"))).isEqualTo(childOutputs);
        assertThat(cliStatus("stark", "onboard", "--no-children"))
                .contains(", output in s3://" + item.get("outputRef").m().get("bucket").s() + "/runs/stark/~delegate-db~/onboard/Provision/parallel.json");
        assertThat(reporter.received).as("read by the next activity through its presigned link")
                .filteredOn(in -> in.toString().contains("stark-")).containsExactly(childOutputs);
    }

    static String cli(String... args) {
        OrchestratorFixture.Cli r = stack.cli("child", args);
        assertThat(r.code()).as(r.err()).isZero();
        return r.out();
    }

    static String cliStatus(String uid, String workflow, String... more) {
        List<String> args = new java.util.ArrayList<>(List.of("--stack", "child", "--endpoint-url", stack.emulator.endpoint().toString(),
                "--lambda-endpoint-url", stack.runtime.lambdaEndpoint(), "status", uid, workflow));
        args.addAll(List.of(more));
        java.io.StringWriter out = new java.io.StringWriter();
        java.io.StringWriter err = new java.io.StringWriter();
        int code = dev.orchestrator.cli.Orchestrator.run(args.toArray(String[]::new), stack.emulator.clientEnvironment(),
                java.time.ZoneOffset.UTC, new java.io.PrintWriter(out), new java.io.PrintWriter(err));
        assertThat(code).as(err.toString()).isZero();
        return out.toString();
    }

    @Test
    void aFailedChildFailsTheParentWithTheChildsCauseAndAResumedParentResumesTheChild() {
        stack.start(start("globex", DB_CHILD + ",\"fail\":true}"));
        WorkflowRun parent = stack.awaitEnd("globex", "onboard", Duration.ofSeconds(120));
        assertThat(parent.status()).isEqualTo(State.ERROR);
        PluginStatus entry = parent.activity("Provision").async().mandatory().get("delegate-db");
        assertThat(entry.state()).isEqualTo(State.ERROR);
        assertThat(entry.message()).startsWith("child run globex/Provision/delegate-db / db-setup ended Error: activity CreateDb failed")
                .contains("create-db found no capacity");
        assertThat(stack.awaitOutcomeEvent("globex", Duration.ofSeconds(120)).path("detail").path("message").asText())
                .startsWith("activity Provision failed: parallel plugin delegate-db: child run globex/Provision/delegate-db");
        WorkflowRun child = stack.run("globex/Provision/delegate-db", "db-setup").orElseThrow();
        assertThat(child.status()).isEqualTo(State.ERROR);

        // The fault is fixed; resuming the parent runs its plugin again, which finds its child and resumes it.
        stack.start(start("globex", DB_CHILD + ",\"fail\":false}").replace("}}", "},\"metadataOverride\":true}"));
        WorkflowRun resumed = stack.awaitEnd("globex", "onboard", Duration.ofSeconds(120));
        assertThat(resumed.status()).isEqualTo(State.COMPLETE);
        WorkflowRun childAgain = stack.run("globex/Provision/delegate-db", "db-setup").orElseThrow();
        assertThat(childAgain.status()).isEqualTo(State.COMPLETE);
        assertThat(childAgain.metadata().path("fail").asBoolean(true)).as("the resumed child got the new metadata").isFalse();
    }

    @Test
    void cancellingTheParentCancelsItsRunningChild() {
        stack.start(start("initech", "{\"child\":\"holding\",\"childActivities\":[\"Hold\"]}"));
        stack.awaitCondition(Duration.ofSeconds(120), () -> stack.run("initech/Provision/delegate-db", "holding")
                .map(c -> c.activity("Hold").async().mandatory().containsKey("hold")
                        && c.activity("Hold").async().mandatory().get("hold").state() == State.IN_PROGRESS).orElse(false));
        stack.cancel("initech", "onboard", "customer left");
        WorkflowRun parent = stack.awaitEnd("initech", "onboard", Duration.ofSeconds(120));
        assertThat(parent.status()).isEqualTo(State.ERROR);
        assertThat(parent.message()).isEqualTo("cancelled: customer left");
        WorkflowRun child = stack.awaitEnd("initech/Provision/delegate-db", "holding", Duration.ofSeconds(120));
        assertThat(child.status()).isEqualTo(State.ERROR);
        assertThat(child.message()).isEqualTo("cancelled: parent initech / onboard cancelled: customer left");
        JsonNode childEvent = stack.awaitOutcomeEvent("initech/Provision/delegate-db", Duration.ofSeconds(120));
        assertThat(childEvent.path("detail").path("cancelled").asBoolean()).isTrue();
        assertThat(parent.activity("Provision").async().mandatory().get("delegate-db").state()).isEqualTo(State.DO_NOT_RUN);
    }

    @Test
    void aChildTheEngineHasToFailStillEndsItsParentsWait() {
        stack.start(start("soylent", "{\"child\":\"holding\",\"childActivities\":[\"Hold\"]}"));
        String childUid = "soylent/Provision/delegate-db";
        stack.awaitCondition(Duration.ofSeconds(120), () -> stack.run(childUid, "holding")
                .map(c -> c.activity("Hold").async().mandatory().containsKey("hold")
                        && c.activity("Hold").async().mandatory().get("hold").state() == State.IN_PROGRESS).orElse(false));
        // Someone breaks the child's item by hand: the engine cannot read it and fails the run.
        stack.dynamo.updateItem(b -> b.tableName(stack.store.table())
                .key(Map.of("uid", software.amazon.awssdk.services.dynamodb.model.AttributeValue.fromS(childUid),
                        "workflow", software.amazon.awssdk.services.dynamodb.model.AttributeValue.fromS("holding")))
                .updateExpression("SET activities = :g")
                .expressionAttributeValues(Map.of(":g", software.amazon.awssdk.services.dynamodb.model.AttributeValue.fromS("garbage"))));
        WorkflowRun parent = stack.awaitEnd("soylent", "onboard", Duration.ofSeconds(120));
        assertThat(parent.status()).isEqualTo(State.ERROR);
        assertThat(parent.activity("Provision").async().mandatory().get("delegate-db").message())
                .startsWith("child run soylent/Provision/delegate-db / holding ended Error: engine failed: ");
    }

    @Test
    void aChildRequestTheStackCannotRunFailsThePluginWithTheReason() {
        stack.start(start("hooli", "{\"child\":\"db-setup\",\"childActivities\":[\"CreateDb\",\"Nope\"]}"));
        WorkflowRun parent = stack.awaitEnd("hooli", "onboard", Duration.ofSeconds(120));
        assertThat(parent.status()).isEqualTo(State.ERROR);
        assertThat(parent.activity("Provision").async().mandatory().get("delegate-db").message())
                .startsWith("child workflow refused: activities[1] 'Nope' is not deployed in this stack")
                .doesNotContain("\n");
        assertThat(stack.run("hooli/Provision/delegate-db", "db-setup")).as("nothing started").isEmpty();

        stack.start(start("umbrella", "{\"child\":\"onboard\",\"childActivities\":[\"CreateDb\"]}"));
        WorkflowRun self = stack.awaitEnd("umbrella", "onboard", Duration.ofSeconds(120));
        assertThat(self.activity("Provision").async().mandatory().get("delegate-db").message())
                .contains("workflow 'onboard' cannot start itself as a child");
    }
}
