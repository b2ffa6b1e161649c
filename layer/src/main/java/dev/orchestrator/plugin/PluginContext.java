package dev.orchestrator.plugin;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.orchestrator.core.Stage;

/**
 * What a plugin's work sees: which run, which activity and stage, the run's metadata, which attempt this is
 * (1 for the first claim; more after a re-run or a re-claim of a crashed attempt), and {@link #heartbeat()}.
 */
public record PluginContext(String uid, String workflow, String activity, Stage stage, ObjectNode metadata,
                            StageMessage message, int attempt, Heartbeat heartbeater) {

    /** Pushes the plugin's execution deadline; false when its claim is no longer its own (timed out, cancelled). */
    @FunctionalInterface
    public interface Heartbeat {
        boolean beat();
    }

    public PluginContext(String uid, String workflow, String activity, Stage stage, ObjectNode metadata, StageMessage message) {
        this(uid, workflow, activity, stage, metadata, message, 1, () -> true);
    }

    static PluginContext of(StageMessage m) {
        return new PluginContext(m.uid(), m.workflow(), m.activity(), m.stage(), m.metadata(), m);
    }

    static PluginContext of(StageMessage m, int attempt, Heartbeat heartbeat) {
        return new PluginContext(m.uid(), m.workflow(), m.activity(), m.stage(), m.metadata(), m, attempt, heartbeat);
    }

    /**
     * Tells the engine this plugin is alive: long work calls it more often than its timeout
     * ({@code default.timeout}, or the run's {@code pluginTimeout}). One conditional UpdateItem.
     */
    public boolean heartbeat() {
        return heartbeater.beat();
    }
}
