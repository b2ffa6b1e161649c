package dev.orchestrator.plugin;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.orchestrator.core.Stage;

/** What a plugin's work sees: which run, which activity and stage, and the run's metadata. */
public record PluginContext(String uid, String workflow, String activity, Stage stage, ObjectNode metadata,
                            StageMessage message) {

    static PluginContext of(StageMessage m) {
        return new PluginContext(m.uid(), m.workflow(), m.activity(), m.stage(), m.metadata(), m);
    }
}
