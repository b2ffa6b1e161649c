package dev.orchestrator.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.orchestrator.core.AwsClients;
import dev.orchestrator.core.Stage;
import dev.orchestrator.core.State;
import dev.orchestrator.core.WorkflowRun;
import dev.orchestrator.plugin.PluginContext;
import dev.orchestrator.plugin.PluginHandler;
import dev.orchestrator.plugin.PluginInfo;
import dev.orchestrator.plugin.PluginResult;
import dev.orchestrator.plugin.QueuePlugin;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * Runs always end (issue: deadlines, heartbeats, cancellation, faults). Every scenario injects faults into a
 * real run on the emulator and checks that the run ended, with its cause, and that exactly one outcome
 * event was put for it. The summary line is printed and asserted.
 */
class RunsAlwaysEndTest {

    static OrchestratorFixture stack;
    static final List<String> SCENARIOS = new CopyOnWriteArrayList<>();
    static final List<String> ENDED = new CopyOnWriteArrayList<>();
    static final List<String> STUCK = new CopyOnWriteArrayList<>();
    static final List<String> LOST = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void deploy() {
        stack = OrchestratorFixture.deploy("faults", List.of("Late", "Beat", "Die", "DieOpt", "DieQ", "Crash", "Eng",
                "Tmr", "Dup", "CanPre", "CanPar", "CanPost", "Again"));
    }

    @AfterAll
    static void summary() {
        try {
            String line = "faults: " + SCENARIOS.size() + " injected, " + ENDED.size() + " runs ended, " + STUCK.size()
                    + " stuck, " + LOST.size() + " lost";
            System.out.println(line);
            if (SCENARIOS.size() >= 10) { // the whole class ran
                assertThat(line).isEqualTo("faults: " + SCENARIOS.size() + " injected, " + SCENARIOS.size()
                        + " runs ended, 0 stuck, 0 lost");
            }
        } finally {
            if (stack != null) {
                stack.close();
            }
        }
    }

    static String start(String uid, String activity, String extra) {
        return start(uid, activity, 1, extra);
    }

    static String start(String uid, String activity, int window, String extra) {
        return "{\"uid\":\"" + uid + "\",\"workflow\":\"faults\",\"activities\":[\"" + activity + "\"],"
                + "\"pluginRegisterTimeout\":" + window + ",\"metadata\":{\"case\":\"" + uid + "\"}" + extra + "}";
    }

    /** Waits for the run's end and its outcome events; records the scenario; returns the ended run. */
    static WorkflowRun ends(String scenario, String uid, Duration timeout) {
        SCENARIOS.add(scenario);
        WorkflowRun run;
        try {
            run = stack.awaitEnd(uid, "faults", timeout);
        } catch (AssertionError e) {
            STUCK.add(scenario);
            throw e;
        }
        List<JsonNode> events = stack.outcomeEvents(uid);
        if (events.size() != 1) {
            LOST.add(scenario + " (" + events.size() + " outcome events)");
            throw new AssertionError(scenario + ": expected exactly one outcome event, got " + events);
        }
        ENDED.add(scenario);
        return run;
    }

    static PluginInfo info(String name, boolean mandatory) {
        return PluginInfo.builder(name).mandatory(mandatory).order(1).build();
    }

    /** A plugin with a script per attempt: complete, hang (a dead Lambda: never reports), beat, throw an Error. */
    static final class Scripted extends PluginHandler {
        final PluginInfo info;
        final List<String> script;
        final AtomicInteger calls = new AtomicInteger();
        final AtomicInteger completed = new AtomicInteger();
        final List<Integer> attempts = new CopyOnWriteArrayList<>();

        Scripted(PluginInfo info, String... script) {
            super(stack.pluginEnv());
            this.info = info;
            this.script = List.of(script);
        }

        @Override
        public PluginInfo info() {
            return info;
        }

