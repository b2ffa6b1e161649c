package dev.orchestrator.tenant;

/**
 * Handles one kind of tenant event. Throwing fails the invocation: EventBridge retries it and, after
 * its retries, the event goes to the rule target's dead-letter queue.
 */
@FunctionalInterface
public interface TenantEventHandler {
    void handle(TenantEvent event);
}
