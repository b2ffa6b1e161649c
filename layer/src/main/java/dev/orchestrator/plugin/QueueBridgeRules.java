package dev.orchestrator.plugin;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** Pure rules of the queue bridge and its worker: FIFO keys, backoff, when to give up. */
public final class QueueBridgeRules {

    private QueueBridgeRules() {
    }

    /** FIFO group: the run metadata field named by {@code fifoKey} if present, else the run's uid. */
    public static String groupId(StageMessage m, String fifoKey) {
        if (fifoKey != null && m.metadata().hasNonNull(fifoKey)) {
            return m.metadata().get(fifoKey).asText();
        }
        return m.uid();
    }

    /** Stable per run, activity, stage and plugin: a duplicate forward is dropped by a FIFO queue. */
    public static String deduplicationId(StageMessage m, String plugin) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(String.join("|", m.uid(), m.workflow(), m.activity(),
                    m.stage().wireName(), plugin).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Delay before retry {@code attempt + 1}: 2^attempt seconds, at most SQS's 15 minutes. */
    public static int backoffSeconds(int attempt) {
        return (int) Math.min(900, 1L << Math.min(attempt, 10));
    }
}
