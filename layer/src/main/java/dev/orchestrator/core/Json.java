package dev.orchestrator.core;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/** One shared ObjectMapper; trees only (no reflective binding on the hot path). */
public final class Json {

    /**
     * Names up to 1 MB: DynamoDB allows 64 KB attribute names, and a stream record carrying one must still
     * parse (Jackson's default limit of 50,000 would fail the whole batch), so the engine can refuse it.
     */
    public static final ObjectMapper MAPPER = new ObjectMapper(com.fasterxml.jackson.core.JsonFactory.builder()
            .streamReadConstraints(com.fasterxml.jackson.core.StreamReadConstraints.builder()
                    .maxNameLength(1_048_576).maxStringLength(20_000_000).build())
            .build());

    private Json() {
    }

    public static JsonNode parse(String text) {
        try {
            return MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("input is not valid JSON: " + e.getOriginalMessage(), e);
        }
    }

    public static JsonNode parse(InputStream in) {
        try {
            JsonNode node = MAPPER.readTree(in);
            return node == null ? MAPPER.nullNode() : node;
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("input is not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static ObjectNode object() {
        return MAPPER.createObjectNode();
    }

    public static String write(JsonNode node) {
        try {
            return MAPPER.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
