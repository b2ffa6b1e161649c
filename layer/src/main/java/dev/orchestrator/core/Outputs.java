package dev.orchestrator.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * Plugin outputs on the wire (docs/protocol.md, "Outputs and inputs"). A plugin that ends Complete may leave an
 * output, a JSON object, on its own execution item: inline as the string attribute {@code output} (the object's
 * JSON text), or, when large, as {@code outputRef} (a map: {@code bucket}, {@code key}, {@code sha256},
 * {@code size}) naming an object in the stack's payload bucket. Wherever an output travels (a stage message's
 * {@code inputs}, the {@code Workflow Completed} event, the CLI) it is one of two shapes, so a reader never has to
 * guess: {@code {"output": {...}}} or {@code {"outputRef": {"bucket":..,"key":..,"sha256":..,"size":..}}}.
 */
public final class Outputs {

    private Outputs() {
    }

    public static final String OUTPUT = "output";
    public static final String OUTPUT_REF = "outputRef";
    public static final String INPUTS = "inputs";
    public static final String INPUTS_REF = "inputsRef";
    public static final String OUTPUTS = "outputs";
    public static final String OUTPUTS_REF = "outputsRef";

    /**
     * Default inline threshold: 16 KiB. A stage message carries the outputs of everything its activity depends on;
     * at 16 KiB each, a dozen inline upstream outputs plus the run's metadata stay well under SNS's 256 KB, and an
     * execution item stays far under DynamoDB's 400 KB. Larger outputs cost one S3 PUT and one GET per reader.
     */
    public static final int DEFAULT_INLINE_MAX_BYTES = 16 * 1024;
    /** Default hard limit: 10 MiB of JSON, what a 1 GB plugin Lambda serialises and hashes comfortably. */
    public static final int DEFAULT_MAX_BYTES = 10 * 1024 * 1024;
    /**
     * The engine's budget for the {@code inputs} of one stage message and the {@code outputs} of one outcome event:
     * over it, the whole document goes to the payload bucket and the message carries {@code inputsRef} (the event
     * {@code outputsRef}), so neither SNS's nor EventBridge's 256 KB is ever reached by data.
     */
    public static final int ENGINE_INLINE_BUDGET_BYTES = 128 * 1024;

    /** A reference to a payload object. */
    public record Ref(String bucket, String key, String sha256, long size, String url) {

        /** A reference as stored: no link (a link is only ever minted for one stage message, never kept). */
        public Ref(String bucket, String key, String sha256, long size) {
            this(bucket, key, sha256, size, null);
        }

        /** The same reference with a presigned GET link, the only way a plugin may read the object. */
        public Ref withUrl(String presigned) {
            return new Ref(bucket, key, sha256, size, presigned);
        }

        public ObjectNode toJson() {
            ObjectNode o = Json.object();
            o.put("bucket", bucket);
            o.put("key", key);
            o.put("sha256", sha256);
            o.put("size", size);
            if (url != null) {
                o.put("url", url);
            }
            return o;
        }

        public AttributeValue toAttribute() {
            Map<String, AttributeValue> m = new LinkedHashMap<>();
            m.put("bucket", AttributeValue.fromS(bucket));
            m.put("key", AttributeValue.fromS(key));
            m.put("sha256", AttributeValue.fromS(sha256));
            m.put("size", AttributeValue.fromN(Long.toString(size)));
            return AttributeValue.fromM(m);
        }

        /** Reads a reference; names the field that is missing or wrong. */
        public static Ref fromJson(JsonNode o, String where) {
            for (String f : new String[] {"bucket", "key", "sha256"}) {
                if (!o.path(f).isTextual() || o.path(f).asText().isEmpty()) {
                    throw new IllegalArgumentException(where + ".outputRef." + f + " is missing or not a string");
                }
            }
            if (!o.path("size").canConvertToLong()) {
                throw new IllegalArgumentException(where + ".outputRef.size is missing or not a number");
            }
            if (o.has("url") && !(o.get("url").isTextual() && o.get("url").asText().startsWith("http"))) {
                throw new IllegalArgumentException(where + ".outputRef.url is not an http(s) URL");
            }
            return new Ref(o.get("bucket").asText(), o.get("key").asText(), o.get("sha256").asText(), o.get("size").asLong(),
                    o.has("url") ? o.get("url").asText() : null);
        }

        public static Ref fromAttribute(AttributeValue v) {
            Map<String, AttributeValue> m = v.m();
            return new Ref(m.get("bucket").s(), m.get("key").s(), m.get("sha256").s(), Long.parseLong(m.get("size").n()));
        }
    }

    /** Why a value cannot be a plugin's output, or null when it can. {@code bytes}: its JSON size. */
    public static String problem(JsonNode output, long bytes, long maxBytes) {
        if (output == null || !output.isObject()) {
            String got = output == null || output.isNull() ? "null" : output.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
            return "output must be a JSON object, got " + got;
        }
        if (bytes > maxBytes) {
            return "output is " + bytes + " bytes of JSON, over the hard limit of " + maxBytes + " (" + EnvNames.OUTPUT_MAX_BYTES + ")";
        }
        return null;
    }

    /** The wire value of an execution item's output (its {@code output} or {@code outputRef}), or null when it has none. */
    public static ObjectNode fromItem(Map<String, AttributeValue> item) {
        AttributeValue ref = item.get(OUTPUT_REF);
        if (ref != null && ref.hasM()) {
            ObjectNode o = Json.object();
            o.set(OUTPUT_REF, Ref.fromAttribute(ref).toJson());
            return o;
        }
        AttributeValue inline = item.get(OUTPUT);
        if (inline != null && inline.s() != null) {
            ObjectNode o = Json.object();
            JsonNode parsed;
            try {
                parsed = Json.parse(inline.s());
            } catch (RuntimeException unreadable) {
                parsed = null;
            }
            if (parsed == null || !parsed.isObject()) {
                // Written by hand (any language) but not an object: never passed on as if it were one.
                o.put("invalid", "output is not the JSON text of an object");
                return o;
            }
            o.set(OUTPUT, parsed);
            return o;
        }
        return null;
    }

    /** The payload bucket key of a plugin's output: under the run's prefix, then the plugin's own. */
    public static String outputKey(String uid, String workflow, String activity, Stage stage, String plugin) {
        return outputKey(uid, workflow, activity, stage, plugin, null);
    }

    /** A map element's output ({@code index} set) goes to {@code .../<stage>/<index>.json}. */
    public static String outputKey(String uid, String workflow, String activity, Stage stage, String plugin, Integer index) {
        return runPrefix(uid) + "~" + plugin + "~/" + workflow + "/" + activity + "/" + stage.wireName()
                + (index == null ? "" : "/" + index) + ".json";
    }

    /** Where the engine writes a stage's inputs or a run's outputs when they are over its budget. */
    public static String engineKey(String uid, String workflow, String name) {
        return runPrefix(uid) + "~~/" + workflow + "/" + name + ".json";
    }

    /** Every payload object of a run is under {@code runs/<uid>/}. */
    public static String runPrefix(String uid) {
        return "runs/" + uid + "/";
    }

    public static byte[] utf8(JsonNode node) {
        return Json.write(node).getBytes(StandardCharsets.UTF_8);
    }

    public static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
