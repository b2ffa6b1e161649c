package dev.orchestrator.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.orchestrator.core.Json;
import dev.orchestrator.core.Keys;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * What each plugin function writes to the status table, seen on the wire: every plugin function of a
 * local run gets an {@code AWS_ENDPOINT_URL} of its own, a loopback proxy in front of the emulator
 * that passes every call through unchanged and records the plugin's writes to the status table with
 * DynamoDB's answer. {@code scripts/local run} judges them at the end (see {@link #problems}), so a
 * write the plugin got wrong is a failed run, not a plugin quietly missing from the tree.
 */
final class WriteWatch implements AutoCloseable {

    /** One write of a plugin function to the status table and DynamoDB's answer (error null when it succeeded). */
    record Write(String function, String operation, String uid, String workflow, List<String> names,
                 String error, String errorMessage, List<String> broken, long at) {
    }

    private static final Set<String> WRITES = Set.of("UpdateItem", "PutItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems");
    private static final Set<String> HOP_BY_HOP = Set.of("host", "connection", "content-length", "expect", "upgrade",
            "transfer-encoding", "keep-alive");

    private final URI emulator;
    private final String statusTable;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "write-watch");
        t.setDaemon(true);
        return t;
    });
    private final List<HttpServer> servers = new CopyOnWriteArrayList<>();
    private final List<Write> writes = new CopyOnWriteArrayList<>();

    WriteWatch(URI emulator, String statusTable) {
        this.emulator = emulator;
        this.statusTable = statusTable;
    }

    /** A loopback endpoint for one function: every call passes to the emulator; its status-table writes are recorded under {@code function}. */
    String endpointFor(String function) {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            server.createContext("/", exchange -> pass(function, exchange));
            server.setExecutor(threads);
            server.start();
            servers.add(server);
            return "http://" + InetAddress.getLoopbackAddress().getHostAddress() + ":" + server.getAddress().getPort();
        } catch (IOException e) {
            throw new IllegalStateException("cannot open a loopback port for " + function + ": " + e.getMessage(), e);
        }
    }

    List<Write> writes() {
        return List.copyOf(writes);
    }

    /** Records one write (the proxy does; tests give writes directly). */
    void add(Write w) {
        writes.add(w);
    }

    private void pass(String function, HttpExchange exchange) throws IOException {
        try (exchange) {
            byte[] body;
            try (InputStream in = exchange.getRequestBody()) {
                body = in.readAllBytes();
            }
            URI target = emulator.resolve(exchange.getRequestURI().toString());
            HttpRequest.Builder request = HttpRequest.newBuilder(target).timeout(Duration.ofMinutes(5))
                    .method(exchange.getRequestMethod(), body.length == 0 ? HttpRequest.BodyPublishers.noBody()
                            : HttpRequest.BodyPublishers.ofByteArray(body));
            exchange.getRequestHeaders().forEach((name, values) -> {
                if (!HOP_BY_HOP.contains(name.toLowerCase())) {
                    values.forEach(v -> request.header(name, v));
                }
            });
            HttpResponse<byte[]> response;
            try {
                response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                exchange.sendResponseHeaders(503, -1);
                return;
            } catch (IOException e) {
                exchange.sendResponseHeaders(502, -1);
                return;
            }
            String amzTarget = exchange.getRequestHeaders().getFirst("X-Amz-Target");
            if (amzTarget != null && amzTarget.startsWith("DynamoDB_20120810.")) {
                record(function, amzTarget.substring(amzTarget.indexOf('.') + 1), body, response);
            }
            response.headers().map().forEach((name, values) -> {
                if (!HOP_BY_HOP.contains(name.toLowerCase()) && !name.startsWith(":")) {
                    values.forEach(v -> exchange.getResponseHeaders().add(name, v));
                }
            });
            byte[] out = response.body();
            boolean head = exchange.getRequestMethod().equalsIgnoreCase("HEAD");
            exchange.sendResponseHeaders(response.statusCode(), head || out.length == 0 ? -1 : out.length);
            if (!head && out.length > 0) {
                try (OutputStream o = exchange.getResponseBody()) {
                    o.write(out);
                }
            }
        }
    }

    private void record(String function, String operation, byte[] body, HttpResponse<byte[]> response) {
        if (!WRITES.contains(operation)) {
            return;
        }
        JsonNode request;
        try {
            request = Json.parse(new String(body, java.nio.charset.StandardCharsets.UTF_8));
        } catch (RuntimeException e) {
            return; // not JSON: DynamoDB answers that itself
        }
        boolean status = statusTable.equals(request.path("TableName").asText())
                || request.toString().contains("\"" + statusTable + "\"");
        if (!status) {
            return;
        }
        String error = null;
        String message = null;
        if (response.statusCode() >= 300) {
            JsonNode answer;
            try {
                answer = Json.parse(new String(response.body(), java.nio.charset.StandardCharsets.UTF_8));
            } catch (RuntimeException e) {
                answer = Json.parse("{}");
            }
            String type = answer.path("__type").asText("HTTP " + response.statusCode());
            error = type.substring(type.indexOf('#') + 1);
            message = answer.path("message").asText(answer.path("Message").asText(""));
        }
        List<String> names = new ArrayList<>();
        request.path("ExpressionAttributeNames").forEach(n -> names.add(n.asText()));
        JsonNode key = request.path("Key");
        add(new Write(function, operation, key.path("uid").path("S").asText(null), key.path("workflow").path("S").asText(null),
                names, error, message, broken(operation, request), System.currentTimeMillis()));
    }

    /**
     * Wire rules every plugin write keeps (docs/protocol.md, "The execution item" and "The writes"),
     * checked on the request alone: one UpdateItem, on the plugin's own execution item (key
     * {@code ~<plugin>~<uid>}), stamping {@code updatedAt} and adding 1 to {@code version}.
     */
    static List<String> broken(String operation, JsonNode request) {
        List<String> broken = new ArrayList<>();
        if (!operation.equals("UpdateItem")) {
            broken.add("update-item: every plugin write is one UpdateItem, not " + operation);
            return broken;
        }
        String uidKey = request.path("Key").path("uid").path("S").asText("");
        Keys.Kind kind = Keys.kind(uidKey);
        if (kind != Keys.Kind.EXECUTION) {
            broken.add("own-item: a plugin writes only its own execution item (uid '~<plugin>~<run uid>'), not "
                    + (kind == Keys.Kind.HEADER ? "the run's header '" + uidKey + "'" : "the engine's roster '" + uidKey + "'"));
        } else {
            try {
                Keys.execution(uidKey, request.path("Key").path("workflow").path("S").asText(""));
            } catch (RuntimeException e) {
                broken.add("own-item: " + e.getMessage() + " (key: uid '~<plugin>~<run uid>', workflow '<workflow>\\u001f<activity>\\u001f<stage>')");
            }
        }
        Map<String, String> names = new LinkedHashMap<>();
        request.path("ExpressionAttributeNames").fields().forEachRemaining(e -> names.put(e.getKey(), e.getValue().asText()));
        String update = substitute(request.path("UpdateExpression").asText(""), names);
        Matcher add = Pattern.compile("(?i)\\bADD\\s+version\\s+(:\\w+)").matcher(update);
        if (!add.find()) {
            broken.add("version-bump: the UpdateExpression lacks ADD version :one");
        } else if (!"1".equals(request.path("ExpressionAttributeValues").path(add.group(1)).path("N").asText())) {
            broken.add("version-bump: ADD version adds " + request.path("ExpressionAttributeValues").path(add.group(1)) + ", not 1");
        }
        if (!Pattern.compile("(?is)\\bSET\\b.*\\bupdatedAt\\s*=").matcher(update).find()) {
            broken.add("version-bump: the UpdateExpression lacks SET updatedAt = :now");
        }
        broken.addAll(conformance(sets(update), request.path("ExpressionAttributeValues")));
        return broken;
    }

    /** What a claim sets besides the state (docs/protocol.md, "Claim"). */
    static final List<String> CLAIM_FIELDS = List.of("startedAt", "heartbeatAt", "attempt", "mandatory", "runUid", "runWorkflow",
            "activity", "stage");

    /**
     * The conformance rules a single write shows (docs/protocol.md, "Conformance rules"), judged during a local run
     * as scripts/conformance judges them: a claim (SET state = In Progress) sets every claim field
     * ({@code claim-fields}); a report (SET state = Complete / Error) sets endedAt ({@code report-fields}); a
     * message is at most 180 characters ({@code message-length}); a Schedule / RetryError (SET rerunAt) sets
     * heartbeatAt and a message, and rerunAt in epoch ms ({@code schedule}). Pure.
     */
    static List<String> conformance(Map<String, String> sets, JsonNode values) {
        List<String> broken = new ArrayList<>();
        String state = text(values, sets.get("state"));
        if ("In Progress".equals(state)) {
            List<String> missing = CLAIM_FIELDS.stream().filter(f -> !sets.containsKey(f)).toList();
            if (!missing.isEmpty()) {
                broken.add("claim-fields: the claim (SET state = In Progress) lacks SET " + String.join(", ", missing));
            }
        } else if ("Complete".equals(state) || "Error".equals(state)) {
            if (!sets.containsKey("endedAt")) {
                broken.add("report-fields: the report (SET state = " + state + ") lacks SET endedAt = :now");
            }
        }
        String message = text(values, sets.get("message"));
        if (message != null && message.length() > 180) {
            broken.add("message-length: message is " + message.length() + " characters, over 180");
        }
        if (sets.containsKey("rerunAt")) {
            List<String> missing = java.util.stream.Stream.of("heartbeatAt", "message").filter(f -> !sets.containsKey(f)).toList();
            if (!missing.isEmpty()) {
                broken.add("schedule: a Schedule / RetryError (SET rerunAt) lacks SET " + String.join(", ", missing));
            }
            JsonNode at = placeholder(values, sets.get("rerunAt"));
            if (at != null && at.has("N") && at.get("N").asText().matches("\\d+") && Long.parseLong(at.get("N").asText()) < 100_000_000_000L) {
                broken.add("schedule: rerunAt must be epoch milliseconds, got " + at.get("N").asText() + " (seconds?)");
            }
        }
        return broken;
    }

    /** The SET clause's assignments, attribute name to right-hand side, names already substituted. Pure. */
    static Map<String, String> sets(String update) {
        Map<String, String> out = new LinkedHashMap<>();
        Matcher set = Pattern.compile("(?is)\\bSET\\b(.*?)(?=\\b(?:REMOVE|ADD|DELETE)\\b|$)").matcher(update);
        if (!set.find()) {
            return out;
        }
        int depth = 0;
        StringBuilder part = new StringBuilder();
        List<String> parts = new ArrayList<>();
        for (char c : set.group(1).toCharArray()) {
            depth += c == '(' ? 1 : c == ')' ? -1 : 0;
            if (c == ',' && depth == 0) {
                parts.add(part.toString());
                part.setLength(0);
            } else {
                part.append(c);
            }
        }
        parts.add(part.toString());
        for (String p : parts) {
            int eq = p.indexOf('=');
            if (eq > 0) {
                out.put(p.substring(0, eq).trim(), p.substring(eq + 1).trim());
            }
        }
        return out;
    }

    private static JsonNode placeholder(JsonNode values, String rhs) {
        return rhs == null || !rhs.matches(":\\w+") ? null : values.get(rhs);
    }

    private static String text(JsonNode values, String rhs) {
        JsonNode v = placeholder(values, rhs);
        return v == null || !v.has("S") ? null : v.get("S").asText();
    }

    private static String substitute(String expression, Map<String, String> names) {
        Matcher m = Pattern.compile("#\\w+").matcher(expression);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(out, Matcher.quoteReplacement(names.getOrDefault(m.group(), m.group())));
        }
        m.appendTail(out);
        return out.toString();
    }

    /** Reads one execution item (consistently) by its key; an empty map when it does not exist. */
    interface ItemReader {
        Map<String, AttributeValue> read(Keys.Execution execution);
    }

    /** Whether a write names one run: its execution items (v3), or its header or roster when a plugin broke own-item. */
    private static Keys.Execution executionOf(Write w) {
        if (w.uid() == null || w.workflow() == null || Keys.kind(w.uid()) != Keys.Kind.EXECUTION) {
            return null;
        }
        try {
            return Keys.execution(w.uid(), w.workflow());
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static boolean ofRun(Write w, String uid, String workflow) {
        Keys.Execution x = executionOf(w);
        if (x != null) {
            return x.uid().equals(uid) && x.workflow().equals(workflow);
        }
        return w.uid() != null && (w.uid().equals(uid) || w.uid().equals(Keys.rosterPartition(uid)))
                && (w.workflow() == null || w.workflow().startsWith(workflow));
    }

    /**
     * What went wrong in the plugins' writes to one run (protocol v3: each plugin writes its own execution
     * items), judged once the run ended:
     * <ul>
     * <li>a broken wire rule ({@link #broken});</li>
     * <li>any error other than a failed condition (a misspelt placeholder is a ValidationException);</li>
     * <li>rule {@code claim-refused}: every write a function made to one of its execution items failed its
     *     condition while the item was still open (it did not exist, or changed later: dispatched, dropped or
     *     timed out), and the item did not end {@code Complete} - a condition it should have met, e.g. a slip
     *     or a misspelt value in its claim. A refusal by an item already ended (done by another delivery,
     *     cancelled) is the right answer;</li>
     * <li>rule {@code join-refused}: its claim succeeded but the engine refused it: the item ended
     *     {@code Do Not Run} with {@code refused: <why>} (it joined after the registration window, or a
     *     sequential stage does not list it).</li>
     * </ul>
     * Each line names the plugin function and the rule.
     */
    List<String> problems(String uid, String workflow, ItemReader items) {
        List<String> out = new ArrayList<>();
        Map<String, List<Write>> byFunction = new LinkedHashMap<>();
        for (Write w : writes) {
            if (ofRun(w, uid, workflow)) {
                byFunction.computeIfAbsent(w.function(), k -> new ArrayList<>()).add(w);
            }
        }
        String run = uid + "/" + workflow;
        byFunction.forEach((function, list) -> {
            Map<Keys.Execution, List<Write>> byItem = new LinkedHashMap<>();
            for (Write w : list) {
                Keys.Execution own = executionOf(w);
                String named = own == null ? "" : " (plugin " + own.plugin() + ", " + own.activity() + "/" + own.stage().wireName() + ")";
                for (String rule : w.broken()) {
                    addOnce(out, "plugin function " + function + named + " broke a rule in a " + w.operation() + " of run " + run + ": " + rule);
                }
                if (w.error() != null && !w.error().equals("ConditionalCheckFailedException")) {
                    addOnce(out, "plugin function " + function + ": its " + w.operation() + " on the status table for run " + run
                            + " failed with " + w.error() + ": " + w.errorMessage());
                }
                Keys.Execution x = executionOf(w);
                if (x != null) {
                    byItem.computeIfAbsent(x, k -> new ArrayList<>()).add(w);
                }
            }
            byItem.forEach((x, writes) -> {
                boolean anySucceeded = writes.stream().anyMatch(w -> w.error() == null);
                long firstRefused = writes.stream().filter(w -> "ConditionalCheckFailedException".equals(w.error()))
                        .mapToLong(Write::at).min().orElse(Long.MAX_VALUE);
                Map<String, AttributeValue> item = items.read(x);
                String state = item == null || !item.containsKey("state") ? null : item.get("state").s();
                String message = item == null || !item.containsKey("message") ? "" : item.get("message").s();
                long updatedAt = item == null || !item.containsKey("updatedAt") ? 0 : Long.parseLong(item.get("updatedAt").n());
                String where = x.activity() + "/" + x.stage().wireName();
                // Refused while the item was still open: it did not exist, or changed after the refusal (the engine
                // dispatched it, or dropped or timed it out later). A claim refused by an item already ended (done
                // by another delivery, cancelled) is the right answer.
                boolean refusedWhileOpen = firstRefused != Long.MAX_VALUE && (state == null || updatedAt > firstRefused);
                if (!anySucceeded && refusedWhileOpen && !"Complete".equals(state)) {
                    addOnce(out, "plugin function " + function + " (plugin " + x.plugin() + ", " + where + "): rule claim-refused: every write it"
                            + " made to its execution item of run " + run + " was refused (ConditionalCheckFailedException) and "
                            + (state == null ? "it has no item" : "its item ended '" + state + "'" + (message.isEmpty() ? "" : " (" + message + ")"))
                            + ": a condition it should have met (check the names and values of its claim against docs/protocol.md, \"Claim\")");
                } else if (anySucceeded && "Do Not Run".equals(state) && message.startsWith("refused:")) {
                    addOnce(out, "plugin function " + function + " (plugin " + x.plugin() + ", " + where + "): rule join-refused: the engine"
                            + " refused its claim in run " + run + ", its item ended 'Do Not Run': " + message);
                }
            });
        });
        return out;
    }

    private static void addOnce(List<String> out, String line) {
        if (!out.contains(line)) {
            out.add(line);
        }
    }

    @Override
    public void close() {
        servers.forEach(s -> s.stop(0));
        threads.shutdownNow();
    }
}
