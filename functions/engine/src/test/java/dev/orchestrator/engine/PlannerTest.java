package dev.orchestrator.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.orchestrator.core.ActivityStatus;
import dev.orchestrator.core.Json;
import dev.orchestrator.core.PluginStatus;
import dev.orchestrator.core.Stage;
import dev.orchestrator.core.StageStatus;
import dev.orchestrator.core.State;
import dev.orchestrator.core.WorkflowRun;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The planner alone: pure rules, no AWS. Scenarios are driven to quiescence by {@link Sim}. */
class PlannerTest {

    static final long NOW = 1_000_000L;
    final Planner planner = new Planner(new Planner.Defaults(5, 60, 30));

    static WorkflowRun run(List<String> order, Map<String, List<String>> deps) {
        Map<String, ActivityStatus> acts = new LinkedHashMap<>();
        order.forEach(a -> acts.put(a, ActivityStatus.notStarted()));
        return new WorkflowRun("u1", "wf", State.NOT_STARTED, Json.object(), order, acts, null, 1, null, deps,
                null, null, null, null, null, null, null, null, null);
    }

    /**
     * A pure stand-in for the executor and the plugins: each activity's parallel stage has one mandatory
     * plugin "p" that completes (or fails for the activities in {@code failing}) when dispatched; the
     * journal records which activities were running together.
     */
    final class Sim {
        WorkflowRun run;
        final List<String> failing;
        final List<List<String>> waves = new ArrayList<>();
        long now = NOW;

        Sim(WorkflowRun run, List<String> failing) {
            this.run = run;
            this.failing = failing;
        }

        WorkflowRun go() {
            for (int i = 0; i < 500; i++) {
                Step s = planner.plan(run, now);
                if (s instanceof Step.Transition t) {
                    run = Changes.apply(run, t.changes());
                } else if (s instanceof Step.EnterStage e) {
                    Map<String, PluginStatus> m = e.stage() == Stage.PARALLEL ? Map.of("p", PluginStatus.notStarted(1)) : Map.of();
                    StageStatus st = new StageStatus(State.IN_PROGRESS, m, Map.of(), 5, null, e.stage() == Stage.PARALLEL ? now : null);
                    run = run.withActivity(e.activity(), run.activity(e.activity()).withStage(e.stage(), st));
                } else if (s instanceof Step.PublishParallel p) {
                    ActivityStatus a = run.activity(p.activity());
                    run = run.withActivity(p.activity(), a.withStage(Stage.PARALLEL, a.async().withPublished(now, now)));
                } else if (s instanceof Step.Notify) {
                    run = new WorkflowRun(run.uid(), run.workflow(), run.status(), run.metadata(), run.activityOrder(),
                            run.activities(), null, run.version(), now, run.dependsOn(), null, null, null, run.message(),
                            null, null, null, null, null);
                } else if (s instanceof Step.Idle) {
                    // Idle: every published plugin of every running activity reports now (one wave at a time).
                    List<String> running = new ArrayList<>();
                    for (String a : run.activityOrder()) {
                        StageStatus st = run.activity(a).async();
                        if (st.publishedAt() != null && st.mandatory().get("p").state() == State.NOT_STARTED) {
                            running.add(a);
                        }
                    }
                    if (running.isEmpty()) {
                        return run;
                    }
                    waves.add(running);
                    for (String a : running) {
                        run = Changes.apply(run, Change.plugin(a, Stage.PARALLEL, true, "p",
                                failing.contains(a) ? State.ERROR : State.COMPLETE, failing.contains(a) ? "boom" : null));
                    }
                    now += 10 + Planner.JOIN_GRACE_MS; // past the window's grace: joins judged, the stage may close
                } else {
                    throw new AssertionError("unexpected step " + s);
                }
            }
            throw new AssertionError("no quiescence");
        }
    }

    @Test
    void aPlainListRunsActivitiesOneAfterAnother() {
        Sim sim = new Sim(run(List.of("A", "B", "C"), null), List.of());
        WorkflowRun end = sim.go();
        assertThat(end.status()).isEqualTo(State.COMPLETE);
        assertThat(sim.waves).containsExactly(List.of("A"), List.of("B"), List.of("C"));
        assertThat(end.notifiedAt()).isNotNull();
    }

    @Test
    void aDiamondRunsTheMiddleTogetherAndTheJoinAfterBoth() {
        Sim sim = new Sim(run(List.of("A", "B", "C", "D"),
                Map.of("A", List.of(), "B", List.of("A"), "C", List.of("A"), "D", List.of("B", "C"))), List.of());
        assertThat(sim.go().status()).isEqualTo(State.COMPLETE);
        assertThat(sim.waves).containsExactly(List.of("A"), List.of("B", "C"), List.of("D"));
    }

    @Test
    void fanOutAndFanIn() {
        Sim out = new Sim(run(List.of("R", "X", "Y", "Z"),
                Map.of("R", List.of(), "X", List.of("R"), "Y", List.of("R"), "Z", List.of("R"))), List.of());
        out.go();
        assertThat(out.waves).containsExactly(List.of("R"), List.of("X", "Y", "Z"));
        Sim in = new Sim(run(List.of("X", "Y", "Z", "J"),
                Map.of("X", List.of(), "Y", List.of(), "Z", List.of(), "J", List.of("X", "Y", "Z"))), List.of());
        in.go();
        assertThat(in.waves).containsExactly(List.of("X", "Y", "Z"), List.of("J"));
    }

