package dev.orchestrator.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.orchestrator.core.EnvNames;
import dev.orchestrator.core.Stage;
import dev.orchestrator.core.State;
import dev.orchestrator.plugin.StageMessage;
import dev.orchestrator.plugintest.PluginTestKit;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Bridge then worker, through a real queue: the same class plays both parts. */
class ProvisionDnsPluginTest {

    static PluginTestKit kit;
    static String queue;
    static ProvisionDnsPlugin plugin;

    @BeforeAll
    static void start() {
        kit = PluginTestKit.start();
        queue = kit.queue(false);
        Map<String, String> env = new LinkedHashMap<>(kit.environment());
        env.put(EnvNames.PLUGIN_QUEUE_URL, queue);
        plugin = new ProvisionDnsPlugin(env);
    }

    @AfterAll
    static void stop() {
        kit.close();
    }

    @Test
    void theBridgeClaimsAndTheWorkerCompletes() {
        StageMessage m = kit.openStage("tenant-1", "Configure", Stage.PARALLEL, "{\"tenantId\":\"acme\"}");
        kit.deliverSns(plugin, m);
        assertEquals(State.IN_PROGRESS, kit.state(m, "provision-dns").orElseThrow());
        kit.deliverQueue(plugin, queue);
        assertEquals(State.COMPLETE, kit.state(m, "provision-dns").orElseThrow());
        // Its output, the hostname it created, is what the activities after Configure receive as an input.
        assertEquals(m.metadata().path("tenantId").asText(m.uid()) + ".example.com",
                kit.output(m, "provision-dns").orElseThrow().path("hostname").asText());
    }

    @Test
    void anInvalidDomainIsAFatalError() {
        StageMessage m = kit.openStage("tenant-2", "Configure", Stage.PARALLEL, "{\"tenantId\":\"Not A Label\"}");
        kit.deliverSns(plugin, m);
        kit.deliverQueue(plugin, queue);
        assertEquals(State.ERROR, kit.state(m, "provision-dns").orElseThrow());
        assertEquals("'Not A Label' cannot be a DNS label", kit.status(m, "provision-dns").orElseThrow().message());
    }
}
