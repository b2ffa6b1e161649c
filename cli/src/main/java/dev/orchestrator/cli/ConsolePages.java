package dev.orchestrator.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.orchestrator.core.ItemCodec;
import dev.orchestrator.core.Json;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The console's pages, rendered on the server. Every value that comes from the stack (a run, a plugin,
 * an event, a queue message, a tenant) goes through {@link #esc} where it is written: nothing reaches the
 * HTML any other way. Runs are read only through {@link ConsoleReads}; plugins, dead-letter queues and
 * tenants through the CLI's own commands (their {@code --json} output).
 */
final class ConsolePages {

    /** Runs a CLI command in the console's process (see {@link ConsoleServer#cli}). */
    interface Cli {
        ConsoleServer.Cli run(String... args);
    }

    static final int PLUGIN_PAGE = 50;
    static final int HISTORY_SHOWN = 300;
    static final String[][] STAGES = {{"pre", "pre"}, {"async", "parallel"}, {"post", "post"}};
    static final List<String> OPEN_STATES = List.of("Not Started", "In Progress", "Mandatory Completed");
    static final List<String> ENDED = List.of("Complete", "Error", "Optional Task Error");

    private final ConsoleReads reads;
    private final String stack;
    private final ZoneId zone;
    private final String csrf;
    private final Cli cli;
    private final DateTimeFormatter day;
    private final DateTimeFormatter clock;
    private final DateTimeFormatter precise;

    ConsolePages(ConsoleReads reads, String stack, ZoneId zone, String csrf, Cli cli) {
        this.reads = reads;
        this.stack = stack;
        this.zone = zone;
        this.csrf = csrf;
        this.cli = cli;
        this.day = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(zone);
        this.clock = DateTimeFormatter.ofPattern("HH:mm:ss").withZone(zone);
        this.precise = DateTimeFormatter.ofPattern("HH:mm:ss.SSS").withZone(zone);
    }

    // ------------------------------------------------------------------------------------------- escaping

    /** Text for HTML content and quoted attribute values: & < > " ' escaped. */
    static String esc(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder b = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> b.append("&amp;");
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }

    static String url(String s) {
        return URLEncoder.encode(s == null ? "" : s, StandardCharsets.UTF_8);
    }

    static String runHref(String uid, String workflow) {
        return "/run?uid=" + url(uid) + "&workflow=" + url(workflow);
    }

    /** A state as a CSS class suffix: "In Progress" -> "in-progress". */
    static String slug(String state) {
        return state == null || state.isBlank() ? "not-started" : state.toLowerCase(Locale.ROOT).replaceAll("[^a-z]+", "-");
    }

    static String badge(String state) {
        String s = state == null || state.isBlank() ? "Not Started" : state;
        return "<span class=\"badge st-" + slug(s) + "\">" + esc(s) + "</span>";
    }

    private String time(JsonNode node, String field, DateTimeFormatter f) {
        if (!node.hasNonNull(field)) {
            return "";
        }
        Instant at = Instant.ofEpochMilli(node.path(field).asLong());
        return "<time datetime=\"" + at + "\" title=\"" + esc(day.format(at)) + "\">" + esc(f.format(at)) + "</time>";
    }

    private String at(long millis, DateTimeFormatter f) {
        Instant at = Instant.ofEpochMilli(millis);
        return "<time datetime=\"" + at + "\" title=\"" + esc(day.format(at)) + "\">" + esc(f.format(at)) + "</time>";
    }

    static String duration(long millis) {
        if (millis < 1_000) {
            return millis + " ms";
        }
        if (millis < 60_000) {
            return String.format(Locale.ROOT, "%.1f s", millis / 1000.0);
        }
        long s = millis / 1000;
        if (s < 3600) {
            return (s / 60) + " min " + (s % 60) + " s";
        }
        return (s / 3600) + " h " + (s % 3600 / 60) + " min";
    }

    private String span(JsonNode node, String start, String end) {
        if (!node.hasNonNull(start)) {
            return "<span class=\"muted\">not started</span>";
        }
        if (!node.hasNonNull(end)) {
            return "since " + time(node, start, clock) + " <span class=\"muted\">(" + duration(System.currentTimeMillis()
                    - node.path(start).asLong()) + ")</span>";
        }
        return time(node, start, clock) + " → " + time(node, end, clock) + " <span class=\"muted\">("
                + duration(node.path(end).asLong() - node.path(start).asLong()) + ")</span>";
    }

    // ------------------------------------------------------------------------------------------- layout

    private String page(String title, String nav, String flash, String body) {
        StringBuilder b = new StringBuilder(body.length() + 4096);
        b.append("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
                .append("<title>").append(esc(title)).append(" · orchestrator console</title>")
                .append("<link rel=\"icon\" href=\"/static/favicon.svg\" type=\"image/svg+xml\">")
                .append("<link rel=\"stylesheet\" href=\"/static/console.css\">")
                .append("<script src=\"/static/console.js\" defer></script></head><body>")
                .append("<header class=\"top\"><a class=\"brand\" href=\"/runs\"><span class=\"logo\">◆</span> orchestrator</a>")
                .append("<span class=\"stack\" title=\"CloudFormation stack\">").append(esc(stack)).append("</span><nav>");
        for (String[] link : new String[][] {{"runs", "/runs", "Runs"}, {"plugins", "/plugins", "Plugins"},
                {"dlq", "/dlq", "Dead-letter queues"}, {"tenants", "/tenants", "Tenants"}}) {
            b.append("<a href=\"").append(link[1]).append("\"").append(link[0].equals(nav) ? " class=\"active\"" : "").append(">")
                    .append(link[2]).append("</a>");
        }
        b.append("</nav></header><main>");
        if (flash != null) {
            int bar = flash.indexOf('|');
            b.append("<div class=\"flash ").append(esc(flash.substring(0, bar))).append("\" role=\"status\">")
                    .append(esc(flash.substring(bar + 1))).append("</div>");
        }
        b.append(body).append("</main>").append(confirmDialog()).append("</body></html>");
        return b.toString();
    }

    /** One dialog for every action: the clicked button's data-* fill it (console.js), the POST carries the CSRF token. */
    private String confirmDialog() {
        return "<dialog id=\"confirm\"><form method=\"post\" id=\"confirm-form\">"
                + "<h2 id=\"confirm-title\">Confirm</h2><p id=\"confirm-text\"></p>"
                + "<label id=\"confirm-reason-label\">Reason <textarea name=\"reason\" id=\"confirm-reason\" rows=\"3\" maxlength=\"160\"></textarea></label>"
                + "<input type=\"hidden\" name=\"csrf\" value=\"" + esc(csrf) + "\">"
                + "<input type=\"hidden\" name=\"back\" id=\"confirm-back\" value=\"/runs\">"
                + "<div id=\"confirm-fields\"></div>"
                + "<div class=\"dialog-buttons\"><button type=\"button\" class=\"btn\" id=\"confirm-cancel\">Back</button>"
                + "<button type=\"submit\" class=\"btn danger\" id=\"confirm-ok\">Confirm</button></div></form></dialog>";
    }

    /** A button that opens the confirmation dialog for a POST to {@code action} with these fields. */
    static String actionButton(String label, String css, String action, String title, String text, boolean reason,
                               Map<String, String> fields) {
        StringBuilder b = new StringBuilder("<button type=\"button\" class=\"btn ").append(css).append("\" data-confirm=\"")
                .append(esc(action)).append("\" data-title=\"").append(esc(title)).append("\" data-text=\"").append(esc(text))
                .append("\" data-reason=\"").append(reason ? "required" : "").append("\"");
        fields.forEach((k, v) -> b.append(" data-field-").append(k).append("=\"").append(esc(v)).append("\""));
        return b.append(">").append(esc(label)).append("</button>").toString();
    }

    String error(int code, String message) {
        return page("Error " + code, "", null, "<section class=\"card\"><h1>" + code + "</h1><p class=\"error-text\">"
                + esc(message) + "</p><p><a href=\"/runs\">Back to runs</a></p></section>");
    }

    // ------------------------------------------------------------------------------------------- runs

    String runs(Map<String, String> q, String flash) {
        List<String> states = new ArrayList<>();
        for (String s : q.getOrDefault("state", "").split("\n")) {
            if (!s.isBlank()) {
                if (!Commands.STATES.contains(s)) {
                    throw new CliException(Exit.USAGE, "state '" + s + "' is not a state; states: " + String.join(", ", Commands.STATES));
                }
                states.add(s);
            }
        }
        Integer silent = positive(q, "silent");
        Integer size = positive(q, "size");
        int pageSize = size == null ? 50 : Math.min(size, 500);
        String workflow = blankToNull(q.get("workflow"));
        String metaKey = blankToNull(q.get("meta"));
        String metaValue = blankToNull(q.get("value"));
        Long from = dateTime(q, "from");
        Long to = dateTime(q, "to");
        List<String> queried = !states.isEmpty() ? states : silent != null ? OPEN_STATES : Commands.STATES;
        ConsoleReads.Page found = reads.runs(new ConsoleReads.Filter(queried, workflow, from, to, metaKey, metaValue, silent),
                q.get("page"), pageSize);

        StringBuilder b = new StringBuilder();
        b.append("<section class=\"card\"><h1>Runs</h1><form class=\"filters\" method=\"get\" action=\"/runs\" id=\"filters\">")
                .append("<fieldset class=\"states\"><legend>State</legend>");
        for (String s : Commands.STATES) {
            b.append("<label class=\"chip st-").append(slug(s)).append("\"><input type=\"checkbox\" name=\"state\" value=\"")
                    .append(esc(s)).append("\"").append(states.contains(s) ? " checked" : "").append("> ").append(esc(s)).append("</label>");
        }
        b.append("</fieldset><div class=\"fields\">")
                .append(field("workflow", "Workflow", "text", q.get("workflow"), "any"))
                .append(field("from", "Updated from", "datetime-local", q.get("from"), ""))
                .append(field("to", "Updated to", "datetime-local", q.get("to"), ""))
                .append(field("meta", "Metadata attribute", "text", q.get("meta"), "e.g. tier"))
                .append(field("value", "equals", "text", q.get("value"), "any value"))
                .append(field("silent", "No heartbeat for (min)", "number", q.get("silent"), ""))
                .append("<div class=\"field buttons\"><button class=\"btn primary\" type=\"submit\">Filter</button>")
                .append("<a class=\"btn\" href=\"/runs\">Clear</a></div></div>")
                .append("<p class=\"hint\">Times in ").append(esc(zone.getId()))
                .append(". “No heartbeat” lists open runs whose last write is older than that (a heartbeat writes the run).</p>")
                .append("</form></section>");

        b.append("<section class=\"card\"><table class=\"runs\" id=\"runs-table\"><thead><tr><th>Updated</th><th>Status</th>")
                .append("<th>Run</th><th>Workflow</th><th>Started</th><th>Took</th><th>Message</th></tr></thead><tbody>");
        if (found.runs().isEmpty()) {
            b.append("<tr><td colspan=\"7\" class=\"empty\">No runs match.</td></tr>");
        }
        for (JsonNode r : found.runs()) {
            String uid = r.path(ItemCodec.UID).asText();
            String wf = r.path(ItemCodec.WORKFLOW).asText();
            String took = r.hasNonNull(ItemCodec.STARTED_AT) && r.hasNonNull(ItemCodec.ENDED_AT)
                    ? duration(r.path(ItemCodec.ENDED_AT).asLong() - r.path(ItemCodec.STARTED_AT).asLong())
                    : r.hasNonNull(ItemCodec.STARTED_AT)
                    ? "running " + duration(System.currentTimeMillis() - r.path(ItemCodec.STARTED_AT).asLong()) : "";
            b.append("<tr class=\"run-row\"><td>").append(time(r, ItemCodec.UPDATED_AT, day)).append("</td><td>")
                    .append(badge(r.path(ItemCodec.STATUS).asText()))
                    .append("</td><td><a class=\"uid\" href=\"").append(esc(runHref(uid, wf))).append("\">").append(esc(uid)).append("</a>")
                    .append(r.path(ItemCodec.PARENT).isObject() ? " <span class=\"tag\">child</span>" : "")
                    .append("</td><td>").append(esc(wf)).append("</td><td>").append(time(r, ItemCodec.STARTED_AT, day)).append("</td><td>")
                    .append(esc(took)).append("</td><td class=\"message\">").append(esc(r.path(ItemCodec.MESSAGE).asText("")))
                    .append("</td></tr>");
        }
        b.append("</tbody></table><div class=\"pager\"><span class=\"muted\">").append(found.runs().size())
                .append(found.runs().size() == 1 ? " run" : " runs").append(" on this page, newest first</span>");
        Map<String, String> rest = new LinkedHashMap<>(q);
        rest.remove("page");
        rest.remove("flash");
        if (q.containsKey("page")) {
            b.append("<a class=\"btn\" href=\"/runs").append(esc(ConsoleServer.encode(rest))).append("\">« Newest</a>");
        }
        if (found.next() != null) {
            rest.put("page", found.next());
            b.append("<a class=\"btn primary\" id=\"next-page\" href=\"/runs").append(esc(ConsoleServer.encode(rest)))
                    .append("\">Next page »</a>");
        }
        b.append("</div></section>");
        return page("Runs", "runs", flash, b.toString());
    }

    private static String field(String name, String label, String type, String value, String placeholder) {
        return "<label class=\"field\"><span>" + esc(label) + "</span><input type=\"" + type + "\" name=\"" + name + "\" value=\""
                + esc(value == null ? "" : value) + "\" placeholder=\"" + esc(placeholder) + "\"" + (type.equals("number") ? " min=\"1\"" : "")
                + "></label>";
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }

    private static Integer positive(Map<String, String> q, String name) {
        String v = blankToNull(q.get(name));
        if (v == null) {
            return null;
        }
        try {
            int n = Integer.parseInt(v);
            if (n > 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new CliException(Exit.USAGE, name + " '" + v + "' is not a positive whole number");
    }

    private Long dateTime(Map<String, String> q, String name) {
        String v = blankToNull(q.get(name));
        if (v == null) {
            return null;
        }
        try {
            return LocalDateTime.parse(v).atZone(zone).toInstant().toEpochMilli();
        } catch (DateTimeParseException e) {
            throw new CliException(Exit.USAGE, name + " '" + v + "' is not a date and time like 2026-01-31T12:00");
        }
    }

    // ------------------------------------------------------------------------------------------- a run

    String run(String uid, String workflow, String flash) {
        String live = runLive(uid, workflow, null);
        String body = "<div id=\"live\" data-uid=\"" + esc(uid) + "\" data-workflow=\"" + esc(workflow) + "\">" + live + "</div>"
                + "<p class=\"live-note muted\" id=\"live-note\">Live: this page follows the run.</p>";
        return page(uid + " / " + workflow, "runs", flash, body);
    }

    /** The live part of a run's page (what console.js swaps in as the run moves). */
    String runLive(String uid, String workflow, String pagesJson) {
        JsonNode run = reads.run(uid, workflow).orElseThrow(() -> new CliException(Exit.NOT_FOUND,
                "no run " + uid + " / " + workflow + " in stack " + stack));
        List<JsonNode> history = reads.history(uid, workflow);
        Map<String, Integer> pages = new HashMap<>();
        if (pagesJson != null && !pagesJson.isBlank()) {
            try {
                Json.parse(pagesJson).fields().forEachRemaining(e -> pages.put(e.getKey(), Math.max(0, e.getValue().asInt())));
            } catch (RuntimeException e) {
                throw new CliException(Exit.USAGE, "pages '" + pagesJson + "' is not a JSON object of page numbers");
            }
        }
        return renderRun(uid, workflow, run, history, pages);
    }

    /** The live part of a run's page from its item and history (pure: what {@link #runLive} shows). */
    String renderRun(String uid, String workflow, JsonNode run, List<JsonNode> history, Map<String, Integer> pages) {
        String status = run.path(ItemCodec.STATUS).asText("Not Started");
        boolean open = !ENDED.contains(status);
        StringBuilder b = new StringBuilder(8192);

        // Header
        b.append("<section class=\"card run-head\"><div class=\"title-row\"><h1><span class=\"uid\">").append(esc(uid))
                .append("</span> <span class=\"sep\">/</span> <span class=\"wf\">").append(esc(workflow)).append("</span></h1>")
                .append("<span id=\"run-status\" class=\"big\">").append(badge(status)).append("</span><div class=\"actions\">");
        Map<String, String> key = new LinkedHashMap<>();
        key.put("uid", uid);
        key.put("workflow", workflow);
        if (open) {
            b.append(actionButton("Cancel run…", "danger", "/action/cancel", "Cancel this run?",
                    "The run ends Error with “cancelled: <reason>”, its running plugins are told to stop, one Workflow Failed event is sent.",
                    true, key));
        } else if (status.equals("Error")) {
            b.append(actionButton("Resume…", "primary", "/action/resume", "Resume this run?",
                    "The run starts again with its own activities and metadata; finished plugins are not run again.", false, key));
        }
        b.append("</div></div>");
        b.append("<div class=\"run-facts\">");
        if (run.hasNonNull(ItemCodec.MESSAGE)) {
            b.append("<div class=\"fact wide\"><span>Message</span><strong id=\"run-message\">")
                    .append(esc(run.path(ItemCodec.MESSAGE).asText()))
                    .append("</strong></div>");
        }
        b.append("<div class=\"fact\"><span>Time</span>").append(span(run, ItemCodec.STARTED_AT, ItemCodec.ENDED_AT)).append("</div>");
        b.append("<div class=\"fact\"><span>Last write</span>").append(time(run, ItemCodec.UPDATED_AT, day)).append("</div>");
        JsonNode cancel = run.path(ItemCodec.CANCEL_REQUESTED);
        if (cancel.isObject()) {
            b.append("<div class=\"fact\"><span>Cancel requested</span>").append(time(cancel, ItemCodec.AT, clock)).append(" ")
                    .append(esc(cancel.path(ItemCodec.REASON).asText(""))).append("</div>");
        }
        JsonNode parent = run.path(ItemCodec.PARENT);
        if (parent.isObject()) {
            b.append("<div class=\"fact\"><span>Child of</span><a href=\"")
                    .append(esc(runHref(parent.path(ItemCodec.UID).asText(), parent.path(ItemCodec.WORKFLOW).asText()))).append("\">")
                    .append(esc(parent.path(ItemCodec.UID).asText() + " / " + parent.path(ItemCodec.WORKFLOW).asText()))
                    .append("</a> <span class=\"muted\">(")
                    .append(esc(parent.path(ItemCodec.ACTIVITY).asText() + " " + parent.path(ItemCodec.STAGE).asText() + ", plugin "
                            + parent.path(ItemCodec.PLUGIN).asText())).append(")</span></div>");
        }
        JsonNode metadata = run.path(ItemCodec.METADATA);
        if (metadata.isObject() && metadata.size() > 0) {
            b.append("<div class=\"fact wide\"><span>Metadata</span><dl class=\"meta\">");
            for (Iterator<Map.Entry<String, JsonNode>> it = metadata.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                b.append("<dt>").append(esc(e.getKey())).append("</dt><dd>")
                        .append(esc(e.getValue().isValueNode() ? e.getValue().asText() : Json.write(e.getValue()))).append("</dd>");
            }
            b.append("</dl></div>");
        }
        b.append("</div></section>");

        // Graph
        List<String> order = activityOrder(run);
        b.append("<section class=\"card\"><h2>Activities</h2>").append(RunGraph.svg(run, order)).append(legend()).append("</section>");

        // Activities, stages, plugins
        int total = 0;
        for (String a : order) {
            for (String[] s : STAGES) {
                total += run.path(ItemCodec.ACTIVITIES).path(a).path(s[0]).path(ItemCodec.MANDATORY).size()
                        + run.path(ItemCodec.ACTIVITIES).path(a).path(s[0]).path(ItemCodec.OPTIONAL).size();
            }
        }
        for (int i = 0; i < order.size(); i++) {
            String a = order.get(i);
            JsonNode act = run.path(ItemCodec.ACTIVITIES).path(a);
            String aStatus = act.path(ItemCodec.STATUS).asText("Not Started");
            b.append("<section class=\"card activity st-").append(slug(aStatus)).append("\" id=\"act-").append(i).append("\">")
                    .append("<div class=\"title-row\"><h2>").append(esc(a)).append("</h2>").append(badge(aStatus))
                    .append("<span class=\"muted times\">").append(span(act, ItemCodec.STARTED_AT, ItemCodec.ENDED_AT)).append("</span>");
            JsonNode deps = run.path(ItemCodec.DEPENDS_ON).path(a);
            if (deps.isArray() && !deps.isEmpty()) {
                List<String> names = new ArrayList<>();
                deps.forEach(d -> names.add(d.asText()));
                b.append("<span class=\"muted\">after ").append(esc(String.join(", ", names))).append("</span>");
            }
            b.append("</div>");
            if (act.hasNonNull(ItemCodec.MESSAGE)) {
                b.append("<p class=\"cause\">").append(esc(act.path(ItemCodec.MESSAGE).asText())).append("</p>");
            }
            for (String[] s : STAGES) {
                b.append(stage(uid, workflow, a, s, act.path(s[0]), open, pages, total));
            }
            b.append("</section>");
        }

        // Children
        Map<String, JsonNode> children = ConsoleReads.children(run);
        if (!children.isEmpty()) {
            b.append("<section class=\"card\"><h2>Child runs</h2><ul class=\"children\">");
            children.forEach((where, c) -> b.append("<li><a href=\"")
                    .append(esc(runHref(c.path(ItemCodec.UID).asText(), c.path(ItemCodec.WORKFLOW).asText())))
                    .append("\">").append(esc(c.path(ItemCodec.UID).asText() + " / " + c.path(ItemCodec.WORKFLOW).asText()))
                    .append("</a> <span class=\"muted\">started by ").append(esc(where)).append("</span>")
                    .append(c.hasNonNull(ItemCodec.CANCELLED_AT) ? " <span class=\"tag\">cancelled</span>" : "")
                    .append("</li>"));
            b.append("</ul></section>");
        }

        // History
        b.append("<section class=\"card\"><h2>History</h2>");
        if (history.isEmpty()) {
            b.append("<p class=\"muted\">No transitions recorded (yet).</p>");
        } else {
            int skip = Math.max(0, history.size() - HISTORY_SHOWN);
            if (skip > 0) {
                b.append("<p class=\"muted\">").append(skip).append(" earlier transitions not shown: <code>orchestrator history ")
                        .append(esc(uid)).append(" ").append(esc(workflow)).append("</code> lists them all.</p>");
            }
            b.append("<ol class=\"timeline\" id=\"timeline\">");
            for (JsonNode e : history.subList(skip, history.size())) {
                String to = e.path("to").asText("");
                String where = e.path("path").asText("").isEmpty() ? "run" : e.path("path").asText();
                b.append("<li class=\"st-").append(slug(Commands.STATES.contains(to) ? to : "")).append("\">")
                        .append(e.hasNonNull("time") ? at(e.path("time").asLong(), precise) : "").append("<span class=\"where\">")
                        .append(esc(where)).append("</span><span class=\"change\">").append(esc(Commands.History.change(e)))
                        .append("</span>");
                if (e.hasNonNull("message")) {
                    b.append("<span class=\"cause\">").append(esc(e.path("message").asText())).append("</span>");
                }
                b.append("</li>");
            }
            b.append("</ol>");
        }
        b.append("</section>");
        return b.toString();
    }

    static List<String> activityOrder(JsonNode run) {
        List<String> order = new ArrayList<>();
        run.path(ItemCodec.ACTIVITY_ORDER).forEach(a -> order.add(a.asText()));
        run.path(ItemCodec.ACTIVITIES).fieldNames().forEachRemaining(a -> {
            if (!order.contains(a)) {
                order.add(a);
            }
        });
        return order;
    }

    private static String legend() {
        StringBuilder b = new StringBuilder("<div class=\"legend\">");
        for (String s : Commands.STATES) {
            b.append("<span class=\"badge st-").append(slug(s)).append("\">").append(esc(s)).append("</span>");
        }
        return b.append("</div>").toString();
    }

    private record Plugin(String name, boolean mandatory, JsonNode entry) {
    }

    private String stage(String uid, String workflow, String activity, String[] s, JsonNode stage, boolean runOpen,
                         Map<String, Integer> pages, int runPlugins) {
        List<Plugin> plugins = new ArrayList<>();
        for (String group : new String[] {ItemCodec.MANDATORY, ItemCodec.OPTIONAL}) {
            stage.path(group).fields()
                    .forEachRemaining(e -> plugins.add(new Plugin(e.getKey(), group.equals(ItemCodec.MANDATORY), e.getValue())));
        }
        plugins.sort(Comparator.comparingInt((Plugin p) -> p.entry().path(ItemCodec.ORDER).asInt(1000)).thenComparing(Plugin::name));
        String sStatus = stage.path(ItemCodec.STATUS).asText("Not Started");
        String stageKey = activity + "|" + s[0];
        Map<String, Integer> counts = new LinkedHashMap<>();
        plugins.forEach(p -> counts.merge(p.entry().path(ItemCodec.STATE).asText("Not Started"), 1, Integer::sum));
        StringBuilder b = new StringBuilder();
        boolean openByDefault = plugins.size() <= 25 && runPlugins <= 200;
        b.append("<details class=\"stage\" data-stage-key=\"").append(esc(stageKey)).append("\"")
                .append(openByDefault && !plugins.isEmpty() ? " open" : "").append("><summary><span class=\"stage-name\">")
                .append(s[1]).append("</span>").append(badge(sStatus)).append("<span class=\"muted times\">")
                .append(span(stage, ItemCodec.STARTED_AT, ItemCodec.ENDED_AT)).append("</span><span class=\"counts\">");
        if (plugins.isEmpty()) {
            b.append("<span class=\"muted\">no plugins</span>");
        } else {
            b.append(plugins.size()).append(plugins.size() == 1 ? " plugin" : " plugins");
            counts.forEach((st, n) -> b.append(" <span class=\"count st-").append(slug(st)).append("\">").append(n).append(" ")
                    .append(esc(st)).append("</span>"));
        }
        b.append("</span></summary>");
        if (stage.hasNonNull(ItemCodec.MESSAGE)) {
            b.append("<p class=\"cause\">").append(esc(stage.path(ItemCodec.MESSAGE).asText())).append("</p>");
        }
        if (stage.hasNonNull(ItemCodec.WINDOW_ENDS_AT)) {
            b.append("<p class=\"muted small\">joining allowed until ").append(time(stage, ItemCodec.WINDOW_ENDS_AT, clock)).append("</p>");
        }
        if (!plugins.isEmpty()) {
            int pageCount = (plugins.size() + PLUGIN_PAGE - 1) / PLUGIN_PAGE;
            int pageNo = Math.min(pages.getOrDefault(stageKey, 0), pageCount - 1);
            boolean stageOpen = sStatus.equals("In Progress") || sStatus.equals("Mandatory Completed");
            b.append("<table class=\"plugins\"><thead><tr><th>#</th><th>Plugin</th><th>State</th><th>Started → ended</th>")
                    .append("<th>Attempt</th><th>Last heartbeat</th><th>Deadline</th><th>Cause / message</th><th></th></tr></thead><tbody>");
            long now = System.currentTimeMillis();
            for (Plugin p : plugins.subList(pageNo * PLUGIN_PAGE, Math.min(plugins.size(), (pageNo + 1) * PLUGIN_PAGE))) {
                JsonNode e = p.entry();
                String st = e.path(ItemCodec.STATE).asText("Not Started");
                b.append("<tr class=\"plugin st-").append(slug(st)).append("\" data-plugin=\"").append(esc(p.name())).append("\"><td>")
                        .append(esc(e.path(ItemCodec.ORDER).asText(""))).append("</td><td class=\"name\">").append(esc(p.name()))
                        .append(p.mandatory() ? "" : " <span class=\"tag\">optional</span>").append("</td><td>").append(badge(st))
                        .append("</td><td>").append(e.hasNonNull(ItemCodec.STARTED_AT) || e.hasNonNull(ItemCodec.DISPATCHED_AT)
                                ? span(e, e.hasNonNull(ItemCodec.STARTED_AT) ? ItemCodec.STARTED_AT : ItemCodec.DISPATCHED_AT,
                                        ItemCodec.ENDED_AT) : "")
                        .append("</td><td>").append(e.path(ItemCodec.ATTEMPT).asInt(0) > 0 ? e.path(ItemCodec.ATTEMPT).asInt() : "")
                        .append("</td><td>").append(time(e, ItemCodec.HEARTBEAT_AT, clock)).append("</td><td>");
                if (st.equals("In Progress") && !e.path(ItemCodec.CHILD).isObject() && e.hasNonNull(ItemCodec.TIMEOUT)) {
                    long from = e.hasNonNull(ItemCodec.HEARTBEAT_AT) ? e.path(ItemCodec.HEARTBEAT_AT).asLong()
                            : e.path(ItemCodec.STARTED_AT).asLong(now);
                    long deadline = from + e.path(ItemCodec.TIMEOUT).asLong() * 1000;
                    b.append("<span class=\"").append(deadline < now ? "overdue" : "").append("\">").append(at(deadline, clock)).append("</span>");
                }
                if (e.hasNonNull(ItemCodec.RERUN_AT)) {
                    b.append(" <span class=\"muted\">re-run at ").append(time(e, ItemCodec.RERUN_AT, clock)).append("</span>");
                }
                b.append("</td><td class=\"message\">").append(esc(e.path(ItemCodec.MESSAGE).asText("")));
                JsonNode child = e.path(ItemCodec.CHILD);
                if (child.hasNonNull(ItemCodec.UID)) {
                    String childUid = child.path(ItemCodec.UID).asText();
                    String childWorkflow = child.path(ItemCodec.WORKFLOW).asText();
                    b.append(" <a href=\"").append(esc(runHref(childUid, childWorkflow)))
                            .append("\">child ").append(esc(childUid + " / " + childWorkflow)).append("</a>");
                }
                b.append("</td><td class=\"row-actions\">");
                if (runOpen && stageOpen && (st.equals("In Progress") || st.equals("Not Started"))) {
                    Map<String, String> f = new LinkedHashMap<>();
                    f.put("uid", uid);
                    f.put("workflow", workflow);
                    f.put("activity", activity);
                    f.put("stage", s[0]);
                    f.put("plugin", p.name());
                    f.put("verb", "fail");
                    b.append(actionButton("Fail…", "small danger", "/action/plugin", "Fail plugin " + p.name() + "?",
                            "Its state becomes Error with “failed by operator: <reason>”; the engine decides what follows "
                                    + (p.mandatory() ? "(a mandatory plugin: the run fails)." : "(an optional plugin: the run goes on)."),
                            true, f));
                    f.put("verb", "skip");
                    b.append(actionButton("Skip…", "small", "/action/plugin", "Skip plugin " + p.name() + "?",
                            "Its state becomes Do Not Run with “skipped by operator: <reason>”; the stage goes on without it.", true, f));
                }
                b.append("</td></tr>");
            }
            b.append("</tbody></table>");
            if (pageCount > 1) {
                b.append("<div class=\"pager\"><span class=\"muted\">plugins ").append(pageNo * PLUGIN_PAGE + 1).append("–")
                        .append(Math.min(plugins.size(), (pageNo + 1) * PLUGIN_PAGE)).append(" of ").append(plugins.size()).append("</span>");
                for (int i = 0; i < pageCount; i++) {
                    b.append("<button type=\"button\" class=\"btn small").append(i == pageNo ? " primary" : "")
                            .append("\" data-page-of=\"").append(esc(stageKey)).append("\" data-page=\"").append(i).append("\">")
                            .append(i + 1).append("</button>");
                }
                b.append("</div>");
            }
        }
        return b.append("</details>").toString();
    }

    // ------------------------------------------------------------------------------------------- plugins, DLQs, tenants

    private JsonNode json(String... args) {
        ConsoleServer.Cli r = cli.run(withJson(args));
        if (r.code() != Exit.OK) {
            throw new CliException(r.code() == Exit.NOT_FOUND ? Exit.NOT_FOUND : Exit.FAILED, r.said().replaceFirst("^error: ", ""));
        }
        return Json.parse(r.out());
    }

    private static String[] withJson(String... args) {
        String[] all = new String[args.length + 1];
        System.arraycopy(args, 0, all, 0, args.length);
        all[args.length] = "--json";
        return all;
    }

    String plugins(String flash) {
        JsonNode all = json("plugins");
        StringBuilder b = new StringBuilder("<section class=\"card\"><h1>Plugins</h1><p class=\"muted\">Registered per activity and stage, "
                + "in dispatch order (pre and post run one at a time by order; parallel all at once).</p>");
        if (all.isEmpty()) {
            b.append("<p class=\"empty\">No plugins registered.</p>");
        }
        String current = null;
        for (JsonNode p : all) {
            String[] id = p.path("orchestratorId").asText().split("\\|", 2);
            String where = id[0] + "|" + (id.length > 1 ? id[1] : "");
            if (!where.equals(current)) {
                if (current != null) {
                    b.append("</tbody></table>");
                }
                current = where;
                b.append("<h2>").append(esc(id[0])).append(" <span class=\"stage-name\">")
                        .append(esc(id.length > 1 ? (id[1].equals("async") ? "parallel" : id[1]) : "")).append("</span></h2>")
                        .append("<table class=\"plugins\"><thead><tr><th>Order</th><th>Plugin</th><th>Mandatory</th><th>Function</th>")
                        .append("<th>Description</th></tr></thead><tbody>");
            }
            b.append("<tr><td>").append(esc(p.path("order").asText("1000"))).append("</td><td class=\"name\">").append(esc(p.path("pluginName").asText()))
                    .append("</td><td>").append(p.path("mandatory").asBoolean() ? "yes" : "no").append("</td><td><code>")
                    .append(esc(p.path("functionName").asText())).append("</code></td><td>").append(esc(p.path("description").asText("")));
            if (p.hasNonNull("refused")) {
                // Refused by the registrar: not run by the engine; the reason says which role to tag.
                b.append("<br><strong class=\"warn\">Refused:</strong> ").append(esc(p.path("refused").asText()));
            }
            b.append("</td></tr>");
        }
        if (current != null) {
            b.append("</tbody></table>");
        }
        return page("Plugins", "plugins", flash, b.append("</section>").toString());
    }

    String dlq(String name, String flash) {
        JsonNode queues = json("dlq", "list");
        StringBuilder b = new StringBuilder("<section class=\"card\"><h1>Dead-letter queues</h1><table class=\"runs\" id=\"dlq-table\"><thead><tr>")
                .append("<th>Queue</th><th>Messages</th><th>Redrive sends them to</th><th></th></tr></thead><tbody>");
        for (JsonNode q : queues) {
            String id = q.path("queue").asText();
            int n = q.path("messages").asInt();
            b.append("<tr><td class=\"name\">").append(esc(id)).append("</td><td>").append(n > 0 ? "<strong class=\"warn\">" + n + "</strong>" : "0")
                    .append("</td><td><code>").append(esc(q.path("redrive").asText("-"))).append("</code></td><td class=\"row-actions\">")
                    .append("<a class=\"btn small\" href=\"/dlq?name=").append(esc(url(id))).append("\">Peek</a>");
            if (n > 0) {
                b.append(actionButton("Redrive…", "small primary", "/action/redrive", "Redrive " + id + "?",
                        "Its messages go back to " + q.path("redrive").asText("?") + "; those that cannot be sent stay in the queue.",
                        false, Map.of("queue", id)));
            }
            b.append("</td></tr>");
        }
        b.append("</tbody></table></section>");
        if (name != null) {
            JsonNode messages = json("dlq", "show", name, "--max", "20");
            b.append("<section class=\"card\"><h2>").append(esc(name)).append(": ").append(messages.size())
                    .append(" message(s) peeked (they stay in the queue)</h2>");
            for (JsonNode m : messages) {
                b.append("<details class=\"message-body\"><summary><code>").append(esc(m.path("messageId").asText())).append("</code> received ")
                        .append(esc(m.path("receiveCount").asText("?"))).append(" time(s)</summary><pre>")
                        .append(esc(ConsolePages.pretty(m.path("body")))).append("</pre></details>");
            }
            b.append("</section>");
        }
        return page("Dead-letter queues", "dlq", flash, b.toString());
    }

    static String pretty(JsonNode node) {
        try {
            return Base.PRETTY.writeValueAsString(node);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            return node.toString();
        }
    }

    String tenants(String id, String flash) {
        StringBuilder b = new StringBuilder();
        if (id == null) {
            JsonNode all = json("tenants");
            b.append("<section class=\"card\"><h1>Tenants</h1><table class=\"runs\"><thead><tr><th>Tenant</th><th>State</th><th>Updated</th>")
                    .append("<th>Cause</th></tr></thead><tbody>");
            if (all.isEmpty()) {
                b.append("<tr><td colspan=\"4\" class=\"empty\">No tenants.</td></tr>");
            }
            for (JsonNode t : all) {
                String state = t.path("status").asText(t.path("state").asText(""));
                b.append("<tr><td><a href=\"/tenants?id=").append(esc(url(t.path("tenantId").asText()))).append("\">")
                        .append(esc(t.path("tenantId").asText())).append("</a></td><td><span class=\"badge\">").append(esc(state))
                        .append("</span></td><td>").append(time(t, "updatedAt", day)).append("</td><td class=\"message\">")
                        .append(esc(t.path("cause").asText(""))).append("</td></tr>");
            }
            b.append("</tbody></table></section>");
        } else {
            JsonNode items = json("tenant", id);
            b.append("<section class=\"card\"><h1>Tenant ").append(esc(id)).append("</h1><table class=\"runs\"><thead><tr><th>Item</th>")
                    .append("<th>State</th><th>Updated</th><th>Cause</th><th>Details</th></tr></thead><tbody>");
            for (JsonNode t : items) {
                StringBuilder details = new StringBuilder();
                t.fields().forEachRemaining(e -> {
                    if (!Tenants.SHOWN_FIRST.contains(e.getKey()) && e.getValue().isValueNode() && !e.getValue().isNull()) {
                        details.append(e.getKey()).append('=').append(e.getValue().asText()).append("  ");
                    }
                });
                b.append("<tr><td>").append(esc(t.path("jobId").asText())).append("</td><td><span class=\"badge\">")
                        .append(esc(t.path("status").asText(t.path("state").asText("")))).append("</span></td><td>")
                        .append(time(t, "updatedAt", day)).append("</td><td class=\"message\">").append(esc(t.path("cause").asText("")))
                        .append("</td><td class=\"message\"><code>").append(esc(details.toString().strip())).append("</code></td></tr>");
            }
            b.append("</tbody></table><p><a href=\"/tenants\">All tenants</a></p></section>");
        }
        return page("Tenants", "tenants", flash, b.toString());
    }
}
