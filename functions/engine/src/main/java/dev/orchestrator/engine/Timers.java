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

        public static Wake fromJson(JsonNode body) {
            if (!body.hasNonNull("uid") || !body.hasNonNull("workflow") || !body.hasNonNull("dueAt")) {
                throw new IllegalArgumentException("timer message needs uid, workflow and dueAt: " + Json.write(body));
            }
            return new Wake(body.get("uid").asText(), body.get("workflow").asText(), body.get("dueAt").asLong());
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
