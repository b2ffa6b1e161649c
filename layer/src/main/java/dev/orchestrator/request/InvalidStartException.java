package dev.orchestrator.request;

import java.util.List;

/** A start request that cannot be accepted; the message lists every reason. */
public final class InvalidStartException extends IllegalArgumentException {

    private final List<String> problems;

    public InvalidStartException(List<String> problems) {
        super("invalid start request: " + String.join("; ", problems));
        this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
        return problems;
    }
}
