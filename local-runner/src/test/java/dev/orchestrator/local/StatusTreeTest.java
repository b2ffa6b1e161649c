package dev.orchestrator.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.orchestrator.core.ActivityStatus;
import dev.orchestrator.core.Json;
import dev.orchestrator.core.PluginStatus;
import dev.orchestrator.core.StageStatus;
import dev.orchestrator.core.State;
import dev.orchestrator.core.WorkflowRun;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StatusTreeTest {

    static WorkflowRun sample(State optionalState) {
        StageStatus done = StageStatus.notStarted().withStatus(State.COMPLETE);
        StageStatus parallel = new StageStatus(State.OPTIONAL_TASK_ERROR,
                Map.of("resize", new PluginStatus(State.COMPLETE, 1, null, null)),
                Map.of("thumbs", new PluginStatus(optionalState, 2, "disk full", null)), 5, 1L, 2L);
        Map<String, ActivityStatus> acts = new LinkedHashMap<>();
        acts.put("Ingest", new ActivityStatus(State.OPTIONAL_TASK_ERROR, done, parallel, done));
        acts.put("Deliver", ActivityStatus.notStarted());
        return new WorkflowRun("t-1", "onboarding", State.IN_PROGRESS, Json.object(), List.of("Ingest", "Deliver"), acts, null, 3, null);
    }

    @Test
    void rendersRunActivitiesStagesAndPluginsWithMessages() {
        String tree = StatusTree.render(sample(State.ERROR));
        assertThat(tree.lines().toList()).containsExactly(
                "t-1 / onboarding  In Progress [running]",
                "├─ Ingest  Optional Task Error [ok, optional failed]",
                "│  ├─ pre      Complete [ok]",
                "│  ├─ parallel Optional Task Error [ok, optional failed]",
                "│  │  · resize  Complete",
                "│  │  · thumbs (optional)  Error: disk full",
                "│  └─ post     Complete [ok]",
                "└─ Deliver  Not Started [ ]",
                "   ├─ pre      Not Started [ ]",
                "   ├─ parallel Not Started [ ]",
                "   └─ post     Not Started [ ]");
    }

    @Test
    void transitionsListOnlyWhatChanged() {
        WorkflowRun before = sample(State.IN_PROGRESS);
        WorkflowRun after = sample(State.ERROR);
        assertThat(Transitions.between(before, after)).containsExactly("    Ingest.parallel.thumbs -> Error (disk full)");
        assertThat(Transitions.between(after, after)).isEmpty();
        assertThat(Transitions.percentDone(after)).isEqualTo(50);
    }
}
