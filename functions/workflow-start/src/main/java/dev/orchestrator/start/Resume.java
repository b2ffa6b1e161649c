package dev.orchestrator.start;

import dev.orchestrator.core.ActivityStatus;
import dev.orchestrator.core.AttributeJson;
import dev.orchestrator.core.PluginStatus;
import dev.orchestrator.core.Stage;
import dev.orchestrator.core.StageStatus;
import dev.orchestrator.core.State;
import dev.orchestrator.core.WorkflowRun;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What starting an existing run means. Pure. A run that ended in {@code Error} or
 * {@code Optional Task Error} resumes: errored plugins, stages and activities go back to
 * {@code Not Started}, completed ones stay. A running or completed run is left alone.
 */
public final class Resume {

    private Resume() {
    }

    public enum Outcome { RESUMED, ALREADY_RUNNING, ALREADY_COMPLETE }

    public record Decision(Outcome outcome, WorkflowRun run) {
    }

    public static Decision decide(WorkflowRun existing, StartRequest request) {
        if (!existing.activityOrder().equals(request.activities())) {
            throw new InvalidStartException(List.of("activities " + request.activities()
                    + " differ from the existing run's " + existing.activityOrder()));
        }
        boolean sameMetadata = AttributeJson.toAttribute(existing.metadata()).equals(AttributeJson.toAttribute(request.metadata()));
        if (!sameMetadata && !request.metadataOverride()) {
            throw new InvalidStartException(List.of("metadata does not match the existing run " + existing.uid() + "/"
                    + existing.workflow() + "; set metadataOverride to replace it"));
        }
        if (existing.status().isPending()) {
            return new Decision(Outcome.ALREADY_RUNNING, existing);
        }
        if (existing.status() == State.COMPLETE || existing.status() == State.DO_NOT_RUN) {
            return new Decision(Outcome.ALREADY_COMPLETE, existing);
        }
        Map<String, ActivityStatus> activities = new LinkedHashMap<>();
        existing.activities().forEach((name, a) -> activities.put(name, reset(a)));
        WorkflowRun resumed = new WorkflowRun(existing.uid(), existing.workflow(), State.NOT_STARTED,
                sameMetadata ? existing.metadata() : request.metadata(), existing.activityOrder(), activities,
                request.pluginRegisterTimeout() != null ? request.pluginRegisterTimeout() : existing.pluginRegisterTimeout(),
                existing.version() + 1, null);
        return new Decision(Outcome.RESUMED, resumed);
    }

    static ActivityStatus reset(ActivityStatus a) {
        if (a.status().isDoneOk() && a.status() != State.OPTIONAL_TASK_ERROR) {
            return a;
        }
        return new ActivityStatus(State.NOT_STARTED, reset(a.pre()), reset(a.async()), reset(a.post()));
    }

    static StageStatus reset(StageStatus s) {
        if (s.status() == State.COMPLETE || s.status() == State.DO_NOT_RUN || s.status() == State.NOT_STARTED) {
            return s;
        }
        return new StageStatus(State.NOT_STARTED, reset(s.mandatory()), reset(s.optional()), null, null, null);
    }

    private static Map<String, PluginStatus> reset(Map<String, PluginStatus> plugins) {
        Map<String, PluginStatus> out = new LinkedHashMap<>();
        plugins.forEach((name, p) -> out.put(name, p.state() == State.ERROR ? PluginStatus.notStarted(p.order())
                : p.state() == State.NOT_STARTED ? PluginStatus.notStarted(p.order()) : p));
        return out;
    }

}
