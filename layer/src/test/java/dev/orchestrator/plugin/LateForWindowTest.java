package dev.orchestrator.plugin;

import static org.assertj.core.api.Assertions.assertThat;

import dev.orchestrator.core.Json;
import dev.orchestrator.core.Stage;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** When an optional plugin may skip a parallel broadcast that reached it after the registration window. */
class LateForWindowTest {

    static StageMessage broadcast(long windowEndsAt, boolean listsOptional) {
        return new StageMessage("u", "w", "A", Stage.PARALLEL, null, Json.object(), windowEndsAt, Map.of(), Map.of(),
                null, null, List.of(), null, listsOptional);
    }

    @Test
    void aJoinerPastTheWindowSkipsOnlyWhenTheStageListsNoOptionalPlugin() {
        long tolerance = PluginHandler.LATE_SKEW_TOLERANCE_MS;
        assertThat(PluginHandler.lateForWindow(broadcast(1_000, false), 1_001 + tolerance)).as("surely a joiner, and late").isTrue();
        assertThat(PluginHandler.lateForWindow(broadcast(1_000, false), 1_000)).as("inside the window").isFalse();
        assertThat(PluginHandler.lateForWindow(broadcast(1_000, false), 11_000))
                .as("10 s past by a clock that may run fast: it claims, the engine judges by the table's clock").isFalse();
        assertThat(PluginHandler.lateForWindow(broadcast(1_000, false), 1_000 + tolerance)).as("at the tolerance").isFalse();
        assertThat(PluginHandler.lateForWindow(broadcast(1_000, true), 500_000))
                .as("the stage lists optional plugins: this one may be listed, so it claims").isFalse();
        assertThat(PluginHandler.lateForWindow(broadcast(1_000, false).addressedTo("p"), 500_000))
                .as("a message addressed to one plugin is never a join").isFalse();
    }

    @Test
    void listsOptionalTravelsInTheBodyOnlyWhenTrue() {
        assertThat(broadcast(1_000, true).toJson().path("listsOptional").asBoolean()).isTrue();
        assertThat(broadcast(1_000, false).toJson().has("listsOptional")).isFalse();
        assertThat(StageMessage.fromJson(broadcast(1_000, true).toJson()).listsOptional()).isTrue();
        assertThat(StageMessage.fromJson(broadcast(1_000, false).toJson()).listsOptional()).isFalse();
    }
}
