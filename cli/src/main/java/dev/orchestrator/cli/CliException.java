package dev.orchestrator.cli;

/** A failure with the exit code it means (see {@link Exit}) and a message for the operator. */
public final class CliException extends RuntimeException {

    private final int code;

    public CliException(int code, String message) {
        super(message);
        this.code = code;
    }

    public int code() {
        return code;
    }
}
