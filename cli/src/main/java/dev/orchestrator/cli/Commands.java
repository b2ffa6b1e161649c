package dev.orchestrator.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.orchestrator.core.AttributeJson;
import dev.orchestrator.core.ItemCodec;
import dev.orchestrator.core.Json;
import dev.orchestrator.core.StackExports;
import dev.orchestrator.obs.RunTree;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.QueryRequest;

/** The run commands: status, history, runs, start, resume, cancel, plugins. */
final class Commands {

    static final List<String> STATES = List.of("Not Started", "In Progress", "Mandatory Completed", "Complete", "Error",
            "Optional Task Error", "Do Not Run");

    private Commands() {
    }

    @Command(name = "status", description = "A run as a tree: activities (with what each waits for in a DAG), stages, "
            + "plugins, with times and causes; child workflows drawn under the plugin that started them.")
    static final class Status extends Base {
        @Parameters(index = "0", paramLabel = "UID") String uid;
        @Parameters(index = "1", paramLabel = "WORKFLOW") String workflow;
        @picocli.CommandLine.Option(names = "--no-children", description = "Do not read and draw child workflows.")
        boolean noChildren;

        @Override
        public Integer call() {
            JsonNode item = requireRun(uid, workflow);
            if (json()) {
                printJson(item);
            } else {
                out().println(RunTree.render(item, root().zone, noChildren
                        ? (u, w) -> java.util.Optional.empty() : this::run));
            }
            return Exit.OK;
        }
    }

    @Command(name = "output", description = "A run's plugin outputs, whole (references to the payload bucket are "
            + "fetched and their sha256 checked): all of them as {activity: {plugin: output}}, or one with ACTIVITY.PLUGIN.")
    static final class Output extends Base {
        @Parameters(index = "0", paramLabel = "UID") String uid;
        @Parameters(index = "1", paramLabel = "WORKFLOW") String workflow;
        @Parameters(index = "2", paramLabel = "ACTIVITY.PLUGIN", arity = "0..1") String which;

        @Override
        public Integer call() {
            JsonNode item = requireRun(uid, workflow);
            String activity = null;
            String plugin = null;
            if (which != null) {
                int dot = which.indexOf('.');
                if (dot <= 0 || dot == which.length() - 1) {
                    throw new CliException(Exit.USAGE, "ACTIVITY.PLUGIN must name an activity and a plugin, e.g. Provision.dns; got '" + which + "'");
                }
                activity = which.substring(0, dot);
                plugin = which.substring(dot + 1);
            }
            var payloads = new dev.orchestrator.core.PayloadStore(() -> target().s3(), null);
            com.fasterxml.jackson.databind.node.ObjectNode all = Json.object();
            JsonNode one = null;
            for (Iterator<Map.Entry<String, JsonNode>> acts = item.path(ItemCodec.ACTIVITIES).fields(); acts.hasNext(); ) {
                Map.Entry<String, JsonNode> a = acts.next();
                for (String stage : new String[] {"pre", "async", "post"}) { // a later stage's output wins, as in inputs
                    for (String group : new String[] {ItemCodec.MANDATORY, ItemCodec.OPTIONAL}) {
                        for (Iterator<Map.Entry<String, JsonNode>> ps = a.getValue().path(stage).path(group).fields(); ps.hasNext(); ) {
                            Map.Entry<String, JsonNode> p = ps.next();
                            JsonNode e = p.getValue();
                            if (!e.has("output") && !e.has("outputRef")) {
                                continue;
                            }
                            if (activity != null && !(activity.equals(a.getKey()) && plugin.equals(p.getKey()))) {
                                continue;
                            }
                            JsonNode value;
                            try {
                                value = Target.aws(() -> payloads.resolve(e, "output of " + a.getKey() + "." + p.getKey()));
                            } catch (dev.orchestrator.core.PayloadStore.Gone gone) {
                                throw new CliException(Exit.NOT_FOUND, gone.getMessage());
                            }
                            one = value;
                            (all.has(a.getKey()) ? (com.fasterxml.jackson.databind.node.ObjectNode) all.get(a.getKey())
                                    : all.putObject(a.getKey())).set(p.getKey(), value);
                        }
                    }
                }
            }
            if (activity != null && one == null) {
                throw new CliException(Exit.NOT_FOUND, "run " + uid + " / " + workflow + " has no output from " + which
                        + " (outputs: " + names(all) + ")");
            }
            printJson(activity != null ? one : all);
            return Exit.OK;
        }

