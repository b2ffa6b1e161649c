package dev.orchestrator.examples;

import dev.orchestrator.plugin.PluginContext;
import dev.orchestrator.plugin.PluginHandler;
import dev.orchestrator.plugin.PluginInfo;
import java.util.Map;

/** A typical parallel plugin: mandatory, does its work, reports through the base class. */
public class WelcomeEmailPlugin extends PluginHandler {

    public WelcomeEmailPlugin() {
        super();
    }

    public WelcomeEmailPlugin(Map<String, String> environment) {
        super(environment);
    }

    @Override
    public PluginInfo info() {
        return PluginInfo.builder("welcome-email").mandatory(true).order(10)
                .description("Sends the tenant's administrators a welcome email").build();
    }

    @Override
    protected void run(PluginContext context) {
        String tenant = context.metadata().path("tenantId").asText(context.uid());
        System.out.println("welcome-email: queued a welcome email for tenant " + tenant);
    }
}