    @Test
    void aFailureInOneBranchStopsWhatDependsOnItWhileTheOtherBranchCompletes() {
        Sim sim = new Sim(run(List.of("A", "B", "C", "D"),
                Map.of("A", List.of(), "B", List.of("A"), "C", List.of("A"), "D", List.of("B", "C"))), List.of("B"));
        WorkflowRun end = sim.go();
        assertThat(sim.waves).containsExactly(List.of("A"), List.of("B", "C"));
        assertThat(end.activity("B").status()).isEqualTo(State.ERROR);
        assertThat(end.activity("C").status()).isEqualTo(State.COMPLETE);
        assertThat(end.activity("D").status()).isEqualTo(State.DO_NOT_RUN);
        assertThat(end.activity("D").message()).isEqualTo("not run: depends on B, which ended Error");
        assertThat(end.status()).isEqualTo(State.ERROR);
        assertThat(end.message()).startsWith("activity B failed: parallel plugin p: boom");
    }

    @Test
    void independentBranchesKeepGoingAfterAFailureElsewhere() {
        // A -> B, X -> Y: B fails; Y (independent) still runs after X.
        Sim sim = new Sim(run(List.of("A", "B", "X", "Y"),
                Map.of("A", List.of(), "B", List.of("A"), "X", List.of(), "Y", List.of("X"))), List.of("A"));
        WorkflowRun end = sim.go();
        assertThat(end.activity("B").status()).isEqualTo(State.DO_NOT_RUN);
        assertThat(end.activity("Y").status()).isEqualTo(State.COMPLETE);
        assertThat(end.status()).isEqualTo(State.ERROR);
    }

    /** Every DAG over 3 activities (each may depend on any earlier one): 8 graphs x 4 failure choices. */
    @Test
    void everySmallGraphEndsWithTheRightStatesAndOnlyReadyActivitiesRun() {
        List<String> names = List.of("A", "B", "C");
        int graphs = 0;
        for (int mask = 0; mask < 8; mask++) {
            Map<String, List<String>> deps = new LinkedHashMap<>();
            deps.put("A", List.of());
            deps.put("B", (mask & 1) != 0 ? List.of("A") : List.of());
            List<String> c = new ArrayList<>();
            if ((mask & 2) != 0) {
                c.add("A");
            }
            if ((mask & 4) != 0) {
                c.add("B");
            }
            deps.put("C", c);
            for (String fail : List.of("", "A", "B", "C")) {
                Sim sim = new Sim(run(names, deps), fail.isEmpty() ? List.of() : List.of(fail));
                WorkflowRun end = sim.go();
                graphs++;
                for (String a : names) {
                    boolean blocked = reaches(deps, a, fail) && !a.equals(fail);
                    State expected = a.equals(fail) ? State.ERROR : blocked ? State.DO_NOT_RUN : State.COMPLETE;
                    assertThat(end.activity(a).status()).as("mask %d fail %s activity %s", mask, fail, a).isEqualTo(expected);
                }
                assertThat(end.status()).isEqualTo(fail.isEmpty() ? State.COMPLETE : State.ERROR);
                // No activity ran before everything it depends on.
                for (int w = 0; w < sim.waves.size(); w++) {
                    for (String a : sim.waves.get(w)) {
                        for (String d : deps.get(a)) {
                            int dw = indexOfWave(sim.waves, d);
                            assertThat(dw).as("%s ran in wave %d before its dependency %s", a, w, d).isLessThan(w).isGreaterThanOrEqualTo(0);
                        }
                    }
                }
            }
        }
        assertThat(graphs).isEqualTo(32);
    }

    private static int indexOfWave(List<List<String>> waves, String a) {
        for (int i = 0; i < waves.size(); i++) {
            if (waves.get(i).contains(a)) {
                return i;
            }
        }
        return -1;
    }

    /** Does {@code a} depend, directly or not, on {@code failed}. */
    private static boolean reaches(Map<String, List<String>> deps, String a, String failed) {
        if (failed.isEmpty()) {
            return false;
        }
        for (String d : deps.get(a)) {
            if (d.equals(failed) || reaches(deps, d, failed)) {
                return true;
            }
        }
        return false;
    }

    // ------------------------------------------------------------------ deadlines

    static WorkflowRun oneStage(Stage stage, Map<String, PluginStatus> mandatory, Long publishedAt, Long windowEndsAt,
                                Integer pluginTimeout) {
        StageStatus done = StageStatus.notStarted().withStatus(State.COMPLETE);
        StageStatus s = new StageStatus(State.IN_PROGRESS, mandatory, Map.of(), 5, publishedAt, windowEndsAt);
        ActivityStatus a = new ActivityStatus(State.IN_PROGRESS, stage == Stage.PRE ? s : done,
                stage == Stage.PARALLEL ? s : stage == Stage.PRE ? StageStatus.notStarted() : done,
                stage == Stage.POST ? s : StageStatus.notStarted());
        return new WorkflowRun("u1", "wf", State.IN_PROGRESS, Json.object(), List.of("A"), Map.of("A", a), null, 3, null,
                null, pluginTimeout, null, null, null, null, null, null, null, null);
    }

    static PluginStatus running(long startedAt, Long heartbeatAt, Integer timeout) {
        return new PluginStatus(State.IN_PROGRESS, 1, null, null, startedAt, heartbeatAt, 1, timeout, null, null, null, null);
    }

