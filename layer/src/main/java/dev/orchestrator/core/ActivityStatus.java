package dev.orchestrator.core;

/** {@code activities.<name>}: the activity state and its three stages. */
public record ActivityStatus(State status, StageStatus pre, StageStatus async, StageStatus post) {

    public static ActivityStatus notStarted() {
        return new ActivityStatus(State.NOT_STARTED, StageStatus.notStarted(), StageStatus.notStarted(),
                StageStatus.notStarted());
    }

    public StageStatus stage(Stage stage) {
        return switch (stage) {
            case PRE -> pre;
            case PARALLEL -> async;
            case POST -> post;
        };
    }
}
