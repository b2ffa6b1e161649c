package dev.orchestrator.core;

/** The seven states of plugins, stages, activities and runs, spelled on the wire exactly as in the seed. */
public enum State {
    NOT_STARTED("Not Started"),
    IN_PROGRESS("In Progress"),
    MANDATORY_COMPLETED("Mandatory Completed"),
    COMPLETE("Complete"),
    ERROR("Error"),
    OPTIONAL_TASK_ERROR("Optional Task Error"),
    DO_NOT_RUN("Do Not Run");

    private final String wire;

    State(String wire) {
        this.wire = wire;
    }

    public String wire() {
        return wire;
    }

    /** Work still to happen: the thing has not reached an end. */
    public boolean isPending() {
        return this == NOT_STARTED || this == IN_PROGRESS || this == MANDATORY_COMPLETED;
    }

    /** Ended without a mandatory failure (an optional failure inside still counts as ended well). */
    public boolean isDoneOk() {
        return this == COMPLETE || this == DO_NOT_RUN || this == OPTIONAL_TASK_ERROR;
    }

    public boolean isTerminal() {
        return !isPending();
    }

    public static State fromWire(String value) {
        for (State s : values()) {
            if (s.wire.equals(value)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown state '" + value + "'; expected one of "
                + java.util.Arrays.stream(values()).map(State::wire).toList());
    }

    @Override
    public String toString() {
        return wire;
    }
}
