package dev.orchestrator.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A deployed function as the emulator knows it: physical name, handler, resolved environment, its
 * event sources as rewired for in-process delivery (see sam_local.py), how Lambda treats its
 * asynchronous invocations, and {@code runtime} (e.g. {@code java21}, {@code python3.12}) and
 * {@code codeDir} (the template's CodeUri folder), null when unknown, which choose how the handler is
 * run (see {@link SubprocessHandler}).
 */
public record FunctionSpec(String logicalId, String functionName, String functionArn, String handler,
                           Map<String, String> environment, List<JsonNode> sources, Async async, String runtime,
                           Path codeDir) {
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

    /** A Java function without a known runtime or code folder (handlers defined in test code). */
    public FunctionSpec(String logicalId, String functionName, String functionArn, String handler,
                        Map<String, String> environment, List<JsonNode> sources) {
        this(logicalId, functionName, functionArn, handler, environment, sources, Async.DEFAULT, null, null);
    }

    /** A function with a known runtime and code folder and Lambda's default async settings. */
    public FunctionSpec(String logicalId, String functionName, String functionArn, String handler,
                        Map<String, String> environment, List<JsonNode> sources, String runtime, Path codeDir) {
        this(logicalId, functionName, functionArn, handler, environment, sources, Async.DEFAULT, runtime, codeDir);
    }
}
