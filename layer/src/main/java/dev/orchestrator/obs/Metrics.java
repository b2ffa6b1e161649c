package dev.orchestrator.obs;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.orchestrator.core.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import software.amazon.lambda.powertools.metrics.MetricsFactory;
import software.amazon.lambda.powertools.metrics.model.DimensionSet;
import software.amazon.lambda.powertools.metrics.model.MetricUnit;

/**
 * Metrics in CloudWatch embedded metric format (EMF): one JSON line per metric, dimensions
 * {@code service} and {@code workflow}, namespace {@code Orchestrator} (override with
 * {@code POWERTOOLS_METRICS_NAMESPACE}). Buffered per invocation; {@link #flush()} in a finally block.
 * Names used by the orchestrator are constants here, so dashboards, alarms and code agree.
 * <p>
 * Inside Lambda (or wherever {@code AWS_EMF_ENVIRONMENT} is set, e.g. {@code Local} for stdout) the
 * lines are written by Powertools metrics. Elsewhere (tests, the local runner, tools) the same EMF
 * shape is written to stdout or to {@link #sink(Consumer)} directly: Powertools' EMF writer would look
 * for a CloudWatch agent on 127.0.0.1:25888 and keep the JVM alive.
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
    private static final boolean POWERTOOLS = System.getenv("AWS_EMF_ENVIRONMENT") != null
            || System.getenv("AWS_LAMBDA_FUNCTION_NAME") != null;

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
                if (to == null && POWERTOOLS) {
                    DimensionSet dims = DimensionSet.of("service", service);
                    if (p.workflow() != null) {
                        dims.addDimension("workflow", p.workflow());
                    }
                    MetricsFactory.getMetricsInstance().flushSingleMetric(p.name(), p.value(),
                            "Count".equals(p.unit()) ? MetricUnit.COUNT : MetricUnit.MILLISECONDS, namespace, dims);
                } else {
                    String line = emf(p, System.currentTimeMillis());
                    if (to == null) {
                        System.out.println(line);
                    } else {
                        to.accept(line);
                    }
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
        ArrayNode dims = directive.putArray("Dimensions").addArray();
        dims.add("service");
        o.put("service", service);
        if (p.workflow() != null) {
            dims.add("workflow");
            o.put("workflow", p.workflow());
        }
        directive.putArray("Metrics").addObject().put("Name", p.name()).put("Unit", p.unit());
        o.put(p.name(), p.value());
        return Json.write(o);
    }
}