        private static String names(JsonNode all) {
            List<String> out = new java.util.ArrayList<>();
            all.fields().forEachRemaining(a -> a.getValue().fieldNames().forEachRemaining(p -> out.add(a.getKey() + "." + p)));
            return out.isEmpty() ? "none" : String.join(", ", out);
        }
    }

    @Command(name = "history", description = "Every recorded transition of a run, oldest first.")
    static final class History extends Base {
        @Parameters(index = "0", paramLabel = "UID") String uid;
        @Parameters(index = "1", paramLabel = "WORKFLOW") String workflow;

        @Override
        public Integer call() {
            List<JsonNode> entries = new ConsoleReads(target()).history(uid, workflow);
            if (entries.isEmpty() && run(uid, workflow).isEmpty()) {
                throw new CliException(Exit.NOT_FOUND, "no run " + uid + " / " + workflow + " and no history of one");
            }
            if (json()) {
                ArrayNode a = Json.array();
                entries.forEach(a::add);
                printJson(a);
                return Exit.OK;
            }
            DateTimeFormatter f = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS").withZone(root().zone);
            Table t = new Table("TIME", "WHERE", "CHANGE", "CAUSE");
            for (JsonNode e : entries) {
                String where = e.path("path").asText("").isEmpty() ? "run" : e.path("path").asText();
                t.row(f.format(Instant.ofEpochMilli(e.path("time").asLong())), where, change(e), e.path("message").asText(null));
            }
            out().print(t.render());
            return Exit.OK;
        }

        static String change(JsonNode e) {
            String event = e.path("event").asText();
            String from = e.path("from").asText(null);
            String to = e.path("to").asText(null);
            return switch (event) {
                case "state" -> (from == null ? "" : from + " -> ") + to;
                case "created" -> "created (" + to + ")";
                default -> event;
            };
        }
    }

    @Command(name = "runs", description = "Runs by state, newest first (RunsIndex queries, one per shard: never a table scan).")
    static final class Runs extends Base {
        @Option(names = "--state", paramLabel = "STATE", description = "Only runs in these states (repeatable; default: all). E.g. Error, 'In Progress'.")
        List<String> states;
        @Option(names = "--workflow", paramLabel = "W", description = "Only runs of this workflow.")
        String workflow;
        @Option(names = "--since", paramLabel = "DURATION", description = "Only runs that entered their state within this long, e.g. 90s, 15m, 1h, 2d.")
        String since;
        @Option(names = "--limit", defaultValue = "50", description = "At most this many runs (default ${DEFAULT-VALUE}).")
        int limit;

        @Override
        public Integer call() {
            List<String> wanted = states == null || states.isEmpty() ? STATES : states;
            for (String s : wanted) {
                if (!STATES.contains(s)) {
                    throw new CliException(Exit.USAGE, "--state '" + s + "' is not a state; states: " + String.join(", ", STATES));
                }
            }
            long from = since == null ? 0 : System.currentTimeMillis() - Since.parse(since).toMillis();
            String table = target().export(StackExports.STATUS_TABLE);
            List<JsonNode> found = new ArrayList<>();
            for (String partition : dev.orchestrator.core.RunIndex.partitions(wanted)) {
                QueryRequest.Builder q = QueryRequest.builder().tableName(table).indexName(dev.orchestrator.core.RunIndex.NAME)
                        .keyConditionExpression("#s = :s AND #u >= :from").scanIndexForward(false);
                Map<String, String> names = new java.util.HashMap<>(Map.of("#s", dev.orchestrator.core.RunIndex.PARTITION,
                        "#u", dev.orchestrator.core.RunIndex.SORT));
                Map<String, AttributeValue> values = new java.util.HashMap<>(Map.of(":s", AttributeValue.fromS(partition),
                        ":from", AttributeValue.fromN(Long.toString(from))));
                if (workflow != null) {
                    q.filterExpression("#w = :w");
                    names.put("#w", ItemCodec.WORKFLOW);
                    values.put(":w", AttributeValue.fromS(workflow));
                }
                QueryRequest request = q.expressionAttributeNames(names).expressionAttributeValues(values).build();
                Target.aws(() -> {
                    for (var page : target().dynamo().queryPaginator(request)) {
                        // Active partitions hold every pending state: keep the ones asked for.
                        page.items().stream().map(ConsoleReads::indexed).filter(r -> wanted.contains(r.path(ItemCodec.STATUS).asText()))
                                .forEach(found::add);
                        if (found.size() >= limit * wanted.size() * dev.orchestrator.core.RunIndex.SHARDS) {
                            break;
                        }
                    }
                    return null;
                });
            }
            found.sort(Comparator.comparingLong((JsonNode n) -> n.path(ItemCodec.UPDATED_AT).asLong()).reversed());
            List<JsonNode> shown = found.subList(0, Math.min(limit, found.size()));
            if (json()) {
                ArrayNode a = Json.array();
                shown.forEach(a::add);
                printJson(a);
                return Exit.OK;
            }
            if (shown.isEmpty()) {
                out().println("no runs");
                return Exit.OK;
            }
            DateTimeFormatter f = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(root().zone);
            Table t = new Table("UPDATED", "STATUS", "UID", "WORKFLOW", "MESSAGE");
            for (JsonNode r : shown) {
                t.row(f.format(Instant.ofEpochMilli(r.path(ItemCodec.UPDATED_AT).asLong())), r.path(ItemCodec.STATUS).asText(),
                        r.path(ItemCodec.UID).asText(), r.path(ItemCodec.WORKFLOW).asText(), r.path(ItemCodec.MESSAGE).asText(null));
            }
            out().print(t.render());
            return Exit.OK;
        }
    }

