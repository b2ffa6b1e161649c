package dev.orchestrator.examples;

import dev.orchestrator.plugin.PluginContext;
import dev.orchestrator.plugin.PluginHandler;
import dev.orchestrator.plugin.PluginInfo;
import java.util.Map;

/** Pre-stage plugin: runs first (order 1), before the activity's parallel work. */
public class ReserveCapacityPlugin extends PluginHandler {

    public ReserveCapacityPlugin() {
        super();
    }

    public ReserveCapacityPlugin(Map<String, String> environment) {
        super(environment);
    }

    @Override
    public PluginInfo info() {
        return PluginInfo.builder("reserve-capacity").mandatory(true).order(1)
                .description("Reserves compute capacity for the tenant before setup").build();
    }

    @Override
    protected void run(PluginContext context) {
        System.out.println("reserve-capacity: reserved capacity for " + context.uid() + " in " + context.activity());
    }
}
