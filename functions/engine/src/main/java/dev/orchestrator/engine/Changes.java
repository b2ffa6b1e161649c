package dev.orchestrator.engine;

import dev.orchestrator.core.ActivityStatus;
import dev.orchestrator.core.ItemCodec;
import dev.orchestrator.core.Paths;
import dev.orchestrator.core.PluginStatus;
import dev.orchestrator.core.StageStatus;
import dev.orchestrator.core.State;
import dev.orchestrator.core.UpdateBuilder;
import dev.orchestrator.core.WorkflowRun;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/** Applies {@link Change}s to a run in memory (pure) and writes them into one UpdateItem. */
public final class Changes {

    private Changes() {
    }

    public static WorkflowRun apply(WorkflowRun run, List<Change> changes) {
        WorkflowRun out = run;
        for (Change c : changes) {
            out = apply(out, c);
        }
        return out;
    }

    public static WorkflowRun apply(WorkflowRun run, Change c) {
        switch (c.level()) {
            case RUN:
                return run.withStatus(c.state(), c.message());
            case ACTIVITY: {
                ActivityStatus a = run.activity(c.activity());
                return run.withActivity(c.activity(), a.withStatus(c.state(), c.message() != null ? c.message() : a.message()));
            }
            case STAGE: {
                ActivityStatus a = run.activity(c.activity());
                return run.withActivity(c.activity(), a.withStage(c.stage(), a.stage(c.stage()).withStatus(c.state())));
            }
            default: {
                ActivityStatus a = run.activity(c.activity());
                StageStatus s = a.stage(c.stage());
                Map<String, PluginStatus> group = new LinkedHashMap<>(s.group(c.mandatory()));
                PluginStatus p = group.get(c.plugin());
                group.put(c.plugin(), p == null ? new PluginStatus(c.state(), 0, c.message(), null)
                        : p.withState(c.state(), c.message() != null ? c.message() : p.message()));
                StageStatus updated = c.mandatory() ? s.withPlugins(group, s.optional()) : s.withPlugins(s.mandatory(), group);
                return run.withActivity(c.activity(), a.withStage(c.stage(), updated));
            }
        }
    }

    /**
     * One plugin change into its execution item: state, message, endedAt on the way out; and the item's identity
     * (run, activity, stage, plugin), so an item the engine creates (a listed plugin that never claimed) reads
     * like one the plugin created.
     */
    public static void writeExecution(UpdateBuilder u, Change c, WorkflowRun run, long now) {
        u.set(List.of(ItemCodec.STATE), AttributeValue.fromS(c.state().wire()));
        if (c.message() != null) {
            u.set(List.of(ItemCodec.MESSAGE), AttributeValue.fromS(c.message()));
        }
        if (c.state().isTerminal()) {
            u.set(List.of(ItemCodec.ENDED_AT), AttributeValue.fromN(Long.toString(now)));
            u.remove(List.of(ItemCodec.RERUN_AT));
        }
        identify(u, run, c.activity(), c.stage(), c.plugin(), c.mandatory());
    }

    /** The identity attributes of an execution item (kept if present). */
    public static void identify(UpdateBuilder u, WorkflowRun run, String activity, dev.orchestrator.core.Stage stage,
                                String plugin, boolean mandatory) {
        u.setIfNotExists(List.of(ItemCodec.RUN_UID), AttributeValue.fromS(run.uid()));
        u.setIfNotExists(List.of(ItemCodec.RUN_WORKFLOW), AttributeValue.fromS(run.workflow()));
        u.setIfNotExists(List.of(ItemCodec.ACTIVITY), AttributeValue.fromS(activity));
        u.setIfNotExists(List.of(ItemCodec.STAGE), AttributeValue.fromS(stage.wireName()));
        u.setIfNotExists(List.of(ItemCodec.MANDATORY), AttributeValue.fromBool(mandatory));
    }

    /**
     * SET state (+ message, + startedAt on the way in, endedAt on the way out) for each run, activity and stage change.
     * When one write carries two changes of the same run, activity or stage (an activity with nothing to run starts
     * and ends in memory: every stage skipped), the last one says its state; an earlier start still sets startedAt.
     */
    public static void write(UpdateBuilder u, List<Change> changes, long now) {
        AttributeValue at = AttributeValue.fromN(Long.toString(now));
        Map<List<String>, Integer> last = new java.util.HashMap<>();
        for (int i = 0; i < changes.size(); i++) {
            if (changes.get(i).level() != Change.Level.PLUGIN) {
                last.put(changes.get(i).entryPath(), i);
            }
        }
        java.util.Set<List<String>> started = new java.util.HashSet<>();
        for (int i = 0; i < changes.size(); i++) {
            Change c = changes.get(i);
            if (c.level() == Change.Level.PLUGIN) {
                continue; // plugin entries are execution items of their own (Executor.writeExecutions)
            }
            List<String> entry = c.entryPath();
            // A stage ended without a write of its own (nothing to run, see Planner.skipEmpty) still says when it ran.
            boolean stageDone = c.level() == Change.Level.STAGE && c.state().isDoneOk();
            if ((c.state() == State.IN_PROGRESS || stageDone) && started.add(entry)) {
                u.setIfNotExists(Paths.child(entry, ItemCodec.STARTED_AT), at);
            }
            if (last.get(entry) != i) {
                continue; // superseded within this write
            }
            u.set(c.statePath(), AttributeValue.fromS(c.state().wire()));
            if (c.message() != null) {
                u.set(c.messagePath(), AttributeValue.fromS(c.message()));
            }
            if (c.state().isTerminal()) {
                u.set(Paths.child(entry, ItemCodec.ENDED_AT), at);
                if (c.level() == Change.Level.PLUGIN) {
                    u.remove(Paths.child(entry, ItemCodec.RERUN_AT));
                }
            }
        }
    }
}
