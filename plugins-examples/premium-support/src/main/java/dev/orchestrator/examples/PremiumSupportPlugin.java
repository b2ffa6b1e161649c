package dev.orchestrator.examples;

import dev.orchestrator.plugin.PluginContext;
import dev.orchestrator.plugin.PluginHandler;
import dev.orchestrator.plugin.PluginInfo;
import java.util.Map;

/**
 * Runs for premium tenants only: its subscription's filter policy matches the run's {@code tier}
 * metadata, which the engine sends as a message attribute. Optional, so other tiers never wait for it.
 */
public class PremiumSupportPlugin extends PluginHandler {

    public PremiumSupportPlugin() {
        super();
    }

    public PremiumSupportPlugin(Map<String, String> environment) {
        super(environment);
    }

    @Override
    public PluginInfo info() {
        return PluginInfo.builder("premium-support").mandatory(false).order(20)
                .description("Opens a dedicated support channel for premium tenants").build();
    }

    @Override
    protected void run(PluginContext context) {
        System.out.println("premium-support: support channel opened for " + context.metadata().path("tenantId").asText());
    }
}
