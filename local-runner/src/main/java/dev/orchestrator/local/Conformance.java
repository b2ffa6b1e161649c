package dev.orchestrator.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.orchestrator.core.ActivityStatus;
import dev.orchestrator.core.AttributeJson;
import dev.orchestrator.core.Json;
import dev.orchestrator.core.Keys;
import dev.orchestrator.core.StackExports;
import dev.orchestrator.core.Stage;
import dev.orchestrator.core.StageStatus;
import dev.orchestrator.core.State;
import dev.orchestrator.core.StatusStore;
import dev.orchestrator.core.WorkflowRun;
import dev.orchestrator.testkit.FunctionSpec;
import dev.orchestrator.testkit.SamStack;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * Checks one plugin, in any language, against docs/protocol.md: deploys the orchestrator and the
 * plugin's template locally, then drives the plugin by hand (no engine) through initialize, a normal
 * run, duplicate deliveries, a message for another plugin, a stale claim, a due re-run, the parallel
 * join and its window, an error and malformed input, and looks at what it wrote in its own execution
 * item (protocol v3). Every rule is named as in
 * docs/protocol.md ("Conformance rules"); the exit code is 0 only when no rule failed.
 */
final class Conformance {

    enum Verdict { PASS, FAIL, SKIP }

    record Result(String rule, Verdict verdict, String detail) {
    }

    static final String WORKFLOW = "conformance";
    static final String USAGE = "usage: scripts/conformance path/to/template.yaml[,Param=Value...] [--function LogicalId] [--activity Name]";

    private final LocalStack stack;
    private final String function;
    private final String activity;
    private final String stage;
    private final DynamoDbClient dynamo;
    private final String table;
    private final List<Result> results = new ArrayList<>();
    private String plugin;
    private String group;

    Conformance(LocalStack stack, String function, String activity, String stage) {
        this.stack = stack;
        this.function = function;
        this.activity = activity;
        this.stage = stage;
        this.dynamo = stack.emulator.client(DynamoDbClient.builder());
        this.table = stack.export(StackExports.STATUS_TABLE);
    }

