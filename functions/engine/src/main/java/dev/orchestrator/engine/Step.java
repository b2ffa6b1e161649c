package dev.orchestrator.engine;

import dev.orchestrator.core.Stage;
import dev.orchestrator.core.StageStatus;
import dev.orchestrator.core.State;
import java.util.List;

/** The one next thing to do for a run, decided by {@link Planner} and carried out by {@link Executor}. */
public sealed interface Step {

    /** Nothing to do until a plugin reports or a timer fires. */
    record Idle(String reason) implements Step {
    }

    /** Set states; the engine applies them in memory and plans again, so consecutive ones share one write. */
    record Transition(List<Change> changes) implements Step {
    }

    /** Start a stage: list its registered plugins, fix its window. */
    record EnterStage(String activity, Stage stage) implements Step {
    }

    /** Publish a sequential stage's message for one plugin. */
    record Dispatch(String activity, Stage stage, String plugin) implements Step {
    }

    /** Publish the parallel stage's message once. */
    record PublishParallel(String activity, long windowEndsAt) implements Step {
    }

    /** Publish the stage message again to one plugin that asked to run later (Schedule / RetryError). */
    record Rerun(String activity, Stage stage, boolean mandatory, String plugin, long rerunAt) implements Step {
    }

    /** Remove plugin entries the orchestrator cannot carry, noting why on the stage. */
    record DropRejected(String activity, Stage stage, List<StageStatus.Rejected> rejected) implements Step {
    }

    /** Start (or find again) the child workflow a plugin asked for, and record it in the plugin's entry. */
    record StartChild(String activity, Stage stage, boolean mandatory, String plugin,
                      dev.orchestrator.request.StartRequest request) implements Step {
    }

    /** Ask a running child workflow to stop: its parent entry no longer waits for it (cancelled, or ended). */
    record CancelChild(String activity, Stage stage, boolean mandatory, String plugin, String childUid,
                       String childWorkflow, String reason) implements Step {
    }

    /** A map stage: resolve its list and store one item per element (or fail the stage, naming the field). */
    record ResolveMap(String activity) implements Step {
    }

    /** A map stage: publish elements {@code from..to-1}, one stage message each (with {@code item} and {@code index}). */
    record ReleaseElements(String activity, int from, int to) implements Step {
    }

    /**
     * A map stage that made no progress for its stall limit: recount from the element items (a count lost between
     * its two writes); when nothing was lost, it ends Error with {@code message}.
     */
    record ReconcileMap(String activity, String message) implements Step {
    }

    /** A map stage: collect each plugin's results in order as its output, and end the stage {@code state}. */
    record FinishMap(String activity, State state, String message) implements Step {
    }

    /** Announce the run's outcome on the event bus (and to a parent run). */
    record Notify(State outcome) implements Step {
    }
}
