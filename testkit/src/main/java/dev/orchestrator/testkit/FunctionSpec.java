package dev.orchestrator.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;

/**
 * A deployed function as the emulator knows it: physical name, handler, resolved environment, and
 * its event sources as rewired for in-process delivery (see sam_local.py).
 */
public record FunctionSpec(String logicalId, String functionName, String functionArn, String handler,
                           Map<String, String> environment, List<JsonNode> sources) {

    public FunctionSpec {
        environment = Map.copyOf(environment);
        sources = List.copyOf(sources);
    }
}