    @Test
    void aClaimedPluginThatStopsBeatingTimesOutAndAHeartbeatPushesTheDeadline() {
        // Plugin timeout 60 s (stack default here); claimed at NOW.
        WorkflowRun r = oneStage(Stage.PARALLEL, Map.of("p", running(NOW, null, null)), NOW, NOW + 5000, null);
        assertThat(planner.plan(r, NOW + 59_999)).isInstanceOf(Step.Idle.class);
        Step late = planner.plan(r, NOW + 60_000);
        assertThat(late).isEqualTo(new Step.Transition(List.of(Change.plugin("A", Stage.PARALLEL, true, "p", State.ERROR,
                "timed out after 60 s without a heartbeat"))));
        WorkflowRun beating = oneStage(Stage.PARALLEL, Map.of("p", running(NOW, NOW + 50_000, null)), NOW, NOW + 5000, null);
        assertThat(planner.plan(beating, NOW + 100_000)).isInstanceOf(Step.Idle.class);
        assertThat(planner.plan(beating, NOW + 110_000)).isInstanceOf(Step.Transition.class);
        assertThat(planner.nextWake(beating, NOW + 100_000)).contains(NOW + 110_000);
    }

    @Test
    void thePluginsOwnTimeoutAppliesUnlessTheRunSetsOne() {
        WorkflowRun own = oneStage(Stage.PRE, Map.of("p", running(NOW, null, 10)), null, null, null);
        assertThat(planner.plan(own, NOW + 10_000)).isInstanceOf(Step.Transition.class);
        WorkflowRun runWins = oneStage(Stage.PRE, Map.of("p", running(NOW, null, 10)), null, null, 120);
        assertThat(planner.plan(runWins, NOW + 60_000)).isInstanceOf(Step.Idle.class);
        assertThat(planner.nextWake(runWins, NOW)).contains(NOW + 120_000);
    }

    @Test
    void aListedMandatoryPluginHasTheStartTimeoutNotTheRegistrationWindow() {
        WorkflowRun r = oneStage(Stage.PARALLEL, Map.of("late", PluginStatus.notStarted(1)), NOW, NOW + 1000, null);
        // Window (1 s) over, start timeout (30 s) not: the stage waits.
        assertThat(planner.plan(r, NOW + 5_000)).isInstanceOf(Step.Idle.class);
        assertThat(planner.plan(r, NOW + 30_000)).isEqualTo(new Step.Transition(List.of(Change.plugin("A", Stage.PARALLEL,
                true, "late", State.ERROR, "did not start within 30 s of the stage's start"))));
    }

    @Test
    void aRerunIsPublishedWhenDueAndFailsIfNobodyClaimsIt() {
        PluginStatus scheduled = new PluginStatus(State.IN_PROGRESS, 1, null, null, NOW, NOW, 1, null, NOW + 2000, null, null, null);
        WorkflowRun r = oneStage(Stage.PARALLEL, Map.of("p", scheduled), NOW, NOW, null);
        assertThat(planner.plan(r, NOW + 1999)).isInstanceOf(Step.Idle.class);
        assertThat(planner.nextWake(r, NOW)).contains(NOW + 2000);
        assertThat(planner.plan(r, NOW + 2000)).isEqualTo(new Step.Rerun("A", Stage.PARALLEL, true, "p", NOW + 2000));
        PluginStatus published = scheduled.withRerunPublishedAt(NOW + 2000);
        WorkflowRun after = oneStage(Stage.PARALLEL, Map.of("p", published), NOW, NOW, null);
        assertThat(planner.plan(after, NOW + 3000)).isInstanceOf(Step.Idle.class);
        assertThat(planner.plan(after, NOW + 32_000)).isInstanceOf(Step.Transition.class);
    }

    @Test
    void theTimerIsArmedOnceForTheNextDeadline() {
        WorkflowRun r = oneStage(Stage.PARALLEL, Map.of("p", running(NOW, null, null)), NOW, NOW + 5000, null);
        // the window closes at NOW + 5000; joins that arrived by then reach the engine within the grace
        long closes = NOW + 5000 + Planner.JOIN_GRACE_MS;
        assertThat(planner.timerToArm(r, NOW)).contains(closes);
        WorkflowRun armed = withWake(r, closes);
        assertThat(planner.timerToArm(armed, NOW + 1)).isEmpty();
        // The armed timer fired: arm the next deadline (the plugin's timeout).
        assertThat(planner.timerToArm(armed, closes + 1)).contains(NOW + 60_000);
    }

    static WorkflowRun withWake(WorkflowRun r, long wakeAt) {
        return new WorkflowRun(r.uid(), r.workflow(), r.status(), r.metadata(), r.activityOrder(), r.activities(), null,
                r.version(), null, r.dependsOn(), r.pluginTimeout(), null, null, null, null, wakeAt, null, null, null);
    }

    @Test
    void cancelMarksUnfinishedWorkDoNotRunAndEndsTheRunError() {
        WorkflowRun r = oneStage(Stage.PARALLEL, Map.of("p", running(NOW, null, null), "q",
                new PluginStatus(State.COMPLETE, 2, null, null)), NOW, NOW + 5000, null);
        WorkflowRun cancelling = new WorkflowRun(r.uid(), r.workflow(), r.status(), r.metadata(), r.activityOrder(),
                r.activities(), null, r.version(), null, null, null, null, null, null, "operator said so", null, null, null, null);
        Step s = planner.plan(cancelling, NOW);
        WorkflowRun end = Changes.apply(cancelling, ((Step.Transition) s).changes());
        assertThat(end.status()).isEqualTo(State.ERROR);
        assertThat(end.message()).isEqualTo("cancelled: operator said so");
        assertThat(end.activity("A").async().mandatory().get("p").state()).isEqualTo(State.DO_NOT_RUN);
        assertThat(end.activity("A").async().mandatory().get("q").state()).isEqualTo(State.COMPLETE);
        assertThat(end.activity("A").status()).isEqualTo(State.DO_NOT_RUN);
        assertThat(planner.plan(end, NOW)).isEqualTo(new Step.Notify(State.ERROR));
    }

