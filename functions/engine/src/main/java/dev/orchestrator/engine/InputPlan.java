package dev.orchestrator.engine;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.orchestrator.core.Json;
import dev.orchestrator.core.Keys;
import dev.orchestrator.core.Outputs;
import dev.orchestrator.core.PluginStatus;
import dev.orchestrator.core.Stage;
import dev.orchestrator.core.StageStatus;
import dev.orchestrator.core.State;
import dev.orchestrator.core.WorkflowRun;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What goes into a stage message's {@code inputs}, decided without I/O (the executor reads and writes):
 * <ol>
 * <li>{@link #sources}: the stages whose outputs a stage receives: every stage of each activity it depends on
 *     (the previous one in a list, its {@code dependsOn} in a DAG; direct dependencies only), then this activity's
 *     own earlier stages (pre before parallel, both before post);</li>
 * <li>{@link #executions}: in those stages (their entries read), the plugins that ended {@code Complete}: only
 *     they may have an output;</li>
 * <li>{@link #assemble}: {@code inputs[activity][plugin]}, each value as stored ({@code {"output":..}} or
 *     {@code {"outputRef":..}}). A plugin that ran in more than one stage of an activity is addressed once: its
 *     latest stage's output wins (post over parallel over pre).</li>
 * </ol>
 * {@link #withStartInputs} puts the inputs the run was started with first, under their own sources, in every stage.
 * {@link #runOutputs} is the same for a finished run's outcome event: every stage of every activity (start inputs
 * are not outputs: they are left out there).
 */
final class InputPlan {

    private InputPlan() {
    }

    record Source(String activity, Stage stage) {
    }

    static List<Source> sources(WorkflowRun run, String activity, Stage stage) {
        List<Source> out = new ArrayList<>();
        for (String d : run.dependenciesOf(activity)) {
            if (run.activities().containsKey(d)) {
                for (Stage s : Stage.values()) {
                    out.add(new Source(d, s));
                }
            }
        }
        for (Stage s : Stage.values()) {
            if (s.ordinal() < stage.ordinal()) {
                out.add(new Source(activity, s));
            }
        }
        return out;
    }

    /** Every stage of the run, for its outcome event. */
    static List<Source> runOutputs(WorkflowRun run) {
        List<Source> out = new ArrayList<>();
        for (String a : run.activityOrder()) {
            for (Stage s : Stage.values()) {
                out.add(new Source(a, s));
            }
        }
        return out;
    }

    /** The sources' stages whose entries the engine must read first (entered, but not held in {@code run}). */
    static List<StageStatus> unread(WorkflowRun run, List<Source> sources) {
        List<StageStatus> out = new ArrayList<>();
        for (Source s : sources) {
            StageStatus st = run.activity(s.activity()).stage(s.stage());
            if (st.rosterVersion() != null && st.plugins().isEmpty() && out.stream().noneMatch(x -> x == st)) {
                out.add(st);
            }
        }
        return out;
    }

    /** The executions of the sources that ended Complete, in source order. */
    static List<Keys.Execution> executions(WorkflowRun run, List<Source> sources) {
        List<Keys.Execution> out = new ArrayList<>();
        for (Source s : sources) {
            StageStatus st = run.activity(s.activity()).stage(s.stage());
            for (StageStatus.Entry e : st.plugins()) {
                PluginStatus p = e.status();
                if (p.state() == State.COMPLETE) {
                    out.add(new Keys.Execution(e.name(), run.uid(), run.workflow(), s.activity(), s.stage()));
                }
            }
        }
        return out;
    }

    /**
     * The run's start inputs ({@code {source: {name: {...}}}}, from its start request) as {@code {"output": ..}} values
     * under {@code inputs[source][name]}, first, then the upstream outputs. A source is never an activity of the run
     * (the start request refuses it), so neither hides the other. {@code start} null: the upstream outputs alone.
     */
    static ObjectNode withStartInputs(ObjectNode start, ObjectNode upstream) {
        if (start == null || start.isEmpty()) {
            return upstream;
        }
        ObjectNode inputs = Json.object();
        start.fields().forEachRemaining(source -> {
            ObjectNode byName = inputs.putObject(source.getKey());
            source.getValue().fields().forEachRemaining(n -> byName.set(n.getKey(), Json.object().set(Outputs.OUTPUT, n.getValue().deepCopy())));
        });
        upstream.fields().forEachRemaining(a -> inputs.set(a.getKey(), a.getValue()));
        return inputs;
    }

    /** {@code inputs[activity][plugin]}; executions without an output are left out (they have nothing to pass). */
    static ObjectNode assemble(List<Keys.Execution> executions, Map<Keys.Execution, ObjectNode> outputs) {
        ObjectNode inputs = Json.object();
        for (Keys.Execution e : executions) {
            ObjectNode wire = outputs.get(e);
            if (wire != null && !wire.has("invalid")) {
                ObjectNode byPlugin = inputs.has(e.activity()) ? (ObjectNode) inputs.get(e.activity()) : inputs.putObject(e.activity());
                byPlugin.set(e.plugin(), wire);
            }
        }
        return inputs;
    }
}
