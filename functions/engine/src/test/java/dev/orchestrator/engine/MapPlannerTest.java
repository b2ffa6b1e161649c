package dev.orchestrator.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.orchestrator.core.ActivityStatus;
import dev.orchestrator.core.Json;
import dev.orchestrator.core.MapState;
import dev.orchestrator.core.PluginStatus;
import dev.orchestrator.core.Stage;
import dev.orchestrator.core.StageStatus;
import dev.orchestrator.core.State;
import dev.orchestrator.core.WorkflowRun;
import dev.orchestrator.request.StartRequest;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The planner hands a map's parallel stage to {@link MapPlan}, and wakes for its stall limit only. */
class MapPlannerTest {

    final Planner planner = new Planner(new Planner.Defaults(5, 60, 30));

    /** A run whose only activity, Fan, is in its map stage with plugin p listed and the given counters. */
    static WorkflowRun running(MapState m) {
        WorkflowRun run = StartRequest.parse(Json.parse("{\"uid\":\"u\",\"workflow\":\"w\",\"metadata\":{\"r\":[1,2,3]},"
                + "\"activities\":[{\"name\":\"Fan\",\"map\":{\"items\":\"$.metadata.r\",\"maxConcurrency\":2,"
                + "\"toleratedFailureCount\":1}}]}"), StartRequest.Limits.any()).newRun(null).withStatus(State.IN_PROGRESS, null);
        ActivityStatus a = run.activity("Fan");
        StageStatus done = StageStatus.notStarted().withStatus(State.COMPLETE);
        StageStatus map = a.async().withStatus(State.IN_PROGRESS)
                .withPlugins(Map.of("p", PluginStatus.listed(1, null)), Map.of()).withMap(m);
        return run.withActivity("Fan", new ActivityStatus(State.IN_PROGRESS, done, map, StageStatus.notStarted()));
    }

    static MapState counters(Integer total, int released, int ended, int failed, long progressAt) {
        return new MapState(new dev.orchestrator.core.MapSpec("$.metadata.r", 2, 1, null), total, released,
                total == null ? Map.of() : Map.of("p", ended), failed, progressAt);
    }

    @Test
    void aMapStageResolvesReleasesWaitsAndFinishes() {
        assertThat(planner.plan(running(counters(null, 0, 0, 0, 0)), 1000)).isEqualTo(new Step.ResolveMap("Fan"));
        assertThat(planner.plan(running(counters(3, 0, 0, 0, 1000)), 1000)).isEqualTo(new Step.ReleaseElements("Fan", 0, 2));
        assertThat(planner.plan(running(counters(3, 2, 0, 0, 1000)), 1000)).isInstanceOf(Step.Idle.class);
        assertThat(planner.plan(running(counters(3, 2, 1, 0, 1000)), 1000)).isEqualTo(new Step.ReleaseElements("Fan", 2, 3));
        assertThat(planner.plan(running(counters(3, 3, 3, 1, 1000)), 1000))
                .isEqualTo(new Step.FinishMap("Fan", State.COMPLETE, "map: 3 elements, 1 failed (tolerated 1)"));
        assertThat(planner.plan(running(counters(3, 3, 2, 2, 1000)), 1000)).isEqualTo(new Step.FinishMap("Fan", State.ERROR,
                "map: 2 of 3 elements failed, over the tolerance of 1 (toleratedFailureCount 1)"));
    }

    @Test
    void aStalledMapIsReconciledAfterTheStartAndPluginTimeouts() {
        long limit = (30 + 60) * 1000L;
        WorkflowRun stuck = running(counters(3, 2, 0, 0, 1000));
        assertThat(planner.plan(stuck, 1000 + limit - 1)).isInstanceOf(Step.Idle.class);
        assertThat(planner.plan(stuck, 1000 + limit)).isEqualTo(new Step.ReconcileMap("Fan",
                "map: no element ended for 90 s (start timeout + plugin timeout); 2 of 3 released, 0 ended"));
        assertThat(planner.nextWake(stuck, 1000)).contains(1000 + limit);
        assertThat(planner.nextWake(running(counters(null, 0, 0, 0, 0)), 1000))
                .as("the listed entries of a map stage have no start deadline").isEmpty();
    }

    @Test
    void theMapStageComesAfterPreAndTheActivityEndsWithIt() {
        WorkflowRun run = running(counters(3, 3, 3, 0, 1000));
        ActivityStatus a = run.activity("Fan");
        WorkflowRun ended = run.withActivity("Fan", a.withStage(Stage.PARALLEL, a.async().withStatus(State.COMPLETE))
                .withStage(Stage.POST, StageStatus.notStarted().withStatus(State.COMPLETE)));
        assertThat(planner.plan(ended, 2000)).isEqualTo(new Step.Transition(List.of(Change.activity("Fan", State.COMPLETE))));
    }
}
