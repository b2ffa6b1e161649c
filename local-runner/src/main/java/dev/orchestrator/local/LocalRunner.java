package dev.orchestrator.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.orchestrator.core.Json;
import dev.orchestrator.core.StatusStore;
import dev.orchestrator.core.WorkflowRun;
import dev.orchestrator.obs.Log;
import dev.orchestrator.obs.LogLines;
import dev.orchestrator.obs.Metrics;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.eventbridge.model.PutEventsResponse;

/**
 * The whole orchestrator on this machine, no AWS account: deploys the real template.yaml and the
 * example plugin stacks to a local emulator, runs every handler in-process, sends an event and
 * follows the run stage by stage.
 * <pre>
 *   demo            deploy, provision a premium tenant, follow its onboarding workflow to the final tree
 *                   (exit 0 only when the tenant is deployed)
 *   up              deploy and keep running; type "send FILE" or "tree UID WORKFLOW" or "quit"
 *   --no-logs       hide the functions' decision log (shown readably by default)
 *   --metrics       also show the functions' metrics (EMF lines, readably)
 * </pre>
 */
public final class LocalRunner {

    static final List<String> DEMO_ACTIVITIES = List.of("Setup", "Configure", "Handover");

    private LocalRunner() {
    }

    public static void main(String[] args) throws IOException {
        List<String> words = new java.util.ArrayList<>(Arrays.asList(args));
        boolean logs = !words.remove("--no-logs");
        boolean metrics = words.remove("--metrics");
        String command = words.isEmpty() ? "demo" : words.get(0);
        Path root = Path.of(System.getProperty("orchestrator.root", ".")).toAbsolutePath().normalize();
        Progress progress = new Progress(System.out);
        showLogs(progress, logs, metrics);
        int code;
        switch (command) {
            case "demo" -> code = demo(root, progress);
            case "up" -> code = up(root, progress);
            default -> {
                System.err.println("usage: scripts/local [demo|up] [--no-logs] [--metrics]");
                code = 64;
            }
        }
        System.exit(code);
    }

    /** The functions' JSON log and EMF lines, as a person reads them, between the runner's own lines. */
    static void showLogs(Progress progress, boolean logs, boolean metrics) {
        java.time.ZoneId zone = java.time.ZoneId.systemDefault();
        Log.sink(logs ? line -> progress.raw("          " + LogLines.readable(line, zone)) : line -> { });
        Metrics.sink(metrics ? line -> progress.raw("          " + LogLines.readable(line, zone)) : line -> { });
    }

    static int demo(Path root, Progress progress) {
        try (LocalStack stack = LocalStack.deploy(root, DEMO_ACTIVITIES, progress)) {
            return new TenantDemo(stack, progress).run(root);
        }
    }

    static int up(Path root, Progress progress) throws IOException {
        try (LocalStack stack = LocalStack.deploy(root, DEMO_ACTIVITIES, progress)) {
            new TenantDemo(stack, progress).seed();
            progress.raw("Stack '" + LocalStack.STACK + "' is up at " + stack.emulator.endpoint()
                    + ". Commands: send FILE | tree UID WORKFLOW | quit");
            progress.raw("Operate it from another terminal: " + cliCommand(stack) + " runs");
            StatusStore store = new StatusStore(stack.emulator.client(DynamoDbClient.builder()), stack.export("status-name"));
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                String[] words = line.trim().split("\\s+");
                try {
                    switch (words[0]) {
                        case "send" -> send(stack, Json.parse(read(root.resolve(words[1]))), progress);
                        case "tree" -> progress.raw(store.get(words[1], words[2]).map(StatusTree::render).orElse("no such run"));
                        case "quit", "exit" -> {
                            return 0;
                        }
                        case "" -> { }
                        default -> progress.raw("unknown command " + Arrays.toString(words));
                    }
                } catch (RuntimeException e) {
                    progress.raw("error: " + e.getMessage());
                }
            }
            return 0;
        }
    }

    /** The orchestrator CLI pointed at this local stack (emulator credentials, loopback Lambda Invoke). */
    static String cliCommand(LocalStack stack) {
        return "AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1 scripts/orchestrator --stack "
                + LocalStack.STACK + " --endpoint-url " + stack.emulator.endpoint() + " --lambda-endpoint-url " + stack.runtime.lambdaEndpoint();
    }

    /** An EventBridge-shaped file goes on the bus; any other JSON is taken as a Start Workflow detail. */
    static void send(LocalStack stack, JsonNode event, Progress progress) {
        boolean envelope = event.has("detail-type") && event.has("detail");
        String source = envelope ? event.path("source").asText("local.runner") : "local.runner";
        String type = envelope ? event.get("detail-type").asText() : "Start Workflow";
        JsonNode detail = envelope ? event.get("detail") : event;
        PutEventsResponse r = stack.emulator.client(EventBridgeClient.builder()).putEvents(b -> b.entries(e -> e
                .eventBusName(stack.export("event-bus")).source(source).detailType(type).detail(Json.write(detail))));
        if (r.failedEntryCount() != null && r.failedEntryCount() > 0) {
            throw new IllegalStateException("PutEvents refused the event: " + r.entries());
        }
        progress.step("sent '" + type + "' from " + source + " to bus " + stack.export("event-bus"));
    }

    static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

}
