package dev.orchestrator.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The history function's stream batching window is a stack parameter ({@code HistoryBatchingWindow}, default 5 s, chosen
 * by the bench: a workflow's history in one or two items instead of one per write), and the function may write what it
 * packs: BatchWriteItem is authorized as {@code dynamodb:BatchWriteItem}, not as PutItem.
 */
class HistoryBatchingWindowTest {

    @Test
    @SuppressWarnings("unchecked")
    void theTemplateDefaultsTheHistoryStreamBatchingWindowToFiveSecondsAndAllowsItsBatchWrites() {
        Map<String, Object> parameter = (Map<String, Object>) ((Map<String, Object>) TemplateContractTest.TEMPLATE
                .get("Parameters")).get("HistoryBatchingWindow");
        assertThat(parameter).as("parameter HistoryBatchingWindow").isNotNull();
        assertThat(((Number) parameter.get("Default")).intValue()).isEqualTo(5);
        Map<String, Object> history = TemplateContractTest.functions().get("HistoryFunction");
        Map<String, Object> events = (Map<String, Object>) history.get("Events");
        Map<String, Object> stream = events.values().stream().map(e -> (Map<String, Object>) e)
                .filter(e -> "DynamoDB".equals(e.get("Type"))).findFirst().orElseThrow();
        assertThat(((Map<String, Object>) stream.get("Properties")).get("MaximumBatchingWindowInSeconds"))
                .isEqualTo(Map.of("Ref", "HistoryBatchingWindow"));
        String policies = String.valueOf(history.get("Policies"));
        assertThat(policies).as("HistoryFunction's policies").contains("dynamodb:BatchWriteItem");
    }

    @Test
    void aStackDeployedWithAnotherWindowFeedsTheHistoryFunctionWithIt() {
        try (OrchestratorFixture stack = OrchestratorFixture.deploy("histwin", List.of("Setup"),
                Map.of("HistoryBatchingWindow", "1"))) {
            JsonNode source = stack.runtime.function("HistoryFunction").sources().stream()
                    .filter(s -> "dynamodb".equals(s.path("type").asText())).findFirst().orElseThrow();
            assertThat(source.path("batchingWindowSeconds").asInt(-1)).isEqualTo(1);
        }
    }
}
