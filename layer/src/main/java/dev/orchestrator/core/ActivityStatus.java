package dev.orchestrator.core;

/** {@code activities.<name>}: the activity state and its three stages. */
public record ActivityStatus(State status, StageStatus pre, StageStatus async, StageStatus post,
                             String message, Long startedAt, Long endedAt) {

    public ActivityStatus(State status, StageStatus pre, StageStatus async, StageStatus post) {
        this(status, pre, async, post, null, null, null);
    }

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

    public ActivityStatus withStage(Stage stage, StageStatus s) {
        return new ActivityStatus(status, stage == Stage.PRE ? s : pre, stage == Stage.PARALLEL ? s : async,
                stage == Stage.POST ? s : post, message, startedAt, endedAt);
    }

    public ActivityStatus withStatus(State newStatus, String newMessage) {
        return new ActivityStatus(newStatus, pre, async, post, newMessage, startedAt, endedAt);
    }
}
