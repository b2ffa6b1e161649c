package dev.orchestrator.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.orchestrator.core.Stage;
import dev.orchestrator.core.State;
import dev.orchestrator.plugin.PluginInfo;
import dev.orchestrator.plugin.StageMessage;
import dev.orchestrator.plugintest.PluginTestKit;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class WelcomeEmailPluginTest {

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
    void completesAndReportsItself() {
        WelcomeEmailPlugin plugin = new WelcomeEmailPlugin(kit.environment());
        StageMessage m = kit.openStage("tenant-1", "Handover", Stage.PARALLEL, "{\"tenantId\":\"acme\"}");
        kit.deliverSns(plugin, m);
        assertEquals(State.COMPLETE, kit.state(m, "welcome-email").orElseThrow());
    }

    @Test
    void namesTheEndpointProvisionDnsCreatedAndEndsWithWhatItSent() {
        WelcomeEmailPlugin plugin = new WelcomeEmailPlugin(kit.environment());
        StageMessage m = kit.withInput(kit.openStage("tenant-3", "Handover", Stage.PARALLEL, "{\"tenantId\":\"acme\"}"),
                "Configure", "provision-dns", "{\"hostname\":\"acme.example.com\"}");
        kit.deliverSns(plugin, m);
        assertEquals(State.COMPLETE, kit.state(m, "welcome-email").orElseThrow());
        assertEquals("https://acme.example.com", kit.output(m, "welcome-email").orElseThrow().path("endpoint").asText());
    }

    @Test
    void withoutProvisionDnsInTheRunTheEmailNamesNoEndpoint() {
        WelcomeEmailPlugin plugin = new WelcomeEmailPlugin(kit.environment());
        StageMessage m = kit.openStage("tenant-4", "Handover", Stage.PARALLEL, "{\"tenantId\":\"beta\"}");
        kit.deliverSns(plugin, m);
        assertEquals(State.COMPLETE, kit.state(m, "welcome-email").orElseThrow());
        assertEquals("beta", kit.output(m, "welcome-email").orElseThrow().path("tenant").asText());
        assertTrue(kit.output(m, "welcome-email").orElseThrow().path("endpoint").isMissingNode());
    }

    @Test
    void ignoresAMessageForAnotherPlugin() {
        WelcomeEmailPlugin plugin = new WelcomeEmailPlugin(kit.environment());
        StageMessage m = kit.addressedTo(kit.openStage("tenant-2", "Handover", Stage.PRE, "{}"), "someone-else");
        kit.deliverSns(plugin, m);
        assertTrue(kit.state(m, "welcome-email").isEmpty());
    }

    @Test
    void answersInitializeWithItsInfo() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new WelcomeEmailPlugin(kit.environment()).handleRequest(
                new ByteArrayInputStream("{\"action\":\"initialize\"}".getBytes(StandardCharsets.UTF_8)), out, null);
        PluginInfo info = PluginInfo.fromJson(dev.orchestrator.core.Json.parse(out.toString(StandardCharsets.UTF_8)));
        assertEquals("welcome-email", info.pluginName());
        assertTrue(info.isMandatory("Handover"));
        assertEquals(10, info.order());
    }
}
