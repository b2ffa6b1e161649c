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
        assertThat(emf).as("one line per workflow per flush").hasSize(1);
        JsonNode line = emf.get(0);
        JsonNode directive = line.path("_aws").path("CloudWatchMetrics").get(0);
        assertThat(directive.path("Namespace").asText()).isEqualTo("Orchestrator");
        assertThat(directive.path("Dimensions").toString())
                .as("per workflow, and the service total the stack's alarms read")
                .isEqualTo("[[\"service\",\"workflow\"],[\"service\"]]");
        assertThat(line.path("workflow").asText()).isEqualTo("fulfilment");
        assertThat(line.path(Metrics.RUNS_STARTED).asDouble()).isEqualTo(1.0);
        assertThat(line.path(Metrics.STAGE_DURATION).asDouble()).isEqualTo(1500.0);
        assertThat(directive.path("Metrics").toString()).isEqualTo("[{\"Name\":\"RunsStarted\",\"Unit\":\"Count\"},"
                + "{\"Name\":\"StageDuration\",\"Unit\":\"Milliseconds\"}]");
    }

    @Test
    void countsAreSummedDurationsKeptAndWorkflowsApart() {
        List<String> lines = new java.util.ArrayList<>();
        Metrics.sink(lines::add);
        try {
            Metrics.count(Metrics.HISTORY_TRANSITIONS, "a", 3);
            Metrics.count(Metrics.HISTORY_TRANSITIONS, "a", 4);
            Metrics.millis(Metrics.STAGE_DURATION, "a", 10);
            Metrics.millis(Metrics.STAGE_DURATION, "a", 30);
            Metrics.count(Metrics.HISTORY_TRANSITIONS, "b", 1);
            Metrics.count(Metrics.PLUGIN_ERRORS, null);
            Metrics.flush();
        } finally {
            Metrics.sink(null);
        }
        assertThat(lines).hasSize(3);
        JsonNode a = Json.parse(lines.get(0));
        assertThat(a.path("workflow").asText()).isEqualTo("a");
        assertThat(a.path(Metrics.HISTORY_TRANSITIONS).asDouble()).as("Sum, as alarms read it").isEqualTo(7.0);
        assertThat(a.path(Metrics.STAGE_DURATION).toString()).isEqualTo("[10.0,30.0]");
        assertThat(Json.parse(lines.get(1)).path(Metrics.HISTORY_TRANSITIONS).asDouble()).isEqualTo(1.0);
        JsonNode none = Json.parse(lines.get(2));
        assertThat(none.has("workflow")).isFalse();
        assertThat(none.path("_aws").path("CloudWatchMetrics").get(0).path("Dimensions").toString()).isEqualTo("[[\"service\"]]");
    }

    @Test
    void moreDurationsThanEmfTakesInOneArrayGoOnMoreLines() {
        List<String> lines = new java.util.ArrayList<>();
        Metrics.sink(lines::add);
        try {
            for (int i = 0; i < 250; i++) {
                Metrics.millis(Metrics.STAGE_DURATION, "a", i);
            }
            Metrics.count(Metrics.RUNS_STARTED, "a");
            Metrics.flush();
        } finally {
            Metrics.sink(null);
        }
        assertThat(lines).hasSize(3);
        List<JsonNode> emf = lines.stream().map(Json::parse).toList();
        assertThat(emf).extracting(e -> e.path(Metrics.STAGE_DURATION).size()).containsExactly(100, 100, 50);
        assertThat(emf.get(0).path(Metrics.RUNS_STARTED).asDouble()).isEqualTo(1.0);
        assertThat(emf.get(1).has(Metrics.RUNS_STARTED)).as("the count is written once").isFalse();
        assertThat(emf.get(2).path(Metrics.STAGE_DURATION).get(49).asDouble()).isEqualTo(249.0);
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

    @Test
    void aHandlersEnvironmentNamesTheNamespaceAndOneWithoutTheVariableKeepsIt() {
        List<String> lines = new java.util.ArrayList<>();
        Metrics.sink(lines::add);
        try {
            // What a function's handler does with the environment its stack gave it (MetricsNamespace).
            Metrics.configure(java.util.Map.of(Metrics.NAMESPACE_VARIABLE, "Acme/Orders"));
            Metrics.count(Metrics.RUNS_STARTED, "a");
            Metrics.flush();
            // A plugin whose template sets no namespace, run in the same JVM: the namespace stays.
            Metrics.configure(java.util.Map.of("POWERTOOLS_LOG_LEVEL", "INFO"));
            Metrics.count(Metrics.PLUGIN_ERRORS, "a");
            Metrics.flush();
        } finally {
            Metrics.sink(null);
            Metrics.configure(java.util.Map.of(Metrics.NAMESPACE_VARIABLE,
                    System.getenv().getOrDefault(Metrics.NAMESPACE_VARIABLE, Metrics.DEFAULT_NAMESPACE)));
        }
        assertThat(lines).hasSize(2);
        assertThat(lines).extracting(l -> Json.parse(l).path("_aws").path("CloudWatchMetrics").get(0).path("Namespace").asText())
                .containsExactly("Acme/Orders", "Acme/Orders");
    }
}
