package dev.orchestrator.start;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.orchestrator.core.ActivityStatus;
import dev.orchestrator.core.AwsClients;
import dev.orchestrator.core.Env;
import dev.orchestrator.core.EnvNames;
import dev.orchestrator.core.Json;
import dev.orchestrator.core.State;
import dev.orchestrator.core.StatusStore;
import dev.orchestrator.core.WorkflowRun;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * Starts a run (direct invoke, or an EventBridge event whose detail is the request) or resumes an
 * existing one. A new run is one conditional put; the engine takes over through the table's stream.
 * A bad request throws, naming each wrong field, and writes nothing.
 */
public final class StartWorkflowHandler implements RequestStreamHandler {

    private final StatusStore store;
    private final Set<String> deployedActivities;

    public StartWorkflowHandler() {
        this(System.getenv());
    }

    public StartWorkflowHandler(Map<String, String> environment) {
        Env env = new Env(environment);
        this.store = new StatusStore(new AwsClients(env).dynamo(), env.require(EnvNames.STATUS_TABLE));
        this.deployedActivities = new LinkedHashSet<>();
        Arrays.stream(env.get(EnvNames.ACTIVITIES, "").split(","))
                .map(String::trim).filter(s -> !s.isEmpty()).forEach(deployedActivities::add);
    }

    @Override
    public void handleRequest(InputStream input, OutputStream output, Context context) throws IOException {
        ObjectNode result = start(StartRequest.parse(Json.parse(input), deployedActivities));
        output.write(Json.write(result).getBytes(StandardCharsets.UTF_8));
    }

    public ObjectNode start(StartRequest request) {
        long now = System.currentTimeMillis();
        Map<String, ActivityStatus> activities = new LinkedHashMap<>();
        request.activities().forEach(a -> activities.put(a, ActivityStatus.notStarted()));
        WorkflowRun fresh = new WorkflowRun(request.uid(), request.workflow(), State.NOT_STARTED, request.metadata(),
                request.activities(), activities, request.pluginRegisterTimeout(), 1, null);
        if (store.create(fresh, now)) {
            return result(fresh, "created");
        }
        WorkflowRun existing = store.get(request.uid(), request.workflow())
                .orElseThrow(() -> new IllegalStateException("run " + request.uid() + "/" + request.workflow()
                        + " vanished while starting; retry"));
        Resume.Decision decision = Resume.decide(existing, request);
        if (decision.outcome() != Resume.Outcome.RESUMED) {
            return result(existing, decision.outcome() == Resume.Outcome.ALREADY_RUNNING ? "alreadyRunning" : "alreadyComplete");
        }
        if (!store.replace(decision.run(), existing.version(), now)) {
            throw new IllegalStateException("run " + request.uid() + "/" + request.workflow()
                    + " changed while resuming; retry the start");
        }
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
