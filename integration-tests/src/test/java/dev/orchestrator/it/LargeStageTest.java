package dev.orchestrator.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.orchestrator.core.Stage;
import dev.orchestrator.core.State;
import dev.orchestrator.core.WorkflowRun;
import dev.orchestrator.testkit.DynamoDbLimits;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.PutRequest;
import software.amazon.awssdk.services.dynamodb.model.WriteRequest;

/**
 * Engine v3's promise that no request grows with the number of plugins: a parallel stage that lists 10,000
 * registered mandatory plugins is entered (its roster written in batches, its header in one small write)
 * with every DynamoDB request inside AWS's limits, which the test kit's interceptor ({@link DynamoDbLimits})
 * enforces on every SDK client in this JVM, the engine's included. The plugins are registered without a
 * deployed function: their executions need not run.
 */
class LargeStageTest {

    static final int PLUGINS = 10_000;
    static OrchestratorFixture stack;

    @BeforeAll
    static void deploy() {
        stack = OrchestratorFixture.deploy("large", List.of("Wide"));
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void aStageListingTenThousandPluginsIsEnteredWithinEveryDynamoDbLimit() {
        String registry = stack.stack.export(stack.stack.name() + "-plugin-name");
        List<WriteRequest> batch = new ArrayList<>();
        for (int i = 0; i < PLUGINS; i++) {
            Map<String, AttributeValue> item = new LinkedHashMap<>();
            item.put("orchestratorId", AttributeValue.fromS(dev.orchestrator.core.PluginRegistration.orchestratorId("Wide", Stage.PARALLEL)));
            item.put("subscriptionArn", AttributeValue.fromS("arn:aws:sns:us-east-1:123456789012:wide:" + i));
            item.put("functionName", AttributeValue.fromS("wide-plugin-" + i));
            item.put("activity", AttributeValue.fromS("Wide"));
            item.put("stage", AttributeValue.fromS("parallel"));
            item.put("pluginName", AttributeValue.fromS(String.format("wide-plugin-%05d", i)));
            item.put("mandatory", AttributeValue.fromBool(true));
            item.put("order", AttributeValue.fromN(Integer.toString(i % 100)));
            item.put("alwaysRun", AttributeValue.fromBool(false));
            item.put("idempotent", AttributeValue.fromBool(true));
            batch.add(WriteRequest.builder().putRequest(PutRequest.builder().item(item).build()).build());
            if (batch.size() == 25 || i == PLUGINS - 1) {
                List<WriteRequest> send = List.copyOf(batch);
                stack.dynamo.batchWriteItem(b -> b.requestItems(Map.of(registry, send)));
                batch.clear();
            }
        }
        assertThat(stack.registry.plugins("Wide", Stage.PARALLEL)).as("the registry lists every plugin").hasSize(PLUGINS);
        DynamoDbLimits.reset();

        stack.start(WorkflowRunTest.startJson("wide-1", "wide", List.of("Wide"), 1, "{}"));
        stack.awaitCondition(Duration.ofSeconds(300), () -> stack.run("wide-1", "wide")
                .map(r -> r.activity("Wide").stage(Stage.PARALLEL).status() != State.NOT_STARTED).orElse(false));

        WorkflowRun run = stack.run("wide-1", "wide").orElseThrow();
        var stage = run.activity("Wide").stage(Stage.PARALLEL);
        System.out.println("[large stage] " + PLUGINS + " listed plugins; stage " + stage.status().wire()
                + "; largest DynamoDB requests: " + DynamoDbLimits.peaks());
        assertThat(stage.status()).isEqualTo(State.IN_PROGRESS);
        assertThat(stage.mandatory()).as("every registered plugin is listed").hasSize(PLUGINS);
        assertThat(stage.mandatory().values()).allMatch(p -> p.state() == State.NOT_STARTED);
        assertThat(DynamoDbLimits.violations()).as("no request AWS would refuse").isEmpty();
        assertThat(DynamoDbLimits.peaks().getOrDefault("BatchWriteItem requests", 0L)).isLessThanOrEqualTo(25L);
    }
}
