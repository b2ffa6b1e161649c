package dev.orchestrator.obs;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.orchestrator.core.EnvNames;
import dev.orchestrator.core.Json;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Metrics in CloudWatch embedded metric format (EMF): one JSON line per workflow per invocation, holding
 * every metric the invocation recorded for it (counts summed, durations as EMF's array of values), under two dimension
 * sets, {@code service}+{@code workflow} and {@code service} alone (the stack total its alarms use), namespace {@code Orchestrator} (override with
 * {@code POWERTOOLS_METRICS_NAMESPACE}, read at start and from each handler's environment by {@link #configure}; service from {@code POWERTOOLS_SERVICE_NAME}, else the function
 * name). Buffered per invocation; {@link #flush()} in a finally block.
 * Names used by the orchestrator are constants here, so dashboards, alarms and code agree.
 * <p>
 * The lines are written here, to stdout (Lambda sends stdout to CloudWatch Logs, which extracts the
 * metrics) or to {@link #sink(Consumer)}: the same EMF shape Powertools metrics writes for a single
 * metric, without its start-up cost (its EMF library and object mapper were about a tenth of a second
 * of a function's cold start).
 */
public final class Metrics {

    public static final String RUNS_STARTED = "RunsStarted";
    public static final String RUNS_COMPLETED = "RunsCompleted";
    public static final String RUNS_FAILED = "RunsFailed";
    public static final String RUNS_CANCELLED = "RunsCancelled";
    public static final String STAGE_DURATION = "StageDuration";
    public static final String PLUGIN_ERRORS = "PluginErrors";
    public static final String PLUGIN_TIMEOUTS = "PluginTimeouts";
    public static final String ENGINE_CONFLICTS = "EngineConflicts";
    public static final String TENANT_BUILDS_STARTED = "TenantBuildsStarted";
    public static final String TENANT_BUILDS_FAILED = "TenantBuildsFailed";
    /** A tenant event handled already, or by another invocation at the same time: harmless, not a failure. */
    public static final String TENANT_DUPLICATE_EVENTS = "TenantDuplicateEvents";
    public static final String MESSAGES_DEAD_LETTERED = "MessagesDeadLettered";
    /** Registrar: plugins registered, removed, and plugins that failed to answer initialize. */
    public static final String PLUGINS_REGISTERED = "PluginsRegistered";
    public static final String PLUGINS_REMOVED = "PluginsRemoved";
    public static final String PLUGIN_INITIALIZE_FAILURES = "PluginInitializeFailures";
    /** Registrar: registrations refused because a role the plugin runs as is not tagged with its name (docs/security.md). */
    public static final String PLUGINS_REFUSED = "PluginsRefused";
    /** History: transitions recorded from the status stream. */
    public static final String HISTORY_TRANSITIONS = "HistoryTransitions";

    public static final String NAMESPACE_VARIABLE = EnvNames.METRICS_NAMESPACE;
    public static final String DEFAULT_NAMESPACE = "Orchestrator";

    private record Point(String name, String unit, double value, String workflow) {
    }

    private static final ThreadLocal<List<Point>> BUFFER = ThreadLocal.withInitial(ArrayList::new);
    private static volatile Consumer<String> sink;
    private static volatile String namespace = System.getenv().getOrDefault(NAMESPACE_VARIABLE, DEFAULT_NAMESPACE);
    private static volatile String service = System.getenv().getOrDefault(EnvNames.SERVICE_NAME,
            System.getenv().getOrDefault(EnvNames.AWS_LAMBDA_FUNCTION_NAME, "orchestrator"));

    private Metrics() {
    }

    /**
     * Namespace from a function's environment ({@code POWERTOOLS_METRICS_NAMESPACE}), as {@link Log#configure} takes the
     * level: handlers pass theirs, so functions run in-process (tests, the local runner) write the namespace their
     * stack gave them, not only the one of the JVM's own environment. An environment without the variable changes
     * nothing (a plugin's template may not set it).
     */
    public static void configure(Map<String, String> environment) {
        String v = environment.get(NAMESPACE_VARIABLE);
        if (v != null && !v.isBlank()) {
            namespace = v;
        }
    }

    /** Sends the EMF lines to a consumer instead (tests, the local runner); null restores the default. */
    public static void sink(Consumer<String> lines) {
        sink = lines;
    }

    /** Adds 1 to a count metric for a workflow (null workflow: no workflow dimension). */
    public static void count(String name, String workflow) {
        BUFFER.get().add(new Point(name, "Count", 1, workflow));
    }

    /** Adds n to a count metric (n = 0 is still recorded, so a dashboard sees the function ran). */
    public static void count(String name, String workflow, long n) {
        BUFFER.get().add(new Point(name, "Count", n, workflow));
    }

    /** Records a duration in milliseconds. */
    public static void millis(String name, String workflow, long millis) {
        BUFFER.get().add(new Point(name, "Milliseconds", millis, workflow));
    }

    /**
     * Writes the buffered metrics and empties the buffer: one EMF line per workflow (and one for metrics without
     * one), so an invocation that recorded a metric per stream record still ships one line (log bytes are billed).
     * Counts are summed (the alarms and dashboard read Sum); durations keep every value, at most
     * {@link #MAX_VALUES} per line as EMF allows.
     */
    public static void flush() {
        List<Point> points = BUFFER.get();
        try {
            Consumer<String> to = sink;
            long now = System.currentTimeMillis();
            for (String line : lines(points, now)) {
                if (to == null) {
                    System.out.println(line);
                } else {
                    to.accept(line);
                }
            }
        } finally {
            points.clear();
        }
    }

    /** EMF's limit of values in one metric's array. */
    static final int MAX_VALUES = 100;

    private static List<String> lines(List<Point> points, long now) {
        // workflow -> metric name -> values (counts summed into one), in the order first recorded
        Map<String, Map<String, List<Double>>> byWorkflow = new LinkedHashMap<>();
        Map<String, String> units = new LinkedHashMap<>();
        for (Point p : points) {
            List<Double> values = byWorkflow.computeIfAbsent(p.workflow() == null ? "" : p.workflow(), w -> new LinkedHashMap<>())
                    .computeIfAbsent(p.name(), n -> new ArrayList<>());
            units.putIfAbsent(p.name(), p.unit());
            if ("Count".equals(p.unit()) && !values.isEmpty()) {
                values.set(0, values.get(0) + p.value());
            } else {
                values.add(p.value());
            }
        }
        List<String> out = new ArrayList<>();
        for (var w : byWorkflow.entrySet()) {
            Map<String, List<Double>> left = w.getValue();
            for (int from = 0; ; from += MAX_VALUES) { // ends when no metric has values past from
                Map<String, List<Double>> part = new LinkedHashMap<>();
                for (var m : left.entrySet()) {
                    List<Double> v = m.getValue();
                    if (from < v.size()) {
                        part.put(m.getKey(), v.subList(from, Math.min(v.size(), from + MAX_VALUES)));
                    }
                }
                if (part.isEmpty()) {
                    break;
                }
                out.add(emf(w.getKey().isEmpty() ? null : w.getKey(), part, units, now));
            }
        }
        return out;
    }

    private static String emf(String workflow, Map<String, List<Double>> metrics, Map<String, String> units, long now) {
        ObjectNode o = Json.object();
        ObjectNode aws = o.putObject("_aws");
        aws.put("Timestamp", now);
        ObjectNode directive = aws.putArray("CloudWatchMetrics").addObject();
        directive.put("Namespace", namespace);
        ArrayNode sets = directive.putArray("Dimensions");
        o.put("service", service);
        if (workflow != null) {
            // Per workflow, and per service alone: the stack's alarms and dashboard read the total.
            sets.addArray().add("service").add("workflow");
            o.put("workflow", workflow);
        }
        sets.addArray().add("service");
        ArrayNode names = directive.putArray("Metrics");
        for (var m : metrics.entrySet()) {
            names.addObject().put("Name", m.getKey()).put("Unit", units.get(m.getKey()));
            if (m.getValue().size() == 1) {
                o.put(m.getKey(), m.getValue().get(0));
            } else {
                ArrayNode values = o.putArray(m.getKey());
                m.getValue().forEach(values::add);
            }
        }
        return Json.write(o);
    }
}
