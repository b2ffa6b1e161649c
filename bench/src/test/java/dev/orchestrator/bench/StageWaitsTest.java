package dev.orchestrator.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.orchestrator.core.ActivityStatus;
import dev.orchestrator.core.PluginStatus;
import dev.orchestrator.core.StageStatus;
import dev.orchestrator.core.State;
import dev.orchestrator.core.WorkflowRun;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StageWaitsTest {

    static PluginStatus ended(long at) {
        return new PluginStatus(State.COMPLETE, 0, null, 1L, 1L, null, 0, null, null, null, at, null);
    }

    static ActivityStatus parallel(Long windowEndsAt, Long stageEndedAt, Map<String, PluginStatus> mandatory, Map<String, PluginStatus> optional) {
        StageStatus s = new StageStatus(State.COMPLETE, mandatory, optional, 0, 1000L, windowEndsAt, 1000L, stageEndedAt, null, List.of());
        return new ActivityStatus(State.COMPLETE, StageStatus.notStarted(), s, StageStatus.notStarted());
    }

    static WorkflowRun run(Map<String, ActivityStatus> activities, List<String> order) {
        return new WorkflowRun("u", "w", State.COMPLETE, null, order, activities, 0, 1, null);
    }

    @Test
    void aWindowThatClosedBeforeTheLastPluginEndedWaitsNothingAndTheGapIsTheHop() {
        WorkflowRun r = run(Map.of("A", parallel(1000L, 5300L, Map.of("p1", ended(4000), "p2", ended(5000)), Map.of())), List.of("A"));

        assertThat(StageWaits.of(r)).containsExactly(new StageWaits.Wait("A", 5000, 5300, 0));
        assertThat(StageWaits.of(r).get(0).gap()).isEqualTo(300);
    }

    @Test
    void aWindowStillOpenWhenThePluginsEndedIsWhatTheStageWaited() {
        // Window 10 s from 1000: plugins were done at 3000, the stage ended at 11200 (window end + the hop).
        WorkflowRun r = run(Map.of("A", parallel(11_000L, 11_200L, Map.of("p1", ended(3000)), Map.of("o1", ended(2500)))), List.of("A"));

        assertThat(StageWaits.of(r)).containsExactly(new StageWaits.Wait("A", 3000, 11_200, 8000));
    }

    @Test
    void aStageThatEndedWhileItsWindowWasOpenDidNotWaitForIt() {
        // Every expected plugin ended at 3000; the engine ended the stage at 3250, the window ran to 11000.
        WorkflowRun r = run(Map.of("A", parallel(11_000L, 3250L, Map.of("p1", ended(3000)), Map.of())), List.of("A"));

        assertThat(StageWaits.of(r)).containsExactly(new StageWaits.Wait("A", 3000, 3250, 0));
        assertThat(StageWaits.of(r).get(0).gap()).isEqualTo(250);
    }

    @Test
    void stagesWithoutEndedPluginsOrNotEndedAreLeftOutAndOrderFollowsTheRun() {
        WorkflowRun r = run(Map.of(
                "B", parallel(1000L, 2000L, Map.of("p", ended(1500)), Map.of()),
                "A", parallel(1000L, 2000L, Map.of("p", ended(1800)), Map.of()),
                "Empty", parallel(1000L, 1000L, Map.of(), Map.of()),
                "Open", parallel(1000L, null, Map.of("p", ended(1500)), Map.of())), List.of("Empty", "B", "Open", "A"));

        assertThat(StageWaits.of(r)).extracting(StageWaits.Wait::activity).containsExactly("B", "A");
    }
}