    /** Start and resume answer {uid, workflow, status, outcome}; outcome says whether anything happened. */
    static int startOutcome(Base cmd, JsonNode answer) {
        String outcome = answer.path("outcome").asText();
        if (cmd.json()) {
            cmd.printJson(answer);
        } else {
            String what = switch (outcome) {
                case "created" -> "started";
                case "resumed" -> "resumed";
                case "alreadyRunning" -> "already running, nothing changed";
                case "alreadyComplete" -> "already complete, nothing changed";
                default -> outcome;
            };
            cmd.out().println(answer.path("uid").asText() + " / " + answer.path("workflow").asText() + ": " + what
                    + " (status " + answer.path("status").asText() + ")");
        }
        return outcome.startsWith("already") ? Exit.NO_CHANGE : Exit.OK;
    }

    @Command(name = "start", description = "Start (or resume) a run from a start request file ('-' reads stdin), through StartWorkflowFunction.")
    static final class Start extends Base {
        @Parameters(index = "0", paramLabel = "FILE") String file;

        @Override
        public Integer call() {
            String text;
            try {
                text = "-".equals(file) ? new String(System.in.readAllBytes(), StandardCharsets.UTF_8) : Files.readString(Path.of(file));
            } catch (IOException e) {
                throw new CliException(Exit.USAGE, "cannot read " + file + ": " + e.getMessage());
            }
            JsonNode request;
            try {
                request = Json.parse(text);
            } catch (RuntimeException e) {
                throw new CliException(Exit.USAGE, file + " is not JSON: " + e.getMessage());
            }
            if (request.has("detail-type") && request.has("detail")) {
                request = request.get("detail"); // an EventBridge-shaped sample: its detail is the request
            }
            return startOutcome(this, invoke(target().export(StackExports.START_WORKFLOW), request));
        }
    }

    @Command(name = "resume", description = "Resume a run that ended in Error: start it again with its own activities and metadata.")
    static final class Resume extends Base {
        @Parameters(index = "0", paramLabel = "UID") String uid;
        @Parameters(index = "1", paramLabel = "WORKFLOW") String workflow;

        @Override
        public Integer call() {
            JsonNode run = requireRun(uid, workflow);
            ObjectNode request = Json.object();
            request.put("uid", uid);
            request.put("workflow", workflow);
            request.set("activities", activities(run));
            request.set("metadata", run.path(ItemCodec.METADATA).isMissingNode() ? Json.object() : run.path(ItemCodec.METADATA));
            if (run.has(ItemCodec.REGISTER_TIMEOUT)) {
                request.set("pluginRegisterTimeout", run.get(ItemCodec.REGISTER_TIMEOUT));
            }
            return startOutcome(this, invoke(target().export(StackExports.START_WORKFLOW), request));
        }
    }

    /** The run's activities as its start request named them: objects with dependsOn for a DAG run, else names. */
    static JsonNode activities(JsonNode run) {
        JsonNode dependsOn = run.path(ItemCodec.DEPENDS_ON);
        if (!dependsOn.isObject() || dependsOn.isEmpty()) {
            return run.path(ItemCodec.ACTIVITY_ORDER);
        }
        ArrayNode out = Json.array();
        for (JsonNode name : run.path(ItemCodec.ACTIVITY_ORDER)) {
            ObjectNode a = out.addObject().put("name", name.asText());
            JsonNode deps = dependsOn.path(name.asText());
            if (deps.isArray() && !deps.isEmpty()) {
                a.set("dependsOn", deps);
            }
        }
        return out;
    }

