package dev.orchestrator.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.orchestrator.core.Stage;
import dev.orchestrator.core.State;
import dev.orchestrator.plugin.StageMessage;
import dev.orchestrator.plugintest.PluginTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class PremiumSupportPluginTest {

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
    void theTierTheFilterPolicyMatchesIsAMessageAttribute() {
        StageMessage premium = kit.openStage("t-1", "Configure", Stage.PARALLEL, "{\"tenantId\":\"acme\",\"tier\":\"premium\"}");
        // The template's filter policy is {tier: [premium]}: the engine sends the metadata as attributes.
        assertEquals("premium", premium.attributes().get("tier"));
        kit.deliverSns(new PremiumSupportPlugin(kit.environment()), premium);
        assertEquals(State.COMPLETE, kit.state(premium, "premium-support").orElseThrow());
        assertFalse(new PremiumSupportPlugin(kit.environment()).info().isMandatory("Configure"));
    }
}
