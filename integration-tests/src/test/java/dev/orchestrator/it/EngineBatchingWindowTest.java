package dev.orchestrator.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The engine's stream batching window is a stack parameter ({@code EngineBatchingWindow}, default 0 s, chosen by the bench): the
 * engine's event source mapping takes what the stack was deployed with.
 */
class EngineBatchingWindowTest {

    @Test
    @SuppressWarnings("unchecked")
    void theTemplateDefaultsTheEnginesStreamBatchingWindowToZero() {
        Map<String, Object> parameter = (Map<String, Object>) ((Map<String, Object>) TemplateContractTest.TEMPLATE
                .get("Parameters")).get("EngineBatchingWindow");
        assertThat(parameter).as("parameter EngineBatchingWindow").isNotNull();
        assertThat(((Number) parameter.get("Default")).intValue()).isEqualTo(0);
        Map<String, Object> engine = TemplateContractTest.functions().get("EngineFunction");
        Map<String, Object> events = (Map<String, Object>) engine.get("Events");
        Map<String, Object> stream = events.values().stream().map(e -> (Map<String, Object>) e)
                .filter(e -> "DynamoDB".equals(e.get("Type"))).findFirst().orElseThrow();
        assertThat(((Map<String, Object>) stream.get("Properties")).get("MaximumBatchingWindowInSeconds"))
                .isEqualTo(Map.of("Ref", "EngineBatchingWindow"));
    }

    @Test
    void aStackDeployedWithAnotherWindowFeedsTheEngineWithIt() {
        try (OrchestratorFixture stack = OrchestratorFixture.deploy("batchwin", List.of("Setup"),
                Map.of("EngineBatchingWindow", "3"))) {
            JsonNode source = stack.runtime.function("EngineFunction").sources().stream()
                    .filter(s -> "dynamodb".equals(s.path("type").asText())).findFirst().orElseThrow();
            assertThat(source.path("batchingWindowSeconds").asInt(-1)).isEqualTo(3);
        }
    }
}
