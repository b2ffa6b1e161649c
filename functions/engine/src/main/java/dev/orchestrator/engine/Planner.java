package dev.orchestrator.engine;

import dev.orchestrator.core.ActivityStatus;
import dev.orchestrator.core.Names;
import dev.orchestrator.core.PluginRegistration;
import dev.orchestrator.core.PluginStatus;
import dev.orchestrator.core.Stage;
import dev.orchestrator.core.StageRules;
import dev.orchestrator.core.StageStatus;
import dev.orchestrator.core.State;
import dev.orchestrator.core.WorkflowRun;
import dev.orchestrator.request.ChildRequest;
import dev.orchestrator.request.InvalidStartException;
import dev.orchestrator.request.StartRequest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * Decides the next step of a run from its status item alone (and the clock). Pure: no I/O, so every
 * rule is unit-tested. Activities form a DAG ({@code dependsOn}; a plain list chains each to the one
 * before): an activity starts when everything it depends on ended {@code Complete} or
 * {@code Optional Task Error}; when a dependency failed it becomes {@code Do Not Run}; the run ends when
 * every activity ended. Within an activity: pre, then parallel, then post.
 */
public final class Planner {

    /** Stack-wide defaults; a run's own values win. {@code limits} checks child workflow requests like starts. */
    public record Defaults(int registerWindowSeconds, int pluginTimeoutSeconds, int startTimeoutSeconds,
                           StartRequest.Limits limits) {
        public Defaults(int registerWindowSeconds, int pluginTimeoutSeconds, int startTimeoutSeconds) {
            this(registerWindowSeconds, pluginTimeoutSeconds, startTimeoutSeconds, StartRequest.Limits.any());
        }
    }

    private final Defaults defaults;

    /**
     * A parallel stage's window is judged closed this long after {@code windowEndsAt}: a join the table received
     * inside the window reaches the engine through the stream up to a batching window (1 s) later, and the
     * stream's clock has whole seconds. Without it such a join could find its stage already ended.
     */
    public static final long JOIN_GRACE_MS = 2_000;

    /** What the engine does with a plugin item it has not listed (a join, or a late or stray claim). */
    public sealed interface Admission {
        /** Record it as a joiner: it counts in the stage. */
        record Join() implements Admission {
        }

        /** Close it ({@code Do Not Run}) with the reason: it does not count, and its later writes land nowhere. */
        record Refuse(String reason) implements Admission {
        }
    }

    /**
     * Judges a plugin that claimed without being listed, by the time the table received the write (the stream
     * record's clock, which no plugin can skew, in whole seconds: {@code receivedAtMs} is rounded down). It joins
     * a parallel stage that is open and whose window had not ended when the write arrived; anything else is refused.
     */
    public static Admission admit(String activity, Stage stage, StageStatus s, long receivedAtMs) {
        if (stage.sequential()) {
            return new Admission.Refuse("not listed in the " + stage.wireName() + " stage of " + activity
                    + " (sequential stages run the plugins they list, one at a time)");
        }
        if (s == null || s.status() == State.NOT_STARTED) {
            return new Admission.Refuse("the parallel stage of " + activity + " has not started");
        }
        if (!(s.status() == State.IN_PROGRESS || s.status() == State.MANDATORY_COMPLETED)) {
            return new Admission.Refuse("the parallel stage of " + activity + " had ended (" + s.status().wire() + ")");
        }
        if (s.windowSeconds() != null && s.windowSeconds() == 0) {
            return new Admission.Refuse("not expected in the parallel stage of " + activity + " (registration window 0 s: only"
                    + " registered plugins its message reaches take part; raise pluginRegisterTimeout for others)");
        }
        if (s.windowEndsAt() != null && receivedAtMs > s.windowEndsAt()) {
            return new Admission.Refuse("joined after the registration window: the table received the claim at "
                    + java.time.Instant.ofEpochMilli(receivedAtMs) + ", the window ended at " + java.time.Instant.ofEpochMilli(s.windowEndsAt()));
        }
        return new Admission.Join();
    }

    public Planner(Defaults defaults) {
        this.defaults = defaults;
    }

    public Planner(int defaultWindowSeconds) {
        this(new Defaults(defaultWindowSeconds, 900, 300));
    }

    public Defaults defaults() {
        return defaults;
    }

