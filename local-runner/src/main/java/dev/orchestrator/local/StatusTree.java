package dev.orchestrator.local;

import dev.orchestrator.core.ActivityStatus;
import dev.orchestrator.core.PluginStatus;
import dev.orchestrator.core.Stage;
import dev.orchestrator.core.StageStatus;
import dev.orchestrator.core.State;
import dev.orchestrator.core.WorkflowRun;
import java.util.ArrayList;
import java.util.List;

/** A run as a tree a person reads at a glance. Pure. */
public final class StatusTree {

    private StatusTree() {
    }

    public static String mark(State s) {
        return switch (s) {
            case COMPLETE -> "[ok]";
            case ERROR -> "[FAILED]";
            case OPTIONAL_TASK_ERROR -> "[ok, optional failed]";
            case IN_PROGRESS -> "[running]";
            case MANDATORY_COMPLETED -> "[mandatory done]";
            case DO_NOT_RUN -> "[skipped]";
            case NOT_STARTED -> "[ ]";
        };
    }

    public static String render(WorkflowRun run) {
        List<String> lines = new ArrayList<>();
        lines.add(run.uid() + " / " + run.workflow() + "  " + run.status().wire() + " " + mark(run.status()));
        List<String> order = run.activityOrder();
        for (int i = 0; i < order.size(); i++) {
            boolean lastActivity = i == order.size() - 1;
            ActivityStatus a = run.activity(order.get(i));
            lines.add((lastActivity ? "└─ " : "├─ ") + order.get(i) + "  " + a.status().wire() + " " + mark(a.status()));
            String indent = lastActivity ? "   " : "│  ";
            Stage[] stages = Stage.values();
            for (int j = 0; j < stages.length; j++) {
                boolean lastStage = j == stages.length - 1;
                StageStatus s = a.stage(stages[j]);
                lines.add(indent + (lastStage ? "└─ " : "├─ ") + pad(stages[j].wireName(), 9) + s.status().wire() + " " + mark(s.status()));
                String inner = indent + (lastStage ? "   " : "│  ");
                for (StageStatus.Entry e : s.plugins()) {
                    PluginStatus p = e.status();
                    String line = inner + "· " + e.name() + (e.mandatory() ? "" : " (optional)") + "  " + p.state().wire();
                    if (p.message() != null) {
                        line += ": " + p.message();
                    }
                    lines.add(line);
                }
            }
        }
        return String.join("\n", lines);
    }

    private static String pad(String s, int width) {
        return s.length() >= width ? s + " " : s + " ".repeat(width - s.length());
    }
}
