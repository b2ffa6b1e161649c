package dev.orchestrator.examples;

import dev.orchestrator.plugin.PluginContext;
import dev.orchestrator.plugin.PluginHandler;
import dev.orchestrator.plugin.PluginInfo;
import java.util.Map;

/** Post-stage plugin: runs once the activity's parallel work is done. Optional: a failure is reported, not fatal. */
public class PublishEndpointsPlugin extends PluginHandler {

    public PublishEndpointsPlugin() {
        super();
    }

    public PublishEndpointsPlugin(Map<String, String> environment) {
        super(environment);
    }

    @Override
    public PluginInfo info() {
        return PluginInfo.builder("publish-endpoints").mandatory(false).order(1)
                .description("Publishes the tenant's endpoints to the service catalogue").build();
    }

    @Override
    protected void run(PluginContext context) {
        System.out.println("publish-endpoints: published endpoints of " + context.uid());
    }
}