    static int main(Path root, List<String> args, Path cwd, Progress progress) {
        Path template = null;
        Map<String, String> given = Map.of();
        String functionId = null;
        String activity = null;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            switch (a) {
                case "--function" -> functionId = value(args, ++i, a);
                case "--activity" -> activity = value(args, ++i, a);
                default -> {
                    if (a.startsWith("--") || template != null) {
                        throw new IllegalArgumentException("unexpected '" + a + "'\n" + USAGE);
                    }
                    // TEMPLATE[,Param=Value...], as --plugin of scripts/local run takes it
                    String path = a.split(",")[0];
                    template = cwd.resolve(path).normalize();
                    if (Files.isDirectory(template)) {
                        template = template.resolve("template.yaml");
                    }
                    if (Files.isRegularFile(template)) {
                        LocalSettings.PluginRef ref = LocalSettings.pluginRef(a, cwd);
                        template = ref.template();
                        given = ref.parameters();
                    }
                }
            }
        }
        if (template == null || !Files.isRegularFile(template)) {
            throw new IllegalArgumentException((template == null ? "no template given" : "no file " + template) + "\n" + USAGE);
        }
        JsonNode parameters = templateParameters(template);
        for (String name : given.keySet()) {
            if (!parameters.has(name)) {
                throw new IllegalArgumentException(template + " declares no parameter " + name + " (it declares "
                        + names(parameters) + ")");
            }
        }
        if (activity == null) {
            activity = given.getOrDefault("Activity", parameters.path("Activity").path("Default").asText("Conformance"));
        }
        Map<String, String> params = new java.util.LinkedHashMap<>(given);
        if (parameters.has("Activity")) {
            params.put("Activity", activity);
        }
        try (LocalStack stack = LocalStack.deploy(root, List.of(activity), List.of(new LocalSettings.PluginRef(template, params)),
                LocalSettings.DEFAULT_REGISTER_TIMEOUT, Map.of(), progress, false)) {
            SamStack plugin = stack.plugins.get(0);
            // The plugin's own queues deliver (a queue plugin's worker reports); the engine stays off.
            stack.runtime.startOnly(plugin);
            int code = 0;
            for (FunctionSpec f : pick(plugin, functionId)) {
                String stage = stageOf(stack, activity, f);
                progress.step("checking " + f.logicalId() + " (" + (f.runtime() == null ? "java" : f.runtime()) + ") on "
                        + activity + "/" + stage + " against docs/protocol.md");
                Conformance c = new Conformance(stack, f.logicalId(), activity, stage);
                c.check();
                code = Math.max(code, c.print(System.out));
            }
            return code;
        }
    }

    private static String value(List<String> args, int i, String flag) {
        if (i >= args.size()) {
            throw new IllegalArgumentException(flag + " needs a value\n" + USAGE);
        }
        return args.get(i);
    }

    /** The functions to check: the one named, else every one subscribed to a topic. */
    static List<FunctionSpec> pick(SamStack plugin, String functionId) {
        if (functionId != null) {
            return List.of(plugin.function(functionId));
        }
        List<FunctionSpec> subscribed = plugin.functions().values().stream()
                .filter(f -> f.sources().stream().anyMatch(s -> s.path("type").asText().equals("sns"))).toList();
        if (subscribed.isEmpty()) {
            throw new IllegalArgumentException("no function of " + plugin.name() + " subscribes to a topic (Events: Type: SNS)");
        }
        return subscribed;
    }

    /** pre, parallel or post: the stage topic the function subscribes to. */
    static String stageOf(LocalStack stack, String activity, FunctionSpec f) {
        for (JsonNode s : f.sources()) {
            for (Stage stage : Stage.values()) {
                if (s.path("topicArn").asText().equals(stack.topic(activity, stage))) {
                    return stage.wireName();
                }
            }
        }
        throw new IllegalArgumentException(f.logicalId() + " subscribes to no stage topic of activity " + activity
                + " (expected Fn::ImportValue of <Stack>-" + activity + "-<pre|parallel|post>-processing)");
    }

    // ------------------------------------------------------------------ the checks

    void check() {
        if (!initialize()) {
            return;
        }
        boolean sequential = !stage.equals("parallel");
        // Pre and post stages address one plugin at a time, and the engine creates its item Not Started as it
        // dispatches; a parallel stage broadcasts to everyone, listing nobody, and the plugin creates its item.
        String addressed = sequential ? plugin : null;
        String dispatched = sequential ? "Not Started" : null;

        // A normal run.
        String uid = run(dispatched, Map.of());
        long v0 = version(uid);
        Outcome first = invoke(sns(message(uid, addressed, dispatched, Map.of())));
        JsonNode e = settled(uid);
        long perRun = version(uid) - v0;
        expect("run-succeeds", first.error == null, "a delivery of a stage message returns without error", first.error);
        expect("report-complete", "Complete".equals(e.path("state").asText()), "the execution item ends Complete",
                "the execution item is " + e + " after the run");
        List<String> claimProblems = claimProblems(e, uid);
        expect("claim-fields", claimProblems.isEmpty(),
                "the claim set startedAt, heartbeatAt, attempt = 1, mandatory, runUid, runWorkflow, activity and stage",
                String.join("; ", claimProblems) + " (item after one run: " + e + ")");
        expect("report-fields", e.path("endedAt").isNumber(), "the report set endedAt", "item after one run: " + e);
        String outputProblem = outputProblem(e);
        if (!e.has("output") && !e.has("outputRef")) {
            skip("output-shape", "the run left no output (docs/protocol.md, \"Complete with an output\")");
        } else {
            expect("output-shape", outputProblem == null, "the output is " + (e.has("output")
                    ? "the JSON text of an object" : "a reference with bucket, key, sha256 and size"), outputProblem);
        }
        boolean stamped = e.path("updatedAt").isNumber() && e.path("updatedAt").asLong() >= e.path("endedAt").asLong(Long.MAX_VALUE);
        expect("version-bump", perRun >= 2 && stamped, "each write adds 1 to version and sets updatedAt (" + perRun + " writes for one run)",
                perRun < 2 ? "version grew by " + perRun + " over a claim and a report; every write must ADD version :one"
                        : "updatedAt is " + e.path("updatedAt") + ", before the report's endedAt " + e.path("endedAt")
                        + "; every write must SET updatedAt = :now");

        // The same message again (SNS redelivers): no second claim, no write.
        long v1 = version(uid);
        Outcome again = invoke(sns(message(uid, addressed, dispatched, Map.of())));
        expect("claim-conditional", again.error == null && version(uid) == v1,
                "a redelivered message finds the claim taken and writes nothing",
                "redelivery after Complete wrote to the item (version " + v1 + " -> " + version(uid) + ", item " + entry(uid)
                        + (again.error == null ? "" : ", error " + again.error) + ")");

        // Two concurrent deliveries of one message: one does the work.
        String dup = run(dispatched, Map.of());
        long d0 = version(dup);
        String m = sns(message(dup, addressed, dispatched, Map.of()));
        CompletableFuture<Outcome> a = CompletableFuture.supplyAsync(() -> invoke(m));
        CompletableFuture<Outcome> b = CompletableFuture.supplyAsync(() -> invoke(m));
        Outcome oa = a.join();
        Outcome ob = b.join();
        JsonNode de = settled(dup);
        long dupWrites = version(dup) - d0;
        expect("duplicate-once", "Complete".equals(de.path("state").asText()) && de.path("attempt").asInt(1) == 1 && dupWrites == perRun,
                "two concurrent deliveries claimed once (" + dupWrites + " writes, as for one run)",
                "two concurrent deliveries: item " + de + ", " + dupWrites + " writes where one run makes " + perRun);
        expect("duplicate-quiet", oa.error == null && ob.error == null, "losing the claim is not an error",
                "a delivery that lost the claim failed: " + (oa.error != null ? oa.error : ob.error));

        // The message (addressed to the plugin, e.g. a re-run) shows it done: nothing to do, nothing written.
        for (String done : List.of("Complete", "Do Not Run")) {
            String u = run(done, Map.of());
            long before = version(u);
            Outcome o = invoke(sns(message(u, plugin, done, Map.of())));
            expect("skip-done", o.error == null && version(u) == before, "a message showing the plugin " + done + " is skipped",
                    "a message showing the plugin " + done + " led to a write or an error (" + o.error + ")");
        }

        // A message for another plugin (sequential stages and re-runs address one plugin at a time).
        String other = run("Not Started", Map.of());
        long ov = version(other);
        Outcome oo = invoke(sns(message(other, "another-plugin", null, Map.of())));
        expect("ignore-other-plugin", oo.error == null && version(other) == ov && "Not Started".equals(entry(other).path("state").asText()),
                "a message whose plugin is another-plugin is ignored",
                "a message addressed to another-plugin changed the plugin's item or failed (item " + entry(other) + ", error " + oo.error + ")");

        // A claim whose attempt died (no heartbeat within the timeout) is taken over by the next delivery.
        long now = System.currentTimeMillis();
        String stale = run("In Progress", Map.of(), Map.of("heartbeatAt", AttributeValue.fromN(Long.toString(now - (TIMEOUT + 60) * 1000L)),
                "startedAt", AttributeValue.fromN(Long.toString(now - (TIMEOUT + 60) * 1000L)), "attempt", AttributeValue.fromN("1")));
        Outcome os = invoke(sns(message(stale, plugin, "In Progress", Map.of())));
        JsonNode se = settled(stale);
        expect("reclaim-stale", os.error == null && "Complete".equals(se.path("state").asText()) && se.path("attempt").asInt() == 2,
                "an In Progress claim without a heartbeat for longer than pluginTimeout is claimed again (attempt 2)",
                "a stale claim (heartbeat " + (TIMEOUT + 60) + " s old, pluginTimeout " + TIMEOUT + " s) was not taken over: item "
                        + se + (os.error == null ? "" : ", error " + os.error));

        // A re-run the plugin asked for (Schedule / RetryError) is due: the engine publishes again, the plugin claims.
        String rerun = run("In Progress", Map.of(), Map.of("heartbeatAt", AttributeValue.fromN(Long.toString(now)),
                "startedAt", AttributeValue.fromN(Long.toString(now)), "attempt", AttributeValue.fromN("1"),
                "rerunAt", AttributeValue.fromN(Long.toString(now - 1000))));
        Outcome or = invoke(sns(message(rerun, plugin, "In Progress", Map.of())));
        JsonNode re = settled(rerun);
        expect("rerun-due", or.error == null && "Complete".equals(re.path("state").asText()) && re.path("attempt").asInt() == 2
                        && !re.has("rerunAt"),
                "an In Progress claim whose rerunAt has come is claimed again (attempt 2, rerunAt removed)",
                "a due re-run was not claimed: item " + re + (or.error == null ? "" : ", error " + or.error));

        if (sequential) {
            skip("parallel-join", "the plugin subscribes to a sequential stage (" + stage + "); the engine always lists it");
            skip("join-window", "sequential stage");
        } else {
            String join = run(null, Map.of());
            Outcome oj = invoke(sns(message(join, null, null, Map.of())));
            JsonNode je = settled(join);
            expect("parallel-join", oj.error == null && "Complete".equals(je.path("state").asText()) && je.path("attempt").asInt(1) == 1,
                    "a plugin the broadcast does not list claims its own item and completes",
                    "a parallel broadcast listing nobody: item " + je + ", error " + oj.error);
            if ("mandatory".equals(group)) {
                skip("join-window", "a mandatory plugin claims whenever it is called; the engine judges the window");
            } else {
                String late = run(null, Map.of());
                ObjectNode lateMessage = (ObjectNode) Json.parse(message(late, null, null, Map.of()));
                lateMessage.put("windowEndsAt", System.currentTimeMillis() - 120_000); // past the 60 s skew tolerance
                Outcome ol = invoke(sns(Json.write(lateMessage)));
                expect("join-window", ol.error == null && entry(late).isMissingNode(),
                        "an optional plugin does not start work from a broadcast past its windowEndsAt",
                        "the plugin claimed from a broadcast whose window had ended (item " + entry(late) + ", error " + ol.error + ")");
            }
        }

        // The work fails: Error with the reason, cut to 180 characters.
        String why = "conformance: forced failure " + "x".repeat(220);
        String err = run(dispatched, Map.of("conformanceFail", why));
        Outcome oe = invoke(sns(message(err, addressed, dispatched, Map.of("conformanceFail", why))));
        JsonNode ee = settled(err);
        if ("Complete".equals(ee.path("state").asText())) {
            skip("report-error", "the plugin completed although metadata.conformanceFail was set (it has no conformance hook)");
        } else {
            String msg = ee.path("message").asText("");
            expect("report-error", "Error".equals(ee.path("state").asText()) && msg.startsWith("conformance: forced failure")
                            && ee.path("endedAt").isNumber(),
                    "a failed run ends Error with the failure's text", "after a failed run the item is " + ee
                            + (oe.error == null ? "" : " and the invocation failed: " + oe.error));
            expect("message-length", msg.length() <= 180, "the message is at most 180 characters",
                    "message of " + msg.length() + " characters");
        }

        // Schedule: the plugin asks to run again in SCHEDULE_SECONDS (its metadata.conformanceSchedule hook).
        String sched = run(dispatched, Map.of("conformanceSchedule", Integer.toString(SCHEDULE_SECONDS)));
        long s0 = version(sched);
        long schedFrom = System.currentTimeMillis();
        Outcome osc = invoke(sns(message(sched, addressed, dispatched, Map.of("conformanceSchedule", Integer.toString(SCHEDULE_SECONDS)))));
        JsonNode sc = written(sched, s0);
        long schedTo = System.currentTimeMillis();
        if (List.of("Complete", "Error").contains(sc.path("state").asText()) && osc.error == null) {
            skip("schedule", "the plugin ended " + sc.path("state").asText() + " although metadata.conformanceSchedule was set (no hook)");
        } else {
            List<String> p = rerunProblems(sc, schedFrom + SCHEDULE_SECONDS * 1000L - SKEW_MS, schedTo + SCHEDULE_SECONDS * 1000L + SKEW_MS);
            expect("schedule", osc.error == null && p.isEmpty(),
                    "Schedule(" + SCHEDULE_SECONDS + " s) left the item In Progress with rerunAt " + SCHEDULE_SECONDS + " s ahead and a message",
                    "after Schedule(" + SCHEDULE_SECONDS + " s): " + String.join("; ", p) + " (item " + sc + ")"
                            + (osc.error == null ? "" : ", the invocation failed: " + osc.error));
        }

        // RetryError: a transient failure re-runs later; past the plugin's own limit it ends Error with the reason.
        String retry = run(dispatched, Map.of("conformanceRetry", RETRY_REASON));
        long r0 = version(retry);
        long retryFrom = System.currentTimeMillis();
        Outcome ort = invoke(sns(message(retry, addressed, dispatched, Map.of("conformanceRetry", RETRY_REASON))));
        JsonNode rt = written(retry, r0);
        if ("Complete".equals(rt.path("state").asText()) && ort.error == null) {
            skip("retry-error", "the plugin completed although metadata.conformanceRetry was set (no hook)");
        } else {
            List<String> p = new ArrayList<>(rerunProblems(rt, retryFrom, System.currentTimeMillis() + 3_600_000L));
            if (!rt.path("message").asText("").contains(RETRY_REASON)) {
                p.add("message must carry the error (" + RETRY_REASON + ")");
            }
            // The same failure at attempt 50 (claimed from a due re-run): past any sensible limit, it gives up.
            long t = System.currentTimeMillis();
            String last = run("In Progress", Map.of("conformanceRetry", RETRY_REASON), Map.of("heartbeatAt", AttributeValue.fromN(Long.toString(t)),
                    "startedAt", AttributeValue.fromN(Long.toString(t)), "attempt", AttributeValue.fromN(Integer.toString(RETRY_LAST_ATTEMPT - 1)),
                    "rerunAt", AttributeValue.fromN(Long.toString(t - 1000))));
            Outcome ol = invoke(sns(message(last, plugin, "In Progress", Map.of("conformanceRetry", RETRY_REASON))));
            JsonNode le = settled(last);
            if (!"Error".equals(le.path("state").asText()) || !le.path("message").asText("").contains(RETRY_REASON)) {
                p.add("at attempt " + RETRY_LAST_ATTEMPT + " the item must end Error with the reason (\"gave up after N attempts: <reason>\"), "
                        + "not " + le + (ol.error == null ? "" : " (the invocation failed: " + ol.error + ")"));
            }
            expect("retry-error", ort.error == null && p.isEmpty(),
                    "RetryError left the item In Progress with a future rerunAt and the reason; at attempt " + RETRY_LAST_ATTEMPT + " it ended Error",
                    "after RetryError: " + String.join("; ", p) + " (item " + rt + ")" + (ort.error == null ? "" : ", the invocation failed: " + ort.error));
        }

        // Long work: with a pluginTimeout of 3 s the plugin heartbeats every second while it works. Plugins
        // that honour metadata.conformanceWorkSeconds (work that long) are checked; others are skipped.
        String slow = run(dispatched, Map.of("conformanceWorkSeconds", "4"));
        Outcome ow = invoke(sns(message(slow, addressed, dispatched, Map.of("conformanceWorkSeconds", "4"), HEARTBEAT_TIMEOUT)));
        JsonNode we = settled(slow);
        long worked = we.path("endedAt").asLong(0) - we.path("startedAt").asLong(0);
        if (ow.error != null || !we.path("endedAt").isNumber() || worked < HEARTBEAT_TIMEOUT * 1000L) {
            skip("heartbeat", "the work took " + worked + " ms, not the " + HEARTBEAT_TIMEOUT + " s timeout or more (no "
                    + "metadata.conformanceWorkSeconds hook)" + (ow.error == null ? "" : "; the invocation failed: " + ow.error));
        } else {
            long last = we.path("heartbeatAt").asLong(0);
            expect("heartbeat", last > we.path("startedAt").asLong(0) && we.path("endedAt").asLong() - last <= HEARTBEAT_TIMEOUT * 1000L,
                    "worked " + worked + " ms with a " + HEARTBEAT_TIMEOUT + " s timeout and heartbeat (last " + (we.path("endedAt").asLong() - last)
                            + " ms before the report)",
                    "worked " + worked + " ms with a " + HEARTBEAT_TIMEOUT + " s pluginTimeout, but "
                            + (last <= we.path("startedAt").asLong(0) ? "never heartbeat after the claim"
                            : "its last heartbeat was " + (we.path("endedAt").asLong() - last) + " ms before the report")
                            + " (heartbeat every timeout / 3 while working)");
        }

        // Malformed input: the invocation fails naming the problem, nothing is written.
        String bad = run(dispatched, Map.of());
        long bv = version(bad);
        ObjectNode noUid = (ObjectNode) Json.parse(message(bad, addressed, dispatched, Map.of()));
        noUid.remove("uid");
        Outcome ob1 = invoke(sns(Json.write(noUid)));
        Outcome ob2 = invoke("{\"unexpected\":true}");
        expect("reject-malformed", ob1.error != null && ob2.error != null && version(bad) == bv,
                "a stage message without uid and an event that is neither SNS nor initialize fail the invocation",
                "malformed input was accepted: no uid -> " + (ob1.error == null ? "no error" : "error") + ", {\"unexpected\":true} -> "
                        + (ob2.error == null ? "no error" : "error"));
    }

    /** The delay the schedule rule asks for (metadata.conformanceSchedule, seconds). */
    static final int SCHEDULE_SECONDS = 600;
    /** The error the retry-error rule asks for (metadata.conformanceRetry). */
    static final String RETRY_REASON = "conformance: transient failure";
    /** The attempt at which a plugin still answering RetryError must have given up. */
    static final int RETRY_LAST_ATTEMPT = 50;
    /** Clock tolerance of the schedule rule's rerunAt (ms). */
    static final long SKEW_MS = 2_000;

    /**
     * What a Schedule / RetryError write must have left (docs/protocol.md, "Schedule and RetryError"): the item
     * still In Progress, no endedAt, a message of at most 180 characters, heartbeatAt refreshed and rerunAt within
     * [from, to]. A plugin behind a queue may carry the delay in its queue instead: then no rerunAt, but a
     * heartbeat after its claim. Pure.
     */
    static List<String> rerunProblems(JsonNode e, long from, long to) {
        List<String> p = new ArrayList<>();
        if (!"In Progress".equals(e.path("state").asText())) {
            p.add("state must stay 'In Progress', not '" + e.path("state").asText() + "'");
        }
        if (e.has("endedAt")) {
            p.add("endedAt must not be set (the work is not over)");
        }
        String msg = e.path("message").asText("");
        if (msg.isEmpty() || msg.length() > 180) {
            p.add("message must say what it waits for, in at most 180 characters (got " + msg.length() + ")");
        }
        if (e.has("rerunAt")) {
            long at = e.path("rerunAt").asLong(-1);
            if (!e.get("rerunAt").isNumber() || at < from || at > to) {
                p.add("rerunAt must be epoch ms between " + from + " and " + to + ", got " + e.get("rerunAt"));
            }
            if (e.path("heartbeatAt").asLong(0) < e.path("startedAt").asLong(Long.MAX_VALUE)) {
                p.add("heartbeatAt must be set with rerunAt");
            }
        } else if (e.path("heartbeatAt").asLong(0) <= e.path("startedAt").asLong(Long.MAX_VALUE)) {
            p.add("rerunAt must be set to now + delay * 1000 (or, behind a queue, heartbeatAt refreshed after the claim)");
        }
        return p;
    }

    /** What the claim must have written into the execution item (docs/protocol.md, "Claim"). */
    private List<String> claimProblems(JsonNode e, String uid) {
        List<String> p = new ArrayList<>();
        if (!e.path("startedAt").isNumber() || !e.path("heartbeatAt").isNumber()) {
            p.add("startedAt and heartbeatAt must be numbers (epoch ms)");
        }
        if (e.path("attempt").asInt() != 1) {
            p.add("attempt must be 1 after the first claim");
        }
        if (!e.path("mandatory").isBoolean() || e.path("mandatory").asBoolean() != "mandatory".equals(group)) {
            p.add("mandatory must be " + "mandatory".equals(group) + " (as the initialize reply declares for " + activity + ")");
        }
        Map<String, String> identity = Map.of("runUid", uid, "runWorkflow", WORKFLOW, "activity", activity, "stage", stage);
        identity.forEach((field, want) -> {
            if (!want.equals(e.path(field).asText(null))) {
                p.add(field + " must be '" + want + "'");
            }
        });
        return p;
    }

    private boolean initialize() {
        Outcome o = invoke("{\"action\":\"initialize\"}");
        JsonNode info = null;
        List<String> problems = new ArrayList<>();
        if (o.error != null) {
            problems.add("the invocation failed: " + o.error);
        } else {
            try {
                info = Json.parse(o.output);
            } catch (RuntimeException e) {
                problems.add("the reply is not JSON: " + o.output);
            }
        }
        if (info != null) {
            problems.addAll(initializeProblems(info, activity));
        }
        if (!problems.isEmpty()) {
            fail("initialize", String.join("; ", problems));
            return false;
        }
        plugin = info.get("pluginName").asText();
        JsonNode override = info.path("overrides").path(activity).path("mandatory");
        boolean mandatory = override.isBoolean() ? override.asBoolean() : info.path("default").path("mandatory").asBoolean(false);
        group = mandatory ? "mandatory" : "optional";
        pass("initialize", "reply names plugin '" + plugin + "' (" + group + " on " + activity + ")");
        return true;
    }

    /** The initialize reply against docs/schemas/initialize-reply.schema.json. Pure. */
    static List<String> initializeProblems(JsonNode info, String activity) {
        List<String> p = new ArrayList<>();
        if (!info.isObject()) {
            return List.of("the reply must be a JSON object, not " + info);
        }
        if (!info.path("pluginName").isTextual() || !dev.orchestrator.core.Names.validPluginName(info.get("pluginName").asText())) {
            p.add("pluginName must be 1-" + dev.orchestrator.core.Names.MAX_PLUGIN_NAME
                    + " letters, digits, '.', '_' or '-', starting with a letter or digit (got " + info.get("pluginName") + ")");
        }
        JsonNode d = info.path("default");
        if (!info.has("default") || !d.isObject() || !d.path("mandatory").isBoolean()) {
            p.add("default.mandatory must be true or false");
        }
        for (String f : List.of("pluginRegisterTimeout", "timeout")) {
            if (d.has(f) && (!d.get(f).canConvertToInt() || !d.get(f).isIntegralNumber() || d.get(f).asInt() < 1)) {
                p.add("default." + f + " must be a positive whole number of seconds");
            }
        }
        info.path("overrides").fields().forEachRemaining(e -> {
            JsonNode m = e.getValue().get("mandatory");
            if (m != null && !m.isBoolean()) {
                p.add("overrides." + e.getKey() + ".mandatory must be true or false");
            }
        });
        if (info.has("order") && !info.get("order").isIntegralNumber()) {
            p.add("order must be a whole number");
        }
        for (String f : List.of("alwaysRun", "idempotent")) {
            if (info.has(f) && !info.get(f).isBoolean()) {
                p.add(f + " must be true or false");
            }
        }
        return p;
    }

    // ------------------------------------------------------------------ plumbing

    private record Outcome(String output, String error) {
    }

    private Outcome invoke(String event) {
        try {
            return new Outcome(stack.runtime.invoke(function, event), null);
        } catch (RuntimeException e) {
            return new Outcome(null, String.valueOf(e.getMessage()));
        }
    }

    private static long future() {
        return System.currentTimeMillis() + 3_600_000;
    }

    /** The pluginTimeout the check's messages carry (seconds). */
    static final int TIMEOUT = 900;

    private Keys.Execution execution(String uid) {
        return new Keys.Execution(plugin, uid, WORKFLOW, activity, Stage.fromWire(stage));
    }

    private String run(String state, Map<String, String> metadata) {
        return run(state, metadata, Map.of());
    }

    /**
     * A run whose activity has this stage open (its header, as the engine writes it) and, when {@code state} is
     * not null, the plugin's execution item in that state as the engine leaves it (dispatched Not Started, or
     * ended), plus {@code extra} attributes (a claim's heartbeat, a re-run time).
     */
    private String run(String state, Map<String, String> metadata, Map<String, AttributeValue> extra) {
        String uid = "conf-" + UUID.randomUUID().toString().substring(0, 8);
        long now = System.currentTimeMillis();
        ObjectNode meta = Json.object();
        meta.put("tenantId", "conformance");
        metadata.forEach(meta::put);
        StageStatus open = new StageStatus(State.IN_PROGRESS, Map.of(), Map.of(), 3600, now, future());
        StageStatus done = new StageStatus(State.COMPLETE, Map.of(), Map.of(), null, null, null);
        StageStatus none = StageStatus.notStarted();
        Stage ours = Stage.fromWire(stage);
        ActivityStatus act = new ActivityStatus(State.IN_PROGRESS, ours == Stage.PRE ? open : done,
                ours == Stage.PARALLEL ? open : ours == Stage.PRE ? none : done, ours == Stage.POST ? open : none);
        new StatusStore(dynamo, table).create(new WorkflowRun(uid, WORKFLOW, State.IN_PROGRESS, meta, List.of(activity),
                Map.of(activity, act), null, 1, null), now);
        if (state != null) {
            Keys.Execution x = execution(uid);
            Map<String, AttributeValue> item = new LinkedHashMap<>(x.key());
            item.put("state", AttributeValue.fromS(state));
            item.put("order", AttributeValue.fromN("10"));
            item.put("mandatory", AttributeValue.fromBool("mandatory".equals(group)));
            item.put("dispatchedAt", AttributeValue.fromN(Long.toString(now)));
            item.put("runUid", AttributeValue.fromS(uid));
            item.put("runWorkflow", AttributeValue.fromS(WORKFLOW));
            item.put("activity", AttributeValue.fromS(activity));
            item.put("stage", AttributeValue.fromS(stage));
            item.put("version", AttributeValue.fromN("1"));
            item.put("updatedAt", AttributeValue.fromN(Long.toString(now)));
            item.putAll(extra);
            dynamo.putItem(b -> b.tableName(table).item(item));
        }
        return uid;
    }

    /** The pluginTimeout (seconds) of the heartbeat rule's message: heartbeats are due every second. */
    static final int HEARTBEAT_TIMEOUT = 3;

    /** A stage message; {@code ownState} (not null only when addressed to the plugin) is its entry as the engine sends it. */
    private String message(String uid, String addressed, String ownState, Map<String, String> metadata) {
        return message(uid, addressed, ownState, metadata, TIMEOUT);
    }

    private String message(String uid, String addressed, String ownState, Map<String, String> metadata, int pluginTimeout) {
        ObjectNode m = Json.object();
        m.put("uid", uid);
        m.put("workflow", WORKFLOW);
        m.put("activity", activity);
        m.put("stage", stage);
        if (addressed != null) {
            m.put("plugin", addressed);
        }
        ObjectNode meta = m.putObject("metadata");
        meta.put("tenantId", "conformance");
        metadata.forEach(meta::put);
        if (!stage.equals("pre") && !stage.equals("post")) {
            m.put("windowEndsAt", future());
        }
        m.put("pluginTimeout", pluginTimeout);
        ObjectNode plugins = m.putObject("plugins");
        plugins.putObject("mandatory");
        plugins.putObject("optional");
        if (ownState != null && plugin.equals(addressed)) {
            ((ObjectNode) plugins.get(group)).putObject(plugin).put("state", ownState).put("order", 10).put("attempt", 0);
        }
        return Json.write(m);
    }

    /** The SNS event Lambda passes for a stage message, with the attributes the engine sets. */
    private String sns(String body) {
        JsonNode msg = Json.parse(body);
        ObjectNode event = Json.object();
        ObjectNode record = event.putArray("Records").addObject();
        record.put("EventSource", "aws:sns");
        record.put("EventVersion", "1.0");
        record.put("EventSubscriptionArn", "arn:aws:sns:us-east-1:123456789012:conformance:" + UUID.randomUUID());
        ObjectNode sns = record.putObject("Sns");
        sns.put("Type", "Notification");
        sns.put("MessageId", UUID.randomUUID().toString());
        sns.put("TopicArn", stack.topic(activity, Stage.fromWire(stage)));
        sns.put("Message", body);
        ObjectNode attributes = sns.putObject("MessageAttributes");
        for (String a : List.of("workflow", "activity", "stage", "plugin")) {
            if (msg.hasNonNull(a)) {
                attributes.putObject(a).put("Type", "String").put("Value", msg.get(a).asText());
            }
        }
        return Json.write(event);
    }

    /** The plugin's execution item for this run (empty when it has none). */
    private Map<String, AttributeValue> item(String uid) {
        return dynamo.getItem(b -> b.tableName(table).consistentRead(true).key(execution(uid).key())).item();
    }

    private long version(String uid) {
        AttributeValue v = item(uid).get("version");
        return v == null ? 0 : Long.parseLong(v.n());
    }

    /**
     * The entry once it has an outcome: a plugin behind a queue reports from its worker, after the
     * invocation returned. Gives up after {@link #SETTLE}.
     */
    private JsonNode settled(String uid) {
        long deadline = System.currentTimeMillis() + SETTLE.toMillis();
        JsonNode e = entry(uid);
        while (!List.of("Complete", "Error").contains(e.path("state").asText()) && System.currentTimeMillis() < deadline) {
            RunWatcher.sleep(200);
            e = entry(uid);
        }
        return e;
    }

    static final java.time.Duration SETTLE = java.time.Duration.ofSeconds(20);

    /**
     * The entry once the plugin answered a Schedule or RetryError request: ended, or with a rerunAt, or two
     * writes past {@code from} (a claim and, behind a queue, a heartbeat). Gives up after {@link #SETTLE}.
     */
    private JsonNode written(String uid, long from) {
        long deadline = System.currentTimeMillis() + SETTLE.toMillis();
        JsonNode e = entry(uid);
        while (!List.of("Complete", "Error").contains(e.path("state").asText()) && !e.has("rerunAt")
                && e.path("version").asLong(0) - from < 2 && System.currentTimeMillis() < deadline) {
            RunWatcher.sleep(200);
            e = entry(uid);
        }
        return e;
    }


    /** The plugin's execution item as JSON, or a missing node. */
    private JsonNode entry(String uid) {
        Map<String, AttributeValue> item = item(uid);
        return item == null || item.isEmpty() ? Json.object().path("none") : AttributeJson.toJson(item);
    }

    /** Why an execution item's output breaks the protocol (an object's JSON text inline, or a whole reference), or null. */
    static String outputProblem(JsonNode item) {
        if (item.has("output")) {
            JsonNode text = item.get("output");
            if (!text.isTextual()) {
                return "output must be a string attribute holding an object's JSON text, got " + text.getNodeType();
            }
            try {
                JsonNode parsed = Json.parse(text.asText());
                return parsed.isObject() ? null : "output must be the JSON text of an object, got " + parsed.getNodeType();
            } catch (RuntimeException unreadable) {
                return "output is not JSON: " + unreadable.getMessage();
            }
        }
        if (item.has("outputRef")) {
            JsonNode ref = item.get("outputRef");
            for (String f : new String[] {"bucket", "key", "sha256", "size"}) {
                if (!ref.has(f)) {
                    return "outputRef lacks " + f;
                }
            }
            if (!ref.path("sha256").asText().matches("[0-9a-f]{64}")) {
                return "outputRef.sha256 must be 64 lowercase hex digits";
            }
        }
        return null;
    }

    private void expect(String rule, boolean ok, String passDetail, String failDetail) {
        if (ok) {
            pass(rule, passDetail);
        } else {
            fail(rule, failDetail);
        }
    }

    private void pass(String rule, String detail) {
        results.add(new Result(rule, Verdict.PASS, detail));
    }

    private void fail(String rule, String detail) {
        results.add(new Result(rule, Verdict.FAIL, detail));
    }

    private void skip(String rule, String detail) {
        results.add(new Result(rule, Verdict.SKIP, detail));
    }

    List<Result> results() {
        return List.copyOf(results);
    }

    int print(PrintStream out) {
        long failed = results.stream().filter(r -> r.verdict() == Verdict.FAIL).count();
        long passed = results.stream().filter(r -> r.verdict() == Verdict.PASS).count();
        out.println();
        for (Result r : results) {
            out.printf("%-4s %-20s %s%n", r.verdict(), r.rule(), r.detail());
        }
        out.println();
        out.println("conformance of " + (plugin == null ? function : plugin) + ": " + passed + " passed, " + failed + " failed, "
                + (results.size() - passed - failed) + " skipped -> " + (failed == 0 ? "CONFORMS" : "DOES NOT CONFORM")
                + (failed == 0 ? "" : " (rules: docs/protocol.md#conformance-rules)"));
        out.flush();
        return failed == 0 ? 0 : 1;
    }

    /** The template's Parameters section (for the Activity parameter's default), read with the SAM translator's YAML parser. */
    private static List<String> names(JsonNode object) {
        List<String> out = new ArrayList<>();
        object.fieldNames().forEachRemaining(out::add);
        return out;
    }

    static JsonNode templateParameters(Path template) {
        String python = System.getenv().getOrDefault("ORCHESTRATOR_PYTHON", "python3");
        String code = "import json,sys\nfrom samtranslator.yaml_helper import yaml_parse\n"
                + "print(json.dumps(yaml_parse(open(sys.argv[1]).read()).get('Parameters', {}), default=str))";
        try {
            Process p = new ProcessBuilder(python, "-c", code, template.toString()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalArgumentException("cannot read " + template + ": " + out);
            }
            return Json.parse(out.trim());
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot run " + python + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static Map<String, String> noParams() {
        return new LinkedHashMap<>();
    }
}
