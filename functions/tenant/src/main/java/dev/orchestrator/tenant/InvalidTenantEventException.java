package dev.orchestrator.tenant;

/** An event that can never be handled as it is: the invocation fails and EventBridge dead-letters it. */
public final class InvalidTenantEventException extends IllegalArgumentException {

    public InvalidTenantEventException(String message) {
        super(message);
    }
}