    @Test
    void anUnknownStateWrittenByAPluginBecomesThatPluginsError() {
        PluginStatus bad = new PluginStatus(State.ERROR, 1, null, null, NOW, NOW, 1, null, null, null, null,
                "plugin wrote an unknown state 'Done'; expected Not Started, In Progress, Complete, Error, ...");
        WorkflowRun r = oneStage(Stage.PARALLEL, Map.of("p", bad), NOW, NOW, null);
        assertThat(planner.plan(r, NOW)).isEqualTo(new Step.Transition(List.of(Change.plugin("A", Stage.PARALLEL, true, "p",
                State.ERROR, bad.invalid()))));
    }

    @Test
    void sequentialStagesDispatchInOrderOneAtATime() {
        WorkflowRun r = oneStage(Stage.PRE, Map.of("second", PluginStatus.notStarted(2), "first", PluginStatus.notStarted(1)),
                null, null, null);
        assertThat(planner.plan(r, NOW)).isEqualTo(new Step.Dispatch("A", Stage.PRE, "first"));
        WorkflowRun dispatched = oneStage(Stage.PRE, Map.of("second", PluginStatus.notStarted(2),
                "first", PluginStatus.notStarted(1).withDispatchedAt(NOW)), null, null, null);
        assertThat(planner.plan(dispatched, NOW + 1)).isInstanceOf(Step.Idle.class);
        assertThat(planner.plan(dispatched, NOW + 30_000)).isInstanceOf(Step.Transition.class);
        assertThat(Optional.ofNullable(planner.nextWake(dispatched, NOW).orElse(null))).contains(NOW + 30_000);
    }

    // ------------------------------------------------------------------ child workflows

    static PluginStatus waitingForChild(String request, Long childStartedAt, Long cancelledAt) {
        return new PluginStatus(State.IN_PROGRESS, 1, null, null, NOW, NOW, 1, null, null, null, null, null,
                new PluginStatus.Child(request, childStartedAt == null ? null : "u1/A/p",
                        childStartedAt == null ? null : "child-wf", childStartedAt, cancelledAt));
    }

    @Test
    void aRequestedChildIsStartedWithTheParentsMetadataAndAKeyFromTheEntry() {
        WorkflowRun r = oneStage(Stage.PARALLEL, Map.of("p", waitingForChild("{\"workflow\":\"child-wf\",\"activities\":[\"X\",\"Y\"]}",
                null, null)), NOW, NOW + 5000, null);
        Step s = planner.plan(r, NOW);
        assertThat(s).isInstanceOf(Step.StartChild.class);
        Step.StartChild c = (Step.StartChild) s;
        assertThat(List.of(c.activity(), c.stage(), c.mandatory(), c.plugin())).containsExactly("A", Stage.PARALLEL, true, "p");
        assertThat(c.request().uid()).isEqualTo("u1/A/p");
        assertThat(c.request().workflow()).isEqualTo("child-wf");
        assertThat(c.request().activities()).containsExactly("X", "Y");
        assertThat(c.request().metadata()).isEqualTo(r.metadata());
    }

    @Test
    void aChildTakesTheParentsFilterAttributesUnlessItNamesItsOwn() {
        WorkflowRun r = oneStage(Stage.PRE, Map.of("p", waitingForChild("{\"workflow\":\"c\",\"activities\":[\"X\"]}", null, null)),
                null, null, null);
        WorkflowRun withKeys = new WorkflowRun(r.uid(), r.workflow(), r.status(), (com.fasterxml.jackson.databind.node.ObjectNode) Json.parse("{\"tier\":\"gold\"}"),
                r.activityOrder(), r.activities(), null, r.version(), null, null, null, null, List.of("tier"), null, null, null, null, null, null);
        Step.StartChild inherited = (Step.StartChild) planner.plan(withKeys, NOW);
        assertThat(inherited.request().filterAttributes()).containsExactly("tier");
        assertThat(inherited.request().metadata().path("tier").asText()).isEqualTo("gold");
        WorkflowRun own = withKeys.withActivity("A", withKeys.activity("A").withStage(Stage.PRE, withKeys.activity("A").pre()
                .withPlugins(Map.of("p", waitingForChild("{\"workflow\":\"c\",\"activities\":[\"X\"],\"filterAttributes\":[\"region\"],"
                        + "\"metadata\":{\"region\":\"eu\"}}", null, null)), Map.of())));
        Step.StartChild chosen = (Step.StartChild) planner.plan(own, NOW);
        assertThat(chosen.request().filterAttributes()).containsExactly("region");
        assertThat(chosen.request().metadata().has("tier")).as("its own metadata replaces the parent's").isFalse();
    }

