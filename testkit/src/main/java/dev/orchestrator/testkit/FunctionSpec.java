package dev.orchestrator.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A deployed function as the emulator knows it: physical name, handler, resolved environment, and
 * its event sources as rewired for in-process delivery (see sam_local.py). {@code runtime} (e.g.
 * {@code java21}, {@code python3.12}) and {@code codeDir} (the template's CodeUri folder) are null
 * when unknown; they choose how the handler is run (see {@link SubprocessHandler}).
 */
public record FunctionSpec(String logicalId, String functionName, String functionArn, String handler,
                           Map<String, String> environment, List<JsonNode> sources, String runtime, Path codeDir) {

    public FunctionSpec {
        environment = Map.copyOf(environment);
        sources = List.copyOf(sources);
    }

    /** A Java function without a known runtime or code folder (handlers defined in test code). */
    public FunctionSpec(String logicalId, String functionName, String functionArn, String handler,
                        Map<String, String> environment, List<JsonNode> sources) {
        this(logicalId, functionName, functionArn, handler, environment, sources, null, null);
    }
}
