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
    void oneJsonLinePerDecisionWithCorrelationKeys() {
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
        assertThat(first.has("timestamp")).as("layout field").isTrue();
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

    /** The context of an invocation of {@code name}, as Lambda's Java runtime hands it over. */
    static com.amazonaws.services.lambda.runtime.Context context(String name, String requestId) {
        return (com.amazonaws.services.lambda.runtime.Context) java.lang.reflect.Proxy.newProxyInstance(
                LogTest.class.getClassLoader(), new Class<?>[] {com.amazonaws.services.lambda.runtime.Context.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "getFunctionName" -> name;
                    case "getFunctionVersion" -> "7";
                    case "getAwsRequestId" -> requestId;
                    case "getInvokedFunctionArn" -> "arn:aws:lambda:eu-west-1:123456789012:function:" + name;
                    case "getMemoryLimitInMB" -> 512;
                    case "getRemainingTimeInMillis" -> 1000;
                    default -> null;
                });
    }

    @Test
    void lambdaContextOnEveryLineUntilTheInvocationEnds() {
        Log.sink(lines::add);
        String name = "fn-" + java.util.UUID.randomUUID();
        Log.init(context(name, "req-1"));
        Log.put(Log.UID, "u-1");
        Log.of(LogTest.class).info("first run");
        Log.clearKeys();
        Log.of(LogTest.class).info("second run");
        Log.clear();
        Log.init(context(name, "req-2"));
        Log.of(LogTest.class).info("warm invocation");
        Log.clear();
        Log.of(LogTest.class).info("outside any invocation");

        assertThat(lines).hasSize(4);
        JsonNode first = Json.parse(lines.get(0));
        assertThat(first.path("function_request_id").asText()).isEqualTo("req-1");
        assertThat(first.path("function_name").asText()).isEqualTo(name);
        // What the log group already says is not repeated on every line (it was a third of the bytes).
        assertThat(first.has("function_version")).as("function_version in " + first).isFalse();
        assertThat(first.has("function_arn")).as("function_arn in " + first).isFalse();
        assertThat(first.has("function_memory_size")).as("function_memory_size in " + first).isFalse();
        assertThat(first.has("service")).as("service in " + first).isFalse();
        assertThat(first.path("timestamp").asText()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");
        assertThat(first.path("level").asText()).isEqualTo("INFO");
        assertThat(first.path("message").asText()).isEqualTo("first run");
        assertThat(first.path("cold_start").isBoolean()).isTrue();
        assertThat(first.path("cold_start").asBoolean()).as("first invocation of this function in the JVM").isTrue();
        assertThat(first.path("uid").asText()).isEqualTo("u-1");
        JsonNode second = Json.parse(lines.get(1));
        assertThat(second.has("uid")).as("clearKeys drops the run's keys").isFalse();
        assertThat(second.path("function_request_id").asText()).as("and keeps the invocation's").isEqualTo("req-1");
        JsonNode warm = Json.parse(lines.get(2));
        assertThat(warm.path("function_request_id").asText()).isEqualTo("req-2");
        assertThat(warm.path("cold_start").asBoolean(true)).isFalse();
        JsonNode outside = Json.parse(lines.get(3));
        assertThat(outside.path("function_request_id").isTextual()).as("clear drops the Lambda fields too (null)").isFalse();
    }

    @Test
    void xrayTraceRootFromTheTraceHeader() {
        assertThat(Log.traceRoot("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"))
                .isEqualTo("1-5759e988-bd862e3fe1be46a994272793");
        assertThat(Log.traceRoot(null)).isNull();
        assertThat(Log.traceRoot("Parent=1")).isNull();
        Log.sink(lines::add);
        System.setProperty("com.amazonaws.xray.traceHeader", "Root=1-abc-def;Sampled=1");
        try {
            Log.init(context("fn-traced", "req-t"));
            Log.of(LogTest.class).info("traced");
        } finally {
            System.clearProperty("com.amazonaws.xray.traceHeader");
        }
        assertThat(Json.parse(lines.get(0)).path("xray_trace_id").asText()).isEqualTo("1-abc-def");
    }
}
