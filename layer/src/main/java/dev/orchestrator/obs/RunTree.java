package dev.orchestrator.obs;

import com.fasterxml.jackson.databind.JsonNode;
import dev.orchestrator.core.ItemCodec;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * A run as a tree a person reads at a glance, with times and causes where the item has them. Reads
 * the status item's JSON (not the model classes), so the local runner and the CLI render any item the
 * same way, old or new fields alike. Pure.
 * <pre>
 * acme / tenant-onboarding  Error [FAILED]: cancelled: bad data  12:00:01 → 12:00:09 (8.0 s)
 * ├─ Setup  Complete [ok]
 * │  ├─ pre      Complete [ok]
 * │  │  · reserve-capacity  Complete  12:00:02 → 12:00:03 (1.0 s)
 * </pre>
 */
public final class RunTree {

    static final String[][] STAGES = {{"pre", "pre"}, {"async", "parallel"}, {"post", "post"}};

    private RunTree() {
    }

    public static String mark(String state) {
        return switch (state == null ? "" : state) {
            case "Complete" -> "[ok]";
            case "Error" -> "[FAILED]";
            case "Optional Task Error" -> "[ok, optional failed]";
            case "In Progress" -> "[running]";
            case "Mandatory Completed" -> "[mandatory done]";
            case "Do Not Run" -> "[skipped]";
            default -> "[ ]";
        };
    }

    public static String render(JsonNode item, ZoneId zone) {
        return render(item, zone, (uid, workflow) -> java.util.Optional.empty());
    }

    /** Finds a child run's item by its key, so its tree is drawn under the plugin that started it. */
    public interface Children {
        java.util.Optional<JsonNode> find(String uid, String workflow);
    }

    /** Children nested at most this deep (a chain of children is drawn, not followed for ever). */
    static final int MAX_DEPTH = 4;

    /**
     * The tree with each child workflow's own tree under the plugin that started it. In a DAG run each
     * activity says what it waits for ({@code after B, C}); a plain list runs in the order shown.
     */
    public static String render(JsonNode item, ZoneId zone, Children children) {
        return String.join("\n", lines(item, zone, children, 0));
    }

    private static List<String> lines(JsonNode item, ZoneId zone, Children children, int depth) {
        List<String> lines = new ArrayList<>();
        String status = item.path(ItemCodec.STATUS).asText("Not Started");
        lines.add(item.path(ItemCodec.UID).asText() + " / " + item.path(ItemCodec.WORKFLOW).asText() + "  " + status + " " + mark(status)
                + message(item) + times(item, ItemCodec.STARTED_AT, ItemCodec.ENDED_AT, zone));
        JsonNode cancel = item.path(ItemCodec.CANCEL_REQUESTED);
        if (cancel.isObject()) {
            lines.add("│  cancel requested"
                    + (cancel.hasNonNull(ItemCodec.AT) ? " at " + clock(cancel.path(ItemCodec.AT).asLong(), zone) : "")
                    + ": " + cancel.path(ItemCodec.REASON).asText(""));
        }
        JsonNode parent = item.path(ItemCodec.PARENT);
        if (parent.isObject()) {
            lines.add("│  child of " + parent.path(ItemCodec.UID).asText() + " / " + parent.path(ItemCodec.WORKFLOW).asText() + " ("
                    + parent.path(ItemCodec.ACTIVITY).asText() + " " + parent.path(ItemCodec.STAGE).asText() + ", plugin "
                    + parent.path(ItemCodec.PLUGIN).asText() + ")");
        }
        JsonNode dependsOn = item.path(ItemCodec.DEPENDS_ON);
        List<String> order = new ArrayList<>();
        item.path(ItemCodec.ACTIVITY_ORDER).forEach(a -> order.add(a.asText()));
        for (Iterator<String> it = item.path(ItemCodec.ACTIVITIES).fieldNames(); it.hasNext(); ) {
            String a = it.next();
            if (!order.contains(a)) {
                order.add(a);
            }
        }
        for (int i = 0; i < order.size(); i++) {
            boolean lastActivity = i == order.size() - 1;
            JsonNode a = item.path(ItemCodec.ACTIVITIES).path(order.get(i));
            String aStatus = a.path(ItemCodec.STATUS).asText("Not Started");
            lines.add((lastActivity ? "└─ " : "├─ ") + order.get(i) + "  " + aStatus + " " + mark(aStatus)
                    + message(a) + times(a, ItemCodec.STARTED_AT, ItemCodec.ENDED_AT, zone) + after(dependsOn.path(order.get(i))));
            String indent = lastActivity ? "   " : "│  ";
            for (int j = 0; j < STAGES.length; j++) {
                boolean lastStage = j == STAGES.length - 1;
                JsonNode s = a.path(STAGES[j][0]);
                String sStatus = s.path(ItemCodec.STATUS).asText("Not Started");
                lines.add(indent + (lastStage ? "└─ " : "├─ ") + pad(STAGES[j][1], 9) + sStatus + " " + mark(sStatus)
                        + message(s) + times(s, ItemCodec.STARTED_AT, ItemCodec.ENDED_AT, zone));
                String inner = indent + (lastStage ? "   " : "│  ");
                if (s.path("map").isObject()) {
                    lines.add(inner + mapLine(s.path("map")));
                }
                for (Plugin p : plugins(s)) {
                    JsonNode e = p.entry();
                    String line = inner + "· " + p.name() + (p.mandatory() ? "" : " (optional)") + "  "
                            + e.path(ItemCodec.STATE).asText("Not Started");
                    if (e.hasNonNull(ItemCodec.MESSAGE)) {
                        line += ": " + e.path(ItemCodec.MESSAGE).asText();
                    }
                    line += times(e, e.hasNonNull(ItemCodec.STARTED_AT) ? ItemCodec.STARTED_AT : ItemCodec.DISPATCHED_AT,
                            ItemCodec.ENDED_AT, zone);
                    if (e.path(ItemCodec.ATTEMPT).asInt(0) > 1) {
                        line += ", attempt " + e.path(ItemCodec.ATTEMPT).asInt();
                    }
                    if (e.hasNonNull(ItemCodec.RERUN_AT)) {
                        line += ", re-run at " + clock(e.path(ItemCodec.RERUN_AT).asLong(), zone);
                    }
                    if (e.path("output").isObject()) {
                        line += ", output " + brief(dev.orchestrator.core.Json.write(e.path("output")));
                    } else if (e.path("outputRef").isObject()) {
                        line += ", output in s3://" + e.path("outputRef").path("bucket").asText() + "/"
                                + e.path("outputRef").path("key").asText() + " (" + e.path("outputRef").path("size").asLong() + " bytes)";
                    }
                    JsonNode child = e.path(ItemCodec.CHILD);
                    if (child.hasNonNull(ItemCodec.UID)) {
                        line += ", child " + child.path(ItemCodec.UID).asText() + " / " + child.path(ItemCodec.WORKFLOW).asText();
                    } else if (child.isObject()) {
                        line += ", child requested";
                    }
                    lines.add(line);
                    if (child.hasNonNull(ItemCodec.UID) && depth < MAX_DEPTH) {
                        var found = children.find(child.path(ItemCodec.UID).asText(), child.path(ItemCodec.WORKFLOW).asText());
                        String nested = inner + "    ";
                        found.ifPresent(c -> lines(c, zone, children, depth + 1).forEach(l -> lines.add(nested + l)));
                    }
                }
            }
        }
        return lines;
    }

