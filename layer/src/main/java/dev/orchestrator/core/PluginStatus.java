package dev.orchestrator.core;

/**
 * One plugin's entry in a stage: {@code activities.<a>.<stage>.<mandatory|optional>.<plugin>}.
 * {@code order} sorts sequential stages; {@code dispatchedAt} (epoch ms) marks the engine's publish.
 */
public record PluginStatus(State state, int order, String message, Long dispatchedAt) {

    public static PluginStatus notStarted(int order) {
        return new PluginStatus(State.NOT_STARTED, order, null, null);
    }
}
