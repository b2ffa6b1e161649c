package dev.orchestrator.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.orchestrator.core.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The console's web server (the JDK's own {@code HttpServer}, no framework). Safe by construction:
 * <ul>
 * <li>every request needs the token made at start (in the printed URL's {@code ?token=}, then in an
 *     HttpOnly, SameSite=Strict cookie); anything else gets 403;</li>
 * <li>on loopback, the Host header must name loopback too (no DNS rebinding);</li>
 * <li>changes are POSTs carrying the page's CSRF token (a second secret, never in a URL);</li>
 * <li>every value read from the stack is HTML-escaped where it is written ({@link ConsolePages});
 *     the Content-Security-Policy allows only this server's own script and style;</li>
 * <li>nothing about the operator's AWS session is ever written to a page.</li>
 * </ul>
 */
public final class ConsoleServer implements AutoCloseable {

    static final String COOKIE = "orchestrator-console";
    static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            + "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    private final HttpServer server;
    private final ExecutorService pool;
    private final String token;
    private final String csrf;
    private final boolean loopback;
    private final ConsolePages pages;
    private final Target target;
    private final Map<String, String> env;
    private final ZoneId zone;
    private final Map<String, String> flashes = new ConcurrentHashMap<>();
    private final PrintWriter log;

    private ConsoleServer(HttpServer server, ExecutorService pool, Target target, Map<String, String> env, ZoneId zone,
                          boolean loopback, PrintWriter log) {
        this.server = server;
        this.pool = pool;
        this.target = target;
        this.env = env;
        this.zone = zone;
        this.loopback = loopback;
        this.log = log;
        this.token = secret();
        this.csrf = secret();
        this.pages = new ConsolePages(new ConsoleReads(target), target.stack(), zone, csrf, this::cli);
    }

    static ConsoleServer start(Target target, Map<String, String> env, ZoneId zone, String bind, int port, PrintWriter warnings) {
        boolean loopback = Console.loopback(bind);
        if (!loopback) {
            warnings.println("warning: --bind " + bind + " is not loopback: anyone who can reach " + bind + ":" + port
                    + " and learns the token can act on stack " + target.stack() + " with your AWS credentials. "
                    + "Prefer the default 127.0.0.1 and an SSH tunnel.");
            warnings.flush();
        }
        HttpServer http;
        try {
            http = HttpServer.create(new InetSocketAddress(bind, port), 50);
        } catch (IOException e) {
            throw new CliException(Exit.USAGE, "cannot listen on " + bind + ":" + port + ": " + e.getMessage());
        }
        AtomicInteger n = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "console-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        ConsoleServer console = new ConsoleServer(http, pool, target, env, zone, loopback, warnings);
        http.createContext("/", console::handle);
        http.setExecutor(pool);
        http.start();
        return console;
    }

    private static String secret() {
        byte[] b = new byte[32];
        new SecureRandom().nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** The URL to open: this console's address with its token. */
    public String url() {
        String host = server.getAddress().getAddress().getHostAddress();
        if (host.contains(":")) {
            host = "[" + host + "]";
        }
        return "http://" + host + ":" + port() + "/runs?token=" + token;
    }

    @Override
    public void close() {
        server.stop(0);
        pool.shutdownNow();
    }

    /** One CLI command run in this process on the console's stack connection: exit code and what it printed. */
    record Cli(int code, String out, String err) {
        String said() {
            String text = (out.isBlank() ? err : out).strip();
            return text.isEmpty() ? "exit code " + code : text;
        }
    }

    Cli cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Orchestrator.run(args, env, zone, target, new PrintWriter(out), new PrintWriter(err));
        return new Cli(code, out.toString(), err.toString());
    }

    // ---------------------------------------------------------------------------------------------- requests

