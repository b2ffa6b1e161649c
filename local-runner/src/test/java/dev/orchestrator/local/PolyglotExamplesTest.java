package dev.orchestrator.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.orchestrator.core.State;
import dev.orchestrator.core.StatusStore;
import dev.orchestrator.core.WorkflowRun;
import dev.orchestrator.testkit.FunctionSpec;
import dev.orchestrator.testkit.SamStack;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * The Python and Node.js examples, written from docs/protocol.md alone, take part in a workflow on
 * the emulator (subprocess handlers, the engine in-process), and with every stage message delivered
 * three times (two of them concurrently) each does its work once.
 */
class PolyglotExamplesTest {

    static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    @Test
    void pythonAndNodePluginsCompleteARunAndDuplicateDeliveriesRunTheWorkOnce() {
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        Progress progress = new Progress(new PrintStream(console, true, StandardCharsets.UTF_8));
        List<LocalSettings.PluginRef> plugins = List.of(
                new LocalSettings.PluginRef(ROOT.resolve("plugins-examples/audit-python/template.yaml"), Map.of("Activity", "Review")),
                new LocalSettings.PluginRef(ROOT.resolve("plugins-examples/notify-node/template.yaml"), Map.of("Activity", "Review")));
        try (LocalStack stack = LocalStack.deploy(ROOT, List.of("Review"), plugins, 2, progress, true)) {
            Map<String, AtomicInteger> duplicates = new ConcurrentHashMap<>();
            for (SamStack p : stack.plugins) {
                for (FunctionSpec f : p.functions().values()) {
                    JsonNode sns = f.sources().get(0);
                    // A second subscription of the same function delivering every message twice, concurrently:
                    // SNS's at-least-once delivery made certain.
                    stack.runtime.subscribe(sns.get("topicArn").asText(),
                            sns.hasNonNull("filterPolicy") ? sns.get("filterPolicy").toString() : null,
                            (in, out, ctx) -> {
                                duplicates.computeIfAbsent(f.logicalId(), k -> new AtomicInteger()).incrementAndGet();
                                out.write(stack.runtime.invoke(f.logicalId(), new String(in.readAllBytes(), StandardCharsets.UTF_8))
                                        .getBytes(StandardCharsets.UTF_8));
                            },
                            true);
                }
            }
            stack.runtime.invoke("StartWorkflowFunction", """
                    {"uid": "poly-1", "workflow": "polyglot", "activities": ["Review"],
                     "metadata": {"tenantId": "acme", "tier": "premium"}, "pluginRegisterTimeout": 3}
                    """);
            DynamoDbClient dynamo = stack.emulator.client(DynamoDbClient.builder());
            WorkflowRun run = new RunWatcher(new StatusStore(dynamo, stack.export("status-name")), progress)
                    .follow("poly-1", "polyglot", Duration.ofSeconds(90)).orElseThrow();
            String tree = StatusTree.render(run);
            System.out.println(console.toString(StandardCharsets.UTF_8) + "\n" + tree);
            assertThat(run.status()).as(tree).isEqualTo(State.COMPLETE);
            assertThat(tree).contains("· notify-node (optional)  Complete", "· audit-python  Complete");

            Map<String, AttributeValue> audit = dynamo.getItem(b -> b.tableName(stack.plugins.get(0).physicalId("AuditTable"))
                    .key(Map.of("id", AttributeValue.fromS("poly-1|polyglot|Review"))).consistentRead(true)).item();
            Map<String, AttributeValue> outbox = dynamo.getItem(b -> b.tableName(stack.plugins.get(1).physicalId("OutboxTable"))
                    .key(Map.of("id", AttributeValue.fromS("poly-1|polyglot|Review"))).consistentRead(true)).item();
            assertThat(audit.get("runs").n()).as("audit records written").isEqualTo("1");
            assertThat(outbox.get("sent").n()).as("notifications queued").isEqualTo("1");
            assertThat(outbox.get("recipient").s()).isEqualTo("acme");
            assertThat(stack.runtime.failedDeliveries()).isEmpty();
            // Each function really got the extra copies (on top of its own subscription's delivery).
            assertThat(duplicates.get("AuditFunction").get()).isGreaterThanOrEqualTo(2);
            assertThat(duplicates.get("NotifyFunction").get()).isGreaterThanOrEqualTo(2);
        }
    }
}
