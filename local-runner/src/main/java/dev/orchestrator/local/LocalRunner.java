package dev.orchestrator.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.orchestrator.cli.Console;
import dev.orchestrator.cli.ConsoleServer;
import dev.orchestrator.core.Json;
import dev.orchestrator.core.StackExports;
import dev.orchestrator.core.State;
import dev.orchestrator.core.StatusStore;
import dev.orchestrator.core.WorkflowRun;
import dev.orchestrator.obs.Log;
import dev.orchestrator.obs.LogLines;
import dev.orchestrator.obs.Metrics;
import dev.orchestrator.testkit.LocalLambdaRuntime;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
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
 *   up [options]    deploy and keep running; type "send FILE" or "tree UID WORKFLOW" or "quit"
 *   run [options]   deploy a user's project (activities, plugin templates), send its start events,
 *                   follow each run to its end (exit 0 when all ended well)
 *   conformance TEMPLATE [--function ID] [--activity A]   check a plugin against docs/protocol.md
 *   --no-logs       hide the functions' decision log (shown readably by default)
 *   --metrics       also show the functions' metrics (EMF lines, readably)
 *   --no-console    up: do not start the web console (started by default; its URL is printed)
 * </pre>
 * Options: see {@link LocalSettings#USAGE}.
 */
public final class LocalRunner {

    static final List<String> DEMO_ACTIVITIES = LocalSettings.DEMO_ACTIVITIES;
    /** How long {@code run} follows one run before giving up on it. */
    static final Duration RUN_TIMEOUT = Duration.ofMinutes(3);

    private LocalRunner() {
    }

    public static void main(String[] args) throws IOException {
        List<String> words = new java.util.ArrayList<>(Arrays.asList(args));
        boolean logs = !words.remove("--no-logs");
        boolean metrics = words.remove("--metrics");
        boolean console = !words.remove("--no-console");
        String command = words.isEmpty() ? "demo" : words.get(0);
        List<String> rest = words.subList(Math.min(1, words.size()), words.size());
        Path root = Path.of(System.getProperty("orchestrator.root", ".")).toAbsolutePath().normalize();
        // Where the user typed the command: their paths are relative to it (scripts/local changes directory).
        Path cwd = Path.of(System.getProperty("orchestrator.cwd", ".")).toAbsolutePath().normalize();
        Progress progress = new Progress(System.out);
        showLogs(progress, logs, metrics);
        int code;
        try {
            code = switch (command) {
                case "demo" -> demo(root, progress);
                case "up" -> up(root, LocalSettings.parse(rest, cwd), progress, System.in, console);
                case "run" -> run(root, LocalSettings.parse(rest, cwd), progress);
                case "conformance" -> Conformance.main(root, rest, cwd, progress);
                default -> {
                    System.err.println(LocalSettings.USAGE);
                    yield 64;
                }
            };
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            code = 64;
        } catch (RuntimeException e) {
            // e.g. a stack that did not deploy: its error ends the command (never a silent hang)
            System.err.println("error: " + e.getMessage());
            code = 1;
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

    static LocalStack deploy(Path root, LocalSettings settings, Progress progress) {
        if (!settings.ownProject()) {
            return LocalStack.deploy(root, settings.activities(), settings.parameters(), progress);
        }
        return LocalStack.deploy(root, settings.activities(), settings.plugins(), settings.registerTimeout(), settings.parameters(),
                progress, true);
    }

    /** Deploys, sends the start events, follows each run to its end; 0 when every run ended Complete or Optional Task Error. */
    static int run(Path root, LocalSettings settings, Progress progress) {
        if (settings.starts().isEmpty()) {
            throw new IllegalArgumentException("run needs at least one --start EVENT.json (or \"start\" in the config file)");
        }
        try (LocalStack stack = deploy(root, settings, progress)) {
            StatusStore store = new StatusStore(stack.emulator.client(DynamoDbClient.builder()), stack.export(StackExports.STATUS_TABLE));
            boolean allWell = true;
            Map<String, String> trees = new java.util.LinkedHashMap<>();
            for (Path start : settings.starts()) {
                JsonNode event = Json.parse(read(start));
                JsonNode detail = event.has("detail-type") && event.has("detail") ? event.get("detail") : event;
                send(stack, event, progress);
                String uid = detail.path("uid").asText();
                String workflow = detail.path("workflow").asText();
                Optional<WorkflowRun> end = new RunWatcher(store, progress).follow(uid, workflow, RUN_TIMEOUT);
                progress.raw("");
                progress.raw(end.map(StatusTree::render).orElse("run " + uid + "/" + workflow + " never appeared (was the start refused? "
                        + "failed deliveries: " + stack.runtime.failedDeliveries() + ")"));
                progress.raw("");
                boolean well = end.map(r -> r.status() == State.COMPLETE || r.status() == State.OPTIONAL_TASK_ERROR).orElse(false);
                allWell &= well;
                progress.step("run " + uid + "/" + workflow + " ended " + end.map(r -> r.status().wire()).orElse("nowhere"));
                trees.put(uid + "\n" + workflow, end.map(StatusTree::render).orElse(""));
            }
            List<String> problems = pluginProblems(stack, trees);
            problems.forEach(p -> System.err.println("error: " + p));
            if (!problems.isEmpty()) {
                progress.step(problems.size() + " plugin problem(s) during the run(s) (above): exit 1");
            }
            return allWell && problems.isEmpty() ? 0 : 1;
        }
    }

    /** How long {@code run} waits, after the runs ended, for plugin deliveries still being retried to settle. */
    static final Duration SETTLE_TIMEOUT = Duration.ofSeconds(60);

    /**
     * What the plugins got wrong while the runs went on, even when every run ended well: a delivery that
     * failed for good, a write to the status table that failed or was refused by a condition it should
     * have met, a broken wire rule (see {@link WriteWatch}). Each line names the plugin function.
     */
    static List<String> pluginProblems(LocalStack stack, Map<String, String> trees) {
        List<String> out = new java.util.ArrayList<>();
        if (!stack.runtime.awaitAsyncIdle(SETTLE_TIMEOUT)) {
            out.add("plugin deliveries were still being retried " + SETTLE_TIMEOUT.toSeconds() + " s after the runs ended");
        }
        java.util.Map<String, String> pluginFunctions = new java.util.LinkedHashMap<>();
        stack.plugins.forEach(p -> p.functions().keySet().forEach(id -> pluginFunctions.put(id, p.name())));
        List<LocalLambdaRuntime.FailedDelivery> lost = stack.runtime.failedDeliveries();
        for (var f : stack.runtime.exhaustedDeliveries()) {
            if (pluginFunctions.containsKey(f.function())) {
                out.add("plugin function " + pluginFunctions.get(f.function()) + "/" + f.function() + ": a delivery failed (its handler failed "
                        + "every attempt; " + (lost.contains(f) ? "no on-failure destination or DLQ kept it" : "sent to its on-failure destination")
                        + "): " + f.error());
            }
        }
        if (stack.writes != null) {
            DynamoDbClient dynamo = stack.emulator.client(DynamoDbClient.builder());
            String table = stack.export(StackExports.STATUS_TABLE);
            WriteWatch.ItemReader items = x -> dynamo.getItem(b -> b.tableName(table).consistentRead(true).key(x.key())).item();
            trees.forEach((run, tree) -> {
                String[] key = run.split("\n", 2);
                out.addAll(stack.writes.problems(key[0], key[1], items));
            });
        }
        return out;
    }

    static int up(Path root, LocalSettings settings, Progress progress, InputStream input) throws IOException {
        return up(root, settings, progress, input, false);
    }

    /** @param console also start the web console on the stack and print its URL (off with --no-console) */
    static int up(Path root, LocalSettings settings, Progress progress, InputStream input, boolean console) throws IOException {
        try (LocalStack stack = deploy(root, settings, progress);
             ConsoleServer web = console ? startConsole(stack) : null) {
            if (!settings.ownProject()) {
                new TenantDemo(stack, progress).seed();
            }
            for (Path start : settings.starts()) {
                send(stack, Json.parse(read(start)), progress);
            }
            progress.raw("Stack '" + LocalStack.STACK + "' is up at " + stack.emulator.endpoint()
                    + ". Commands: send FILE | tree UID WORKFLOW | quit");
            progress.raw("Operate it from another terminal: " + cliCommand(stack) + " runs");
            if (web != null) {
                progress.raw("Web console (runs, graphs, actions): " + web.url());
            }
            StatusStore store = new StatusStore(stack.emulator.client(DynamoDbClient.builder()), stack.export(StackExports.STATUS_TABLE));
            Path cwd = Path.of(System.getProperty("orchestrator.cwd", root.toString()));
            BufferedReader in = new BufferedReader(new InputStreamReader(input, StandardCharsets.UTF_8));
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                String[] words = line.trim().split("\\s+");
                try {
                    switch (words[0]) {
                        case "send" -> send(stack, Json.parse(read(resolve(cwd, root, words[1]))), progress);
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

    /** The web console on the local stack: loopback, a free port, the emulator's credentials (as the CLI line below). */
    static ConsoleServer startConsole(LocalStack stack) {
        java.util.Map<String, String> env = new java.util.HashMap<>(System.getenv());
        env.putAll(stack.emulator.clientEnvironment());
        return Console.open(LocalStack.STACK, stack.emulator.endpoint().toString(), stack.runtime.lambdaEndpoint(), env,
                "127.0.0.1", 0, new java.io.PrintWriter(System.err, true));
    }

    /** The orchestrator CLI pointed at this local stack (emulator credentials, loopback Lambda Invoke). */
    static String cliCommand(LocalStack stack) {
        return "AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1 scripts/orchestrator --stack "
                + LocalStack.STACK + " --endpoint-url " + stack.emulator.endpoint() + " --lambda-endpoint-url " + stack.runtime.lambdaEndpoint();
    }

    /** A file named in the session: the user's working directory first, then this repository (its events/). */
    private static Path resolve(Path cwd, Path root, String name) {
        Path p = cwd.resolve(name);
        return Files.exists(p) ? p : root.resolve(name);
    }

    /** An EventBridge-shaped file goes on the bus; any other JSON is taken as a Start Workflow detail. */
    static void send(LocalStack stack, JsonNode event, Progress progress) {
        boolean envelope = event.has("detail-type") && event.has("detail");
        String source = envelope ? event.path("source").asText("local.runner") : "local.runner";
        String type = envelope ? event.get("detail-type").asText() : "Start Workflow";
        JsonNode detail = envelope ? event.get("detail") : event;
        PutEventsResponse r = stack.emulator.client(EventBridgeClient.builder()).putEvents(b -> b.entries(e -> e
                .eventBusName(stack.export(StackExports.EVENT_BUS)).source(source).detailType(type).detail(Json.write(detail))));
        if (r.failedEntryCount() != null && r.failedEntryCount() > 0) {
            throw new IllegalStateException("PutEvents refused the event: " + r.entries());
        }
        progress.step("sent '" + type + "' from " + source + " to bus " + stack.export(StackExports.EVENT_BUS));
    }

    static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

}