    public Step plan(WorkflowRun run, long now) {
        Optional<Step> orphan = childToCancel(run);
        if (orphan.isPresent()) {
            return orphan.get();
        }
        if (run.status().isTerminal()) {
            return run.notifiedAt() == null ? new Step.Notify(run.status()) : new Step.Idle("run ended");
        }
        if (run.cancelReason() != null) {
            return new Step.Transition(cancel(run));
        }
        if (run.status() == State.NOT_STARTED) {
            return new Step.Transition(List.of(Change.workflow(State.IN_PROGRESS)));
        }
        String waiting = null;
        for (String name : run.activityOrder()) {
            ActivityStatus a = run.activity(name);
            if (a.status() == State.NOT_STARTED) {
                Optional<String> blocked = blockedBy(run, name);
                if (blocked.isPresent()) {
                    return new Step.Transition(List.of(Change.activity(name, State.DO_NOT_RUN,
                            "not run: " + blocked.get())));
                }
                if (ready(run, name)) {
                    return new Step.Transition(List.of(Change.activity(name, State.IN_PROGRESS)));
                }
                continue;
            }
            if (a.status().isPending()) {
                Step step = planActivity(run, name, a, now);
                if (!(step instanceof Step.Idle idle)) {
                    return step;
                }
                waiting = waiting == null ? idle.reason() : waiting;
            }
        }
        if (run.activities().values().stream().allMatch(a -> a.status().isTerminal())) {
            return new Step.Transition(List.of(ending(run)));
        }
        return new Step.Idle(waiting == null ? "waiting" : waiting);
    }

    /**
     * A running child workflow whose parent entry no longer waits for it: the parent is cancelled or ended,
     * or the entry's activity or stage ended (e.g. a mandatory failure closed the stage). Asked before the
     * cancel's own transitions, so the child is stopped while its entry still says which run it is.
     */
    static Optional<Step> childToCancel(WorkflowRun run) {
        boolean runGone = run.cancelReason() != null || run.status().isTerminal();
        for (String name : run.activityOrder()) {
            ActivityStatus a = run.activity(name);
            for (Stage stage : Stage.values()) {
                StageStatus s = a.stage(stage);
                boolean gone = runGone || a.status().isTerminal() || s.status().isTerminal();
                if (!gone) {
                    continue;
                }
                for (StageStatus.Entry e : s.plugins()) {
                    PluginStatus p = e.status();
                    if (p.awaitingChild() && p.child().started() && p.child().cancelledAt() == null) {
                        String reason = run.cancelReason() != null
                                ? "parent " + run.uid() + " / " + run.workflow() + " cancelled: " + run.cancelReason()
                                : "parent " + run.uid() + " / " + run.workflow() + " no longer waits for it ("
                                + name + " " + stage.wireName() + " ended " + (s.status().isTerminal() ? s.status() : a.status().isTerminal() ? a.status() : run.status()).wire() + ")";
                        return Optional.of(new Step.CancelChild(name, stage, e.mandatory(), e.name(), p.child().uid(),
                                p.child().workflow(), reason));
                    }
                }
            }
        }
        return Optional.empty();
    }

    /** Where a finished child's outputs go on its parent plugin's execution item. */
    public enum OutputPlace { NONE, INLINE, BUCKET }

    /** What a child's end writes into its parent plugin's entry: state, message, and where the child's outputs go. */
    public record ChildEnd(State state, String message, OutputPlace output, long outputBytes) {
    }

    /**
     * The parent entry's end for its child's outcome. A child that ended {@code Complete} (or
     * {@code Optional Task Error}) completes the entry, and its outputs document ({@link ChildOutputs}) becomes the
     * entry's output like a plugin's own: inline up to {@code inlineMaxBytes}, else in the payload bucket. A failed
     * child fails the entry with its cause and leaves no output. Outputs that cannot be passed on (over
     * {@code maxBytes}, or a referenced object gone: {@code outputProblem}) fail the entry, naming why: the parent
     * must not go on believing it has them.
     */
    static ChildEnd childEnd(String childUid, String childWorkflow, State outcome, String cause, long outputBytes,
                             String outputProblem, int inlineMaxBytes, long maxBytes) {
        String text = "child run " + childUid + " / " + childWorkflow + " ended " + outcome.wire() + (cause != null ? ": " + cause : "");
        if (!(outcome == State.COMPLETE || outcome == State.OPTIONAL_TASK_ERROR)) {
            return new ChildEnd(State.ERROR, Names.cut(text, 500), OutputPlace.NONE, 0);
        }
        if (outputProblem != null) {
            return new ChildEnd(State.ERROR, Names.cut(text + ", but its outputs cannot be read: " + outputProblem, 500),
                    OutputPlace.NONE, 0);
        }
        if (outputBytes > maxBytes) {
            return new ChildEnd(State.ERROR, Names.cut(text + ", but its outputs are " + outputBytes
                    + " bytes of JSON, over the hard limit of " + maxBytes + " for a plugin's output", 500), OutputPlace.NONE, outputBytes);
        }
        return new ChildEnd(State.COMPLETE, Names.cut(text, 500),
                outputBytes <= inlineMaxBytes ? OutputPlace.INLINE : OutputPlace.BUCKET, outputBytes);
    }

