package dev.orchestrator.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.orchestrator.core.ActivityStatus;
import dev.orchestrator.core.Json;
import dev.orchestrator.core.PluginStatus;
import dev.orchestrator.core.Stage;
import dev.orchestrator.core.StageStatus;
import dev.orchestrator.core.State;
import dev.orchestrator.core.WorkflowRun;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PlannerTest {

    static final long NOW = 1_000_000L;
    final Planner planner = new Planner(10);

    static WorkflowRun run(State status, Map<String, ActivityStatus> activities) {
        return new WorkflowRun("u1", "wf", status, Json.object(), List.copyOf(activities.keySet()), activities, null, 7, null);
    }

    static Map<String, ActivityStatus> acts(Object... nameThenActivity) {
        Map<String, ActivityStatus> m = new LinkedHashMap<>();
        for (int i = 0; i < nameThenActivity.length; i += 2) {
            m.put((String) nameThenActivity[i], (ActivityStatus) nameThenActivity[i + 1]);
        }
        return m;
    }

    static StageStatus stage(State status, Map<String, PluginStatus> mandatory, Map<String, PluginStatus> optional,
                             Long publishedAt, Long windowEndsAt) {
        return new StageStatus(status, mandatory, optional, 5, publishedAt, windowEndsAt);
    }

    static PluginStatus p(State s, int order) {
        return new PluginStatus(s, order, null, null);
    }

    static final StageStatus DONE = StageStatus.notStarted().withStatus(State.COMPLETE);

    @Test
    void aNewRunStartsItsFirstActivitysPreStage() {
        Step step = planner.plan(run(State.NOT_STARTED, acts("A", ActivityStatus.notStarted(), "B", ActivityStatus.notStarted())), NOW);
        assertThat(step).isEqualTo(new Step.EnterStage("A", Stage.PRE,
                List.of(Change.workflow(State.IN_PROGRESS), Change.activity("A", State.IN_PROGRESS))));
    }

    @Test
    void preDispatchesPluginsOneAtATimeInOrder() {
        var two = Map.of("second", p(State.NOT_STARTED, 2), "first", p(State.NOT_STARTED, 1));
        var a = new ActivityStatus(State.IN_PROGRESS, stage(State.IN_PROGRESS, two, Map.of(), null, null),
                StageStatus.notStarted(), StageStatus.notStarted());
        assertThat(planner.plan(run(State.IN_PROGRESS, acts("A", a)), NOW))
                .isEqualTo(new Step.Dispatch("A", Stage.PRE, "first", 5));

        var firstDispatched = Map.of("second", p(State.NOT_STARTED, 2), "first", new PluginStatus(State.NOT_STARTED, 1, null, NOW - 10));
        a = new ActivityStatus(State.IN_PROGRESS, stage(State.IN_PROGRESS, firstDispatched, Map.of(), null, null),
                StageStatus.notStarted(), StageStatus.notStarted());
        assertThat(planner.plan(run(State.IN_PROGRESS, acts("A", a)), NOW)).isInstanceOf(Step.Idle.class);

        var firstDone = Map.of("second", p(State.NOT_STARTED, 2), "first", p(State.COMPLETE, 1));
        a = new ActivityStatus(State.IN_PROGRESS, stage(State.IN_PROGRESS, firstDone, Map.of(), null, null),
                StageStatus.notStarted(), StageStatus.notStarted());
        assertThat(planner.plan(run(State.IN_PROGRESS, acts("A", a)), NOW))
                .isEqualTo(new Step.Dispatch("A", Stage.PRE, "second", 5));
    }

    @Test
    void anOptionalPreErrorMovesOnToTheNextPlugin() {
        var a = new ActivityStatus(State.IN_PROGRESS, stage(State.IN_PROGRESS,
                Map.of("m", p(State.NOT_STARTED, 2)), Map.of("o", p(State.ERROR, 1)), null, null),
                StageStatus.notStarted(), StageStatus.notStarted());
        assertThat(planner.plan(run(State.IN_PROGRESS, acts("A", a)), NOW)).isEqualTo(new Step.Dispatch("A", Stage.PRE, "m", 5));
    }

    @Test
    void aMandatoryErrorFailsStageActivityAndRunAndDispatchesNothingMore() {
        var a = new ActivityStatus(State.IN_PROGRESS, stage(State.IN_PROGRESS,
                Map.of("m", p(State.ERROR, 1), "next", p(State.NOT_STARTED, 2)), Map.of(), null, null),
                StageStatus.notStarted(), StageStatus.notStarted());
        assertThat(planner.plan(run(State.IN_PROGRESS, acts("A", a, "B", ActivityStatus.notStarted())), NOW))
                .isEqualTo(new Step.Transition(List.of(Change.stage("A", Stage.PRE, State.ERROR),
                        Change.activity("A", State.ERROR), Change.workflow(State.ERROR))));
    }

    @Test
    void theParallelStagePublishesOnceThenWaitsForItsWindow() {
        var listed = Map.of("m", p(State.NOT_STARTED, 1));
        var notPublished = new ActivityStatus(State.IN_PROGRESS, DONE, stage(State.IN_PROGRESS, listed, Map.of(), null, NOW + 5000),
                StageStatus.notStarted());
        assertThat(planner.plan(run(State.IN_PROGRESS, acts("A", notPublished)), NOW))
                .isEqualTo(new Step.PublishParallel("A", NOW + 5000));

        var allDoneWindowOpen = new ActivityStatus(State.IN_PROGRESS, DONE,
                stage(State.IN_PROGRESS, Map.of("m", p(State.COMPLETE, 1)), Map.of(), NOW, NOW + 5000), StageStatus.notStarted());
        assertThat(planner.plan(run(State.IN_PROGRESS, acts("A", allDoneWindowOpen)), NOW + 100))
                .isEqualTo(new Step.Transition(List.of(Change.stage("A", Stage.PARALLEL, State.MANDATORY_COMPLETED))));

        var windowClosed = new ActivityStatus(State.IN_PROGRESS, DONE,
                stage(State.MANDATORY_COMPLETED, Map.of("m", p(State.COMPLETE, 1)), Map.of(), NOW, NOW + 5000), StageStatus.notStarted());
        assertThat(planner.plan(run(State.IN_PROGRESS, acts("A", windowClosed)), NOW + 5000))
                .isEqualTo(new Step.Transition(List.of(Change.stage("A", Stage.PARALLEL, State.COMPLETE))));
    }

    @Test
    void aListedPluginThatNeverStartsFailsWhenTheWindowEnds() {
        var a = new ActivityStatus(State.IN_PROGRESS, DONE,
                stage(State.IN_PROGRESS, Map.of("silent", p(State.NOT_STARTED, 1)), Map.of(), NOW, NOW + 5000), StageStatus.notStarted());
        Step step = planner.plan(run(State.IN_PROGRESS, acts("A", a)), NOW + 5000);
        assertThat(step).isInstanceOf(Step.Transition.class);
        Change c = ((Step.Transition) step).changes().get(0);
        assertThat(c.state()).isEqualTo(State.ERROR);
        assertThat(c.message()).contains("registration window");
        assertThat(c.statePath()).containsExactly("activities", "A", "async", "mandatory", "silent", "state");
    }

    @Test
    void aDispatchedSequentialPluginThatNeverStartsTimesOut() {
        var a = new ActivityStatus(State.IN_PROGRESS, stage(State.IN_PROGRESS,
                Map.of("slow", new PluginStatus(State.NOT_STARTED, 1, null, NOW - 5000)), Map.of(), null, null),
                StageStatus.notStarted(), StageStatus.notStarted());
        Step step = planner.plan(run(State.IN_PROGRESS, acts("A", a)), NOW);
        assertThat(((Step.Transition) step).changes().get(0).message()).contains("did not start within 5 s");
    }

    @Test
    void finishedStagesFinishTheActivityThenTheRunWithTheOptionalErrorShown() {
        var ote = StageStatus.notStarted().withStatus(State.OPTIONAL_TASK_ERROR);
        var a = new ActivityStatus(State.IN_PROGRESS, DONE, ote, DONE);
        assertThat(planner.plan(run(State.IN_PROGRESS, acts("A", a)), NOW))
                .isEqualTo(new Step.Transition(List.of(Change.activity("A", State.OPTIONAL_TASK_ERROR))));

        var ended = new ActivityStatus(State.OPTIONAL_TASK_ERROR, DONE, ote, DONE);
        var clean = new ActivityStatus(State.COMPLETE, DONE, DONE, DONE);
        assertThat(planner.plan(run(State.IN_PROGRESS, acts("A", ended, "B", clean)), NOW))
                .isEqualTo(new Step.Transition(List.of(Change.workflow(State.OPTIONAL_TASK_ERROR))));
    }

    @Test
    void theNextActivityStartsWhenThePreviousEnded() {
        var clean = new ActivityStatus(State.COMPLETE, DONE, DONE, DONE);
        assertThat(planner.plan(run(State.IN_PROGRESS, acts("A", clean, "B", ActivityStatus.notStarted())), NOW))
                .isEqualTo(new Step.EnterStage("B", Stage.PRE, List.of(Change.activity("B", State.IN_PROGRESS))));
    }

    @Test
    void anEndedRunIsAnnouncedOnce() {
        var clean = new ActivityStatus(State.COMPLETE, DONE, DONE, DONE);
        WorkflowRun ended = run(State.COMPLETE, acts("A", clean));
        assertThat(planner.plan(ended, NOW)).isEqualTo(new Step.Notify(State.COMPLETE));
        WorkflowRun announced = new WorkflowRun("u1", "wf", State.COMPLETE, Json.object(), List.of("A"), acts("A", clean), null, 8, NOW);
        assertThat(planner.plan(announced, NOW)).isInstanceOf(Step.Idle.class);
    }
}
