package dev.orchestrator.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.orchestrator.core.AwsClients;
import dev.orchestrator.core.Stage;
import dev.orchestrator.core.State;
import dev.orchestrator.core.WorkflowRun;
import dev.orchestrator.testkit.CallCounter;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What the engine costs for one workflow of 3 activities x 6 parallel plugins (mandatory, so the
 * workload does not depend on who joins a registration window on a busy machine), counted call by
 * call on its own SDK clients as they talk to the emulator. Counts, not time, so the budget holds on
 * any machine. Plugins' calls are counted apart (their clients belong to no engine function).
 *
 * <p>What the engine decides is fixed by the workflow: its writes (stage entries with their roster items,
 * publishes, stage closes, the run's end) and its sends (one SNS publish and one timer per stage, one outcome
 * event). How many stream batches carry the plugins' writes is not: it depends on how far apart the plugins
 * write against the 1 s batching window, so a busy machine gets more, smaller batches. Engine v3 keeps plugin
 * entries in their own items, so each time the engine drives the run it reads the header and, for each open
 * stage, its roster (one Query) and its execution items (one BatchGetItem per 100). The budget therefore
 * bounds what is fixed by the workflow (writes, sends, one registry Query per stage) exactly, and the run's
 * reads per engine invocation, which it prints with the invocations ({@code scripts/bench} reports them).
 */
class EngineCallBudgetTest {

    /**
     * Engine UpdateItems that won: per activity the parallel stage's entry, its publish and its close with the
     * activity's (pre and post have no plugins: they end in the next write), 3 x 4, and the run's end: 13 (12 on
     * engine v2, where the first stage's entry and the run's start were one write; v3 measures 13).
     */
    static final int DECIDED_WRITES = 13;
    /** Roster writes: one BatchWriteItem per parallel stage entered (6 entries fit one roster item of 200). */
    static final int ROSTER_WRITES = 3;
    /** SNS publishes, timer sends and the outcome event: 3 + 3 + 1 for 3 stages. */
    static final int SENDS = 7;
    static final int LOST_CONDITIONAL_WRITES = 2;
    /** Registry lookups: one Query per stage the workflow has (3 activities x pre, parallel, post). */
    static final int REGISTRY_READS = 9;
    /**
     * Run reads per engine invocation: the header (GetItem), the open stage's roster (Query) and its executions
     * (BatchGetItem); a lost condition or an admitted joiner reads the run once more (bounded by the lost writes).
     */
    static final int RUN_READS_PER_INVOCATION = 3;

    static final List<String> ACTIVITIES = List.of("BudgetA", "BudgetB", "BudgetC");

    static OrchestratorFixture stack;
    static final CallCounter calls = new CallCounter(AwsClients.FUNCTION);

    @BeforeAll
    static void deploy() {
        AwsClients.observe(calls);
        stack = OrchestratorFixture.deploy("budget", ACTIVITIES);
    }

    @AfterAll
    static void stop() {
        AwsClients.stopObserving(calls);
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void aThreeActivitySixPluginWorkflowStaysWithinTheEngineCallBudget() {
        List<TestPlugin.Started> journal = new CopyOnWriteArrayList<>();
        for (String a : ACTIVITIES) {
            for (int i = 1; i <= 6; i++) {
                stack.register(a, Stage.PARALLEL, new TestPlugin(stack.pluginEnv(),
                        WorkflowRunTest.info(a + "-p" + i, true, i), journal));
            }
        }
        String engine = stack.runtime.function("EngineFunction").functionName();
        calls.reset();
        stack.runtime.resetInvocations();

        stack.start(WorkflowRunTest.startJson("budget-1", "budget", ACTIVITIES, 2, "{\"tier\":\"basic\"}"));
        WorkflowRun run = stack.awaitEnd("budget-1", "budget", Duration.ofSeconds(90));
        stack.awaitOutcomeEvent("budget-1", Duration.ofSeconds(120));
        awaitQuiet(engine);

        var byApi = calls.callsOf(engine);
        long apiCalls = byApi.values().stream().mapToLong(Long::longValue).sum();
        long lost = calls.errorsOf(engine, "ConditionalCheckFailedException");
        long invocations = stack.runtime.invocations("EngineFunction");
        String measured = "engine API calls " + apiCalls + " " + byApi
                + ", lost conditional writes " + lost + ", engine invocations " + invocations
                + ", plugin invocations " + stack.runtime.invocations().entrySet().stream()
                        .filter(e -> e.getKey().startsWith("subscriber-")).mapToLong(java.util.Map.Entry::getValue).sum();
        System.out.println("[call budget 3x6] " + measured);
        assertThat(run.status()).isEqualTo(State.COMPLETE);
        assertThat(journal).as("every plugin ran once").hasSize(18);
        long updates = byApi.getOrDefault("DynamoDb.UpdateItem", 0L) + byApi.getOrDefault("DynamoDb.PutItem", 0L);
        long rosterWrites = byApi.getOrDefault("DynamoDb.BatchWriteItem", 0L);
        long registryReads = calls.callsOf(engine, "DynamoDb.Query", stack.registry.table());
        long runReads = byApi.getOrDefault("DynamoDb.Query", 0L) - registryReads + byApi.getOrDefault("DynamoDb.GetItem", 0L)
                + byApi.getOrDefault("DynamoDb.BatchGetItem", 0L);
        long sends = byApi.getOrDefault("Sns.Publish", 0L) + byApi.getOrDefault("Sqs.SendMessage", 0L)
                + byApi.getOrDefault("EventBridge.PutEvents", 0L);
        assertThat(apiCalls).as("no engine call outside reads, writes and sends; measured: " + measured)
                .isEqualTo(registryReads + runReads + updates + rosterWrites + sends);
        assertThat(lost).as("lost conditional writes; measured: " + measured).isLessThanOrEqualTo(LOST_CONDITIONAL_WRITES);
        assertThat(updates - lost).as("engine writes that won; measured: " + measured).isLessThanOrEqualTo(DECIDED_WRITES);
        assertThat(rosterWrites).as("one roster batch per parallel stage entered; measured: " + measured).isEqualTo(ROSTER_WRITES);
        assertThat(sends).as("engine publishes, timer sends and outcome events; measured: " + measured)
                .isLessThanOrEqualTo(SENDS);
        assertThat(byApi.getOrDefault("Sns.Publish", 0L)).as("each parallel stage is published once per entry, never again"
                + " when a plugin's report races the engine; measured: " + measured).isEqualTo(ACTIVITIES.size());
        assertThat(registryReads).as("one registry lookup per stage; measured: " + measured).isLessThanOrEqualTo(REGISTRY_READS);
        assertThat(runReads).as("run reads: header, roster and executions per engine invocation; measured: " + measured)
                .isLessThanOrEqualTo(RUN_READS_PER_INVOCATION * (invocations + lost));
    }

    /** Waits until the engine has made no call for 3 s: trailing stream records are part of the cost. */
    private static void awaitQuiet(String engine) {
        long last = -1;
        long stableSince = System.nanoTime();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            long now = calls.totalOf(engine) + stack.runtime.invocations("EngineFunction");
            if (now != last) {
                last = now;
                stableSince = System.nanoTime();
            } else if (System.nanoTime() - stableSince > Duration.ofSeconds(3).toNanos()) {
                return;
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
