package dev.orchestrator.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.orchestrator.core.StageStatus;
import dev.orchestrator.core.Stage;
import dev.orchestrator.core.State;
import dev.orchestrator.core.WorkflowRun;
import dev.orchestrator.plugin.PluginContext;
import dev.orchestrator.plugin.PluginHandler;
import dev.orchestrator.plugin.PluginInfo;
import dev.orchestrator.plugin.PluginResult;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Activities as a DAG, and Schedule / RetryError results for SNS plugins, on the emulator. */
class DagAndResultsTest {

    static OrchestratorFixture stack;

    @BeforeAll
    static void deploy() {
        stack = OrchestratorFixture.deploy("dag", List.of("DagA", "DagB", "DagC", "DagD", "Sched", "Retry"));
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    static final String DIAMOND = "[{\"name\":\"DagA\"},{\"name\":\"DagB\",\"dependsOn\":[\"DagA\"]},"
            + "{\"name\":\"DagC\",\"dependsOn\":[\"DagA\"]},{\"name\":\"DagD\",\"dependsOn\":[\"DagB\",\"DagC\"]}]";

    static String start(String uid, String activitiesJson) {
        return "{\"uid\":\"" + uid + "\",\"workflow\":\"dag\",\"activities\":" + activitiesJson
                + ",\"pluginRegisterTimeout\":1,\"metadata\":{}}";
    }

    @Test
    void aDiamondRunsItsMiddleActivitiesTogetherAndAFailureInOneStopsOnlyWhatDependsOnIt() {
        List<TestPlugin.Started> journal = new CopyOnWriteArrayList<>();
        Map<String, TestPlugin> plugins = new LinkedHashMap<>();
        for (String a : List.of("DagA", "DagB", "DagC", "DagD")) {
            plugins.put(a, stack.register(a, Stage.PARALLEL, new TestPlugin(stack.pluginEnv(),
                    PluginInfo.builder(a.toLowerCase() + "-work").mandatory(true).build(), journal).working(2_000)));
        }
        stack.start(start("diamond-1", DIAMOND));
        WorkflowRun run = stack.awaitEnd("diamond-1", "dag", Duration.ofSeconds(120));
        assertThat(run.status()).isEqualTo(State.COMPLETE);
        StageStatus a = run.activity("DagA").async();
        StageStatus b = run.activity("DagB").async();
        StageStatus c = run.activity("DagC").async();
        StageStatus d = run.activity("DagD").async();
        assertThat(b.startedAt()).as("B and C overlap").isLessThan(c.endedAt());
        assertThat(c.startedAt()).as("B and C overlap").isLessThan(b.endedAt());
        assertThat(b.startedAt()).isGreaterThanOrEqualTo(a.endedAt());
        assertThat(d.startedAt()).as("D waits for both").isGreaterThanOrEqualTo(Math.max(b.endedAt(), c.endedAt()));

        plugins.get("DagB").failing(true);
        stack.start(start("diamond-2", DIAMOND));
        WorkflowRun failed = stack.awaitEnd("diamond-2", "dag", Duration.ofSeconds(120));
        assertThat(failed.status()).isEqualTo(State.ERROR);
        assertThat(failed.activity("DagB").status()).isEqualTo(State.ERROR);
        assertThat(failed.activity("DagC").status()).as("the other branch completes").isEqualTo(State.COMPLETE);
        assertThat(failed.activity("DagD").status()).isEqualTo(State.DO_NOT_RUN);
        assertThat(failed.activity("DagD").message()).isEqualTo("not run: depends on DagB, which ended Error");
        assertThat(plugins.get("DagD").runs.get()).as("D ran only in the first run").isEqualTo(1);
        assertThat(stack.awaitOutcomeEvent("diamond-2", Duration.ofSeconds(120)).path("detail").path("message").asText())
                .startsWith("activity DagB failed: parallel plugin dagb-work: dagb-work failed on purpose");
    }

    @Test
    void cyclesUnknownNamesAndDuplicatesAreRefusedAtStartWithTheNamesInvolved() {
        String cycle = "[{\"name\":\"DagA\",\"dependsOn\":[\"DagC\"]},{\"name\":\"DagB\",\"dependsOn\":[\"DagA\"]},"
                + "{\"name\":\"DagC\",\"dependsOn\":[\"DagB\"]}]";
        assertThat(refusal(start("bad-1", cycle))).contains("activities form a cycle: DagA -> DagC -> DagB -> DagA");
        assertThat(refusal(start("bad-2", "[{\"name\":\"DagA\",\"dependsOn\":[\"Nope\"]}]")))
                .contains("activity 'DagA' depends on 'Nope', which is not an activity of this run");
        assertThat(refusal(start("bad-3", "[{\"name\":\"DagA\"},{\"name\":\"DagA\"}]"))).contains("activities[1] repeats 'DagA'");
        assertThat(stack.run("bad-1", "dag")).isEmpty();
    }

    private static String refusal(String request) {
        try {
            stack.start(request);
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
        throw new AssertionError("start was accepted: " + request);
    }

    /** An SNS plugin with results: a script of results, one per attempt. */
    static final class Results extends PluginHandler {
        final String name;
        final List<String> script;
        final List<Integer> attempts = new CopyOnWriteArrayList<>();
        final List<Long> times = new CopyOnWriteArrayList<>();

        Results(Map<String, String> env, String name, String... script) {
            super(env);
            this.name = name;
            this.script = List.of(script);
        }

        @Override
        public PluginInfo info() {
            return PluginInfo.builder(name).mandatory(true).build();
        }

        @Override
        protected PluginResult process(PluginContext ctx) {
            attempts.add(ctx.attempt());
            times.add(System.currentTimeMillis());
            String what = script.get(Math.min(ctx.attempt() - 1, script.size() - 1));
            return switch (what) {
                case "schedule" -> PluginResult.schedule(Duration.ofSeconds(1));
                case "retry" -> PluginResult.retry("upstream busy");
                default -> PluginResult.complete();
            };
        }
    }

    @Test
    void anSnsPluginThatSchedulesTwiceIsPublishedAgainByTheEngineAndThenCompletes() {
        Results poller = stack.register("Sched", Stage.PARALLEL, new Results(stack.pluginEnv(), "poller", "schedule", "schedule", "complete"));
        stack.start("{\"uid\":\"sched-1\",\"workflow\":\"dag\",\"activities\":[\"Sched\"],\"pluginRegisterTimeout\":1}");
        WorkflowRun run = stack.awaitEnd("sched-1", "dag", Duration.ofSeconds(120));
        assertThat(run.status()).isEqualTo(State.COMPLETE);
        assertThat(poller.attempts).containsExactly(1, 2, 3);
        assertThat(poller.times.get(1) - poller.times.get(0)).as("re-run after the 1 s asked for").isGreaterThanOrEqualTo(1_000);
        assertThat(run.activity("Sched").async().mandatory().get("poller").attempt()).isEqualTo(3);
    }

    @Test
    void anSnsPluginThatKeepsFailingRetriesWithBackoffThenGivesUp() {
        Map<String, String> env = new LinkedHashMap<>(stack.pluginEnv());
        env.put("PLUGIN_MAX_ATTEMPTS", "3"); // not the default 4
        Results flaky = stack.register("Retry", Stage.PARALLEL, new Results(env, "flaky", "retry"));
        stack.start("{\"uid\":\"retry-1\",\"workflow\":\"dag\",\"activities\":[\"Retry\"],\"pluginRegisterTimeout\":1}");
        WorkflowRun run = stack.awaitEnd("retry-1", "dag", Duration.ofSeconds(120));
        assertThat(run.status()).isEqualTo(State.ERROR);
        assertThat(flaky.attempts).containsExactly(1, 2, 3);
        assertThat(flaky.times.get(1) - flaky.times.get(0)).as("backoff 2 s").isGreaterThanOrEqualTo(2_000);
        assertThat(flaky.times.get(2) - flaky.times.get(1)).as("backoff 4 s").isGreaterThanOrEqualTo(4_000);
        assertThat(run.activity("Retry").async().mandatory().get("flaky").message()).isEqualTo("gave up after 3 attempts: upstream busy");
    }
}