    @Test
    void aChildRequestThatIsNotValidFailsThePluginNamingWhy() {
        Planner strict = new Planner(new Planner.Defaults(5, 60, 30,
                new dev.orchestrator.request.StartRequest.Limits(java.util.Set.of("A", "X"), List.of())));
        Map<String, String> cases = new LinkedHashMap<>();
        cases.put("not json", "child.request is not JSON");
        cases.put("[1]", "child.request must be a JSON object with workflow and activities");
        cases.put("{\"workflow\":\"c\",\"activities\":[\"Nope\"]}", "activities[0] 'Nope' is not deployed in this stack");
        cases.put("{\"workflow\":\"c\"}", "activities is required");
        cases.put("{\"workflow\":\"wf\",\"activities\":[\"X\"]}", "workflow 'wf' cannot start itself as a child");
        cases.put("{\"workflow\":\"c\",\"activities\":[\"X\"],\"uid\":\"mine\"}", "child.request has an unknown field 'uid'");
        cases.put("{\"workflow\":\"c\",\"activities\":[\"X\"],\"pluginTimeout\":0}", "pluginTimeout must be a whole number of seconds");
        cases.forEach((request, why) -> {
            WorkflowRun r = oneStage(Stage.PRE, Map.of("p", waitingForChild(request, null, null)), null, null, null);
            Step s = strict.plan(r, NOW);
            assertThat(s).as(request).isInstanceOf(Step.Transition.class);
            Change c = ((Step.Transition) s).changes().get(0);
            assertThat(c.state()).isEqualTo(State.ERROR);
            assertThat(c.message()).as(request).startsWith("child workflow refused: ").contains(why);
        });
    }

    @Test
    void aPluginWaitingForAStartedChildHasNoDeadlineOfItsOwn() {
        WorkflowRun r = oneStage(Stage.PARALLEL, Map.of("p", waitingForChild("{}", NOW, null)), NOW, NOW, null);
        assertThat(planner.plan(r, NOW + 86_400_000L)).isInstanceOf(Step.Idle.class);
        // once the window's grace has passed (joins judged), nothing is due: the child's end decides
        assertThat(planner.nextWake(r, NOW + Planner.JOIN_GRACE_MS)).isEmpty();
    }

    @Test
    void cancellingTheParentFirstCancelsItsRunningChildThenEndsTheRun() {
        WorkflowRun r = oneStage(Stage.PARALLEL, Map.of("p", waitingForChild("{}", NOW, null)), NOW, NOW, null);
        WorkflowRun cancelling = new WorkflowRun(r.uid(), r.workflow(), r.status(), r.metadata(), r.activityOrder(),
                r.activities(), null, r.version(), null, null, null, null, null, null, "customer left", null, null, null, null);
        assertThat(planner.plan(cancelling, NOW)).isEqualTo(new Step.CancelChild("A", Stage.PARALLEL, true, "p", "u1/A/p",
                "child-wf", "parent u1 / wf cancelled: customer left"));
        WorkflowRun asked = oneStage(Stage.PARALLEL, Map.of("p", waitingForChild("{}", NOW, NOW + 1)), NOW, NOW, null);
        WorkflowRun askedCancelling = new WorkflowRun(asked.uid(), asked.workflow(), asked.status(), asked.metadata(),
                asked.activityOrder(), asked.activities(), null, 3, null, null, null, null, null, null, "customer left",
                null, null, null, null);
        Step end = planner.plan(askedCancelling, NOW);
        assertThat(end).isInstanceOf(Step.Transition.class);
        assertThat(Changes.apply(askedCancelling, ((Step.Transition) end).changes()).status()).isEqualTo(State.ERROR);
    }

    @Test
    void aChildWhoseStageEndedWithoutItIsCancelled() {
        WorkflowRun r = oneStage(Stage.PARALLEL, Map.of("p", waitingForChild("{}", NOW, null)), NOW, NOW, null);
        ActivityStatus a = r.activity("A");
        WorkflowRun stageFailed = r.withActivity("A", a.withStage(Stage.PARALLEL, a.async().withStatus(State.ERROR)));
        Step s = planner.plan(stageFailed, NOW);
        assertThat(s).isInstanceOf(Step.CancelChild.class);
        assertThat(((Step.CancelChild) s).reason()).isEqualTo("parent u1 / wf no longer waits for it (A parallel ended Error)");
    }

    static dev.orchestrator.core.PluginRegistration reg(Stage stage, String name, boolean mandatory, int order) {
        return new dev.orchestrator.core.PluginRegistration("A", stage, "arn:" + name, "fn-" + name, name, mandatory, order,
                false, true, null, null, null);
    }

    static final java.util.function.Function<dev.orchestrator.core.PluginRegistration, Planner.Delivery> NOBODY_DELIVERED =
            r -> Planner.Delivery.NOT_DELIVERED;

    @Test
    void aStageListsEveryPluginWhenSequentialAndTheMandatoryAndDeliveredOnesWhenParallel() {
        var registered = List.of(reg(Stage.PRE, "m", true, 1), reg(Stage.PRE, "o", false, 2), reg(Stage.PRE, "bad|name", true, 3));
        assertThat(Planner.toList(Stage.PRE, StageStatus.notStarted(), registered, NOBODY_DELIVERED))
                .as("a sequential stage dispatches every registration, whatever its policy")
                .extracting(dev.orchestrator.core.PluginRegistration::pluginName).containsExactly("m", "o");
        assertThat(Planner.toList(Stage.PARALLEL, StageStatus.notStarted(), registered, NOBODY_DELIVERED))
                .as("a mandatory plugin is listed even when its policy rejects the message: it fails at its start deadline")
                .extracting(dev.orchestrator.core.PluginRegistration::pluginName).containsExactly("m");
        StageStatus knowsM = new StageStatus(State.NOT_STARTED, Map.of("m", PluginStatus.notStarted(1)), Map.of(), null, null, null);
        assertThat(Planner.toList(Stage.POST, knowsM, registered, NOBODY_DELIVERED))
                .extracting(dev.orchestrator.core.PluginRegistration::pluginName).containsExactly("o");
    }

