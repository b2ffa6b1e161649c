package dev.orchestrator.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.orchestrator.core.AwsClients;
import dev.orchestrator.core.Env;
import dev.orchestrator.core.PluginStatus;
import dev.orchestrator.core.Stage;
import dev.orchestrator.core.State;
import dev.orchestrator.plugin.PluginContext;
import dev.orchestrator.plugin.PluginHandler;
import dev.orchestrator.plugin.PluginInfo;
import dev.orchestrator.plugin.StageMessage;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/** What one plugin execution costs in DynamoDB calls, counted on the real client as it talks to the emulator. */
class PluginCostTest {

    static OrchestratorFixture stack;

    @BeforeAll
    static void deploy() {
        stack = OrchestratorFixture.deploy("cost", List.of("Cost"));
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    /** Records the name of every DynamoDB operation the client performs. */
    static final class Calls implements ExecutionInterceptor {
        final List<String> operations = new CopyOnWriteArrayList<>();

        @Override
        public void afterExecution(Context.AfterExecution context, ExecutionAttributes attributes) {
            operations.add(attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME));
        }
    }

    static final class CountedPlugin extends PluginHandler {
        int runs;

        CountedPlugin(Map<String, String> env, DynamoDbClient dynamo) {
            super(env, dynamo);
        }

        @Override
        public PluginInfo info() {
            return PluginInfo.builder("cost-plugin").mandatory(true).build();
        }

        @Override
        protected void run(PluginContext context) {
            runs++;
        }
    }

    @Test
    void aRunCostsTwoWritesAndNoReadAndAKnownCompleteCostsNothing() {
        Calls calls = new Calls();
        DynamoDbClient counted = new AwsClients(new Env(stack.pluginEnv())).configure(DynamoDbClient.builder())
                .overrideConfiguration(o -> o.addExecutionInterceptor(calls)).build();
        CountedPlugin plugin = new CountedPlugin(stack.pluginEnv(), counted);
        // A run whose parallel stage is open (In Progress or Mandatory Completed; a long window keeps it open).
        stack.start(WorkflowRunTest.startJson("cost-1", "cost", List.of("Cost"), 600, "{}"));
        stack.awaitCondition(java.time.Duration.ofSeconds(120), () -> stack.run("cost-1", "cost").orElseThrow()
                .activity("Cost").async().status().isPending() && stack.run("cost-1", "cost").orElseThrow()
                .activity("Cost").async().status() != State.NOT_STARTED);

        StageMessage fresh = new StageMessage("cost-1", "cost", "Cost", Stage.PARALLEL, null, dev.orchestrator.core.Json.object(),
                System.currentTimeMillis() + 600_000, Map.of(), Map.of());
        assertThat(plugin.handle(fresh)).isEqualTo(PluginHandler.Outcome.COMPLETED);
        assertThat(calls.operations).containsExactly("UpdateItem", "UpdateItem");
        // v3: an unlisted plugin's claim writes only its execution item; the engine admits it to the run's
        // roster from the stream, so readers see it once the engine has run (a condition, not a fixed wait).
        stack.awaitCondition(java.time.Duration.ofSeconds(120), () -> {
            PluginStatus p = stack.run("cost-1", "cost").orElseThrow().activity("Cost").async().mandatory().get("cost-plugin");
            return p != null && p.state() == State.COMPLETE;
        });

        calls.operations.clear();
        StageMessage showsComplete = new StageMessage("cost-1", "cost", "Cost", Stage.PARALLEL, null, dev.orchestrator.core.Json.object(),
                System.currentTimeMillis() + 600_000, Map.of("cost-plugin", new PluginStatus(State.COMPLETE, 1000, null, null)), Map.of());
        assertThat(plugin.handle(showsComplete)).isEqualTo(PluginHandler.Outcome.ALREADY_DONE);
        assertThat(calls.operations).as("no read, no write").isEmpty();
        assertThat(plugin.runs).isEqualTo(1);
    }
}