    private void handle(HttpExchange x) throws IOException {
        try (x) {
            Map<String, String> query = form(x.getRequestURI().getRawQuery());
            if (!hostAllowed(x)) {
                send(x, 403, "text/plain", "403 forbidden: this console answers to its own address only");
                return;
            }
            String given = query.get("token");
            if (given != null && same(given, token)) {
                // The token moves into a cookie; the address bar keeps the rest of the URL.
                query.remove("token");
                x.getResponseHeaders().add("Set-Cookie", COOKIE + "=" + token + "; Path=/; HttpOnly; SameSite=Strict");
                redirect(x, x.getRequestURI().getPath() + encode(query));
                return;
            }
            if (!same(cookie(x), token)) {
                send(x, 403, "text/plain", "403 forbidden: open the URL `orchestrator console` printed (it carries the token)");
                return;
            }
            String path = x.getRequestURI().getPath();
            String method = x.getRequestMethod();
            if (path.startsWith("/action/")) {
                if (!method.equals("POST")) {
                    x.getResponseHeaders().add("Allow", "POST");
                    send(x, 405, "text/plain", "405: actions are POST requests");
                    return;
                }
                Map<String, String> body = form(new String(x.getRequestBody().readNBytes(64 * 1024), StandardCharsets.UTF_8));
                String origin = x.getRequestHeaders().getFirst("Origin");
                if (!same(body.get("csrf"), csrf) || (origin != null && !origin.equals("null") && !originAllowed(x, origin))) {
                    send(x, 403, "text/plain", "403 forbidden: missing or wrong CSRF token");
                    return;
                }
                action(x, path.substring("/action/".length()), body);
                return;
            }
            if (!method.equals("GET") && !method.equals("HEAD")) {
                send(x, 405, "text/plain", "405: pages are GET requests");
                return;
            }
            route(x, path, query);
        } catch (RuntimeException e) {
            // No stack trace to the page; the message names what is wrong.
            try {
                int code = e instanceof CliException c && c.code() == Exit.USAGE ? 400
                        : e instanceof CliException c2 && c2.code() == Exit.NOT_FOUND ? 404 : 500;
                sendHtml(x, code, pages.error(code, e instanceof CliException ? e.getMessage() : e.toString()));
            } catch (RuntimeException | IOException ignored) {
                // the client went away
            }
            log.println("console: " + x.getRequestMethod() + " " + x.getRequestURI().getPath() + " failed: " + e);
            log.flush();
        }
    }

    private void route(HttpExchange x, String path, Map<String, String> q) throws IOException {
        switch (path) {
            case "/" -> redirect(x, "/runs");
            case "/runs" -> sendHtml(x, 200, pages.runs(q, flash(q)));
            case "/run" -> {
                String uid = required(q, "uid");
                String workflow = required(q, "workflow");
                sendHtml(x, 200, pages.run(uid, workflow, flash(q)));
            }
            case "/api/run" -> {
                String html = pages.runLive(required(q, "uid"), required(q, "workflow"), q.get("pages"));
                String version = Integer.toHexString(html.hashCode()) + Integer.toHexString(html.length());
                if (version.equals(q.get("v"))) {
                    x.getResponseHeaders().add("Cache-Control", "no-store");
                    x.sendResponseHeaders(204, -1);
                    return;
                }
                send(x, 200, "application/json", Json.write(Json.object().put("v", version).put("html", html)));
            }
            case "/plugins" -> sendHtml(x, 200, pages.plugins(flash(q)));
            case "/dlq" -> sendHtml(x, 200, pages.dlq(q.get("name"), flash(q)));
            case "/tenants" -> sendHtml(x, 200, pages.tenants(q.get("id"), flash(q)));
            case "/static/console.css" -> asset(x, "console.css", "text/css");
            case "/static/console.js" -> asset(x, "console.js", "text/javascript");
            case "/static/favicon.svg" -> asset(x, "favicon.svg", "image/svg+xml");
            default -> sendHtml(x, 404, pages.error(404, "no page " + path));
        }
    }

    private void action(HttpExchange x, String what, Map<String, String> f) throws IOException {
        String back = f.getOrDefault("back", "/runs");
        if (!back.startsWith("/") || back.startsWith("//") || back.contains("\\")) {
            back = "/runs";
        }
        Cli r = switch (what) {
            case "cancel" -> cli("cancel", required(f, "uid"), required(f, "workflow"), "--reason", required(f, "reason"));
            case "resume" -> cli("resume", required(f, "uid"), required(f, "workflow"));
            case "plugin" -> {
                String verb = required(f, "verb");
                if (!verb.equals("fail") && !verb.equals("skip")) {
                    throw new CliException(Exit.USAGE, "verb '" + verb + "' is not fail or skip");
                }
                yield cli("plugin", verb, required(f, "uid"), required(f, "workflow"), required(f, "activity"),
                        required(f, "stage"), required(f, "plugin"), "--reason", required(f, "reason"));
            }
            case "redrive" -> cli("dlq", "redrive", required(f, "queue"));
            default -> throw new CliException(Exit.NOT_FOUND, "no action " + what);
        };
        log.println("console action=" + what + " uid=" + f.getOrDefault("uid", "-") + " workflow=" + f.getOrDefault("workflow", "-")
                + (f.containsKey("plugin") ? " plugin=" + f.get("plugin") : "") + (f.containsKey("queue") ? " queue=" + f.get("queue") : "")
                + " exit=" + r.code() + " result=" + r.said().replace('\n', ' '));
        log.flush();
        String id = secret().substring(0, 12);
        flashes.put(id, (r.code() == Exit.OK ? "ok|" : r.code() == Exit.NO_CHANGE ? "info|" : "error|") + r.said());
        redirect(x, back + (back.contains("?") ? "&" : "?") + "flash=" + id);
    }

