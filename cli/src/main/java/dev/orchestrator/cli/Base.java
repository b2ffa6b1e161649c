package dev.orchestrator.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.orchestrator.core.AttributeJson;
import dev.orchestrator.core.Json;
import dev.orchestrator.core.StackExports;
import java.io.PrintWriter;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.lambda.model.InvokeResponse;

/** What every command shares: the stack, the output, JSON printing, reading a run, invoking a function. */
abstract class Base implements Callable<Integer> {

    static final ObjectMapper PRETTY = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    @Spec
    CommandSpec spec;

    Orchestrator root() {
        return (Orchestrator) spec.root().userObject();
    }

    Target target() {
        return root().target();
    }

    PrintWriter out() {
        return spec.commandLine().getOut();
    }

    boolean json() {
        return root().json;
    }

    void printJson(JsonNode node) {
        try {
            out().println(PRETTY.writeValueAsString(node));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The run's status item as JSON (strongly consistent read). */
    Optional<JsonNode> run(String uid, String workflow) {
        String table = target().export(StackExports.STATUS_TABLE);
        Map<String, AttributeValue> item = Target.aws(() -> new dev.orchestrator.core.StatusStore(target().dynamo(), table)
                .runItem(uid, workflow).orElse(null));
        return item == null || item.isEmpty() ? Optional.empty() : Optional.of(AttributeJson.toJson(item));
    }

    JsonNode requireRun(String uid, String workflow) {
        return run(uid, workflow).orElseThrow(() -> new CliException(Exit.NOT_FOUND,
                "no run " + uid + " / " + workflow + " in stack " + target().stack()));
    }

    /** Invokes a function (RequestResponse); a function error is the stack refusing (exit 4). */
    JsonNode invoke(String functionArn, JsonNode payload) {
        InvokeResponse r = Target.aws(() -> target().lambda().invoke(b -> b.functionName(functionArn)
                .payload(SdkBytes.fromUtf8String(Json.write(payload)))));
        String body = r.payload() == null ? "" : r.payload().asUtf8String();
        if (r.functionError() != null) {
            JsonNode error = body.isBlank() ? Json.object() : Json.parse(body);
            throw new CliException(Exit.REFUSED, "refused by " + functionArn.substring(functionArn.lastIndexOf(':') + 1) + ": "
                    + error.path("errorMessage").asText(body));
        }
        return body.isBlank() ? Json.object() : Json.parse(body);
    }
}
