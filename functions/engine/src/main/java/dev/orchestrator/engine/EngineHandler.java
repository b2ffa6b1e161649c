package dev.orchestrator.engine;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import com.fasterxml.jackson.databind.JsonNode;
import dev.orchestrator.core.AttributeJson;
import dev.orchestrator.core.AwsClients;
import dev.orchestrator.core.Env;
import dev.orchestrator.core.EnvNames;
import dev.orchestrator.core.Json;
import dev.orchestrator.core.PluginRegistry;
import dev.orchestrator.core.StatusStore;
import dev.orchestrator.core.WorkflowRun;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The engine. Invoked by the status table's stream (a run changed) and by the timer queue (a window
 * or timeout is due). A record only names the run: the engine reads the run's latest item, plans a
 * step, performs it, and repeats until the run is idle. Safe under at-least-once delivery and
 * concurrent invocations: every write is conditional.
 */
public final class EngineHandler implements RequestStreamHandler {

    /** Upper bound of steps per run per invocation; a healthy run needs far fewer before it idles. */
    static final int MAX_STEPS = 100;

    private final StatusStore store;
    private final Planner planner;
    private final Executor executor;
    private final Timers timers;

    public EngineHandler() {
        this(System.getenv());
    }

    public EngineHandler(Map<String, String> environment) {
        Env env = new Env(environment);
        AwsClients aws = new AwsClients(env);
        var dynamo = aws.dynamo();
        int window = env.getInt(EnvNames.DEFAULT_REGISTER_TIMEOUT, 10);
        this.store = new StatusStore(dynamo, env.require(EnvNames.STATUS_TABLE));
        this.timers = new Timers(aws.sqs(), env.require(EnvNames.TIMER_QUEUE_URL));
        this.planner = new Planner(window);
        this.executor = new Executor(store, new PluginRegistry(dynamo, env.require(EnvNames.PLUGIN_TABLE)),
                aws.sns(), aws.events(), timers, env.require(EnvNames.TOPIC_ARN_PREFIX),
                env.require(EnvNames.EVENT_BUS_NAME), window);
    }

    @Override
    public void handleRequest(InputStream input, OutputStream output, Context context) throws IOException {
        JsonNode event = Json.parse(input);
        Set<RunKey> runs = new LinkedHashSet<>();
        for (JsonNode record : event.path("Records")) {
            String source = record.path("eventSource").asText("");
            switch (source) {
                case "aws:dynamodb" -> runs.add(RunKey.fromStreamKeys(record.path("dynamodb").path("Keys")));
                case "aws:sqs" -> timerFired(Timers.Wake.fromJson(Json.parse(record.path("body").asText())), runs);
                default -> throw new IllegalArgumentException("engine cannot handle records from '" + source + "'");
            }
        }
        for (RunKey run : runs) {
            drive(run);
        }
        output.write("null".getBytes(StandardCharsets.UTF_8));
    }

    private void timerFired(Timers.Wake wake, Set<RunKey> runs) {
        long now = System.currentTimeMillis();
        if (wake.dueAt() > now) {
            timers.wakeAt(wake.uid(), wake.workflow(), wake.dueAt(), now); // longer than SQS's 15 min: re-arm
        } else {
            runs.add(new RunKey(wake.uid(), wake.workflow()));
        }
    }

    /** Plans and performs steps for one run until it waits on something outside the engine. */
    public void drive(RunKey key) {
        for (int i = 0; i < MAX_STEPS; i++) {
            Optional<WorkflowRun> run = store.get(key.uid(), key.workflow());
            if (run.isEmpty()) {
                return; // deleted run: nothing to drive
            }
            long now = System.currentTimeMillis();
            Step step = planner.plan(run.get(), now);
            if (step instanceof Step.Idle) {
                return;
            }
            executor.execute(run.get(), step, now); // a lost condition means news arrived: plan again
        }
        throw new IllegalStateException("run " + key + " did not settle after " + MAX_STEPS + " steps");
    }

    /** A run's key. */
    public record RunKey(String uid, String workflow) {

        static RunKey fromStreamKeys(JsonNode keys) {
            var map = AttributeJson.fromDynamoJsonMap(keys);
            if (!map.containsKey("uid") || !map.containsKey("workflow")) {
                throw new IllegalArgumentException("stream record lacks uid/workflow keys: " + keys);
            }
            return new RunKey(map.get("uid").s(), map.get("workflow").s());
        }
    }
}
