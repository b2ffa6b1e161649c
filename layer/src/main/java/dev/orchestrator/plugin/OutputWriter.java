package dev.orchestrator.plugin;

import com.fasterxml.jackson.databind.JsonNode;
import dev.orchestrator.core.Env;
import dev.orchestrator.core.EnvNames;
import dev.orchestrator.core.Json;
import dev.orchestrator.core.Outputs;
import dev.orchestrator.core.PayloadStore;
import dev.orchestrator.obs.Log;
import java.nio.charset.StandardCharsets;

/**
 * Turns a plugin's {@link PluginResult.Complete} output into what its execution item keeps: refused (not a JSON
 * object, or over {@code OUTPUT_MAX_BYTES}), inline (up to {@code OUTPUT_INLINE_MAX_BYTES}), or written to the
 * payload bucket with a reference.
 */
final class OutputWriter {

    private static final Log LOG = Log.of(OutputWriter.class);
    /** DynamoDB items hold 400 KB; the inline threshold must leave room for the rest of the execution item. */
    static final int MAX_INLINE_SETTING = 256 * 1024;

    /** What to write: a problem (the plugin ends Error with it), or inline JSON text, or a reference. */
    record Written(String problem, String inlineJson, Outputs.Ref ref) {
    }

    private final PayloadStore payloads;
    private final int inlineMax;
    private final int max;

    OutputWriter(Env env, PayloadStore payloads) {
        this.payloads = payloads;
        this.inlineMax = env.getInt(EnvNames.OUTPUT_INLINE_MAX_BYTES, Outputs.DEFAULT_INLINE_MAX_BYTES);
        this.max = env.getInt(EnvNames.OUTPUT_MAX_BYTES, Outputs.DEFAULT_MAX_BYTES);
        if (inlineMax < 0 || inlineMax > MAX_INLINE_SETTING) {
            throw new IllegalArgumentException(EnvNames.OUTPUT_INLINE_MAX_BYTES + " must be 0.." + MAX_INLINE_SETTING
                    + " (an execution item holds at most 400 KB), got " + inlineMax);
        }
        if (max < 1) {
            throw new IllegalArgumentException(EnvNames.OUTPUT_MAX_BYTES + " must be 1 or more, got " + max);
        }
    }

    int inlineMax() {
        return inlineMax;
    }

    Written prepare(StageMessage m, String plugin, JsonNode output) {
        if (output == null) {
            return new Written(null, null, null);
        }
        String text = output.isObject() ? Json.write(output) : null;
        long bytes = text == null ? 0 : text.getBytes(StandardCharsets.UTF_8).length;
        String problem = Outputs.problem(output, bytes, max);
        if (problem != null) {
            return new Written(problem, null, null);
        }
        if (bytes <= inlineMax) {
            return new Written(null, text, null);
        }
        Outputs.Ref ref = payloads.put(Outputs.outputKey(m.uid(), m.workflow(), m.activity(), m.stage(), plugin, m.index()), output);
        LOG.info("output stored in the payload bucket", "bytes", bytes, "key", ref.key(), "inlineMaxBytes", inlineMax);
        return new Written(null, null, ref);
    }
}