    /**
     * A map stage's progress from the header's counters: "map over $.metadata.hosts: 120 elements, 100 released,
     * ended: ping 80; 2 failed (maxConcurrency 50)", or "... list not read yet".
     */
    static String mapLine(JsonNode map) {
        String head = "↻ map over " + map.path("items").asText() + ": ";
        String tail = " (maxConcurrency " + map.path("maxConcurrency").asInt() + ")";
        if (!map.hasNonNull("total")) {
            return head + "list not read yet" + tail;
        }
        List<String> ended = new ArrayList<>();
        map.path("ended").fields().forEachRemaining(e -> ended.add(e.getKey() + " " + e.getValue().asInt()));
        return head + map.path("total").asInt() + " elements, " + map.path("released").asInt() + " released, ended: "
                + (ended.isEmpty() ? "none" : String.join(", ", ended)) + "; " + map.path("failed").asInt() + " failed" + tail;
    }

    /** An output shown on a plugin's line: its JSON, cut to 60 characters ({@code orchestrator output} prints it whole). */
    static String brief(String json) {
        return json.length() <= 60 ? json : json.substring(0, 59) + "…";
    }

    /** "  after B, C" for an activity of a DAG run that waits for others; nothing otherwise. */
    private static String after(JsonNode deps) {
        if (!deps.isArray() || deps.isEmpty()) {
            return "";
        }
        List<String> names = new ArrayList<>();
        deps.forEach(d -> names.add(d.asText()));
        return "  after " + String.join(", ", names);
    }

    private record Plugin(String name, boolean mandatory, JsonNode entry) {
    }

    private static List<Plugin> plugins(JsonNode stage) {
        List<Plugin> out = new ArrayList<>();
        for (String group : new String[] {ItemCodec.MANDATORY, ItemCodec.OPTIONAL}) {
            for (Iterator<Map.Entry<String, JsonNode>> it = stage.path(group).fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                out.add(new Plugin(e.getKey(), group.equals(ItemCodec.MANDATORY), e.getValue()));
            }
        }
        out.sort(Comparator.comparingInt((Plugin p) -> p.entry().path(ItemCodec.ORDER).asInt(1000)).thenComparing(Plugin::name));
        return out;
    }

    private static String message(JsonNode node) {
        return node.hasNonNull(ItemCodec.MESSAGE) ? ": " + node.path(ItemCodec.MESSAGE).asText() : "";
    }

    /** "  12:00:01 → 12:00:04 (3.0 s)", "  since 12:00:01", or nothing. */
    static String times(JsonNode node, String startField, String endField, ZoneId zone) {
        if (!node.hasNonNull(startField)) {
            return "";
        }
        long start = node.path(startField).asLong();
        if (!node.hasNonNull(endField)) {
            return "  since " + clock(start, zone);
        }
        long end = node.path(endField).asLong();
        return "  " + clock(start, zone) + " → " + clock(end, zone) + " (" + seconds(end - start) + ")";
    }

    public static String clock(long epochMillis, ZoneId zone) {
        return DateTimeFormatter.ofPattern("HH:mm:ss").withZone(zone).format(Instant.ofEpochMilli(epochMillis));
    }

    public static String seconds(long millis) {
        return String.format(java.util.Locale.ROOT, "%.1f s", millis / 1000.0);
    }

    private static String pad(String s, int width) {
        return s.length() >= width ? s + " " : s + " ".repeat(width - s.length());
    }
}
