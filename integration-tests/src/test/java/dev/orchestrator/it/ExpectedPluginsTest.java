package dev.orchestrator.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import com.fasterxml.jackson.databind.JsonNode;
import dev.orchestrator.core.Json;
import dev.orchestrator.core.PluginStatus;
import dev.orchestrator.core.Stage;
import dev.orchestrator.core.StageStatus;
import dev.orchestrator.core.State;
import dev.orchestrator.core.WorkflowRun;
import dev.orchestrator.plugin.PluginInfo;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * No idle waiting, on a stack with the default registration window (0 s): a parallel stage expects the registered
 * plugins its message reaches (by their subscriptions' filter policies) and ends when the last of them ends; a stage
 * that expects nobody ends at once; an expected plugin that never claims is still dropped (optional) or failed
 * (mandatory) at its start deadline; a plugin the registry does not know takes part only within a window the run sets.
 */
class ExpectedPluginsTest {

    static OrchestratorFixture stack;

    @BeforeAll
    static void deploy() {
        stack = OrchestratorFixture.deploy("expect", List.of("Idle", "Empty", "Silent", "SilentM", "Join", "NoJoin"),
                Map.of("DefaultRegisterTimeout", "0"));
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    /** {"uid": ..., "workflow": "expect", "activities": [...], "metadata": ...} plus {@code extra} fields; no window. */
    static String start(String uid, String activity, String metadata, String extra) {
        return "{\"uid\":\"" + uid + "\",\"workflow\":\"expect\",\"activities\":[\"" + activity + "\"],\"metadata\":" + metadata
                + extra + "}";
    }

    /** A registered plugin that answers initialize and never claims the work it is sent. */
    static RequestStreamHandler silent(PluginInfo info) {
        return (in, out, context) -> {
            JsonNode request = Json.parse(in);
            if ("initialize".equals(request.path("action").asText())) {
                out.write(Json.write(info.toJson()).getBytes(StandardCharsets.UTF_8));
            }
        };
    }

    @Test
    void theParallelStageEndsWhenItsLastExpectedPluginEndsWithoutAWindow() {
        List<TestPlugin.Started> journal = new CopyOnWriteArrayList<>();
        TestPlugin mandatory = stack.register("Idle", Stage.PARALLEL,
                new TestPlugin(stack.pluginEnv(), WorkflowRunTest.info("idle-m", true, 1), journal));
        TestPlugin optional = stack.register("Idle", Stage.PARALLEL,
                new TestPlugin(stack.pluginEnv(), WorkflowRunTest.info("idle-o", false, 2), journal).working(1_500));
        TestPlugin premiumOnly = stack.registerFiltered("Idle", Stage.PARALLEL,
                new TestPlugin(stack.pluginEnv(), WorkflowRunTest.info("idle-premium", false, 3), journal), "{\"tier\":[\"premium\"]}");

        stack.start(start("idle-1", "Idle", "{\"tier\":\"basic\"}", ""));
        WorkflowRun run = stack.awaitEnd("idle-1", "expect", Duration.ofSeconds(90));

        assertThat(run.status()).isEqualTo(State.COMPLETE);
        StageStatus parallel = run.activity("Idle").async();
        assertThat(parallel.windowSeconds()).isZero();
        assertThat(parallel.mandatory().get("idle-m").state()).isEqualTo(State.COMPLETE);
        assertThat(parallel.optional().get("idle-o").state()).as("the optional plugin was expected and waited for")
                .isEqualTo(State.COMPLETE);
        assertThat(parallel.optional()).as("its filter policy rejects tier=basic: SNS never delivers it the stage")
                .doesNotContainKey("idle-premium");
        assertThat(premiumOnly.runs.get()).isZero();
        assertThat(mandatory.runs.get()).isEqualTo(1);
        long waited = parallel.endedAt() - optional.lastFinishedAt;
        System.out.println("[expected plugins] parallel stage ended " + waited + " ms after its last expected plugin finished");
        // The old default window (10 s) could not end the stage this soon; the bound covers a stream hop or two.
        assertThat(waited).as("ms from the last expected plugin's end to the stage's end").isLessThan(5_000);
    }

    @Test
    void aStageThatExpectsNobodyEndsAtOnceWithoutAWriteOfItsOwn() {
        stack.start(start("empty-1", "Empty", "{}", ""));
        WorkflowRun run = stack.awaitEnd("empty-1", "expect", Duration.ofSeconds(60));
        assertThat(run.status()).isEqualTo(State.COMPLETE);
        StageStatus parallel = run.activity("Empty").async();
        assertThat(parallel.status()).isEqualTo(State.COMPLETE);
        assertThat(parallel.publishedAt()).as("not published: nobody would hear it").isNull();
        assertThat(parallel.endedAt()).as("no wait: it ended as it started").isEqualTo(parallel.startedAt());
    }

    @Test
    void anExpectedPluginThatNeverClaimsIsDroppedIfOptionalAndFailsTheRunIfMandatory() {
        PluginInfo optional = WorkflowRunTest.info("silent-o", false, 1);
        stack.register("Silent", Stage.PARALLEL, silent(optional));
        stack.start(start("silent-1", "Silent", "{}", ",\"startTimeout\":2"));
        WorkflowRun dropped = stack.awaitEnd("silent-1", "expect", Duration.ofSeconds(90));
        assertThat(dropped.status()).as("a dropped optional plugin is no optional failure").isEqualTo(State.COMPLETE);
        PluginStatus o = dropped.activity("Silent").async().optional().get("silent-o");
        assertThat(o.state()).isEqualTo(State.DO_NOT_RUN);
        assertThat(o.message()).isEqualTo("dropped: did not start within 2 s of the stage's start");

        stack.register("SilentM", Stage.PARALLEL, silent(WorkflowRunTest.info("silent-m", true, 1)));
        stack.start(start("silent-2", "SilentM", "{}", ",\"startTimeout\":2"));
        WorkflowRun failed = stack.awaitEnd("silent-2", "expect", Duration.ofSeconds(90));
        assertThat(failed.status()).isEqualTo(State.ERROR);
        PluginStatus m = failed.activity("SilentM").async().mandatory().get("silent-m");
        assertThat(m.state()).isEqualTo(State.ERROR);
        assertThat(m.message()).isEqualTo("did not start within 2 s of the stage's start");
    }

    @Test
    void aPluginTheRegistryDoesNotKnowTakesPartOnlyWithinAWindowTheRunSets() {
        List<TestPlugin.Started> journal = new CopyOnWriteArrayList<>();
        // Subscribed to the topic but never registered: the engine cannot know it receives the message.
        TestPlugin joiner = new TestPlugin(stack.pluginEnv(), WorkflowRunTest.info("joiner", false, 1), journal);
        stack.runtime.subscribe(stack.topicArn("Join", Stage.PARALLEL), null, joiner, false);
        stack.start(start("join-1", "Join", "{}", ",\"pluginRegisterTimeout\":3"));
        WorkflowRun joined = stack.awaitEnd("join-1", "expect", Duration.ofSeconds(90));
        assertThat(joined.status()).isEqualTo(State.COMPLETE);
        assertThat(joined.activity("Join").async().optional().get("joiner").state())
                .as("a joiner within the window counts").isEqualTo(State.COMPLETE);

        TestPlugin unheard = new TestPlugin(stack.pluginEnv(), WorkflowRunTest.info("unheard", false, 1), journal);
        stack.runtime.subscribe(stack.topicArn("NoJoin", Stage.PARALLEL), null, unheard, false);
        stack.start(start("join-2", "NoJoin", "{}", ""));
        WorkflowRun alone = stack.awaitEnd("join-2", "expect", Duration.ofSeconds(90));
        assertThat(alone.status()).isEqualTo(State.COMPLETE);
        assertThat(alone.activity("NoJoin").async().optional())
                .as("with no window, a subscriber the registry does not know takes no part").doesNotContainKey("unheard");
        assertThat(unheard.runs.get()).isZero();
    }
}