        @Override
        protected PluginResult process(PluginContext ctx) throws Exception {
            int n = calls.getAndIncrement();
            attempts.add(ctx.attempt());
            String what = n < script.size() ? script.get(n) : "complete";
            switch (what) {
                case "hang" -> sleep(600_000);
                case "crash" -> throw new StackOverflowError("simulated crash of attempt " + ctx.attempt());
                case "wait" -> {
                    return PluginResult.waitForReport();
                }
                default -> {
                    if (what.startsWith("beat:")) { // work for N ms, beating every 500 ms
                        long until = System.currentTimeMillis() + Long.parseLong(what.substring(5));
                        while (System.currentTimeMillis() < until) {
                            sleep(500);
                            ctx.heartbeat();
                        }
                    } else if (what.startsWith("sleep:")) {
                        sleep(Long.parseLong(what.substring(6)));
                    }
                }
            }
            completed.incrementAndGet();
            return PluginResult.complete();
        }
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void aMandatoryPluginStartingAfterTheRegistrationWindowStillCompletesTheRun() {
        // Window 1 s; the plugin's Lambda takes 3 s to start (cold start, throttling): start deadline, not window.
        TestPlugin late = stack.register("Late", Stage.PARALLEL, new TestPlugin(stack.pluginEnv(), info("late-starter", true),
                new CopyOnWriteArrayList<>()).startingAfter(3_000));
        stack.start(start("late-1", "Late", ",\"startTimeout\":20"));
        WorkflowRun run = ends("mandatory plugin starts 3 s after a 1 s window", "late-1", Duration.ofSeconds(120));
        assertThat(run.status()).isEqualTo(State.COMPLETE);
        assertThat(late.runs.get()).isEqualTo(1);
    }

    @Test
    void aHeartbeatingPluginOutlivesItsTimeoutAndOneThatStopsBeatingTimesOut() {
        // Timeout 2 s. "beating" works 6 s (3x) with heartbeats; "silent" works 6 s without.
        Scripted beating = stack.register("Beat", Stage.PARALLEL, new Scripted(info("beating", true), "beat:6000"));
        stack.start(start("beat-1", "Beat", ",\"pluginTimeout\":2"));
        WorkflowRun ok = ends("heartbeating plugin runs 3x its timeout", "beat-1", Duration.ofSeconds(120));
        assertThat(ok.status()).isEqualTo(State.COMPLETE);
        assertThat(beating.completed.get()).isEqualTo(1);

        Scripted silent = stack.register("Beat", Stage.PARALLEL, new Scripted(info("silent", false), "sleep:6000"));
        beating.attempts.clear();
        stack.start(start("beat-2", "Beat", ",\"pluginTimeout\":2"));
        WorkflowRun timedOut = ends("plugin stops heartbeating", "beat-2", Duration.ofSeconds(120));
        assertThat(timedOut.activity("Beat").async().optional().get("silent").state()).isEqualTo(State.ERROR);
        assertThat(timedOut.activity("Beat").async().optional().get("silent").message()).startsWith("timed out after 2 s");
        assertThat(timedOut.status()).as("an optional plugin's timeout never fails the run").isEqualTo(State.OPTIONAL_TASK_ERROR);
        assertThat(silent.calls.get()).isEqualTo(1);
    }

    @Test
    void aMandatoryPluginThatDiesAfterItsClaimTimesOutAndResumeRunsOnlyWhatDidNotComplete() {
        Scripted solid = stack.register("Die", Stage.PARALLEL, new Scripted(info("die-solid", true)));
        Scripted dying = stack.register("Die", Stage.PARALLEL, new Scripted(info("die-dying", true), "hang"));
        String request = start("die-1", "Die", ",\"pluginTimeout\":2");
        stack.start(request);
        WorkflowRun failed = ends("mandatory SNS plugin dies after claim", "die-1", Duration.ofSeconds(120));
        assertThat(failed.status()).isEqualTo(State.ERROR);
        assertThat(failed.activity("Die").async().mandatory().get("die-dying").message()).isEqualTo("timed out after 2 s without a heartbeat");
        assertThat(failed.message()).contains("die-dying: timed out after 2 s");

        stack.clearOutcomes("die-1");
        assertThat(stack.start(request).path("outcome").asText()).isEqualTo("resumed");
        WorkflowRun resumed = ends("resume after timeout", "die-1", Duration.ofSeconds(120));
        assertThat(resumed.status()).isEqualTo(State.COMPLETE);
        assertThat(solid.calls.get()).as("completed plugin not run again").isEqualTo(1);
        assertThat(dying.calls.get()).isEqualTo(2);
    }

    @Test
    void anOptionalPluginThatDiesNeverFailsTheRun() {
        stack.register("DieOpt", Stage.PARALLEL, new Scripted(info("opt-ok", true)));
        stack.register("DieOpt", Stage.PARALLEL, new Scripted(info("opt-dies", false), "hang"));
        // An optional plugin joins within the registration window: 5 s, so a slow delivery still joins.
        stack.start(start("dieopt-1", "DieOpt", 5, ",\"pluginTimeout\":2"));
        WorkflowRun run = ends("optional SNS plugin dies after claim", "dieopt-1", Duration.ofSeconds(120));
        assertThat(run.status()).isEqualTo(State.OPTIONAL_TASK_ERROR);
        assertThat(run.activity("DieOpt").async().optional().get("opt-dies").message()).startsWith("timed out after 2 s");
    }

