package dev.orchestrator.engine;

import dev.orchestrator.core.Stage;
import dev.orchestrator.core.State;
import java.util.List;

/** The one next thing to do for a run, decided by {@link Planner} and carried out by {@link Executor}. */
public sealed interface Step {

    /** Nothing to do until a plugin reports or a timer fires. */
    record Idle(String reason) implements Step {
    }

    /** Set states, conditional on the item version the plan was made from. */
    record Transition(List<Change> changes) implements Step {
    }

    /** Start a stage: list its registered plugins, fix its window, set {@code alsoSet} in the same write. */
    record EnterStage(String activity, Stage stage, List<Change> alsoSet) implements Step {
    }

    /** Publish a sequential stage's message for one plugin. */
    record Dispatch(String activity, Stage stage, String plugin, int windowSeconds) implements Step {
    }

    /** Publish the parallel stage's message once, and set a timer for the end of its window. */
    record PublishParallel(String activity, long windowEndsAt) implements Step {
    }

    /** Announce the run's outcome on the event bus. */
    record Notify(State outcome) implements Step {
    }
}
