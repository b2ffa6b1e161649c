package dev.orchestrator.obs;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.orchestrator.core.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Metrics in CloudWatch embedded metric format (EMF): one JSON line per metric, under two dimension
 * sets, {@code service}+{@code workflow} and {@code service} alone (the stack total its alarms use), namespace {@code Orchestrator} (override with
 * {@code POWERTOOLS_METRICS_NAMESPACE}; service from {@code POWERTOOLS_SERVICE_NAME}, else the function
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
    /** History: transitions recorded from the status stream. */
    public static final String HISTORY_TRANSITIONS = "HistoryTransitions";

    public static final String NAMESPACE_VARIABLE = "POWERTOOLS_METRICS_NAMESPACE";
    public static final String DEFAULT_NAMESPACE = "Orchestrator";

    private record Point(String name, String unit, double value, String workflow) {
    }

    private static final ThreadLocal<List<Point>> BUFFER = ThreadLocal.withInitial(ArrayList::new);
    private static volatile Consumer<String> sink;
    private static volatile String namespace = System.getenv().getOrDefault(NAMESPACE_VARIABLE, DEFAULT_NAMESPACE);
    private static volatile String service = System.getenv().getOrDefault("POWERTOOLS_SERVICE_NAME",
            System.getenv().getOrDefault("AWS_LAMBDA_FUNCTION_NAME", "orchestrator"));

    private Metrics() {
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

    /** Writes the buffered metrics (one EMF line each) and empties the buffer. */
    public static void flush() {
        List<Point> points = BUFFER.get();
        try {
            Consumer<String> to = sink;
            for (Point p : points) {
                String line = emf(p, System.currentTimeMillis());
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

    private static String emf(Point p, long now) {
        ObjectNode o = Json.object();
        ObjectNode aws = o.putObject("_aws");
        aws.put("Timestamp", now);
        ObjectNode directive = aws.putArray("CloudWatchMetrics").addObject();
        directive.put("Namespace", namespace);
        ArrayNode sets = directive.putArray("Dimensions");
        o.put("service", service);
        if (p.workflow() != null) {
            // Per workflow, and per service alone: the stack's alarms and dashboard read the total.
            sets.addArray().add("service").add("workflow");
            o.put("workflow", p.workflow());
        }
        sets.addArray().add("service");
        directive.putArray("Metrics").addObject().put("Name", p.name()).put("Unit", p.unit());
        o.put(p.name(), p.value());
        return Json.write(o);
    }
}
