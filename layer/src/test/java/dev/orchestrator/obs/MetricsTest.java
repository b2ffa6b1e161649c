package dev.orchestrator.obs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.orchestrator.core.Json;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** EMF lines as CloudWatch reads them: the directive, the dimension values and the metric value. */
class MetricsTest {

    @Test
    void stdoutGetsEmfWithWorkflowDimension() {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            Metrics.count(Metrics.RUNS_STARTED, "fulfilment");
            Metrics.millis(Metrics.STAGE_DURATION, "fulfilment", 1500);
            Metrics.flush();
        } finally {
            System.setOut(original);
        }
        List<JsonNode> emf = Arrays.stream(captured.toString(StandardCharsets.UTF_8).split("\n"))
                .filter(l -> l.contains("\"_aws\"")).map(Json::parse).toList();
        assertThat(emf).hasSize(2);
        JsonNode started = emf.stream().filter(n -> n.has(Metrics.RUNS_STARTED)).findFirst().orElseThrow();
        JsonNode directive = started.path("_aws").path("CloudWatchMetrics").get(0);
        assertThat(directive.path("Namespace").asText()).isEqualTo("Orchestrator");
        assertThat(directive.path("Dimensions").toString())
                .as("per workflow, and the service total the stack's alarms read")
                .isEqualTo("[[\"service\",\"workflow\"],[\"service\"]]");
        assertThat(started.path("workflow").asText()).isEqualTo("fulfilment");
        assertThat(started.path(Metrics.RUNS_STARTED).asDouble()).isEqualTo(1.0);
        JsonNode duration = emf.stream().filter(n -> n.has(Metrics.STAGE_DURATION)).findFirst().orElseThrow();
        assertThat(duration.path("_aws").path("CloudWatchMetrics").get(0).path("Metrics").get(0).path("Unit").asText())
                .isEqualTo("Milliseconds");
    }

    @Test
    void sinkReceivesTheSameShape() {
        java.util.List<String> lines = new java.util.ArrayList<>();
        Metrics.sink(lines::add);
        try {
            Metrics.count(Metrics.PLUGIN_ERRORS, null);
            Metrics.flush();
            Metrics.flush();
        } finally {
            Metrics.sink(null);
        }
        assertThat(lines).hasSize(1);
        assertThat(Json.parse(lines.get(0)).path(Metrics.PLUGIN_ERRORS).asDouble()).isEqualTo(1.0);
    }
}
