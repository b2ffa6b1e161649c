package dev.orchestrator.engine;

/** A failure of one run that retrying cannot cure: the engine ends that run Error with this message. */
public final class RunFailure extends RuntimeException {

    public RunFailure(String message) {
        super(message);
    }
}
