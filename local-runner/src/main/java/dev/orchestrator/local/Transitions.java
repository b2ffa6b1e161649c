package dev.orchestrator.local;

import dev.orchestrator.core.ActivityStatus;
import dev.orchestrator.core.PluginStatus;
import dev.orchestrator.core.Stage;
import dev.orchestrator.core.StageStatus;
import dev.orchestrator.core.State;
import dev.orchestrator.core.WorkflowRun;
import java.util.ArrayList;
import java.util.List;

/** What changed between two snapshots of a run, one line per change: the progress display. Pure. */
public final class Transitions {

    private Transitions() {
    }

    public static List<String> between(WorkflowRun before, WorkflowRun after) {
        List<String> out = new ArrayList<>();
        if (before == null || before.status() != after.status()) {
            out.add("run " + after.uid() + "/" + after.workflow() + " -> " + after.status().wire());
        }
        for (String name : after.activityOrder()) {
            ActivityStatus a = after.activity(name);
            ActivityStatus b = before == null ? null : before.activities().get(name);
            if (b == null || b.status() != a.status()) {
                out.add("  " + name + " -> " + a.status().wire());
            }
            for (Stage stage : Stage.values()) {
                StageStatus s = a.stage(stage);
                StageStatus old = b == null ? null : b.stage(stage);
                if (old == null ? s.status() != State.NOT_STARTED : old.status() != s.status()) {
                    out.add("  " + name + "." + stage.wireName() + " -> " + s.status().wire());
                }
                for (StageStatus.Entry e : s.plugins()) {
                    PluginStatus was = old == null ? null : old.group(e.mandatory()).get(e.name());
                    if (was == null || was.state() != e.status().state()) {
                        out.add("    " + name + "." + stage.wireName() + "." + e.name() + " -> " + e.status().state().wire()
                                + (e.status().message() == null ? "" : " (" + e.status().message() + ")"));
                    }
                }
            }
        }
        return out;
    }

    /** Share of plugin and stage work finished, 0..100, for the progress bar. */
    public static int percentDone(WorkflowRun run) {
        int total = 0;
        int done = 0;
        for (String name : run.activityOrder()) {
            for (Stage stage : Stage.values()) {
                total++;
                if (run.activity(name).stage(stage).status().isTerminal()) {
                    done++;
                }
            }
        }
        return total == 0 ? 100 : done * 100 / total;
    }
}
