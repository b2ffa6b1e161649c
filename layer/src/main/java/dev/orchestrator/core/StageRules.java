package dev.orchestrator.core;

import java.util.Collection;

/**
 * Derives a running stage's state from its plugins. Pure: the engine and the tests call it alike.
 * <ul>
 * <li>a mandatory plugin in {@code Error} fails the stage at once;</li>
 * <li>while any plugin is pending or the registration window is open, the stage is pending:
 *     {@code Mandatory Completed} if every mandatory plugin ended well, else {@code In Progress};</li>
 * <li>once everything ended: {@code Optional Task Error} if an optional plugin failed (or a plugin
 *     itself reports that state), else {@code Complete}.</li>
 * </ul>
 */
public final class StageRules {

    private StageRules() {
    }

    public static State derive(StageStatus stage, boolean windowElapsed) {
        Collection<PluginStatus> mandatory = stage.mandatory().values();
        Collection<PluginStatus> optional = stage.optional().values();
        if (mandatory.stream().anyMatch(p -> p.state() == State.ERROR)) {
            return State.ERROR;
        }
        boolean mandatoryDone = mandatory.stream().allMatch(p -> p.state().isDoneOk());
        boolean optionalDone = optional.stream().allMatch(p -> p.state().isTerminal());
        if (!mandatoryDone) {
            return State.IN_PROGRESS;
        }
        if (!optionalDone || !windowElapsed) {
            return State.MANDATORY_COMPLETED;
        }
        boolean optionalFailed = optional.stream().anyMatch(p -> p.state() == State.ERROR)
                || mandatory.stream().anyMatch(p -> p.state() == State.OPTIONAL_TASK_ERROR)
                || optional.stream().anyMatch(p -> p.state() == State.OPTIONAL_TASK_ERROR);
        return optionalFailed ? State.OPTIONAL_TASK_ERROR : State.COMPLETE;
    }

    /** An activity's or run's state once all its parts ended well: did any part carry an optional failure. */
    public static State doneState(Collection<State> parts) {
        return parts.stream().anyMatch(s -> s == State.OPTIONAL_TASK_ERROR) ? State.OPTIONAL_TASK_ERROR : State.COMPLETE;
    }
}