    /** Why an activity can no longer run: a dependency failed or was itself not run. */
    static Optional<String> blockedBy(WorkflowRun run, String activity) {
        for (String d : run.dependenciesOf(activity)) {
            State s = run.activity(d).status();
            if (s == State.ERROR || s == State.DO_NOT_RUN) {
                return Optional.of("depends on " + d + ", which ended " + s.wire());
            }
        }
        return Optional.empty();
    }

    static boolean ready(WorkflowRun run, String activity) {
        return run.dependenciesOf(activity).stream().map(d -> run.activity(d).status())
                .allMatch(s -> s == State.COMPLETE || s == State.OPTIONAL_TASK_ERROR);
    }

    /** Every activity ended: Error if any failed or was not run, else Complete / Optional Task Error. */
    private static Change ending(WorkflowRun run) {
        for (String name : run.activityOrder()) {
            ActivityStatus a = run.activity(name);
            if (a.status() == State.ERROR) {
                return Change.workflow(State.ERROR, "activity " + name + " failed"
                        + (a.message() != null ? ": " + a.message() : ""));
            }
        }
        if (run.activities().values().stream().anyMatch(a -> a.status() == State.DO_NOT_RUN)) {
            return Change.workflow(State.ERROR, "activities were not run");
        }
        return Change.workflow(StageRules.doneState(run.activities().values().stream().map(ActivityStatus::status).toList()));
    }

    /** Cancellation: everything not yet ended becomes Do Not Run; the run ends Error with the reason. */
    static List<Change> cancel(WorkflowRun run) {
        String why = "cancelled: " + run.cancelReason();
        List<Change> out = new ArrayList<>();
        for (String name : run.activityOrder()) {
            ActivityStatus a = run.activity(name);
            if (!a.status().isPending()) {
                continue;
            }
            for (Stage stage : Stage.values()) {
                StageStatus s = a.stage(stage);
                for (StageStatus.Entry e : s.plugins()) {
                    if (e.status().state().isPending()) {
                        out.add(Change.plugin(name, stage, e.mandatory(), e.name(), State.DO_NOT_RUN, why));
                    }
                }
                if (s.status().isPending() && s.status() != State.NOT_STARTED) {
                    out.add(Change.stage(name, stage, State.DO_NOT_RUN));
                }
            }
            out.add(Change.activity(name, State.DO_NOT_RUN, why));
        }
        out.add(Change.workflow(State.ERROR, why));
        return out;
    }

    private Step planActivity(WorkflowRun run, String name, ActivityStatus a, long now) {
        for (Stage stage : Stage.values()) {
            StageStatus s = a.stage(stage);
            if (s.status().isDoneOk()) {
                continue;
            }
            if (s.status() == State.ERROR) {
                // Entries still open are closed with the stage, so a late write of theirs lands nowhere (their
                // items know nothing of the stage; the engine marks them).
                List<Change> out = new ArrayList<>();
                String why = "not finished: the " + stage.wireName() + " stage of " + name + " ended Error";
                for (StageStatus.Entry e : s.plugins()) {
                    if (e.status().state().isPending()) {
                        out.add(Change.plugin(name, stage, e.mandatory(), e.name(), State.DO_NOT_RUN, why));
                    }
                }
                out.add(Change.activity(name, State.ERROR, stageCause(stage, s)));
                return new Step.Transition(out);
            }
            if (s.status() == State.NOT_STARTED) {
                return new Step.EnterStage(name, stage);
            }
            return planStage(run, name, stage, s, now);
        }
        return new Step.Transition(List.of(Change.activity(name, StageRules.doneState(
                Arrays.stream(Stage.values()).map(st -> a.stage(st).status()).toList()))));
    }

