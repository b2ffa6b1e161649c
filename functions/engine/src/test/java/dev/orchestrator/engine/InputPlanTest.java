package dev.orchestrator.engine;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.orchestrator.core.ActivityStatus;
import dev.orchestrator.core.Json;
import dev.orchestrator.core.Keys;
import dev.orchestrator.core.PluginStatus;
import dev.orchestrator.core.Stage;
import dev.orchestrator.core.StageStatus;
import dev.orchestrator.core.State;
import dev.orchestrator.core.WorkflowRun;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What goes into a stage message's inputs: pure, no AWS. */
class InputPlanTest {

    static WorkflowRun run(List<String> order, Map<String, List<String>> deps) {
        Map<String, ActivityStatus> acts = new LinkedHashMap<>();
        order.forEach(a -> acts.put(a, ActivityStatus.notStarted()));
        return new WorkflowRun("u1", "wf", State.IN_PROGRESS, Json.object(), order, acts, null, 1, null, deps,
                null, null, null, null, null, null, null, null, null);
    }

    static WorkflowRun withPlugins(WorkflowRun run, String activity, Stage stage, Map<String, State> plugins) {
        Map<String, PluginStatus> mandatory = new LinkedHashMap<>();
        plugins.forEach((name, state) -> mandatory.put(name, PluginStatus.notStarted(1).withState(state, null)));
        var a = run.activity(activity);
        return run.withActivity(activity, a.withStage(stage, a.stage(stage).withPlugins(mandatory, Map.of()).withRoster(3)));
    }

    static List<String> names(List<InputPlan.Source> sources) {
        return sources.stream().map(s -> s.activity() + "." + s.stage().wireName()).toList();
    }

    @Test
    void aListActivityReceivesThePreviousActivityAndItsOwnEarlierStages() {
        WorkflowRun r = run(List.of("A", "B", "C"), null);
        assertThat(names(InputPlan.sources(r, "A", Stage.PRE))).isEmpty();
        assertThat(names(InputPlan.sources(r, "A", Stage.POST))).containsExactly("A.pre", "A.parallel");
        assertThat(names(InputPlan.sources(r, "C", Stage.PARALLEL))).containsExactly("B.pre", "B.parallel", "B.post", "C.pre");
    }

    @Test
    void aDagActivityReceivesItsDirectDependenciesOnly() {
        WorkflowRun r = run(List.of("A", "B", "C", "D"), Map.of("B", List.of("A"), "C", List.of("A"), "D", List.of("B", "C")));
        assertThat(names(InputPlan.sources(r, "D", Stage.PRE)))
                .containsExactly("B.pre", "B.parallel", "B.post", "C.pre", "C.parallel", "C.post");
        assertThat(names(InputPlan.sources(r, "A", Stage.PARALLEL))).containsExactly("A.pre");
    }

    @Test
    void onlyCompleteExecutionsAreAskedForAndOnlyUnreadEnteredStagesAreRead() {
        WorkflowRun r = run(List.of("A", "B"), null);
        r = withPlugins(r, "A", Stage.PARALLEL, Map.of("ok", State.COMPLETE, "failed", State.OPTIONAL_TASK_ERROR, "skipped", State.DO_NOT_RUN));
        var a = r.activity("A");
        r = r.withActivity("A", a.withStage(Stage.POST, a.stage(Stage.POST).withRoster(4))); // entered, entries not read
        var sources = InputPlan.sources(r, "B", Stage.PARALLEL);
        assertThat(InputPlan.unread(r, sources)).containsExactly(r.activity("A").stage(Stage.POST));
        assertThat(InputPlan.executions(r, sources)).containsExactly(new Keys.Execution("ok", "u1", "wf", "A", Stage.PARALLEL));
    }

    @Test
    void inputsAreAddressedByActivityAndPluginAndALaterStageWinsAndInvalidOrMissingOutputsAreLeftOut() {
        var pre = new Keys.Execution("p", "u1", "wf", "A", Stage.PRE);
        var post = new Keys.Execution("p", "u1", "wf", "A", Stage.POST);
        var none = new Keys.Execution("q", "u1", "wf", "A", Stage.PARALLEL);
        var bad = new Keys.Execution("r", "u1", "wf", "B", Stage.PARALLEL);
        var ref = new Keys.Execution("s", "u1", "wf", "B", Stage.PARALLEL);
        ObjectNode refWire = (ObjectNode) Json.parse("{\"outputRef\":{\"bucket\":\"b\",\"key\":\"k\",\"sha256\":\"00\",\"size\":2}}");
        ObjectNode inputs = InputPlan.assemble(List.of(pre, none, post, bad, ref), Map.of(
                pre, (ObjectNode) Json.parse("{\"output\":{\"v\":1}}"),
                post, (ObjectNode) Json.parse("{\"output\":{\"v\":2}}"),
                bad, (ObjectNode) Json.parse("{\"invalid\":\"output is not the JSON text of an object\"}"),
                ref, refWire));
        assertThat(inputs).isEqualTo(Json.parse("{\"A\":{\"p\":{\"output\":{\"v\":2}}},\"B\":{\"s\":" + Json.write(refWire) + "}}"));
    }

    @Test
    void aRunsOutputsComeFromEveryStageOfEveryActivity() {
        assertThat(names(InputPlan.runOutputs(run(List.of("A", "B"), null))))
                .containsExactly("A.pre", "A.parallel", "A.post", "B.pre", "B.parallel", "B.post");
    }

    @Test
    void startInputsComeFirstUnderTheirSourceAsOutputs() {
        ObjectNode upstream = (ObjectNode) Json.parse("{\"A\":{\"dns\":{\"output\":{\"host\":\"h\"}}}}");
        ObjectNode start = (ObjectNode) Json.parse("{\"Provisioning\":{\"codebuild\":{\"variables\":{\"DB_HOST\":\"db\"}}}}");
        ObjectNode inputs = InputPlan.withStartInputs(start, upstream);
        assertThat(Json.write(inputs)).isEqualTo("{\"Provisioning\":{\"codebuild\":{\"output\":{\"variables\":{\"DB_HOST\":\"db\"}}}},"
                + "\"A\":{\"dns\":{\"output\":{\"host\":\"h\"}}}}");
        assertThat(InputPlan.withStartInputs(null, upstream)).isSameAs(upstream);
    }
}
