package dev.orchestrator.start;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.orchestrator.core.AwsClients;
import dev.orchestrator.core.Env;
import dev.orchestrator.core.EnvNames;
import dev.orchestrator.core.Json;
import dev.orchestrator.core.StatusStore;
import dev.orchestrator.core.WorkflowRun;
import dev.orchestrator.request.CancelRequest;
import dev.orchestrator.request.InvalidStartException;
import dev.orchestrator.request.Resume;
import dev.orchestrator.request.StartRequest;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.List;
import com.fasterxml.jackson.databind.JsonNode;
import dev.orchestrator.core.UpdateBuilder;
import dev.orchestrator.obs.Log;
import dev.orchestrator.obs.Trace;
import dev.orchestrator.obs.Metrics;

/**
 * Starts a run (direct invoke, or an EventBridge event whose detail is the request) or resumes an
 * existing one. A new run is one conditional put; the engine takes over through the table's stream.
 * A bad request throws, naming each wrong field, and writes nothing.
 */
public final class StartWorkflowHandler implements RequestStreamHandler {

    private static final Log LOG = Log.of(StartWorkflowHandler.class);

    /** detail-type of a start request on the bus; a cancel request is {@link #CANCEL_DETAIL_TYPE}. */
    public static final String START_DETAIL_TYPE = "Start Workflow";
    public static final String CANCEL_DETAIL_TYPE = "Cancel Workflow";

    private final StatusStore store;
    private final StartRequest.Limits limits;
    /** Start inputs are kept as long as a finished run (HistoryRetentionDays), counted from the start plus a week. */
    private final int retentionDays;

    public StartWorkflowHandler() {
        this(System.getenv());
    }

    private final Trace.Config trace;

    public StartWorkflowHandler(Map<String, String> environment) {
        Env env = new Env(environment);
        this.store = new StatusStore(new AwsClients(env).dynamo(), env.require(EnvNames.STATUS_TABLE));
        this.retentionDays = env.getInt(EnvNames.HISTORY_RETENTION_DAYS, 90);
        this.limits = StartRequest.Limits.parse(env.get(EnvNames.ACTIVITIES, ""),
                env.get(EnvNames.DEFAULT_FILTER_ATTRIBUTES, ""));
        Log.configure(environment);
        Metrics.configure(environment);
        this.trace = Trace.Config.of(environment);
    }

