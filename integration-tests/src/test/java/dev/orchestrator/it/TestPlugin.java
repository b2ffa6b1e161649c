package dev.orchestrator.it;

import dev.orchestrator.plugin.PluginContext;
import dev.orchestrator.plugin.PluginHandler;
import dev.orchestrator.plugin.PluginInfo;
import dev.orchestrator.plugin.StageMessage;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A plugin as a user would write one, with knobs for the scenarios: fail on demand, start late
 * (a slow cold start), take time, and count its runs. The SDK client inside is real.
 */
final class TestPlugin extends PluginHandler {

    /** Run starts of every plugin, in the order they happened (shared by a scenario's plugins). */
    record Started(String plugin, String uid, long at) {
    }

    private final PluginInfo info;
    private final List<Started> journal;
    final AtomicInteger runs = new AtomicInteger();
    final AtomicBoolean failing = new AtomicBoolean();
    final List<Outcome> outcomes = new CopyOnWriteArrayList<>();
    volatile long startDelayMillis;
    volatile long workMillis;
    volatile long lastFinishedAt;
    volatile long lastAttemptAt;

    TestPlugin(Map<String, String> env, PluginInfo info, List<Started> journal) {
        super(env);
        this.info = info;
        this.journal = journal;
    }

    TestPlugin failing(boolean value) {
        failing.set(value);
        return this;
    }

    TestPlugin startingAfter(long millis) {
        startDelayMillis = millis;
        return this;
    }

    TestPlugin working(long millis) {
        workMillis = millis;
        return this;
    }

    @Override
    public PluginInfo info() {
        return info;
    }

    @Override
    public Outcome handle(StageMessage message) {
        if (message.plugin() == null || message.plugin().equals(info.pluginName())) {
            sleep(startDelayMillis);
            lastAttemptAt = System.currentTimeMillis();
        }
        Outcome o = super.handle(message);
        outcomes.add(o);
        return o;
    }

    @Override
    protected void run(PluginContext context) throws Exception {
        runs.incrementAndGet();
        journal.add(new Started(info.pluginName(), context.uid(), System.currentTimeMillis()));
        sleep(workMillis);
        lastFinishedAt = System.currentTimeMillis();
        if (failing.get()) {
            throw new IllegalStateException(info.pluginName() + " failed on purpose: "
                    + "x".repeat(300)); // long on purpose: the status keeps 180 characters
        }
    }

    private static void sleep(long millis) {
        if (millis > 0) {
            try {
                Thread.sleep(millis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
