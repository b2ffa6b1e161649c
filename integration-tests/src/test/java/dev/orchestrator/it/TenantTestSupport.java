package dev.orchestrator.it;

import com.fasterxml.jackson.databind.JsonNode;
import dev.orchestrator.core.Json;
import dev.orchestrator.obs.Log;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/** What the tenant tests share: reading dead letters in either form, and the router's log lines. */
final class TenantTestSupport {

    private TenantTestSupport() {
    }

    /**
     * The event a dead-letter message holds: the raw event (an EventBridge rule's DLQ) or, from a
     * Lambda on-failure destination, the record's {@code requestPayload} (object or JSON string).
     */
    static JsonNode deadLettered(JsonNode message) {
        JsonNode payload = message.get("requestPayload");
        if (payload == null || payload.isNull()) {
            return message;
        }
        return payload.isTextual() ? Json.parse(payload.asText()) : payload;
    }

    /**
     * Dead-lettered tenant events (run outcomes left out), unwrapped, until {@code count} arrived or
     * the timeout. Run outcomes are left out because the engine may announce one twice (issue 15)
     * and the test kit retries a router invocation for 3 s only: the copy that meets the first one
     * still in flight is retried and, on a loaded machine, can be dead-lettered here while the first
     * copy is handled. On AWS the retries span minutes.
     */
    static List<JsonNode> deadLetters(OrchestratorFixture stack, int count, Duration timeout) {
        List<JsonNode> dead = new ArrayList<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (dead.size() < count && System.nanoTime() < deadline) {
            stack.drain("TenantDeadLetterQueue", Duration.ofSeconds(2)).stream().map(TenantTestSupport::deadLettered)
                    .filter(e -> !e.path("source").asText().equals("orchestrator")).forEach(dead::add);
        }
        return dead;
    }

    /** Every structured log line written while installed (the functions run in this JVM). */
    static final class LogCapture {
        final List<JsonNode> lines = new CopyOnWriteArrayList<>();
        final List<String> raw = new CopyOnWriteArrayList<>();

        LogCapture install() {
            Log.sink(line -> {
                raw.add(line);
                try {
                    lines.add(Json.parse(line));
                } catch (RuntimeException notJson) {
                    // only JSON lines are decisions
                }
                System.out.println(line);
            });
            return this;
        }

        void uninstall() {
            Log.sink(System.out);
        }

        JsonNode await(OrchestratorFixture stack, Predicate<JsonNode> match, Duration timeout) {
            stack.awaitCondition(timeout, () -> lines.stream().anyMatch(match));
            return lines.stream().filter(match).findFirst().orElseThrow();
        }

        static Predicate<JsonNode> message(String message, String key, String value) {
            return l -> l.path("message").asText().equals(message) && l.path(key).asText().equals(value);
        }
    }
}