    /** Whether SNS delivers the stage message to a registration's subscription, as the engine predicts it. */
    public enum Delivery {
        /** Its filter policy matches the message (or it has none). */
        DELIVERED,
        /** Its filter policy does not match: SNS does not deliver it, so the stage does not wait for it. */
        NOT_DELIVERED,
        /** The registry does not know its policy (a row registered before policies were recorded, or one SNS
         *  accepts and the engine cannot read): the engine expects it, as it cannot rule it out. */
        UNKNOWN
    }

    /**
     * The registrations a stage lists when it starts, i.e. the plugins it expects: all of them for a sequential
     * stage (dispatched in order); for the parallel stage the mandatory ones and every optional one SNS delivers
     * the stage message to (or whose delivery is unknown). An optional registration whose filter policy rejects
     * the message is not listed: it never hears of the stage. An entry the stage already has, or a name the item
     * cannot carry, is not listed again.
     */
    public static List<PluginRegistration> toList(Stage stage, StageStatus current, List<PluginRegistration> registered,
                                                  Function<PluginRegistration, Delivery> delivery) {
        List<PluginRegistration> out = new ArrayList<>();
        for (PluginRegistration r : registered) {
            boolean list = stage.sequential() || r.mandatory() || delivery.apply(r) != Delivery.NOT_DELIVERED;
            boolean known = current.mandatory().containsKey(r.pluginName()) || current.optional().containsKey(r.pluginName());
            if (list && !known && Names.validPluginName(r.pluginName())) {
                out.add(r);
            }
        }
        return out;
    }

    /**
     * The registration window a stage gets when it starts: the run's {@code pluginRegisterTimeout}, else the
     * stack's default ({@code DefaultRegisterTimeout}, 0 s). It only serves subscribers the registry does not
     * know: every registered plugin the stage message reaches is listed and waited for up to its start deadline,
     * so a plugin's own {@code default.pluginRegisterTimeout} no longer lengthens it.
     */
    public int windowSeconds(WorkflowRun run) {
        return run.pluginRegisterTimeout() != null ? run.pluginRegisterTimeout() : defaults.registerWindowSeconds();
    }

    /**
     * A stage that would list nothing has nothing to dispatch or wait for: it ends {@code Complete} in memory and
     * is written with the next step, so a stage without plugins costs no write (and no stream record). That holds
     * for a sequential stage always, and for the parallel stage when its registration window is 0 s: no
     * registered plugin receives its message and no unregistered one may join, so it is not published either.
     * With a window, the parallel stage is entered and published: unregistered subscribers may join it.
     */
    public static Optional<Change> skipEmpty(String activity, Stage stage, StageStatus current,
                                             List<PluginRegistration> listed, int windowSeconds) {
        if (!current.plugins().isEmpty() || !listed.isEmpty() || (!stage.sequential() && windowSeconds > 0)) {
            return Optional.empty();
        }
        return Optional.of(Change.stage(activity, stage, State.COMPLETE));
    }

    /**
     * When a published parallel stage stops admitting joiners: a window of 0 s admits nobody, so it is closed as
     * soon as the stage is published; otherwise {@link #JOIN_GRACE_MS} after its end. Null while unpublished.
     */
    static Long joinsCloseAt(StageStatus s) {
        if (s.publishedAt() == null || s.windowEndsAt() == null) {
            return null;
        }
        return s.windowSeconds() != null && s.windowSeconds() == 0 ? s.windowEndsAt() : s.windowEndsAt() + JOIN_GRACE_MS;
    }

    /** The first failed mandatory plugin of a failed stage, for the activity's and run's message. */
    private static String stageCause(Stage stage, StageStatus s) {
        for (StageStatus.Entry e : s.plugins()) {
            if (e.mandatory() && e.status().state() == State.ERROR) {
                return stage.wireName() + " plugin " + e.name()
                        + (e.status().message() != null ? ": " + e.status().message() : " failed");
            }
        }
        return stage.wireName() + " stage failed";
    }

    int pluginTimeout(WorkflowRun run, PluginStatus p) {
        if (run.pluginTimeout() != null) {
            return run.pluginTimeout();
        }
        return p.timeout() != null && p.timeout() > 0 ? p.timeout() : defaults.pluginTimeoutSeconds();
    }

    int startTimeout(WorkflowRun run) {
        return run.startTimeout() != null ? run.startTimeout() : defaults.startTimeoutSeconds();
    }