    @Test
    void theParallelStageExpectsEveryOptionalPluginItsMessageReachesOrMightReach() {
        var registered = List.of(reg(Stage.PARALLEL, "m", true, 1), reg(Stage.PARALLEL, "gets-it", false, 2),
                reg(Stage.PARALLEL, "filtered-out", false, 3), reg(Stage.PARALLEL, "policy-unknown", false, 4));
        Map<String, Planner.Delivery> delivery = Map.of("m", Planner.Delivery.NOT_DELIVERED, "gets-it", Planner.Delivery.DELIVERED,
                "filtered-out", Planner.Delivery.NOT_DELIVERED, "policy-unknown", Planner.Delivery.UNKNOWN);
        assertThat(Planner.toList(Stage.PARALLEL, StageStatus.notStarted(), registered, r -> delivery.get(r.pluginName())))
                .extracting(dev.orchestrator.core.PluginRegistration::pluginName)
                .containsExactly("m", "gets-it", "policy-unknown");
    }

    @Test
    void theWindowIsTheRunsElseTheStacks() {
        Planner zero = new Planner(new Planner.Defaults(0, 60, 30));
        WorkflowRun r = run(List.of("A"), null);
        assertThat(zero.windowSeconds(r)).isZero();
        assertThat(planner.windowSeconds(r)).isEqualTo(5);
        WorkflowRun withWindow = new WorkflowRun("u1", "wf", State.NOT_STARTED, Json.object(), List.of("A"), r.activities(), 7, 1,
                null, null, null, null, null, null, null, null, null, null, null);
        assertThat(zero.windowSeconds(withWindow)).as("the run's pluginRegisterTimeout").isEqualTo(7);
    }

    @Test
    void aStageThatExpectsNobodyEndsInMemoryWhenNoUnregisteredPluginMayJoin() {
        assertThat(Planner.skipEmpty("A", Stage.PRE, StageStatus.notStarted(), List.of(), 5))
                .contains(Change.stage("A", Stage.PRE, State.COMPLETE));
        var registered = List.of(reg(Stage.POST, "bad name", true, 1));
        assertThat(Planner.skipEmpty("A", Stage.POST, StageStatus.notStarted(),
                Planner.toList(Stage.POST, StageStatus.notStarted(), registered, NOBODY_DELIVERED), 5))
                .as("a registration the item cannot carry is not run").contains(Change.stage("A", Stage.POST, State.COMPLETE));
        assertThat(Planner.skipEmpty("A", Stage.PRE, StageStatus.notStarted(), List.of(reg(Stage.PRE, "o", false, 1)), 0))
                .as("an optional pre plugin is dispatched like any other").isEmpty();
        assertThat(Planner.skipEmpty("A", Stage.PARALLEL, StageStatus.notStarted(), List.of(), 0))
                .as("no window, nobody expected: no wait, no publish, no write of its own")
                .contains(Change.stage("A", Stage.PARALLEL, State.COMPLETE));
        var filteredOut = List.of(reg(Stage.PARALLEL, "o", false, 1));
        assertThat(Planner.skipEmpty("A", Stage.PARALLEL, StageStatus.notStarted(),
                Planner.toList(Stage.PARALLEL, StageStatus.notStarted(), filteredOut, NOBODY_DELIVERED), 0))
                .as("an optional plugin the message does not reach is not waited for")
                .contains(Change.stage("A", Stage.PARALLEL, State.COMPLETE));
        assertThat(Planner.skipEmpty("A", Stage.PARALLEL, StageStatus.notStarted(), List.of(), 3))
                .as("with a window, unregistered plugins may still claim the parallel stage").isEmpty();
        assertThat(Planner.skipEmpty("A", Stage.PARALLEL, StageStatus.notStarted(), filteredOut, 0))
                .as("an expected optional plugin is waited for").isEmpty();
        StageStatus hasEntry = new StageStatus(State.NOT_STARTED, Map.of("m", PluginStatus.notStarted(1)), Map.of(), null, null, null);
        assertThat(Planner.skipEmpty("A", Stage.POST, hasEntry, List.of(), 0)).as("an entry already there is run").isEmpty();
        assertThat(Planner.skipEmpty("A", Stage.PARALLEL, hasEntry, List.of(), 0)).as("an entry already there is run").isEmpty();
    }

    /** A published parallel stage with a window of {@code window} s, its optional entries as given. */
    static WorkflowRun parallel(int window, Map<String, PluginStatus> mandatory, Map<String, PluginStatus> optional, long publishedAt) {
        StageStatus done = StageStatus.notStarted().withStatus(State.COMPLETE);
        StageStatus s = new StageStatus(State.IN_PROGRESS, mandatory, optional, window, publishedAt, publishedAt + window * 1000L);
        s = s.withStatus(dev.orchestrator.core.StageRules.derive(s, false)); // as the engine last wrote it
        ActivityStatus a = new ActivityStatus(State.IN_PROGRESS, done, s, StageStatus.notStarted());
        return new WorkflowRun("u1", "wf", State.IN_PROGRESS, Json.object(), List.of("A"), Map.of("A", a), null, 3, null,
                null, null, null, null, null, null, null, null, null, null);
    }

    static PluginStatus ended(State state) {
        return new PluginStatus(state, 1, null, null);
    }

