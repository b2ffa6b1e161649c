package dev.orchestrator.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.orchestrator.core.ActivityStatus;
import dev.orchestrator.core.Stage;
import dev.orchestrator.core.StageStatus;
import dev.orchestrator.core.State;
import dev.orchestrator.core.WorkflowRun;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** One engine write, one INFO line: its run, activity and stage changes in order, and the cause of an end. */
class StepLineTest {

    /** A run whose activity A ran its parallel stage (entered: a roster, published) and whose B has not started. */
    static WorkflowRun base() {
        WorkflowRun run = PlannerTest.run(List.of("A", "B"), Map.of("B", List.of("A")));
        StageStatus entered = new StageStatus(State.IN_PROGRESS, Map.of(), Map.of(), 5, 100L, 5_100L, 100L, null, null,
                List.of(), 100L);
        ActivityStatus a = new ActivityStatus(State.IN_PROGRESS, StageStatus.notStarted().withStatus(State.COMPLETE), entered,
                StageStatus.notStarted());
        return run.withActivity("A", a);
    }

    @Test
    void aStageHopIsOneLineNamingEveryChangeInOrderAndTheStagesThatHadNoPlugins() {
        List<Change> hop = List.of(Change.stage("A", Stage.PARALLEL, State.COMPLETE), Change.stage("A", Stage.POST, State.COMPLETE),
                Change.activity("A", State.COMPLETE), Change.activity("B", State.IN_PROGRESS),
                Change.stage("B", Stage.PRE, State.COMPLETE));
        StepLine line = StepLine.of(base(), hop, new StepLine.Also("B/parallel entered", "listed", 6)).orElseThrow();
        assertThat(line.changes()).isEqualTo("A/parallel Complete; A/post Complete (no plugins); A Complete; B In Progress; "
                + "B/pre Complete (no plugins); B/parallel entered");
        assertThat(line.cause()).isNull();
        assertThat(line.keyValues()).containsExactly("changes", line.changes(), "cause", null, "listed", 6);
    }

    @Test
    void anEndCarriesTheRunsCauseElseTheActivities() {
        List<Change> failed = List.of(Change.stage("A", Stage.PARALLEL, State.ERROR),
                Change.activity("A", State.ERROR, "parallel plugin p: boom"), Change.workflow(State.ERROR, "activity A failed"));
        StepLine line = StepLine.of(base(), failed, StepLine.Also.NONE).orElseThrow();
        assertThat(line.changes()).isEqualTo("A/parallel Error; A Error; run Error");
        assertThat(line.cause()).isEqualTo("activity A failed");
        assertThat(StepLine.of(base(), failed.subList(0, 2), StepLine.Also.NONE).orElseThrow().cause()).isEqualTo("A: parallel plugin p: boom");
    }

    @Test
    void aWriteOfPluginChangesAloneHasNoStepLine() {
        // Those keep a WARN line each (a timeout, an error set by the engine).
        assertThat(StepLine.of(base(), List.of(Change.plugin("A", Stage.PARALLEL, true, "p", State.ERROR, "timed out")), StepLine.Also.NONE)).isEmpty();
    }
}