    /** A queue plugin whose bridge claims but whose forward is lost (the worker never gets the message). */
    static final class LostForward extends QueuePlugin {
        LostForward(Map<String, String> env) {
            super(env);
        }

        @Override
        public PluginInfo info() {
            return RunsAlwaysEndTest.info("queue-lost", true);
        }

        @Override
        protected PluginResult process(PluginContext context) {
            return PluginResult.complete();
        }
    }

    @Test
    void aQueuePluginWhoseWorkIsLostTimesOutAndAReportWriteLostIsTheSame() {
        String[] queue = stack.queueWithDlq("faults-lost", 3, false);
        Map<String, String> env = new java.util.LinkedHashMap<>(stack.pluginEnv());
        env.put("PLUGIN_QUEUE_URL", queue[0]); // nobody consumes this queue: the work is lost after the claim
        stack.register("DieQ", Stage.PARALLEL, new LostForward(env));
        stack.start(start("dieq-1", "DieQ", ",\"pluginTimeout\":2"));
        WorkflowRun run = ends("queue plugin dies after claim (report write lost)", "dieq-1", Duration.ofSeconds(120));
        assertThat(run.status()).isEqualTo(State.ERROR);
        assertThat(run.activity("DieQ").async().mandatory().get("queue-lost").message()).startsWith("timed out after 2 s");
    }

    @Test
    void aCrashThatReleasesItsClaimIsRunAgainByLambdasRetry() {
        // The first attempt dies with an Error; the library gives the claim back; Lambda's async retry claims again.
        Scripted crash = stack.register("Crash", Stage.PARALLEL, new Scripted(info("crashy", true), "crash"));
        stack.start(start("crash-1", "Crash", ""));
        WorkflowRun run = ends("plugin crashes, claim released, retried", "crash-1", Duration.ofSeconds(120));
        assertThat(run.status()).isEqualTo(State.COMPLETE);
        assertThat(crash.attempts).containsExactly(1, 2);
        assertThat(run.activity("Crash").async().mandatory().get("crashy").attempt()).isEqualTo(2);
    }

    @Test
    void anEngineInvocationThatFailsBetweenItsSideEffectAndItsRecordIsRetriedWithoutHarm() {
        AtomicBoolean armed = new AtomicBoolean(true);
        AtomicInteger injected = new AtomicInteger();
        ExecutionInterceptor failAfterPublish = new ExecutionInterceptor() {
            @Override
            public void afterExecution(Context.AfterExecution context, ExecutionAttributes attributes) {
                String op = attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME);
                if ("Publish".equals(op) && context.request().toString().contains("Eng-parallel") && armed.getAndSet(false)) {
                    injected.incrementAndGet();
                    throw SdkClientException.create("injected: engine lost its connection after publishing");
                }
            }
        };
        AwsClients.addInterceptor(failAfterPublish);
        try {
            TestPlugin p = stack.register("Eng", Stage.PARALLEL, new TestPlugin(stack.pluginEnv(), info("eng-plugin", true),
                    new CopyOnWriteArrayList<>()));
            stack.start(start("eng-1", "Eng", ""));
            WorkflowRun run = ends("engine throws between side effect and record", "eng-1", Duration.ofSeconds(120));
            assertThat(injected.get()).isEqualTo(1);
            assertThat(run.status()).isEqualTo(State.COMPLETE);
            assertThat(p.runs.get()).as("the repeated publish is absorbed by the claim").isEqualTo(1);
        } finally {
            AwsClients.removeInterceptor(failAfterPublish);
        }
    }

