package dev.orchestrator.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.orchestrator.core.Json;
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
                 String error, String errorMessage, List<String> broken) {
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
        writes.add(new Write(function, operation, key.path("uid").path("S").asText(null), key.path("workflow").path("S").asText(null),
                names, error, message, broken(operation, request)));
    }

    /** Wire rules every plugin write keeps (docs/protocol.md, "The status item"): checked on the request alone. */
    static List<String> broken(String operation, JsonNode request) {
        List<String> broken = new ArrayList<>();
        if (!operation.equals("UpdateItem")) {
            broken.add("update-item: every plugin write is one UpdateItem, not " + operation);
            return broken;
        }
        Map<String, String> names = new LinkedHashMap<>();
        request.path("ExpressionAttributeNames").fields().forEachRemaining(e -> names.put(e.getKey(), e.getValue().asText()));
        String condition = substitute(request.path("ConditionExpression").asText(""), names);
        String update = substitute(request.path("UpdateExpression").asText(""), names);
        if (!Pattern.compile("attribute_exists\\s*\\(\\s*uid\\s*\\)").matcher(condition).find()) {
            broken.add("never-create: the ConditionExpression lacks attribute_exists(uid), so the write could create a run");
        }
        Matcher add = Pattern.compile("(?i)\\bADD\\s+version\\s+(:\\w+)").matcher(update);
        if (!add.find()) {
            broken.add("version-bump: the UpdateExpression lacks ADD version :one");
        } else if (!"1".equals(request.path("ExpressionAttributeValues").path(add.group(1)).path("N").asText())) {
            broken.add("version-bump: ADD version adds " + request.path("ExpressionAttributeValues").path(add.group(1)) + ", not 1");
        }
        return broken;
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

    /**
     * What went wrong in the plugins' writes to one run, given the run's tree at its end: any error other
     * than a failed condition; a broken wire rule; and failed conditions of a function that made no
     * successful write to the run and is missing from its tree (its claim or join was refused by a
     * condition it should have met, e.g. a misspelt name, as no plugin that ran is missing).
     */
    List<String> problems(String uid, String workflow, String tree) {
        List<String> out = new ArrayList<>();
        Map<String, List<Write>> byFunction = new LinkedHashMap<>();
        for (Write w : writes) {
            if (uid.equals(w.uid()) && (w.workflow() == null || workflow.equals(w.workflow()))) {
                byFunction.computeIfAbsent(w.function(), k -> new ArrayList<>()).add(w);
            }
        }
        byFunction.forEach((function, list) -> {
            boolean anySucceeded = list.stream().anyMatch(w -> w.error() == null);
            for (Write w : list) {
                for (String rule : w.broken()) {
                    String line = "plugin function " + function + " broke a rule in a " + w.operation() + " of run " + uid + "/" + workflow + ": " + rule;
                    if (!out.contains(line)) {
                        out.add(line);
                    }
                }
                if (w.error() == null) {
                    continue;
                }
                if (!w.error().equals("ConditionalCheckFailedException")) {
                    out.add("plugin function " + function + ": its " + w.operation() + " on the status table for run " + uid + "/" + workflow
                            + " failed with " + w.error() + ": " + w.errorMessage());
                } else if (!anySucceeded) {
                    String entry = entryLine(tree, w.names());
                    if (entry != null && (entry.contains("  Complete") || entry.contains("  Do Not Run"))) {
                        continue; // done by another delivery, or not to be run: the refusal was the right answer
                    }
                    String line = "plugin function " + function + ": every write it made to run " + uid + "/" + workflow
                            + " was refused (ConditionalCheckFailedException) and "
                            + (entry == null ? "it is missing from the run's tree" : "its entry ended '" + entry + "'")
                            + ": a condition it should have met (check the names and values of its claim or join against"
                            + " docs/protocol.md; or it joined after the stage's window closed)";
                    if (!out.contains(line)) {
                        out.add(line);
                    }
                }
            }
        });
        return out;
    }

    /** The tree's line of the plugin entry named by one of a write's attribute names (the plugin's name), without its bullet; null if none. */
    private static String entryLine(String tree, List<String> names) {
        for (String line : tree.split("\n")) {
            int at = line.indexOf("· ");
            if (at >= 0) {
                String entry = line.substring(at + 2);
                for (String n : names) {
                    if (entry.startsWith(n + " ")) {
                        return entry.trim();
                    }
                }
            }
        }
        return null;
    }

    @Override
    public void close() {
        servers.forEach(s -> s.stop(0));
        threads.shutdownNow();
    }
}