    @Command(name = "cancel", description = "Cancel a running run: it ends Error with 'cancelled: REASON' and one Workflow Failed event.")
    static final class Cancel extends Base {
        @Parameters(index = "0", paramLabel = "UID") String uid;
        @Parameters(index = "1", paramLabel = "WORKFLOW") String workflow;
        @Option(names = "--reason", required = true, description = "Why (kept in the run's message and the event).") String reason;

        @Override
        public Integer call() {
            JsonNode run = requireRun(uid, workflow);
            String status = run.path(ItemCodec.STATUS).asText();
            if (List.of("Complete", "Error", "Optional Task Error").contains(status)) {
                throw new CliException(Exit.NO_CHANGE, uid + " / " + workflow + " already ended " + status
                        + (run.hasNonNull(ItemCodec.MESSAGE) ? ": " + run.path(ItemCodec.MESSAGE).asText() : "") + "; nothing to cancel");
            }
            ObjectNode request = Json.object();
            request.put("action", "cancel");
            request.put("uid", uid);
            request.put("workflow", workflow);
            request.put("reason", reason);
            JsonNode answer = invoke(target().export(StackExports.START_WORKFLOW), request);
            boolean ended = "notRunning".equals(answer.path("outcome").asText()); // it ended in the meantime
            if (json()) {
                printJson(answer);
            } else if (ended) {
                out().println(uid + " / " + workflow + ": already ended " + answer.path("status").asText() + ", nothing to cancel");
            } else {
                out().println(uid + " / " + workflow + ": cancel requested (" + reason + ")");
            }
            return ended ? Exit.NO_CHANGE : Exit.OK;
        }
    }

    @Command(name = "plugins", description = "Registered plugins per activity and stage, in dispatch order.")
    static final class Plugins extends Base {
        @Override
        public Integer call() {
            String table = target().export(StackExports.PLUGIN_TABLE);
            List<JsonNode> all = new ArrayList<>();
            // The registry is small (one item per subscription): a scan is its natural read.
            Target.aws(() -> {
                target().dynamo().scanPaginator(b -> b.tableName(table)).items().forEach(i -> all.add(AttributeJson.toJson(i)));
                return null;
            });
            // Activity, then stage in run order (pre, parallel, post), then dispatch order.
            List<String> stages = List.of("pre", "parallel", "async", "post");
            all.sort(Comparator.comparing((JsonNode n) -> n.path("orchestratorId").asText().split("\\|", 2)[0])
                    .thenComparingInt(n -> stages.indexOf(n.path("orchestratorId").asText().replaceFirst("^[^|]*\\|", "")))
                    .thenComparingInt(n -> n.path("order").asInt(1000)).thenComparing(n -> n.path("pluginName").asText()));
            if (json()) {
                ArrayNode a = Json.array();
                all.forEach(a::add);
                printJson(a);
                return Exit.OK;
            }
            if (all.isEmpty()) {
                out().println("no plugins registered");
                return Exit.OK;
            }
            Table t = new Table("ACTIVITY", "STAGE", "ORDER", "PLUGIN", "MANDATORY", "FUNCTION");
            List<String> refused = new ArrayList<>();
            for (JsonNode p : all) {
                String[] id = p.path("orchestratorId").asText().split("\\|", 2);
                // A registration the registrar refused (its role's orchestrator-plugin tag is not its name): the
                // engine does not list it; the reason says what to tag (docs/security.md).
                boolean isRefused = p.hasNonNull("refused");
                t.row(id[0], id.length > 1 ? id[1] : "", p.path("order").asText("1000"),
                        p.path("pluginName").asText() + (isRefused ? " (refused)" : ""),
                        p.path("mandatory").asBoolean() ? "yes" : "no", p.path("functionName").asText());
                if (isRefused) {
                    refused.add("refused " + p.path("pluginName").asText() + " on " + id[0] + "/" + (id.length > 1 ? id[1] : "")
                            + ": " + p.path("refused").asText());
                }
            }
            out().print(t.render());
            refused.forEach(out()::println);
            return Exit.OK;
        }
    }

    static UncheckedIOException unchecked(IOException e) {
        return new UncheckedIOException(e);
    }
}
