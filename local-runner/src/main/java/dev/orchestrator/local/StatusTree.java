package dev.orchestrator.local;

import dev.orchestrator.core.AttributeJson;
import dev.orchestrator.core.ItemCodec;
import dev.orchestrator.core.State;
import dev.orchestrator.core.WorkflowRun;
import dev.orchestrator.obs.RunTree;
import java.time.ZoneId;

/** A run as a tree a person reads at a glance: the shared {@link RunTree} (also used by the CLI). Pure. */
public final class StatusTree {

    private StatusTree() {
    }

    public static String mark(State s) {
        return RunTree.mark(s.wire());
    }

    public static String render(WorkflowRun run) {
        return RunTree.render(AttributeJson.toJson(ItemCodec.toItem(run, 0)), ZoneId.systemDefault());
    }
}
