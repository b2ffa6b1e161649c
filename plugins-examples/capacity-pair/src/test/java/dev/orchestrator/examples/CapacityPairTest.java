package dev.orchestrator.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orchestrator.core.Stage;
import dev.orchestrator.core.State;
import dev.orchestrator.plugin.StageMessage;
import dev.orchestrator.plugintest.PluginTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Sequential stages address one plugin at a time: each of the pair acts only on its own message. */
class CapacityPairTest {

    static PluginTestKit kit;

    @BeforeAll
    static void start() {
        kit = PluginTestKit.start();
    }

    @AfterAll
    static void stop() {
        kit.close();
    }

    @Test
    void thePrePluginRunsWhenAddressedAndOnlyThen() {
        ReserveCapacityPlugin pre = new ReserveCapacityPlugin(kit.environment());
        StageMessage open = kit.openStage("run-1", "Setup", Stage.PRE, "{}");
        // The engine lists a sequential stage's plugins before dispatching (the claim requires it).
        kit.list(open, "reserve-capacity", true, 1);
        kit.deliverSns(pre, kit.addressedTo(open, "publish-endpoints"));
        assertEquals(State.NOT_STARTED, kit.state(open, "reserve-capacity").orElseThrow());
        kit.deliverSns(pre, kit.addressedTo(open, "reserve-capacity"));
        assertEquals(State.COMPLETE, kit.state(open, "reserve-capacity").orElseThrow());
    }

    @Test
    void thePostPluginIsOptional() {
        PublishEndpointsPlugin post = new PublishEndpointsPlugin(kit.environment());
        StageMessage open = kit.openStage("run-2", "Setup", Stage.POST, "{}");
        kit.list(open, "publish-endpoints", false, 1);
        kit.deliverSns(post, kit.addressedTo(open, "publish-endpoints"));
        assertEquals(State.COMPLETE, kit.state(open, "publish-endpoints").orElseThrow());
        assertTrue(kit.status(open, "publish-endpoints").isPresent());
    }
}
