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
 * workload does not depend on who joins a registration window on a busy machine), counted call by call on its own SDK clients as they talk to the emulator: API
 * calls, lost conditional writes, and its Lambda invocations (stream batches and timers). Counts, not
 * time, so the budget holds on any machine. Plugins' calls are counted apart (their clients belong
 * to no engine function) and are not part of the engine's budget.
 */
class EngineCallBudgetTest {

    static final int ENGINE_CALLS = 60;
    static final int LOST_CONDITIONAL_WRITES = 2;
    static final int ENGINE_INVOCATIONS = 8;

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

        long apiCalls = calls.totalOf(engine);
        long lost = calls.errorsOf(engine, "ConditionalCheckFailedException");
        long invocations = stack.runtime.invocations("EngineFunction");
        String measured = "engine API calls " + apiCalls + " " + calls.callsOf(engine)
                + ", lost conditional writes " + lost + ", engine invocations " + invocations
                + ", plugin invocations " + stack.runtime.invocations().entrySet().stream()
                        .filter(e -> e.getKey().startsWith("subscriber-")).mapToLong(java.util.Map.Entry::getValue).sum();
        System.out.println("[call budget 3x6] " + measured);
        assertThat(run.status()).isEqualTo(State.COMPLETE);
        assertThat(journal).as("every plugin ran once").hasSize(18);
        assertThat(apiCalls).as("engine API calls; measured: " + measured).isLessThanOrEqualTo(ENGINE_CALLS);
        assertThat(lost).as("lost conditional writes; measured: " + measured).isLessThanOrEqualTo(LOST_CONDITIONAL_WRITES);
        assertThat(invocations).as("engine invocations; measured: " + measured).isLessThanOrEqualTo(ENGINE_INVOCATIONS);
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
