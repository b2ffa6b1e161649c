package dev.orchestrator.engine;

import dev.orchestrator.core.ActivityStatus;
import dev.orchestrator.core.PluginStatus;
import dev.orchestrator.core.Stage;
import dev.orchestrator.core.StageRules;
import dev.orchestrator.core.StageStatus;
import dev.orchestrator.core.State;
import dev.orchestrator.core.WorkflowRun;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Decides the next step of a run from its status item alone (and the clock). Pure: no I/O, so every
 * transition rule is unit-tested. Activities run in the order given at start; within one, pre, then
 * parallel, then post.
 */
public final class Planner {

    private final int defaultWindowSeconds;

    public Planner(int defaultWindowSeconds) {
        this.defaultWindowSeconds = defaultWindowSeconds;
    }

    public Step plan(WorkflowRun run, long now) {
        if (run.status().isTerminal()) {
            return run.notifiedAt() == null ? new Step.Notify(run.status()) : new Step.Idle("run ended");
        }
        List<Change> starting = new ArrayList<>();
        if (run.status() == State.NOT_STARTED) {
            starting.add(Change.workflow(State.IN_PROGRESS));
        }
        List<State> ended = new ArrayList<>();
        for (String name : run.activityOrder()) {
            ActivityStatus a = run.activity(name);
            if (a.status().isDoneOk()) {
                ended.add(a.status());
                continue;
            }
            if (a.status() == State.ERROR) {
                return new Step.Transition(List.of(Change.workflow(State.ERROR)));
            }
            if (a.status() == State.NOT_STARTED) {
                starting.add(Change.activity(name, State.IN_PROGRESS));
            }
            return planActivity(name, a, starting, now);
        }
        starting.add(Change.workflow(StageRules.doneState(ended)));
        return new Step.Transition(starting);
    }

    private Step planActivity(String name, ActivityStatus a, List<Change> starting, long now) {
        for (Stage stage : Stage.values()) {
            StageStatus s = a.stage(stage);
            if (s.status().isDoneOk()) {
                continue;
            }
            if (s.status() == State.ERROR) {
                return new Step.Transition(List.of(Change.activity(name, State.ERROR), Change.workflow(State.ERROR)));
            }
            if (s.status() == State.NOT_STARTED) {
                return new Step.EnterStage(name, stage, starting);
            }
            if (!starting.isEmpty()) {
                return new Step.Transition(starting); // repair: a stage runs in an activity marked not started
            }
            return planStage(name, stage, s, now);
        }
        List<Change> done = new ArrayList<>(starting);
        done.add(Change.activity(name, StageRules.doneState(
                Arrays.stream(Stage.values()).map(st -> a.stage(st).status()).toList())));
        return new Step.Transition(done);
    }

    private Step planStage(String activity, Stage stage, StageStatus s, long now) {
        int window = s.windowSeconds() == null ? defaultWindowSeconds : s.windowSeconds();
        boolean windowElapsed = stage.sequential()
                || (s.publishedAt() != null && s.windowEndsAt() != null && now >= s.windowEndsAt());
        List<Change> expired = expired(activity, stage, s, window, windowElapsed, now);
        if (!expired.isEmpty()) {
            return new Step.Transition(expired);
        }
        State derived = StageRules.derive(s, windowElapsed);
        if (derived == State.ERROR) {
            return new Step.Transition(List.of(Change.stage(activity, stage, State.ERROR),
                    Change.activity(activity, State.ERROR), Change.workflow(State.ERROR)));
        }
        if (derived != s.status()) {
            return new Step.Transition(List.of(Change.stage(activity, stage, derived)));
        }
        if (!stage.sequential()) {
            if (s.publishedAt() == null) {
                long endsAt = s.windowEndsAt() != null ? s.windowEndsAt() : now + window * 1000L;
                return new Step.PublishParallel(activity, endsAt);
            }
            return new Step.Idle("parallel stage " + activity + " waits for its plugins or its window");
        }
        for (StageStatus.Entry e : s.plugins()) {
            PluginStatus p = e.status();
            boolean dispatchedNotStarted = p.state() == State.NOT_STARTED && p.dispatchedAt() != null;
            if (p.state() == State.IN_PROGRESS || p.state() == State.MANDATORY_COMPLETED || dispatchedNotStarted) {
                return new Step.Idle(stage.wireName() + " stage of " + activity + " waits for " + e.name());
            }
        }
        for (StageStatus.Entry e : s.plugins()) {
            if (e.status().state() == State.NOT_STARTED) {
                return new Step.Dispatch(activity, stage, e.name(), window);
            }
        }
        return new Step.Idle("nothing left to dispatch in " + activity + " " + stage.wireName());
    }

    /**
     * Plugins whose time ran out: listed parallel plugins that never started within the registration
     * window, and a dispatched sequential plugin that did not start within the window after dispatch.
     * They become {@code Error}, so a silent plugin can never hang a run.
     */
    private static List<Change> expired(String activity, Stage stage, StageStatus s, int window,
                                        boolean windowElapsed, long now) {
        List<Change> out = new ArrayList<>();
        for (StageStatus.Entry e : s.plugins()) {
            PluginStatus p = e.status();
            if (p.state() != State.NOT_STARTED) {
                continue;
            }
            if (!stage.sequential() && windowElapsed) {
                out.add(Change.plugin(activity, stage, e.mandatory(), e.name(), State.ERROR,
                        "did not start within the " + window + " s registration window"));
            } else if (stage.sequential() && p.dispatchedAt() != null && now >= p.dispatchedAt() + window * 1000L) {
                out.add(Change.plugin(activity, stage, e.mandatory(), e.name(), State.ERROR,
                        "did not start within " + window + " s of dispatch"));
            }
        }
        return out;
    }
}
