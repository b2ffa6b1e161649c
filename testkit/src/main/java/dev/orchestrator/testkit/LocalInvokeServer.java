package dev.orchestrator.testkit;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.function.BiFunction;

/**
 * Lambda's Invoke API ({@code POST /2015-03-31/functions/{name}/invocations}) on loopback, answered
 * by the in-process handlers: a function that invokes another (the registrar asking a plugin to
 * {@code initialize}) makes a real SDK call over HTTP, as it would on AWS.
 */
final class LocalInvokeServer implements AutoCloseable {

    private final HttpServer server;

    /**
     * @param invoke (function name or ARN, payload) -> output; throws when the handler fails
     * @param invokeAsync (function name or ARN, payload) for InvocationType Event: returns at once
     */
    LocalInvokeServer(BiFunction<String, String, String> invoke, java.util.function.BiConsumer<String, String> invokeAsync) {
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.createContext("/2015-03-31/functions/", exchange -> handle(exchange, invoke, invokeAsync));
        server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "local-invoke");
            t.setDaemon(true);
            return t;
        }));
        server.start();
    }

    String endpoint() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    private static void handle(HttpExchange exchange, BiFunction<String, String, String> invoke,
                               java.util.function.BiConsumer<String, String> invokeAsync) throws IOException {
        String path = exchange.getRequestURI().getRawPath();
        String name = URLDecoder.decode(path.substring("/2015-03-31/functions/".length(), path.lastIndexOf("/invocations")),
                StandardCharsets.UTF_8);
        String payload = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        if ("Event".equals(exchange.getRequestHeaders().getFirst("X-Amz-Invocation-Type"))) {
            // Lambda queues the event and answers 202; errors take the asynchronous path (retries, destinations).
            invokeAsync.accept(name, payload);
            exchange.sendResponseHeaders(202, -1);
            exchange.close();
            return;
        }
        byte[] body;
        try {
            body = invoke.apply(name, payload).getBytes(StandardCharsets.UTF_8);
        } catch (RuntimeException e) {
            // Lambda reports a handler's failure as 200 with X-Amz-Function-Error and the error as payload.
            exchange.getResponseHeaders().add("X-Amz-Function-Error", "Unhandled");
            body = ("{\"errorMessage\":" + SamStack.JSON.writeValueAsString(String.valueOf(e.getMessage()))
                    + ",\"errorType\":\"" + e.getClass().getName() + "\"}").getBytes(StandardCharsets.UTF_8);
        }
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.getResponseHeaders().add("X-Amz-Executed-Version", "$LATEST");
        exchange.sendResponseHeaders(200, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