    @Test
    void timerMessagesDeliveredTwiceAndEarlyAndStreamRecordsDeliveredTwiceChangeNothing() {
        TestPlugin p = stack.register("Tmr", Stage.PARALLEL, new TestPlugin(stack.pluginEnv(), info("tmr-plugin", true),
                new CopyOnWriteArrayList<>()).working(2_000));
        stack.start(start("tmr-1", "Tmr", ""));
        SqsClient sqs = stack.emulator.client(SqsClient.builder());
        String timerQueue = stack.queueUrl("EngineTimerQueue");
        long now = System.currentTimeMillis();
        for (String body : List.of(
                "{\"uid\":\"tmr-1\",\"workflow\":\"faults\",\"dueAt\":" + now + "}",
                "{\"uid\":\"tmr-1\",\"workflow\":\"faults\",\"dueAt\":" + now + "}",
                "{\"uid\":\"tmr-1\",\"workflow\":\"faults\",\"dueAt\":" + (now + 3_000) + "}")) {
            sqs.sendMessage(b -> b.queueUrl(timerQueue).messageBody(body));
        }
        // The same stream record twice: the engine is invoked again with an image it already handled.
        stack.awaitCondition(Duration.ofSeconds(120), () -> stack.run("tmr-1", "faults").map(r -> r.activity("Tmr").async()
                .publishedAt() != null).orElse(false));
        String record = stack.streamEventFor("tmr-1", "faults");
        stack.runtime.invoke("EngineFunction", record);
        stack.runtime.invoke("EngineFunction", record);
        SCENARIOS.add("timer delivered twice and early");
        WorkflowRun run = ends("stream record delivered twice", "tmr-1", Duration.ofSeconds(120));
        ENDED.add("timer delivered twice and early");
        assertThat(run.status()).isEqualTo(State.COMPLETE);
        assertThat(p.runs.get()).isEqualTo(1);
    }

    @Test
    void aStartSentThreeTimesAtOnceMakesOneRun() {
        TestPlugin p = stack.register("Dup", Stage.PARALLEL, new TestPlugin(stack.pluginEnv(), info("dup-plugin", true),
                new CopyOnWriteArrayList<>()));
        String request = start("dup-1", "Dup", "");
        List<CompletableFuture<JsonNode>> starts = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            starts.add(CompletableFuture.supplyAsync(() -> stack.start(request)));
        }
        List<String> outcomes = starts.stream().map(f -> f.join().path("outcome").asText()).sorted().toList();
        assertThat(outcomes).containsExactly("alreadyRunning", "alreadyRunning", "created");
        WorkflowRun run = ends("duplicate start x3", "dup-1", Duration.ofSeconds(120));
        assertThat(run.status()).isEqualTo(State.COMPLETE);
        assertThat(p.runs.get()).isEqualTo(1);
    }

    @Test
    void cancellingDuringEachStageKindEndsTheRunAndAResumeFinishesIt() {
        for (Stage stage : Stage.values()) {
            String activity = switch (stage) {
                case PRE -> "CanPre";
                case PARALLEL -> "CanPar";
                case POST -> "CanPost";
            };
            Scripted slow = stack.register(activity, stage, new Scripted(info(activity.toLowerCase() + "-slow", true), "wait"));
            String uid = "cancel-" + stage.wireName();
            String request = start(uid, activity, "");
            stack.start(request);
            stack.awaitCondition(Duration.ofSeconds(120), () -> slow.calls.get() == 1);
            JsonNode answer = stack.cancel(uid, "faults", "customer withdrew");
            assertThat(answer.path("outcome").asText()).isEqualTo("cancelling");
            WorkflowRun cancelled = ends("cancel during " + stage.wireName(), uid, Duration.ofSeconds(120));
            assertThat(cancelled.status()).isEqualTo(State.ERROR);
            assertThat(cancelled.message()).isEqualTo("cancelled: customer withdrew");
            assertThat(cancelled.activity(activity).stage(stage).mandatory().get(activity.toLowerCase() + "-slow").state())
                    .isEqualTo(State.DO_NOT_RUN);
            JsonNode event = stack.outcomeEvents(uid).get(0);
            assertThat(event.path("detail-type").asText()).isEqualTo("Workflow Failed");
            assertThat(event.path("detail").path("cancelled").asBoolean()).isTrue();
            assertThat(event.path("detail").path("reason").asText()).isEqualTo("customer withdrew");
            // A late report from the cancelled plugin is refused: its stage ended.
            assertThat(slow.reportLater(stack.lastMessage(uid, activity, stage), State.COMPLETE, "too late")).isFalse();
            // Cancelling an ended run changes nothing and says so.
            assertThat(stack.cancel(uid, "faults", "again").path("outcome").asText()).isEqualTo("notRunning");
        }
        // Resume one cancelled run: the waiting plugin is asked again and this time completes.
        stack.clearOutcomes("cancel-parallel");
        assertThat(stack.start(start("cancel-parallel", "CanPar", "")).path("outcome").asText()).isEqualTo("resumed");
        WorkflowRun resumed = ends("resume after cancel", "cancel-parallel", Duration.ofSeconds(120));
        assertThat(resumed.status()).isEqualTo(State.COMPLETE);
    }
}
