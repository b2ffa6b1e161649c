package dev.orchestrator.plugintest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.orchestrator.core.Json;
import dev.orchestrator.core.PluginStatus;
import dev.orchestrator.core.Stage;
import dev.orchestrator.core.State;
import dev.orchestrator.plugin.ChildWorkflow;
import dev.orchestrator.plugin.PluginContext;
import dev.orchestrator.plugin.PluginHandler;
import dev.orchestrator.plugin.PluginInfo;
import dev.orchestrator.plugin.PluginResult;
import dev.orchestrator.plugin.StageMessage;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What a plugin author sees in the kit when the plugin hands its work to a child workflow. */
class ChildRequestInTheKitTest {

    static final class Delegating extends PluginHandler {
        Delegating(Map<String, String> env) {
            super(env);
        }

        @Override
        public PluginInfo info() {
            return PluginInfo.builder("delegate").mandatory(true).build();
        }

        @Override
        protected PluginResult process(PluginContext ctx) {
            return PluginResult.startChild(ChildWorkflow.of("db-setup", List.of("CreateDb", "Migrate"))
                    .withTimeouts(120, null));
        }
    }

    @Test
    void theRequestWaitsInTheEntryAndASecondAskIsRefused() {
        try (PluginTestKit kit = PluginTestKit.start()) {
            Delegating plugin = new Delegating(kit.environment());
            StageMessage m = kit.openStage("tenant-1", "Provision", Stage.PARALLEL, "{}");
            kit.deliverSns(plugin, m);
            PluginStatus entry = kit.status(m, "delegate").orElseThrow();
            assertThat(entry.state()).isEqualTo(State.IN_PROGRESS);
            assertThat(entry.message()).isEqualTo("waiting for child workflow db-setup");
            assertThat(Json.parse(entry.child().request())).isEqualTo(Json.parse(
                    "{\"workflow\":\"db-setup\",\"activities\":[\"CreateDb\",\"Migrate\"],\"pluginTimeout\":120}"));
            assertThat(entry.child().started()).as("only the engine starts it").isFalse();
            // A duplicate delivery finds the claim taken and asks for nothing.
            kit.deliverSns(plugin, m);
            assertThat(kit.status(m, "delegate").orElseThrow().attempt()).isEqualTo(1);
        }
    }
}
