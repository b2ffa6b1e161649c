package dev.orchestrator.bench;

import dev.orchestrator.plugin.PluginContext;
import dev.orchestrator.plugin.PluginHandler;
import dev.orchestrator.plugin.PluginInfo;
import java.util.Map;

/** A mandatory parallel plugin that does nothing itself: what is left is the orchestration's cost. */
final class BenchPlugin extends PluginHandler {

    private final PluginInfo info;

    BenchPlugin(Map<String, String> env, String name) {
        super(env);
        this.info = PluginInfo.builder(name).mandatory(true).build();
    }

    @Override
    public PluginInfo info() {
        return info;
    }

    @Override
    protected void run(PluginContext context) {
        // nothing: the benchmark measures the orchestrator, not the plugin
    }
}
