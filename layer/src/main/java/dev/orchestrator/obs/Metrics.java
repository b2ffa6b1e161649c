package dev.orchestrator.obs;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.orchestrator.core.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Metrics in CloudWatch embedded metric format (EMF): one JSON line per metric, dimension
 * {@code workflow} (and the function's service name), namespace {@code Orchestrator} (override with
 * {@code POWERTOOLS_METRICS_NAMESPACE}). Buffered per invocation; {@link #flush()} in a finally block.
 * Names used by the orchestrator are constants here, so dashboards and code agree.
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

    public static final String NAMESPACE_VARIABLE = "POWERTOOLS_METRICS_NAMESPACE";

    private record Point(String name, String unit, double value, String workflow) {
    }

    private static final ThreadLocal<List<Point>> BUFFER = ThreadLocal.withInitial(ArrayList::new);
    private static volatile Consumer<String> sink = line -> System.out.println(line);
    private static volatile String namespace = System.getenv().getOrDefault(NAMESPACE_VARIABLE, "Orchestrator");
    private static volatile String service = System.getenv().getOrDefault("POWERTOOLS_SERVICE_NAME",
            System.getenv().getOrDefault("AWS_LAMBDA_FUNCTION_NAME", "orchestrator"));

    private Metrics() {
    }

    public static void sink(Consumer<String> lines) {
        sink = lines;
    }

    /** Adds 1 to a count metric for a workflow (null workflow: no workflow dimension). */
    public static void count(String name, String workflow) {
        BUFFER.get().add(new Point(name, "Count", 1, workflow));
    }

    /** Records a duration in milliseconds. */
    public static void millis(String name, String workflow, long millis) {
        BUFFER.get().add(new Point(name, "Milliseconds", millis, workflow));
    }

    /** Writes the buffered metrics (one EMF line each) and empties the buffer. */
    public static void flush() {
        List<Point> points = BUFFER.get();
        long now = System.currentTimeMillis();
        for (Point p : points) {
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
            sink.accept(Json.write(o));
        }
        points.clear();
    }
}
