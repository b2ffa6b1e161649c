package dev.orchestrator.local;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.orchestrator.core.AttributeJson;
import dev.orchestrator.core.ItemCodec;
import dev.orchestrator.core.PluginStatus;
import dev.orchestrator.core.Stage;
import dev.orchestrator.core.StageStatus;
import dev.orchestrator.core.State;
import dev.orchestrator.core.WorkflowRun;
import dev.orchestrator.obs.RunTree;
import java.time.ZoneId;
import java.util.Map;

/** A run as a tree a person reads at a glance: the shared {@link RunTree} (also used by the CLI). Pure. */
public final class StatusTree {

    private StatusTree() {
    }

    public static String mark(State s) {
        return RunTree.mark(s.wire());
    }

    /** Renders a run as {@code StatusStore.get} materialises it (header + roster + execution items). */
    public static String render(WorkflowRun run) {
        return RunTree.render(view(run), ZoneId.systemDefault());
    }

    /**
     * The run as one JSON document in the shape {@link RunTree} draws: the header's item with each stage's plugin
     * entries put back under {@code mandatory} / {@code optional} (protocol v3 keeps them in execution items of
     * their own, so the header item alone has none).
     */
    static ObjectNode view(WorkflowRun run) {
        ObjectNode item = AttributeJson.toJson(ItemCodec.toItem(run, 0));
        run.activities().forEach((name, a) -> {
            for (Stage stage : Stage.values()) {
                StageStatus s = a.stage(stage);
                ObjectNode st = (ObjectNode) item.path(ItemCodec.ACTIVITIES).path(name).path(stage.itemKey());
                if (st.isMissingNode()) {
                    continue;
                }
                entries(st.putObject(ItemCodec.MANDATORY), s.mandatory());
                entries(st.putObject(ItemCodec.OPTIONAL), s.optional());
            }
        });
        return item;
    }

    private static void entries(ObjectNode into, Map<String, PluginStatus> plugins) {
        plugins.forEach((name, p) -> {
            ObjectNode e = (ObjectNode) AttributeJson.toJson(ItemCodec.plugin(p));
            put(e, ItemCodec.STARTED_AT, p.startedAt());
            put(e, ItemCodec.HEARTBEAT_AT, p.heartbeatAt());
            put(e, ItemCodec.ENDED_AT, p.endedAt());
            put(e, ItemCodec.RERUN_AT, p.rerunAt());
            if (p.attempt() > 0) {
                e.put(ItemCodec.ATTEMPT, p.attempt());
            }
            into.set(name, e);
        });
    }

    private static void put(ObjectNode e, String field, Long value) {
        if (value != null) {
            e.put(field, value);
        }
    }
}
