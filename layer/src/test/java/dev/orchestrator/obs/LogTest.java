package dev.orchestrator.obs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.orchestrator.core.Json;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class LogTest {

    final List<String> lines = new CopyOnWriteArrayList<>();

    @AfterEach
    void restore() {
        Log.sink((java.util.function.Consumer<String>) null);
        Log.clear();
        Log.configure(java.util.Map.of(Log.LEVEL_VARIABLE, "INFO"));
    }

    @Test
    void oneJsonLinePerDecisionInPowertoolsLayoutWithCorrelationKeys() {
        Log.sink(lines::add);
        Log.put(Log.UID, "u-1");
        Log.put(Log.WORKFLOW, "wf");
        Log.of(LogTest.class).info("plugin dispatched", "plugin", "audit", "attempt", 2);
        Log.clear();
        Log.of(LogTest.class).warn("after clear");

        assertThat(lines).hasSize(2);
        JsonNode first = Json.parse(lines.get(0));
        assertThat(first.path("message").asText()).isEqualTo("plugin dispatched");
        assertThat(first.path("level").asText()).isEqualTo("INFO");
        assertThat(first.path("uid").asText()).isEqualTo("u-1");
        assertThat(first.path("workflow").asText()).isEqualTo("wf");
        assertThat(first.path("plugin").asText()).isEqualTo("audit");
        assertThat(first.path("attempt").asText()).isEqualTo("2");
        assertThat(first.path("logger").asText()).isEqualTo("LogTest");
        assertThat(first.has("timestamp")).as("Powertools layout field").isTrue();
        assertThat(first.has("service")).as("Powertools layout field").isTrue();
        JsonNode second = Json.parse(lines.get(1));
        assertThat(second.has("uid")).as("keys cleared at the end of an invocation").isFalse();
        assertThat(second.has("plugin")).as("a call's pairs do not leak into later lines").isFalse();
    }

    @Test
    void levelFromPowertoolsLogLevel() {
        Log.sink(lines::add);
        Log.configure(java.util.Map.of(Log.LEVEL_VARIABLE, "WARN"));
        Log.of(LogTest.class).info("hidden");
        Log.of(LogTest.class).debug("hidden");
        Log.of(LogTest.class).error("shown", new IllegalStateException("boom"));
        assertThat(lines).hasSize(1);
        JsonNode line = Json.parse(lines.get(0));
        assertThat(line.path("level").asText()).isEqualTo("ERROR");
        assertThat(line.path("error").path("message").asText()).isEqualTo("boom");
        Log.configure(java.util.Map.of(Log.LEVEL_VARIABLE, "debug"));
        Log.of(LogTest.class).debug("now shown");
        assertThat(lines).hasSize(2);
    }
}