    @Test
    void anExpectedOptionalPluginThatEndedEndsTheStageAtOnceWithoutAWindow() {
        WorkflowRun r = parallel(0, Map.of(), Map.of("o", ended(State.COMPLETE)), NOW);
        assertThat(planner.plan(r, NOW)).isEqualTo(new Step.Transition(List.of(Change.stage("A", Stage.PARALLEL, State.COMPLETE))));
        assertThat(planner.nextWake(parallel(0, Map.of(), Map.of("o", running(NOW, null, null)), NOW), NOW))
                .as("no timer for a window of 0 s: only the plugin's own deadline")
                .contains(NOW + 60_000);
        WorkflowRun both = parallel(0, Map.of("m", ended(State.COMPLETE)), Map.of("o", running(NOW, null, null)), NOW);
        assertThat(both.activity("A").async().status()).isEqualTo(State.MANDATORY_COMPLETED);
        assertThat(planner.plan(both, NOW + 100))
                .as("the optional plugin is expected: the stage waits for it, past every window")
                .isInstanceOf(Step.Idle.class);
        WorkflowRun failed = parallel(0, Map.of("m", ended(State.COMPLETE)), Map.of("o", ended(State.ERROR)), NOW);
        assertThat(planner.plan(failed, NOW))
                .isEqualTo(new Step.Transition(List.of(Change.stage("A", Stage.PARALLEL, State.OPTIONAL_TASK_ERROR))));
    }

    @Test
    void anExpectedOptionalPluginThatNeverClaimsIsDroppedAtItsStartDeadlineWithTheReason() {
        WorkflowRun r = parallel(0, Map.of(), Map.of("o", PluginStatus.notStarted(1)), NOW);
        assertThat(planner.plan(r, NOW + 29_999)).isInstanceOf(Step.Idle.class);
        assertThat(planner.nextWake(r, NOW)).contains(NOW + 30_000);
        Step s = planner.plan(r, NOW + 30_000);
        assertThat(s).isEqualTo(new Step.Transition(List.of(Change.plugin("A", Stage.PARALLEL, false, "o", State.DO_NOT_RUN,
                "dropped: did not start within 30 s of the stage's start"))));
        WorkflowRun after = Changes.apply(r, ((Step.Transition) s).changes());
        assertThat(planner.plan(after, NOW + 30_000))
                .as("a dropped optional plugin does not make the stage an Optional Task Error")
                .isEqualTo(new Step.Transition(List.of(Change.stage("A", Stage.PARALLEL, State.COMPLETE))));
    }

    @Test
    void aMandatoryPluginThatNeverClaimsStillFailsAtItsStartDeadline() {
        WorkflowRun r = parallel(0, Map.of("m", PluginStatus.notStarted(1)), Map.of(), NOW);
        assertThat(planner.plan(r, NOW + 30_000)).isEqualTo(new Step.Transition(List.of(Change.plugin("A", Stage.PARALLEL, true, "m",
                State.ERROR, "did not start within 30 s of the stage's start"))));
    }

    @Test
    void anUnregisteredJoinerWithinTheWindowStillCounts() {
        WorkflowRun r = parallel(3, Map.of(), Map.of(), NOW);
        StageStatus s = r.activity("A").async();
        assertThat(Planner.admit("A", Stage.PARALLEL, s, NOW + 3_000)).isEqualTo(new Planner.Admission.Join());
        assertThat(Planner.admit("A", Stage.PARALLEL, s, NOW + 4_000)).isInstanceOf(Planner.Admission.Refuse.class);
        StageStatus noWindow = parallel(0, Map.of(), Map.of(), NOW).activity("A").async();
        assertThat(Planner.admit("A", Stage.PARALLEL, noWindow, NOW)).as("a window of 0 s admits nobody, even in its second")
                .isEqualTo(new Planner.Admission.Refuse("not expected in the parallel stage of A (registration window 0 s: only"
                        + " registered plugins its message reaches take part; raise pluginRegisterTimeout for others)"));
        WorkflowRun joined = parallel(3, Map.of(), Map.of("late", running(NOW + 2_000, null, null)), NOW);
        assertThat(planner.plan(joined, NOW + 10_000)).as("a joiner is waited for like an expected plugin")
                .isInstanceOf(Step.Idle.class);
        WorkflowRun joinedEnded = parallel(3, Map.of(), Map.of("late", ended(State.COMPLETE)), NOW);
        assertThat(planner.plan(joinedEnded, NOW + 10_000))
                .isEqualTo(new Step.Transition(List.of(Change.stage("A", Stage.PARALLEL, State.COMPLETE))));
        WorkflowRun noneYet = parallel(3, Map.of(), Map.of(), NOW);
        assertThat(planner.plan(noneYet, NOW + 4_999)).as("with a window, the stage stays open for joiners until it closes")
                .isInstanceOf(Step.Idle.class);
        assertThat(planner.nextWake(noneYet, NOW)).contains(NOW + 3_000 + Planner.JOIN_GRACE_MS);
        assertThat(planner.plan(noneYet, NOW + 5_000))
                .isEqualTo(new Step.Transition(List.of(Change.stage("A", Stage.PARALLEL, State.COMPLETE))));
    }

