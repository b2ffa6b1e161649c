package dev.orchestrator.examples;

import dev.orchestrator.plugin.PluginContext;
import dev.orchestrator.plugin.PluginHandler;
import dev.orchestrator.plugin.PluginInfo;
import dev.orchestrator.plugin.PluginResult;
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

    /**
     * Reads the hostname provision-dns created (its output, an input of this activity since Handover depends on
     * Configure) and ends with what it sent as its own output. Without that plugin in the run, the email names
     * no endpoint.
     */
    @Override
    protected PluginResult process(PluginContext context) {
        String tenant = context.metadata().path("tenantId").asText(context.uid());
        boolean dns = context.inputs().path("Configure").has("provision-dns");
        String host = dns ? context.input("Configure", "provision-dns").path("hostname").asText("") : "";
        System.out.println("welcome-email: queued a welcome email for tenant " + tenant + (host.isEmpty() ? "" : " at " + host));
        Map<String, Object> sent = new java.util.LinkedHashMap<>();
        sent.put("tenant", tenant);
        if (!host.isEmpty()) {
            sent.put("endpoint", "https://" + host);
        }
        return PluginResult.complete(sent);
    }
}