    private Step planStage(WorkflowRun run, String activity, Stage stage, StageStatus s, long now) {
        if (stage == Stage.PARALLEL && s.map() != null) {
            return planMap(run, activity, s, now);
        }
        List<Change> expired = expired(run, activity, stage, s, now);
        if (!expired.isEmpty()) {
            return new Step.Transition(expired);
        }
        if (!s.rejected().isEmpty()) {
            return new Step.DropRejected(activity, stage, s.rejected());
        }
        Long closes = joinsCloseAt(s);
        boolean windowElapsed = stage.sequential() || (closes != null && now >= closes);
        State derived = StageRules.derive(s, windowElapsed);
        if (derived != s.status()) {
            return new Step.Transition(List.of(Change.stage(activity, stage, derived)));
        }
        if (!stage.sequential() && s.publishedAt() == null) {
            int window = s.windowSeconds() == null ? defaults.registerWindowSeconds() : s.windowSeconds();
            return new Step.PublishParallel(activity, s.windowEndsAt() != null ? s.windowEndsAt() : now + window * 1000L);
        }
        for (StageStatus.Entry e : s.plugins()) {
            PluginStatus p = e.status();
            if (p.awaitingChild() && !p.child().started()) {
                try {
                    StartRequest request = ChildRequest.build(run, activity, e.name(), p.child().request(), defaults.limits());
                    return new Step.StartChild(activity, stage, e.mandatory(), e.name(), request);
                } catch (InvalidStartException refused) {
                    return new Step.Transition(List.of(Change.plugin(activity, stage, e.mandatory(), e.name(), State.ERROR,
                            dev.orchestrator.core.Names.cut("child workflow refused: " + String.join("; ", refused.problems()), 500))));
                }
            }
        }
        for (StageStatus.Entry e : s.plugins()) {
            PluginStatus p = e.status();
            if (p.awaitingRerun() && now >= p.rerunAt() && (p.rerunPublishedAt() == null || p.rerunPublishedAt() < p.rerunAt())) {
                return new Step.Rerun(activity, stage, e.mandatory(), e.name(), p.rerunAt());
            }
        }
        if (!stage.sequential()) {
            return new Step.Idle("parallel stage of " + activity + " waits for its plugins or its window");
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
                return new Step.Dispatch(activity, stage, e.name());
            }
        }
        return new Step.Idle("nothing left to dispatch in " + activity + " " + stage.wireName());
    }

    /**
     * A map stage ({@link MapPlan}): its listed entries only name the plugins that run once per element; each
     * element's execution is an item of its own, counted into the header as it ends. A map that made no progress
     * for the run's start plus execution timeout ends Error: no silent element can hang the run.
     */
    private Step planMap(WorkflowRun run, String activity, StageStatus s, long now) {
        List<String> plugins = s.plugins().stream().map(StageStatus.Entry::name).toList();
        MapPlan.Next next = MapPlan.next(s.map(), plugins);
        if (next instanceof MapPlan.Resolve) {
            return new Step.ResolveMap(activity);
        }
        if (next instanceof MapPlan.Finish f) {
            return new Step.FinishMap(activity, f.state(), f.message());
        }
        if (next instanceof MapPlan.Release r) {
            return new Step.ReleaseElements(activity, r.from(), r.to());
        }
        Long stalled = MapPlan.stalledAt(s.map(), mapStallMs(run));
        if (stalled != null && now >= stalled) {
            return new Step.ReconcileMap(activity, "map: no element ended for " + mapStallMs(run) / 1000
                    + " s (start timeout + plugin timeout); " + s.map().released() + " of " + s.map().total()
                    + " released, " + MapPlan.minEnded(s.map(), plugins) + " ended");
        }
        return new Step.Idle(((MapPlan.Wait) next).reason());
    }

    /** How long a map may go without an element ending before it is judged stuck. */
    long mapStallMs(WorkflowRun run) {
        return (startTimeout(run) + (long) (run.pluginTimeout() != null ? run.pluginTimeout() : defaults.pluginTimeoutSeconds())) * 1000L;
    }

    /**
     * Plugins whose time ran out, and entries that must be repaired. A plugin that was due to start
     * (listed in a published parallel stage, dispatched, or re-published for a re-run) and has not
     * claimed within the start timeout, or one running without a heartbeat for longer than its
     * execution timeout, becomes Error: no silent or dead plugin can hang a run.
     */
    private List<Change> expired(WorkflowRun run, String activity, Stage stage, StageStatus s, long now) {
        List<Change> out = new ArrayList<>();
        int start = startTimeout(run);
        for (StageStatus.Entry e : s.plugins()) {
            PluginStatus p = e.status();
            if (p.invalid() != null) {
                out.add(Change.plugin(activity, stage, e.mandatory(), e.name(), State.ERROR, p.invalid()));
                continue;
            }
            Optional<Long> due = deadline(run, s, stage, p);
            if (due.isEmpty() || now < due.get()) {
                continue;
            }
            if (p.state() == State.NOT_STARTED && !stage.sequential() && !e.mandatory()) {
                // An optional plugin the stage expected (its filter policy matched) that never claimed is dropped,
                // not failed: the stage's outcome is as if it had not been subscribed.
                out.add(Change.plugin(activity, stage, false, e.name(), State.DO_NOT_RUN,
                        "dropped: did not start within " + start + " s of the stage's start"));
                continue;
            }
            String why;
            if (p.state() == State.NOT_STARTED) {
                why = stage.sequential() ? "did not start within " + start + " s of dispatch"
                        : "did not start within " + start + " s of the stage's start";
            } else if (p.rerunAt() != null) {
                why = "did not start again within " + start + " s of its scheduled re-run";
            } else {
                why = "timed out after " + pluginTimeout(run, p) + " s without a heartbeat";
            }
            out.add(Change.plugin(activity, stage, e.mandatory(), e.name(), State.ERROR, why));
        }
        return out;
    }

    /** When a plugin's time runs out, if it has a deadline now. */
    Optional<Long> deadline(WorkflowRun run, StageStatus s, Stage stage, PluginStatus p) {
        long startMs = startTimeout(run) * 1000L;
        if (p.state() == State.NOT_STARTED) {
            Long since = stage.sequential() ? p.dispatchedAt() : s.publishedAt();
            return since == null ? Optional.empty() : Optional.of(since + startMs);
        }
        if (p.state() != State.IN_PROGRESS && p.state() != State.MANDATORY_COMPLETED) {
            return Optional.empty();
        }
        if (p.awaitingChild()) {
            return Optional.empty(); // the child run has its own deadlines and always ends, reporting here
        }
        if (p.rerunAt() != null) {
            return p.rerunPublishedAt() != null && p.rerunPublishedAt() >= p.rerunAt()
                    ? Optional.of(p.rerunPublishedAt() + startMs) : Optional.empty();
        }
        Long beat = p.lastBeat();
        if (beat == null) {
            beat = p.dispatchedAt() != null ? p.dispatchedAt() : s.publishedAt() != null ? s.publishedAt() : s.startedAt();
        }
        return beat == null ? Optional.empty() : Optional.of(beat + pluginTimeout(run, p) * 1000L);
    }

    /**
     * The next moment the engine must look at this run without news from a plugin: a window end, a
     * start or execution deadline, or a re-run. Empty when nothing is due.
     */
    public Optional<Long> nextWake(WorkflowRun run, long now) {
        if (!run.status().isPending()) {
            return Optional.empty();
        }
        long best = Long.MAX_VALUE;
        for (ActivityStatus a : run.activities().values()) {
            if (a.status() != State.IN_PROGRESS) {
                continue;
            }
            for (Stage stage : Stage.values()) {
                StageStatus s = a.stage(stage);
                if (!s.status().isPending() || s.status() == State.NOT_STARTED) {
                    continue;
                }
                if (stage == Stage.PARALLEL && s.map() != null) {
                    Long stalled = MapPlan.stalledAt(s.map(), mapStallMs(run));
                    if (stalled != null) {
                        best = Math.min(best, Math.max(stalled, now + 1));
                    }
                    continue;
                }
                Long closes = stage.sequential() ? null : joinsCloseAt(s);
                if (closes != null && closes > now) {
                    best = Math.min(best, closes);
                }
                for (StageStatus.Entry e : s.plugins()) {
                    PluginStatus p = e.status();
                    if (p.awaitingRerun() && (p.rerunPublishedAt() == null || p.rerunPublishedAt() < p.rerunAt())) {
                        best = Math.min(best, p.rerunAt());
                    }
                    Optional<Long> d = deadline(run, s, stage, p);
                    if (d.isPresent()) {
                        best = Math.min(best, d.get());
                    }
                }
            }
        }
        return best == Long.MAX_VALUE ? Optional.empty() : Optional.of(best);
    }

    /** A timer to send now, if none is armed for the next wake (or the armed one already fired). */
    public Optional<Long> timerToArm(WorkflowRun run, long now) {
        Optional<Long> next = nextWake(run, now);
        if (next.isEmpty()) {
            return Optional.empty();
        }
        Long armed = run.wakeAt();
        if (armed == null || armed <= now || armed > next.get()) {
            return next;
        }
        return Optional.empty();
    }
}