    @Test
    void anActivityWithOnlyParallelPluginsGoesFromStartToPublishWithoutAWriteInBetween() {
        // What the engine's drive loop does with the planner's steps: skipped stages stay in memory until a step writes.
        WorkflowRun view = run(List.of("A", "B"), null);
        List<Change> pending = new ArrayList<>();
        List<Step> writes = new ArrayList<>();
        for (int i = 0; i < 20 && writes.isEmpty(); i++) {
            Step s = planner.plan(view, NOW);
            if (s instanceof Step.Transition t) {
                pending.addAll(t.changes());
                view = Changes.apply(view, t.changes());
            } else if (s instanceof Step.EnterStage e) {
                Optional<Change> skip = Planner.skipEmpty(e.activity(), e.stage(), view.activity(e.activity()).stage(e.stage()), List.of(), 5);
                if (skip.isPresent()) {
                    pending.add(skip.get());
                    view = Changes.apply(view, skip.get());
                } else {
                    writes.add(s);
                }
            } else {
                writes.add(s);
            }
        }
        assertThat(writes).containsExactly(new Step.EnterStage("A", Stage.PARALLEL));
        assertThat(pending).containsExactly(Change.workflow(State.IN_PROGRESS), Change.activity("A", State.IN_PROGRESS),
                Change.stage("A", Stage.PRE, State.COMPLETE));
    }

    // ------------------------------------------------------------------ a child's outputs as its parent plugin's output

    @Test
    void aCompleteChildsOutputsBecomeThePluginsOutputInlineWhenSmallAndInTheBucketWhenLarge() {
        Planner.ChildEnd small = Planner.childEnd("u1/A/p", "child-wf", State.COMPLETE, null, 16_384, null, 16_384, 10_485_760);
        assertThat(small).isEqualTo(new Planner.ChildEnd(State.COMPLETE, "child run u1/A/p / child-wf ended Complete",
                Planner.OutputPlace.INLINE, 16_384));
        Planner.ChildEnd large = Planner.childEnd("u1/A/p", "child-wf", State.COMPLETE, null, 16_385, null, 16_384, 10_485_760);
        assertThat(large.state()).isEqualTo(State.COMPLETE);
        assertThat(large.output()).isEqualTo(Planner.OutputPlace.BUCKET);
        Planner.ChildEnd optional = Planner.childEnd("u1/A/p", "child-wf", State.OPTIONAL_TASK_ERROR, "activity B: optional failed",
                40, null, 16_384, 10_485_760);
        assertThat(optional.state()).as("an optional failure in the child still completes the plugin").isEqualTo(State.COMPLETE);
        assertThat(optional.output()).isEqualTo(Planner.OutputPlace.INLINE);
        assertThat(optional.message()).isEqualTo("child run u1/A/p / child-wf ended Optional Task Error: activity B: optional failed");
    }

    @Test
    void aFailedChildLeavesNoOutputAndOutputsThatCannotBePassedOnFailThePluginNamingWhy() {
        Planner.ChildEnd failed = Planner.childEnd("u1/A/p", "child-wf", State.ERROR, "activity X failed", 0, null, 16_384, 10_485_760);
        assertThat(failed).isEqualTo(new Planner.ChildEnd(State.ERROR, "child run u1/A/p / child-wf ended Error: activity X failed",
                Planner.OutputPlace.NONE, 0));
        Planner.ChildEnd tooBig = Planner.childEnd("u1/A/p", "child-wf", State.COMPLETE, null, 10_485_761, null, 16_384, 10_485_760);
        assertThat(tooBig.state()).isEqualTo(State.ERROR);
        assertThat(tooBig.output()).isEqualTo(Planner.OutputPlace.NONE);
        assertThat(tooBig.message()).isEqualTo("child run u1/A/p / child-wf ended Complete, but its outputs are 10485761 bytes of"
                + " JSON, over the hard limit of 10485760 for a plugin's output");
        Planner.ChildEnd gone = Planner.childEnd("u1/A/p", "child-wf", State.COMPLETE, null, 0,
                "output of X.q: its payload object s3://b/k is gone", 16_384, 10_485_760);
        assertThat(gone.state()).isEqualTo(State.ERROR);
        assertThat(gone.message()).endsWith("ended Complete, but its outputs cannot be read: output of X.q: its payload object s3://b/k is gone");
    }

    @Test
    void aChildsOutputsDocumentIsActivityPluginOutputWithReferencesResolved() {
        var wire = (com.fasterxml.jackson.databind.node.ObjectNode) Json.parse("{\"CreateDb\":{\"db\":{\"output\":{\"host\":\"h1\"}},"
                + "\"big\":{\"outputRef\":{\"bucket\":\"b\",\"key\":\"runs/u1/A/p/~big~/x.json\",\"sha256\":\"00\",\"size\":9}}},"
                + "\"Migrate\":{\"m\":{\"output\":{}}}}");
        var refs = ChildOutputs.references(wire);
        assertThat(refs).containsOnlyKeys("CreateDb.big");
        assertThat(refs.get("CreateDb.big").key()).isEqualTo("runs/u1/A/p/~big~/x.json");
        var doc = ChildOutputs.unwrap(wire, Map.of("CreateDb.big", Json.parse("{\"n\":1234}")));
        assertThat(Json.write(doc)).isEqualTo("{\"CreateDb\":{\"db\":{\"host\":\"h1\"},\"big\":{\"n\":1234}},\"Migrate\":{\"m\":{}}}");
        long actual = Json.write(doc).length();
        assertThat(ChildOutputs.boundBytes(wire)).as("the bound counts the reference by its recorded size")
                .isBetween(actual, actual + 5);
        assertThat(ChildOutputs.boundBytes(Json.object())).isEqualTo(2); // "{}": a child without outputs gives {}
    }
}
