package dev.orchestrator.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.orchestrator.core.ActivityStatus;
import dev.orchestrator.core.Keys;
import dev.orchestrator.core.ItemCodec;
import dev.orchestrator.core.Stage;
import dev.orchestrator.core.State;
import dev.orchestrator.core.WorkflowRun;
import dev.orchestrator.plugin.PluginHandler.Outcome;
import dev.orchestrator.plugin.PluginInfo;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The core engine on a real AWS API (moto_server on loopback, or AWS_ENDPOINT_URL): template.yaml
 * deployed through CloudFormation, handlers in-process, every message really delivered.
 * Each scenario uses activities of its own, so their plugin registrations do not meet.
 */
class WorkflowRunTest {

    static OrchestratorFixture stack;

    @BeforeAll
    static void deploy() {
        stack = OrchestratorFixture.deploy("itest", List.of(
                "Ingest", "Enrich", "Deliver", // full run
                "Charge", "Ship",              // mandatory failure, then resume
                "Dup",                         // duplicate deliveries
                "Window",                      // registration window
                "Meta"));                      // refused starts
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    static String startJson(String uid, String workflow, List<String> activities, int window, String metadata) {
        return "{\"uid\":\"" + uid + "\",\"workflow\":\"" + workflow + "\",\"activities\":["
                + String.join(",", activities.stream().map(a -> "\"" + a + "\"").toList()) + "],"
                + "\"pluginRegisterTimeout\":" + window + ",\"metadata\":" + metadata + "}";
    }

    static PluginInfo info(String name, boolean mandatory, int order) {
        return PluginInfo.builder(name).mandatory(mandatory).order(order).build();
    }

    @Test
    void threeActivitiesRunPreParallelPostAndAnOptionalFailureDoesNotFailTheRun() {
        List<TestPlugin.Started> journal = new CopyOnWriteArrayList<>();
        List<String> activities = List.of("Ingest", "Enrich", "Deliver");
        Map<String, List<TestPlugin>> plugins = new java.util.LinkedHashMap<>();
        for (String a : activities) {
            List<TestPlugin> mine = new ArrayList<>();
            // Registered out of order on purpose: order decides, not registration time.
            mine.add(stack.register(a, Stage.PRE, new TestPlugin(stack.pluginEnv(), info(a + "-pre-second", true, 2), journal)));
            mine.add(stack.register(a, Stage.PRE, new TestPlugin(stack.pluginEnv(), info(a + "-pre-first", true, 1), journal)));
            for (int i = 1; i <= 3; i++) {
                mine.add(stack.register(a, Stage.PARALLEL, new TestPlugin(stack.pluginEnv(), info(a + "-mandatory-" + i, true, i), journal)));
            }
            mine.add(stack.register(a, Stage.PARALLEL, new TestPlugin(stack.pluginEnv(), info(a + "-optional-ok", false, 4), journal)));
            mine.add(stack.register(a, Stage.PARALLEL, new TestPlugin(stack.pluginEnv(), info(a + "-optional-fails", false, 5), journal)
                    .failing(true)));
            mine.add(stack.register(a, Stage.POST, new TestPlugin(stack.pluginEnv(), info(a + "-post", true, 1), journal)));
            plugins.put(a, mine);
        }

        JsonNode started = stack.start(startJson("order-1", "fulfilment", activities, 5, "{\"customer\":\"acme\"}"));
        assertThat(started.path("outcome").asText()).isEqualTo("created");

        WorkflowRun run = stack.awaitEnd("order-1", "fulfilment", Duration.ofSeconds(120));
        assertThat(run.status()).isEqualTo(State.OPTIONAL_TASK_ERROR);
        for (String a : activities) {
            ActivityStatus act = run.activity(a);
            assertThat(act.status()).as(a).isEqualTo(State.OPTIONAL_TASK_ERROR);
            assertThat(act.pre().status()).isEqualTo(State.COMPLETE);
            assertThat(act.async().status()).isEqualTo(State.OPTIONAL_TASK_ERROR);
            assertThat(act.post().status()).isEqualTo(State.COMPLETE);
            assertThat(act.pre().mandatory()).containsOnlyKeys(a + "-pre-first", a + "-pre-second");
            assertThat(act.async().mandatory()).containsOnlyKeys(a + "-mandatory-1", a + "-mandatory-2", a + "-mandatory-3");
            assertThat(act.async().optional()).containsOnlyKeys(a + "-optional-ok", a + "-optional-fails");
            act.async().mandatory().values().forEach(p -> assertThat(p.state()).isEqualTo(State.COMPLETE));
            assertThat(act.async().optional().get(a + "-optional-ok").state()).isEqualTo(State.COMPLETE);
            assertThat(act.async().optional().get(a + "-optional-fails").state()).isEqualTo(State.ERROR);
            assertThat(act.async().optional().get(a + "-optional-fails").message())
                    .startsWith(a + "-optional-fails failed on purpose").hasSize(180);
            assertThat(act.pre().mandatory().values()).allMatch(p -> p.state() == State.COMPLETE);
            assertThat(act.post().mandatory().get(a + "-post").state()).isEqualTo(State.COMPLETE);
            plugins.get(a).forEach(p -> assertThat(p.runs.get()).as(p.info().pluginName()).isEqualTo(1));
        }
        // Pre plugins ran in order; activities ran in order; post ran after parallel.
        List<String> order = journal.stream().filter(s -> s.uid().equals("order-1")).map(TestPlugin.Started::plugin).toList();
        for (String a : activities) {
            assertThat(order.indexOf(a + "-pre-first")).isLessThan(order.indexOf(a + "-pre-second"));
            assertThat(order.indexOf(a + "-pre-second")).isLessThan(order.indexOf(a + "-mandatory-1"));
            assertThat(order.indexOf(a + "-optional-fails")).isLessThan(order.indexOf(a + "-post"));
        }
        assertThat(order.indexOf("Ingest-post")).isLessThan(order.indexOf("Enrich-pre-first"));
        assertThat(order.indexOf("Enrich-post")).isLessThan(order.indexOf("Deliver-pre-first"));

        JsonNode event = stack.awaitOutcomeEvent("order-1", Duration.ofSeconds(120));
        assertThat(event.path("detail-type").asText()).isEqualTo("Workflow Completed");
        assertThat(event.path("source").asText()).isEqualTo("orchestrator");
        assertThat(event.path("detail").path("status").asText()).isEqualTo("Optional Task Error");
        assertThat(event.path("detail").path("workflow").asText()).isEqualTo("fulfilment");
    }

    @Test
    void aMandatoryFailureFailsTheRunAndStartingAgainResumesWithoutRerunningCompletedPlugins() {
        List<TestPlugin.Started> journal = new CopyOnWriteArrayList<>();
        TestPlugin pre = stack.register("Charge", Stage.PRE, new TestPlugin(stack.pluginEnv(), info("charge-pre", true, 1), journal));
        TestPlugin solid = stack.register("Charge", Stage.PARALLEL, new TestPlugin(stack.pluginEnv(), info("charge-solid", true, 1), journal));
        TestPlugin flaky = stack.register("Charge", Stage.PARALLEL, new TestPlugin(stack.pluginEnv(), info("charge-flaky", true, 2), journal)
                .failing(true));
        TestPlugin post = stack.register("Charge", Stage.POST, new TestPlugin(stack.pluginEnv(), info("charge-post", true, 1), journal));
        TestPlugin ship = stack.register("Ship", Stage.PRE, new TestPlugin(stack.pluginEnv(), info("ship-pre", true, 1), journal));
        String start = startJson("order-2", "checkout", List.of("Charge", "Ship"), 1, "{\"amount\":12}");

        stack.start(start);
        WorkflowRun failed = stack.awaitEnd("order-2", "checkout", Duration.ofSeconds(120));
        assertThat(failed.status()).isEqualTo(State.ERROR);
        assertThat(failed.activity("Charge").status()).isEqualTo(State.ERROR);
        assertThat(failed.activity("Charge").async().status()).isEqualTo(State.ERROR);
        assertThat(failed.activity("Charge").async().mandatory().get("charge-flaky").state()).isEqualTo(State.ERROR);
        assertThat(failed.activity("Charge").post().status()).isEqualTo(State.NOT_STARTED);
        // Ship depends on Charge (a plain list chains activities): it is marked not to run, with the reason.
        assertThat(failed.activity("Ship").status()).isEqualTo(State.DO_NOT_RUN);
        assertThat(failed.activity("Ship").message()).isEqualTo("not run: depends on Charge, which ended Error");
        assertThat(failed.message()).startsWith("activity Charge failed: parallel plugin charge-flaky: charge-flaky failed on purpose");
        assertThat(stack.awaitOutcomeEvent("order-2", Duration.ofSeconds(120)).path("detail-type").asText()).isEqualTo("Workflow Failed");
        assertThat(post.runs.get()).as("post never dispatched after a mandatory failure").isZero();
        assertThat(ship.runs.get()).as("later activity never dispatched").isZero();
        assertThat(List.of(pre.runs.get(), solid.runs.get(), flaky.runs.get())).containsExactly(1, 1, 1);

        flaky.failing(false);
        JsonNode resumed = stack.start(start);
        assertThat(resumed.path("outcome").asText()).isEqualTo("resumed");
        WorkflowRun done = stack.awaitEnd("order-2", "checkout", Duration.ofSeconds(120));
        assertThat(done.status()).isEqualTo(State.COMPLETE);
        assertThat(done.activity("Charge").async().mandatory().get("charge-flaky").state()).isEqualTo(State.COMPLETE);
        assertThat(pre.runs.get()).as("completed pre plugin not run again").isEqualTo(1);
        assertThat(solid.runs.get()).as("completed parallel plugin not run again").isEqualTo(1);
        assertThat(flaky.runs.get()).isEqualTo(2);
        assertThat(post.runs.get()).isEqualTo(1);
        assertThat(ship.runs.get()).isEqualTo(1);
    }

    @Test
    void everyMessageDeliveredTwiceGivesTheSameResultAndEachPluginRunsOnceUnlessAlwaysRun() {
        List<TestPlugin.Started> journal = new CopyOnWriteArrayList<>();
        TestPlugin pre = stack.registerTwice("Dup", Stage.PRE, new TestPlugin(stack.pluginEnv(), info("dup-pre", true, 1), journal));
        TestPlugin par = stack.registerTwice("Dup", Stage.PARALLEL, new TestPlugin(stack.pluginEnv(), info("dup-par", true, 1), journal));
        TestPlugin opt = stack.registerTwice("Dup", Stage.PARALLEL, new TestPlugin(stack.pluginEnv(), info("dup-opt", false, 2), journal));
        TestPlugin always = stack.registerTwice("Dup", Stage.PARALLEL, new TestPlugin(stack.pluginEnv(),
                PluginInfo.builder("dup-always").mandatory(true).order(3).alwaysRun(true).build(), journal));
        TestPlugin post = stack.registerTwice("Dup", Stage.POST, new TestPlugin(stack.pluginEnv(), info("dup-post", true, 1), journal));

        stack.start(startJson("order-3", "dup", List.of("Dup"), 2, "{}"));
        WorkflowRun run = stack.awaitEnd("order-3", "dup", Duration.ofSeconds(120));
        assertThat(run.status()).isEqualTo(State.COMPLETE);
        assertThat(run.activity("Dup").async().optional().get("dup-opt").state()).isEqualTo(State.COMPLETE);
        assertThat(List.of(pre.runs.get(), par.runs.get(), opt.runs.get(), post.runs.get())).containsExactly(1, 1, 1, 1);
        assertThat(always.runs.get()).as("alwaysRun opts out of the duplicate check").isEqualTo(2);
        assertThat(par.outcomes).contains(Outcome.COMPLETED).hasSize(2)
                .containsAnyOf(Outcome.NOT_CLAIMED, Outcome.ALREADY_DONE);
    }

    @Test
    void anUnregisteredPluginThatJoinsInsideTheWindowIsWaitedForAndOneAfterItIsNot() {
        List<TestPlugin.Started> journal = new CopyOnWriteArrayList<>();
        // Subscribed to the topic but unknown to the registry: only the run's window lets them take part.
        // Window 3 s. "early" joins after 1 s and works 3 s: the stage must wait for it past the window.
        TestPlugin early = new TestPlugin(stack.pluginEnv(), info("win-early", false, 1), journal).startingAfter(1_000).working(3_000);
        stack.runtime.subscribe(stack.topicArn("Window", Stage.PARALLEL), null, early, false);
        // "late" joins after 8 s: the window has closed and the stage has moved on.
        TestPlugin late = new TestPlugin(stack.pluginEnv(), info("win-late", false, 2), journal).startingAfter(8_000);
        stack.runtime.subscribe(stack.topicArn("Window", Stage.PARALLEL), null, late, false);
        TestPlugin post = stack.register("Window", Stage.POST, new TestPlugin(stack.pluginEnv(), info("win-post", true, 1), journal));

        long t0 = System.currentTimeMillis();
        stack.start(startJson("order-4", "window", List.of("Window"), 3, "{}"));
        WorkflowRun run = stack.awaitEnd("order-4", "window", Duration.ofSeconds(120));
        assertThat(run.status()).isEqualTo(State.COMPLETE);
        assertThat(run.activity("Window").async().optional()).containsOnlyKeys("win-early");
        assertThat(run.activity("Window").async().optional().get("win-early").state()).isEqualTo(State.COMPLETE);
        long postStarted = journal.stream().filter(s -> s.plugin().equals("win-post")).findFirst().orElseThrow().at();
        assertThat(postStarted).as("post runs only after the in-window plugin finished").isGreaterThanOrEqualTo(early.lastFinishedAt);
        assertThat(early.lastFinishedAt - t0).as("the in-window plugin finished after the window closed").isGreaterThan(3_000);

        stack.awaitCondition(Duration.ofSeconds(120), () -> !late.outcomes.isEmpty());
        assertThat(late.lastAttemptAt).as("the late plugin came after the run had moved on").isGreaterThan(postStarted);
        // 5 s late by its own clock is within the library's 60 s skew tolerance, so it claims; the engine judges
        // by the time the table received the claim and refuses it: its item ends Do Not Run with the reason.
        Keys.Execution lateItem = new Keys.Execution("win-late", "order-4", "window", "Window", Stage.PARALLEL);
        stack.awaitCondition(Duration.ofSeconds(120), () -> stack.store.execution(lateItem)
                .map(i -> State.DO_NOT_RUN.wire().equals(i.get(ItemCodec.STATE).s())).orElse(false));
        assertThat(stack.store.execution(lateItem).orElseThrow().get(ItemCodec.MESSAGE).s()).startsWith("refused: ");
        assertThat(stack.run("order-4", "window").orElseThrow().activity("Window").async().optional()).doesNotContainKey("win-late");
        assertThat(stack.run("order-4", "window").orElseThrow().status()).isEqualTo(State.COMPLETE);
    }

    @Test
    void aStartWorkflowEventOnTheBusStartsARunAndAMalformedOneLandsInTheDeadLetterQueue() {
        stack.putEvent("my.app", "Start Workflow", startJson("order-6", "via-bus", List.of("Meta"), 1, "{\"via\":\"bus\"}"));
        WorkflowRun run = stack.awaitEnd("order-6", "via-bus", Duration.ofSeconds(120));
        assertThat(run.status()).isEqualTo(State.COMPLETE);
        assertThat(run.metadata().get("via").asText()).isEqualTo("bus");

        int runsBefore = stack.countRuns();
        stack.putEvent("my.app", "Start Workflow", "{\"workflow\":\"no-uid\",\"activities\":[\"Meta\"]}");
        // EventBridge delivered it; the function failed, Lambda retried twice (AsyncRetryAttempts'
        // default) and sent a destination record holding the event and the error.
        List<JsonNode> dead = stack.drain("StartDeadLetterQueue", Duration.ofSeconds(120));
        assertThat(dead).hasSize(1);
        assertThat(dead.get(0).path("requestContext").path("condition").asText()).isEqualTo("RetriesExhausted");
        assertThat(dead.get(0).path("requestContext").path("approximateInvokeCount").asInt()).isEqualTo(3);
        assertThat(dead.get(0).path("requestPayload").path("detail").path("workflow").asText()).isEqualTo("no-uid");
        assertThat(dead.get(0).path("responsePayload").path("errorMessage").asText()).contains("uid is required");
        assertThat(stack.countRuns()).isEqualTo(runsBefore);
    }

    @Test
    void badStartsAreRefusedWithClearErrorsAndWriteNothing() {
        int runsBefore = stack.countRuns();
        assertThatThrownBy(() -> stack.start("{\"workflow\":\"w\",\"activities\":[\"Ingest\"]}"))
                .hasMessageContaining("uid is required");
        assertThatThrownBy(() -> stack.start("{\"uid\":\"bad-1\",\"activities\":[\"Ingest\"]}"))
                .hasMessageContaining("workflow is required");
        assertThatThrownBy(() -> stack.start("{\"uid\":\"bad-1\",\"workflow\":\"w\"}"))
                .hasMessageContaining("activities is required");
        assertThatThrownBy(() -> stack.start("{\"uid\":\"bad-1\",\"workflow\":\"w\",\"activities\":[\"Nowhere\"]}"))
                .hasMessageContaining("'Nowhere' is not deployed");
        assertThat(stack.run("bad-1", "w")).isEmpty();
        assertThat(stack.countRuns()).as("no item written by refused starts").isEqualTo(runsBefore);

        // A run exists; starting it again with other metadata is refused and changes nothing.
        stack.start(startJson("order-5", "meta", List.of("Meta"), 60, "{\"a\":1}"));
        assertThatThrownBy(() -> stack.start(startJson("order-5", "meta", List.of("Meta"), 60, "{\"a\":2}")))
                .hasMessageContaining("metadata does not match").hasMessageContaining("metadataOverride");
        WorkflowRun after = stack.run("order-5", "meta").orElseThrow();
        assertThat(after.metadata().get("a").asInt()).isEqualTo(1);
        assertThat(stack.countRuns()).isEqualTo(runsBefore + 1);
    }
}
