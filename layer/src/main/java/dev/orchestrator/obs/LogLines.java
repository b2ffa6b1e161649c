package dev.orchestrator.obs;

import com.fasterxml.jackson.databind.JsonNode;
import dev.orchestrator.core.Json;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Turns the JSON lines of {@link Log} and {@link Metrics} into lines a person reads in a terminal:
 * <pre>
 * 12:00:01 INFO  registrar  plugin registered uid=.. activity=Setup stage=pre plugin=reserve-capacity
 * 12:00:02 METRIC engine    RunsStarted=1 workflow=tenant-onboarding
 * </pre>
 * Correlation keys come first, then the line's own fields; Powertools' Lambda fields are left out.
 * A line that is not JSON is returned as it is. Pure.
 */
public final class LogLines {

    static final List<String> FIRST = List.of(Log.UID, Log.WORKFLOW, Log.ACTIVITY, Log.STAGE, Log.PLUGIN, Log.TENANT_ID);
    static final Set<String> HIDDEN = Set.of("timestamp", "level", "message", "service", "logger", "error", "cold_start",
            "function_arn", "function_memory_size", "function_name", "function_request_id", "function_version",
            "sampling_rate", "xray_trace_id", "correlation_id");

    private LogLines() {
    }

    public static String readable(String line, ZoneId zone) {
        if (line == null || !line.startsWith("{")) {
            return line;
        }
        JsonNode o;
        try {
            o = Json.parse(line);
        } catch (RuntimeException e) {
            return line;
        }
        if (o.has("_aws")) {
            return metric(o, zone);
        }
        StringBuilder b = new StringBuilder();
        b.append(time(o.path("timestamp").asText(null), zone)).append(' ')
                .append(pad(o.path("level").asText("INFO"), 5)).append(' ')
                .append(pad(component(o.path("logger").asText(o.path("service").asText(""))), 10)).append(' ')
                .append(o.path("message").asText(""));
        for (String k : FIRST) {
            if (o.hasNonNull(k)) {
                b.append(' ').append(k).append('=').append(o.path(k).asText());
            }
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = o.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!FIRST.contains(e.getKey()) && !HIDDEN.contains(e.getKey()) && !e.getValue().isNull()) {
                b.append(' ').append(e.getKey()).append('=').append(e.getValue().isValueNode() ? e.getValue().asText() : e.getValue().toString());
            }
        }
        JsonNode error = o.path("error");
        if (error.isObject() && error.hasNonNull("message")) {
            b.append(" error=").append(error.path("name").asText("")).append(": ").append(error.path("message").asText());
        }
        return b.toString();
    }

    private static String metric(JsonNode o, ZoneId zone) {
        StringBuilder b = new StringBuilder();
        b.append(RunTree.clock(o.path("_aws").path("Timestamp").asLong(System.currentTimeMillis()), zone))
                .append(" METRIC ").append(pad(component(o.path("service").asText("")), 10)).append(' ');
        JsonNode directive = o.path("_aws").path("CloudWatchMetrics").path(0);
        for (JsonNode m : directive.path("Metrics")) {
            String name = m.path("Name").asText();
            b.append(name).append('=').append(number(o.path(name))).append(' ');
        }
        for (JsonNode dims : directive.path("Dimensions")) {
            for (JsonNode d : dims) {
                if (!"service".equals(d.asText())) {
                    b.append(d.asText()).append('=').append(o.path(d.asText()).asText()).append(' ');
                }
            }
        }
        return b.toString().stripTrailing();
    }

    private static String number(JsonNode v) {
        double d = v.asDouble();
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }

    /** EngineHandler -> engine, RegistrarHandler -> registrar, TenantRouterHandler -> tenantrouter. */
    static String component(String logger) {
        String s = logger;
        for (String suffix : new String[] {"Handler", "Function", "Plugin"}) {
            if (s.endsWith(suffix) && s.length() > suffix.length()) {
                s = s.substring(0, s.length() - suffix.length());
            }
        }
        return s.toLowerCase(Locale.ROOT);
    }

    private static String time(String timestamp, ZoneId zone) {
        if (timestamp == null) {
            return "--:--:--";
        }
        try {
            return DateTimeFormatter.ofPattern("HH:mm:ss").withZone(zone).format(Instant.parse(timestamp));
        } catch (RuntimeException e) {
            return timestamp;
        }
    }

    private static String pad(String s, int width) {
        return s.length() >= width ? s : s + " ".repeat(width - s.length());
    }
}
