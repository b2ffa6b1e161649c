package dev.orchestrator.examples;

import dev.orchestrator.plugin.PluginContext;
import dev.orchestrator.plugin.PluginInfo;
import dev.orchestrator.plugin.PluginResult;
import dev.orchestrator.plugin.QueuePlugin;
import java.util.Map;

/**
 * A slow, fragile step behind a queue bridge: the bridge function (SNS) claims and enqueues, the
 * worker function (SQS) does the work. A DNS API throttle is transient (retry with backoff); an
 * invalid domain is not (fatal).
 */
public class ProvisionDnsPlugin extends QueuePlugin {

    public ProvisionDnsPlugin() {
        super();
    }

    public ProvisionDnsPlugin(Map<String, String> environment) {
        super(environment);
    }

    @Override
    public PluginInfo info() {
        return PluginInfo.builder("provision-dns").mandatory(true).order(5).fifoKey("tenantId")
                .description("Creates the tenant's DNS records").build();
    }

    @Override
    protected PluginResult process(PluginContext context) {
        String tenant = context.metadata().path("tenantId").asText(context.uid());
        if (!tenant.matches("[a-z0-9-]+")) {
            return PluginResult.fatal("'" + tenant + "' cannot be a DNS label");
        }
        String hostname = tenant + ".example.com";
        System.out.println("provision-dns: created " + hostname);
        // Its output reaches the activities that depend on Configure (welcome-email reads it in Handover).
        return PluginResult.complete(Map.of("hostname", hostname));
    }
}
