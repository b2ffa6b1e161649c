package dev.orchestrator.request;

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
        if (!existing.activityOrder().equals(request.activities())
                || !java.util.Objects.equals(existing.dependsOn(), request.dependsOn())) {
            throw new InvalidStartException(List.of("activities " + describe(request.activities(), request.dependsOn())
                    + " differ from the existing run's " + describe(existing.activityOrder(), existing.dependsOn())));
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
                existing.version() + 1, null, existing.dependsOn(),
                request.pluginTimeout() != null ? request.pluginTimeout() : existing.pluginTimeout(),
                request.startTimeout() != null ? request.startTimeout() : existing.startTimeout(),
                request.filterAttributes() != null ? request.filterAttributes() : existing.filterAttributes(),
                null, null, null, null, null, existing.parent(),
                // Inputs sent with the resume replace the first ones (a re-provisioned tenant's new build variables).
                request.startInputsDigest() != null ? request.startInputsDigest() : existing.startInputs());
        return new Decision(Outcome.RESUMED, resumed);
    }

    private static String describe(List<String> names, Map<String, List<String>> dependsOn) {
        return dependsOn == null ? names.toString() : dependsOn.toString();
    }

    /**
     * Completed work stays; everything else starts over: errors, optional errors, and work the engine
     * marked Do Not Run (cancelled, or skipped because something it depends on failed).
     */
    static ActivityStatus reset(ActivityStatus a) {
        if (a.status() == State.COMPLETE) {
            return a;
        }
        return new ActivityStatus(State.NOT_STARTED, reset(a.pre()), reset(a.async()), reset(a.post()));
    }

    static StageStatus reset(StageStatus s) {
        if (s.status() == State.COMPLETE || s.status() == State.NOT_STARTED) {
            return s;
        }
        StageStatus out = new StageStatus(State.NOT_STARTED, reset(s.mandatory()), reset(s.optional()), null, null, null)
                .withMap(s.map() == null ? null : s.map().reset());
        return s.rosterVersion() == null ? out : out.withRoster(s.rosterVersion()); // its entries stay findable
    }

    private static Map<String, PluginStatus> reset(Map<String, PluginStatus> plugins) {
        Map<String, PluginStatus> out = new LinkedHashMap<>();
        plugins.forEach((name, p) -> out.put(name, p.state() == State.COMPLETE ? p
                : PluginStatus.listed(p.order(), p.timeout())));
        return out;
    }

}
