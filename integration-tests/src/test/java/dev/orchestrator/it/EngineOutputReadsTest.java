package dev.orchestrator.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.orchestrator.core.AwsClients;
import dev.orchestrator.core.Json;
import dev.orchestrator.core.Outputs;
import dev.orchestrator.core.Stage;
import dev.orchestrator.core.State;
import dev.orchestrator.core.WorkflowRun;
import dev.orchestrator.plugin.PluginResult;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.services.dynamodb.model.BatchGetItemRequest;

/**
 * Issue 20: the engine reads a Complete execution's output once per drive. Entering a later stage (and announcing
 * the run's end) takes the upstream outputs from the execution items the same drive already read in full, instead
 * of a second, projected BatchGetItem of the same items; the inputs downstream are exactly what they were.
 */
class EngineOutputReadsTest {

    static final List<String> ACTIVITIES = List.of("OutA", "OutB", "OutC");

    /** The engine's BatchGetItem requests on the emulator: whole execution items, and projected output reads. */
    static final class BatchGets implements ExecutionInterceptor {
        volatile String function;
        final AtomicLong fullCalls = new AtomicLong();
        final AtomicLong fullKeys = new AtomicLong();
        final AtomicLong outputCalls = new AtomicLong();
        final AtomicLong outputKeys = new AtomicLong();

        @Override
        public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
            if (!(context.request() instanceof BatchGetItemRequest r) || !String.valueOf(function).equals(attributes.getAttribute(AwsClients.FUNCTION))) {
                return;
            }
            r.requestItems().values().forEach(k -> {
                boolean outputs = k.expressionAttributeNames() != null && k.expressionAttributeNames().containsValue(Outputs.OUTPUT);
                (outputs ? outputCalls : fullCalls).incrementAndGet();
                (outputs ? outputKeys : fullKeys).addAndGet(k.keys().size());
            });
        }

        @Override
        public String toString() {
            return "execution reads " + fullCalls + " (" + fullKeys + " items), output reads " + outputCalls + " (" + outputKeys + " items)";
        }
    }

    static OrchestratorFixture stack;
    static final BatchGets gets = new BatchGets();

    @BeforeAll
    static void deploy() {
        AwsClients.observe(gets);
        stack = OrchestratorFixture.deploy("outreads", ACTIVITIES);
        gets.function = stack.runtime.function("EngineFunction").functionName();
    }

    @AfterAll
    static void stop() {
        AwsClients.stopObserving(gets);
        if (stack != null) {
            stack.close();
        }
    }

    static ObjectNode obj(String json) {
        return (ObjectNode) Json.parse(json);
    }

    @Test
    void upstreamOutputsComeFromTheExecutionsTheDriveReadAndTheInputsAreUnchanged() {
        Map<String, String> env = stack.pluginEnv();
        stack.register("OutA", Stage.PARALLEL, new DataBetweenStepsTest.Fn(env, "a-out", c -> PluginResult.complete(obj("{\"n\":1}"))));
        stack.register("OutA", Stage.PARALLEL, new DataBetweenStepsTest.Fn(env, "a-none", c -> PluginResult.complete()));
        var bNone = stack.register("OutB", Stage.PARALLEL, new DataBetweenStepsTest.Fn(env, "b-none", c -> PluginResult.complete()));
        var bOut = stack.register("OutB", Stage.PARALLEL, new DataBetweenStepsTest.Fn(env, "b-out", c ->
                PluginResult.complete(obj("{\"m\":" + (c.input("OutA", "a-out").get("n").asInt() + 1) + "}"))));
        var cSee = stack.register("OutC", Stage.PARALLEL, new DataBetweenStepsTest.Fn(env, "c-see", c -> PluginResult.complete()));

        stack.start(WorkflowRunTest.startJson("outreads-1", "outreads", ACTIVITIES, 1, "{}"));
        WorkflowRun run = stack.awaitEnd("outreads-1", "outreads", Duration.ofSeconds(120));
        var event = stack.awaitOutcomeEvent("outreads-1", Duration.ofSeconds(120));
        System.out.println("[engine output reads 3 activities x 2 plugins] " + gets);

        assertThat(run.status()).as("run message: %s", run.message()).isEqualTo(State.COMPLETE);
        assertThat(bNone.seen.get(0).message().inputs()).as("only outputs travel; a-none wrote none")
                .isEqualTo(Json.parse("{\"OutA\":{\"a-out\":{\"output\":{\"n\":1}}}}"));
        assertThat(bOut.seen.get(0).message().inputs()).isEqualTo(bNone.seen.get(0).message().inputs());
        assertThat(cSee.seen.get(0).message().inputs()).as("direct dependency only")
                .isEqualTo(Json.parse("{\"OutB\":{\"b-out\":{\"output\":{\"m\":2}}}}"));
        assertThat(event.path("detail").path("outputs")).as("the outcome event's outputs")
                .isEqualTo(Json.parse("{\"OutA\":{\"a-out\":{\"output\":{\"n\":1}}},\"OutB\":{\"b-out\":{\"output\":{\"m\":2}}}}"));
        assertThat(gets.fullCalls.get()).as("the engine reads the executions: %s", gets).isPositive();
        assertThat(gets.outputCalls.get()).as("no second, projected read of executions the drive read Complete: %s", gets)
                .isZero();
    }
}
