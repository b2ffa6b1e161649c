package dev.orchestrator.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;

/**
 * A deployed function as the emulator knows it: physical name, handler, resolved environment, its
 * event sources as rewired for in-process delivery (see sam_local.py), and how Lambda treats its
 * asynchronous invocations.
 */
public record FunctionSpec(String logicalId, String functionName, String functionArn, String handler,
                           Map<String, String> environment, List<JsonNode> sources, Async async) {

    /**
     * Lambda's asynchronous invocation settings: {@code EventInvokeConfig} (retries, event age,
     * destinations) and the function's {@code DeadLetterConfig}. ARNs are null when not configured.
     */
    public record Async(int maximumRetryAttempts, int maximumEventAgeInSeconds, String onFailureArn,
                        String onSuccessArn, String deadLetterArn) {

        /** What Lambda does with no configuration: two retries, six hours, and then the event is discarded. */
        public static final Async DEFAULT = new Async(2, 21600, null, null, null);

        public Async {
            if (maximumRetryAttempts < 0 || maximumRetryAttempts > 2) {
                throw new IllegalArgumentException("MaximumRetryAttempts must be 0..2, got " + maximumRetryAttempts);
            }
        }
    }

    public FunctionSpec {
        environment = Map.copyOf(environment);
        sources = List.copyOf(sources);
        async = async == null ? Async.DEFAULT : async;
    }

    public FunctionSpec(String logicalId, String functionName, String functionArn, String handler,
                        Map<String, String> environment, List<JsonNode> sources) {
        this(logicalId, functionName, functionArn, handler, environment, sources, Async.DEFAULT);
    }
}