    @Override
    public void handleRequest(InputStream input, OutputStream output, Context context) throws IOException {
        Log.init(context);
        Trace.begin(trace);
        JsonNode event = null;
        try {
            event = Json.parse(input);
            ObjectNode result;
            // Annotated with the run's uid and workflow (set inside): the run's first subsegment.
            try (Trace.Scope scope = Trace.open(isCancel(event) ? "cancel workflow" : "start workflow")) {
                result = isCancel(event) ? cancel(CancelRequest.parse(event)) : start(StartRequest.parse(event, limits));
                scope.annotate("outcome", result.path("outcome").asText(null));
            }
            output.write(Json.write(result).getBytes(StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            LOG.warn("request refused", "cause", e.getMessage(), Log.UID, requested(event, "uid"),
                    Log.WORKFLOW, requested(event, "workflow"), "action", "correct the request and send it again");
            throw e;
        } catch (RuntimeException e) {
            LOG.error("request failed; the caller's retry is safe", e, "cause", String.valueOf(e), Log.UID, requested(event, "uid"),
                    Log.WORKFLOW, requested(event, "workflow"),
                    "action", "send the same request again: a start or cancel of the same uid and workflow is idempotent");
            throw e;
        } finally {
            Metrics.flush();
            Log.clear();
            Trace.end();
        }
    }

    /** A key of the request as sent (top level or in an EventBridge event's detail), for log lines of refused requests. */
    static String requested(JsonNode event, String field) {
        if (event == null) {
            return null;
        }
        JsonNode v = event.has(field) ? event.get(field) : event.path("detail").path(field);
        return v.isTextual() ? dev.orchestrator.core.Names.shorten(v.asText()) : null;
    }

    static boolean isCancel(JsonNode event) {
        return CANCEL_DETAIL_TYPE.equals(event.path("detail-type").asText(null))
                || "cancel".equals(event.path("action").asText(null));
    }

    /**
     * Asks the engine to cancel a run: one conditional write of {@code cancelRequested}; the engine, woken
     * by the stream, marks unfinished work Do Not Run, ends the run Error and announces it once.
     */
    public ObjectNode cancel(CancelRequest request) {
        Log.put(Log.UID, request.uid());
        Log.put(Log.WORKFLOW, request.workflow());
        long now = System.currentTimeMillis();
        UpdateBuilder u = CancelRequest.write(request.reason(), now);
        if (store.update(request.uid(), request.workflow(), u, now)) {
            LOG.info("run cancel requested", "reason", request.reason());
            ObjectNode o = Json.object();
            o.put("uid", request.uid());
            o.put("workflow", request.workflow());
            o.put("outcome", "cancelling");
            o.put("reason", request.reason());
            return o;
        }
        WorkflowRun existing = store.get(request.uid(), request.workflow()).orElseThrow(() ->
                new InvalidStartException(List.of("no run " + request.uid() + "/" + request.workflow() + " to cancel")));
        LOG.info("cancel ignored: run already ended", "status", existing.status().wire());
        return result(existing, "notRunning");
    }

    public ObjectNode start(StartRequest request) {
        Log.put(Log.UID, request.uid());
        Log.put(Log.WORKFLOW, request.workflow());
        long now = System.currentTimeMillis();
        WorkflowRun fresh = request.newRun(null);
        if (request.inputs() != null) {
            // Written before the header names it, so the engine never reads a header whose inputs are missing.
            store.putStartInputs(request.uid(), request.workflow(), request.startInputsDigest(), request.inputs(),
                    retentionDays > 0 ? now / 1000 + (retentionDays + 7) * 86_400L : null);
            List<String> names = new java.util.ArrayList<>();
            request.inputs().fields().forEachRemaining(s -> s.getValue().fieldNames().forEachRemaining(n -> names.add(s.getKey() + "." + n)));
            LOG.info("start inputs stored", "inputs", String.join(",", names), "digest", request.startInputsDigest(),
                    "bytes", Json.write(request.inputs()).getBytes(StandardCharsets.UTF_8).length);
        }
        if (store.create(fresh, now)) {
            LOG.info("run created", "activities", String.join(",", request.activities()));
            Metrics.count(Metrics.RUNS_STARTED, request.workflow());
            return result(fresh, "created");
        }
        WorkflowRun existing = store.get(request.uid(), request.workflow())
                .orElseThrow(() -> new IllegalStateException("run " + request.uid() + "/" + request.workflow()
                        + " vanished while starting; retry"));
        Resume.Decision decision = Resume.decide(existing, request);
        if (decision.outcome() != Resume.Outcome.RESUMED) {
            String outcome = decision.outcome() == Resume.Outcome.ALREADY_RUNNING ? "alreadyRunning" : "alreadyComplete";
            LOG.info("start changed nothing", "outcome", outcome, "status", existing.status().wire());
            return result(existing, outcome);
        }
        if (!store.replace(decision.run(), existing.version(), now)) {
            throw new IllegalStateException("run " + request.uid() + "/" + request.workflow()
                    + " changed while resuming; retry the start");
        }
        LOG.info("run resumed", "previousStatus", existing.status().wire());
        Metrics.count(Metrics.RUNS_STARTED, request.workflow());
        return result(decision.run(), "resumed");
    }

    private static ObjectNode result(WorkflowRun run, String outcome) {
        ObjectNode o = Json.object();
        o.put("uid", run.uid());
        o.put("workflow", run.workflow());
        o.put("status", run.status().wire());
        o.put("outcome", outcome);
        return o;
    }
}