    /** The one-time message an action left for the page it returns to: "kind|text", or null. */
    private String flash(Map<String, String> q) {
        String id = q.get("flash");
        return id == null ? null : flashes.remove(id);
    }

    static String required(Map<String, String> q, String name) {
        String v = q.get(name);
        if (v == null || v.isBlank()) {
            throw new CliException(Exit.USAGE, "missing '" + name + "'");
        }
        return v;
    }

    private boolean hostAllowed(HttpExchange x) {
        if (!loopback) {
            return true;
        }
        String host = x.getRequestHeaders().getFirst("Host");
        if (host == null) {
            return false;
        }
        String name = host.startsWith("[") ? host.substring(0, host.indexOf(']') + 1)
                : host.contains(":") ? host.substring(0, host.lastIndexOf(':')) : host;
        return name.equals("127.0.0.1") || name.equals("localhost") || name.equals("[::1]") || name.startsWith("127.");
    }

    private boolean originAllowed(HttpExchange x, String origin) {
        String host = x.getRequestHeaders().getFirst("Host");
        return host != null && (origin.equals("http://" + host));
    }

    private static boolean same(String given, String expected) {
        return given != null && MessageDigest.isEqual(given.getBytes(StandardCharsets.UTF_8), expected.getBytes(StandardCharsets.UTF_8));
    }

    private static String cookie(HttpExchange x) {
        List<String> headers = x.getRequestHeaders().getOrDefault("Cookie", List.of());
        for (String header : headers) {
            for (String part : header.split(";")) {
                String p = part.trim();
                if (p.startsWith(COOKIE + "=")) {
                    return p.substring(COOKIE.length() + 1);
                }
            }
        }
        return null;
    }

    static Map<String, String> form(String raw) {
        Map<String, String> out = new LinkedHashMap<>();
        if (raw == null || raw.isEmpty()) {
            return out;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            out.merge(k, v, (a, b) -> a + "\n" + b); // repeated fields (states) arrive joined by newlines
        }
        return out;
    }

    static String encode(Map<String, String> q) {
        if (q.isEmpty()) {
            return "";
        }
        List<String> parts = new ArrayList<>();
        q.forEach((k, v) -> {
            for (String one : v.split("\n", -1)) {
                parts.add(URLEncoder.encode(k, StandardCharsets.UTF_8) + "=" + URLEncoder.encode(one, StandardCharsets.UTF_8));
            }
        });
        return "?" + String.join("&", parts);
    }

    private static void headers(HttpExchange x, String type) {
        x.getResponseHeaders().set("Content-Type", type + "; charset=utf-8");
        x.getResponseHeaders().set("Content-Security-Policy", CSP);
        x.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
        x.getResponseHeaders().set("Referrer-Policy", "no-referrer");
        x.getResponseHeaders().set("X-Frame-Options", "DENY");
        x.getResponseHeaders().set("Cache-Control", "no-store");
    }

    private static void send(HttpExchange x, int code, String type, String body) throws IOException {
        headers(x, type);
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        if (x.getRequestMethod().equals("HEAD")) {
            x.sendResponseHeaders(code, -1);
            return;
        }
        x.sendResponseHeaders(code, bytes.length);
        try (OutputStream o = x.getResponseBody()) {
            o.write(bytes);
        }
    }

    private static void sendHtml(HttpExchange x, int code, String html) throws IOException {
        send(x, code, "text/html", html);
    }

    private static void redirect(HttpExchange x, String location) throws IOException {
        headers(x, "text/plain");
        x.getResponseHeaders().set("Location", location);
        x.sendResponseHeaders(303, -1);
    }

    private static void asset(HttpExchange x, String name, String type) throws IOException {
        try (InputStream in = ConsoleServer.class.getResourceAsStream("console/" + name)) {
            if (in == null) {
                send(x, 404, "text/plain", "no asset " + name);
                return;
            }
            send(x, 200, type, new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    static JsonNode parse(String json) {
        return Json.parse(json);
    }
}
