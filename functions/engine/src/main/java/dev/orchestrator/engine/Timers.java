package dev.orchestrator.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.orchestrator.core.Json;
import java.util.function.Supplier;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * Timers are delayed SQS messages back to the engine: nothing ever sleeps. SQS delays at most
 * 15 minutes, so a longer wait is re-armed when it fires early.
 */
public final class Timers {

    public static final int MAX_DELAY_SECONDS = 900;

    private final Supplier<SqsClient> sqs;
    private final String queueUrl;

    public Timers(SqsClient sqs, String queueUrl) {
        this(() -> sqs, queueUrl);
    }

    /** The client is asked for on the first timer armed (cold start: built only by invocations that arm one). */
    public Timers(Supplier<SqsClient> sqs, String queueUrl) {
        this.sqs = sqs;
        this.queueUrl = queueUrl;
    }

    /** A timer message: which run to wake, and when (epoch ms). */
    public record Wake(String uid, String workflow, long dueAt) {

        /**
         * Reads a timer message strictly: {@code uid} and {@code workflow} non-empty strings, {@code dueAt}
         * a whole number of epoch milliseconds. Anything else is refused with the field named, never read
         * leniently (a lenient read turns {@code "dueAt":"x"} into 0 and {@code "workflow":[]} into "",
         * and the message vanishes as a wake-up of no run).
         */
        public static Wake fromJson(JsonNode body) {
            if (body == null || !body.isObject()) {
                throw new IllegalArgumentException("timer message must be a JSON object with uid, workflow and dueAt, got: "
                        + (body == null ? "nothing" : Json.write(body)));
            }
            return new Wake(text(body, "uid"), text(body, "workflow"), epochMillis(body));
        }

        private static String text(JsonNode body, String field) {
            JsonNode v = body.get(field);
            if (v == null || v.isNull()) {
                throw new IllegalArgumentException("timer message has no " + field + ": " + Json.write(body));
            }
            if (!v.isTextual() || v.asText().isBlank()) {
                throw new IllegalArgumentException("timer message's " + field + " must be a non-empty string, got "
                        + Json.write(v) + ": " + Json.write(body));
            }
            return v.asText();
        }

        private static long epochMillis(JsonNode body) {
            JsonNode v = body.get("dueAt");
            if (v == null || v.isNull()) {
                throw new IllegalArgumentException("timer message has no dueAt: " + Json.write(body));
            }
            if (!v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < 0) {
                throw new IllegalArgumentException("timer message's dueAt must be a whole number of epoch milliseconds, got "
                        + Json.write(v) + ": " + Json.write(body));
            }
            return v.asLong();
        }

        public String toJson() {
            ObjectNode o = Json.object();
            o.put("uid", uid);
            o.put("workflow", workflow);
            o.put("dueAt", dueAt);
            return Json.write(o);
        }
    }

    /** Delay in whole seconds (rounded up, so it never fires early by rounding), capped at 15 minutes. */
    public static int delaySeconds(long dueAt, long now) {
        long ms = Math.max(0, dueAt - now);
        return (int) Math.min(MAX_DELAY_SECONDS, (ms + 999) / 1000);
    }

    public void wakeAt(String uid, String workflow, long dueAt, long now) {
        sqs.get().sendMessage(b -> b.queueUrl(queueUrl)
                .messageBody(new Wake(uid, workflow, dueAt).toJson())
                .delaySeconds(delaySeconds(dueAt, now)));
    }
}
