package dev.orchestrator.plugin;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.orchestrator.core.AwsClients;
import dev.orchestrator.core.Env;
import dev.orchestrator.core.EnvNames;
import dev.orchestrator.core.ItemCodec;
import dev.orchestrator.core.Json;
import dev.orchestrator.core.PluginStatus;
import dev.orchestrator.core.State;
import dev.orchestrator.core.StatusStore;
import dev.orchestrator.obs.Log;
import dev.orchestrator.obs.Metrics;
import dev.orchestrator.obs.Trace;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.MessageAttributeValue;

/**
 * A plugin behind a queue (for slow or fragile work). The same class serves two functions: subscribed
 * to a stage topic it is the bridge (claims the plugin {@code In Progress} and forwards the message to
 * {@code PLUGIN_QUEUE_URL}; FIFO group from {@code fifoKey} or the uid); triggered by that queue it is
 * the worker (runs {@link #process} and applies its {@link PluginResult}). A message that keeps failing
 * is marked {@code Error} on its last receive ({@code PLUGIN_MAX_RECEIVE_COUNT}, the queue's
 * maxReceiveCount) and then goes to the queue's dead-letter queue.
 */
public abstract class QueuePlugin implements RequestStreamHandler {

    static final String ATTEMPT = "attempt";

    private static final Log LOG = Log.of(QueuePlugin.class);

    private final Trace.Config trace;
    private final StatusStore store;
    private final StatusReporter reporter;
    private final SqsClient sqs;
    private final String queueUrl;
    private final int maxReceiveCount;
    private final int maxAttempts;
    private final dev.orchestrator.core.PayloadStore payloads;
    private final OutputWriter outputs;

    protected QueuePlugin() {
        this(System.getenv());
    }

    protected QueuePlugin(Map<String, String> environment) {
        this.trace = Trace.Config.of(environment);
        Env env = new Env(environment);
        AwsClients aws = new AwsClients(env);
        this.store = new StatusStore(aws.dynamo(), env.require(EnvNames.STATUS_TABLE));
        this.reporter = new StatusReporter(store);
        this.sqs = aws.sqs();
        this.queueUrl = env.require(EnvNames.PLUGIN_QUEUE_URL);
        this.maxReceiveCount = env.getInt(EnvNames.PLUGIN_MAX_RECEIVE_COUNT, 3);
        this.maxAttempts = env.getInt(EnvNames.PLUGIN_MAX_ATTEMPTS, 4);
        this.payloads = new dev.orchestrator.core.PayloadStore(AwsClients.memoize(aws::s3), env.get(EnvNames.PAYLOAD_BUCKET, null));
        this.outputs = new OutputWriter(env, payloads);
    }

    public abstract PluginInfo info();

    /** The work. Return a result; throwing is an unexpected failure: the message is received again. */
    protected abstract PluginResult process(PluginContext context) throws Exception;

    @Override
    public void handleRequest(InputStream input, OutputStream output, Context context) throws IOException {
        Log.init(context);
        Trace.begin(trace);
        try {
            JsonNode event = Json.parse(input);
            if (PluginHandler.isInitialize(event)) {
                output.write(Json.write(info().toJson()).getBytes(StandardCharsets.UTF_8));
                return;
            }
            JsonNode records = event.path("Records");
            if (!records.isArray() || records.isEmpty()) {
                throw new IllegalArgumentException("expected an SNS or SQS event, or {\"action\":\"initialize\"}");
            }
            ObjectNode response = Json.object();
            ArrayNode failures = response.putArray("batchItemFailures");
            for (JsonNode record : records) {
                // One subsegment per message, annotated with the run's keys (set by bridge or work inside it).
                try (Trace.Scope scope = Trace.open("plugin " + info().pluginName())) {
                    scope.annotate("step", record.has("Sns") ? "bridge" : "work");
                    try {
                        if (record.has("Sns")) {
                            bridge(StageMessage.fromJson(Json.parse(record.path("Sns").path("Message").asText())));
                        } else if (!work(record)) {
                            scope.annotate("outcome", "received again");
                            failures.addObject().put("itemIdentifier", record.path("messageId").asText());
                        }
                    } catch (IllegalArgumentException e) {
                        scope.fail(e);
                        if (record.has("Sns")) {
                            LOG.error("event refused: not a stage message this plugin can read", e, "cause", e.getMessage(),
                                    "action", PluginHandler.UNREADABLE_EVENT_ACTION);
                            throw e;
                        }
                        // One unreadable queued message must not send the batch's others round again: it alone is
                        // received again, and the queue's redrive policy moves it to the dead-letter queue.
                        LOG.error("queued message refused: not a stage message this plugin can read", e, "cause", e.getMessage(),
                                "messageId", record.path("messageId").asText(),
                                "action", "it goes to the queue's dead-letter queue after its receives: compare it with docs/protocol.md");
                        failures.addObject().put("itemIdentifier", record.path("messageId").asText());
                    } catch (RuntimeException | Error e) {
                        scope.fail(e);
                        throw e;
                    }
                }
                Log.clearKeys();
            }
            output.write(Json.write(response).getBytes(StandardCharsets.UTF_8));
        } finally {
            Log.clear();
            Trace.end();
        }
    }

    private void correlate(StageMessage m) {
        Log.put(Log.UID, m.uid());
        Log.put(Log.WORKFLOW, m.workflow());
        Log.put(Log.ACTIVITY, m.activity());
        Log.put(Log.STAGE, m.stage().wireName());
        Log.put(Log.PLUGIN, info().pluginName());
    }

    /** Bridge: claim, then forward to the queue. */
    public boolean bridge(StageMessage m) {
        correlate(m);
        PluginHandler.Start start = PluginHandler.claim(reporter, info(), m, System.currentTimeMillis());
        if (start.outcome() == PluginHandler.Outcome.NOT_CLAIMED && !start.explained()) {
            PluginHandler.notClaimed(store, m, info().pluginName()); // never silent, as PluginHandler
            return false;
        }
        if (start.outcome() != PluginHandler.Outcome.CLAIMED) {
            LOG.debug("stage message skipped", "outcome", start.outcome().name());
            return false;
        }
        try {
            send(m, 1, 0);
        } catch (RuntimeException e) {
            // Give the claim back: Lambda's retry of this stage message claims and queues again, where a kept claim
            // would refuse it and leave the work unqueued until the plugin timeout.
            boolean released = reporter.release(m, info().pluginName(), info().isMandatory(m.activity()),
                    "could not queue the work: " + e.getClass().getSimpleName(), System.currentTimeMillis());
            LOG.warn("work could not be queued; the claim is given back and the stage message will be retried",
                    "cause", String.valueOf(e), "claimReleased", released,
                    "action", "check that " + EnvNames.PLUGIN_QUEUE_URL + " names an existing queue this function may send to");
            throw e;
        }
        LOG.info("plugin claimed; work queued", "attempt", start.attempt());
        return true;
    }

    /** FIFO queues cannot delay one message: Schedule and RetryError need a standard queue. */
    static final String FIFO_CANNOT_DELAY = "Schedule and RetryError need a standard queue: FIFO queues cannot delay one message";

    private boolean fifo() {
        return queueUrl.endsWith(".fifo");
    }

    /** Never a delay on a FIFO queue: {@link #work} ends such a result Error first ({@link #FIFO_CANNOT_DELAY}). */
    private void send(StageMessage m, int attempt, int delaySeconds) {
        boolean fifo = fifo();
        sqs.sendMessage(b -> {
            b.queueUrl(queueUrl).messageBody(Json.write(m.toJson())).messageAttributes(Map.of(ATTEMPT,
                    MessageAttributeValue.builder().dataType("Number").stringValue(Integer.toString(attempt)).build()));
            if (fifo) {
                b.messageGroupId(QueueBridgeRules.groupId(m, info().fifoKey()))
                        .messageDeduplicationId(QueueBridgeRules.deduplicationId(m, info().pluginName()) + "-" + attempt);
            } else if (delaySeconds > 0) {
                b.delaySeconds(delaySeconds);
            }
        });
    }

    /** Worker: one SQS record; false asks for it to be received again. */
    boolean work(JsonNode record) {
        StageMessage m = StageMessage.fromJson(Json.parse(record.path("body").asText()));
        int attempt = record.path("messageAttributes").path(ATTEMPT).path("stringValue").asInt(1);
        int receives = record.path("attributes").path("ApproximateReceiveCount").asInt(1);
        correlate(m);
        LOG.info("queued work received", "attempt", attempt, "receives", receives);
        PluginInfo info = info();
        boolean mandatory = info.isMandatory(m.activity());
        // A queued message may be stale (redelivered, delayed): the store says whether work is left.
        if (!info.alwaysRun() && current(m, info.pluginName(), mandatory).map(s -> s.isTerminal()).orElse(false)) {
            LOG.info("queued work skipped: its execution has already ended", "attempt", attempt, "receives", receives);
            return true;
        }
        PluginResult result;
        try {
            result = process(PluginContext.of(m, attempt,
                    () -> reporter.heartbeat(m, info.pluginName(), mandatory, System.currentTimeMillis()), payloads));
        } catch (dev.orchestrator.core.PayloadStore.Gone gone) {
            // An input's payload object is gone or altered: receiving the message again cannot bring it back.
            LOG.warn("queued work failed: an input is unavailable", "cause", gone.getMessage());
            reportLater(m, State.ERROR, gone.getMessage());
            return true;
        } catch (Exception e) {
            String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            LOG.warn("queued work failed; the message is received again", "receives", receives, "cause", why);
            if (receives >= maxReceiveCount) {
                reportLater(m, State.ERROR, "failed " + receives + " times, sent to the dead-letter queue: " + why);
            }
            return false;
        }
        long now = System.currentTimeMillis();
        String plugin = info.pluginName();
        if (result instanceof PluginResult.Complete c) {
            PluginHandler.complete(reporter, outputs, m, plugin, mandatory, c, System::currentTimeMillis);
        } else if (result instanceof PluginResult.FatalError f) {
            boolean written = reporter.report(m, plugin, mandatory, State.ERROR, f.message(), now);
            LOG.warn("queued work failed", "cause", f.message(), "written", written);
            Metrics.count(Metrics.PLUGIN_ERRORS, m.workflow());
        } else if ((result instanceof PluginResult.Schedule || result instanceof PluginResult.RetryError) && fifo()
                && !(result instanceof PluginResult.RetryError && attempt >= maxAttempts)) {
            // A configuration the plugin's author must change: receiving the message again cannot cure it.
            boolean written = reporter.report(m, plugin, mandatory, State.ERROR, FIFO_CANNOT_DELAY, now);
            LOG.warn("queued work failed: its queue cannot delay a message", "cause", FIFO_CANNOT_DELAY, "written", written,
                    "action", "use a standard queue for " + EnvNames.PLUGIN_QUEUE_URL);
            Metrics.count(Metrics.PLUGIN_ERRORS, m.workflow());
        } else if (result instanceof PluginResult.Schedule s) {
            int delay = (int) Math.min(900, Math.max(0, s.delay().toSeconds()));
            reporter.heartbeat(m, plugin, mandatory, now); // alive: push the engine's deadline
            send(m, attempt, delay);
            LOG.info("queued work scheduled to run again", "delaySeconds", delay);
        } else if (result instanceof PluginResult.RetryError r) {
            if (attempt >= maxAttempts) {
                boolean written = reporter.report(m, plugin, mandatory, State.ERROR,
                        "gave up after " + attempt + " attempts: " + r.message(), now);
                LOG.warn("queued work gave up", "attempt", attempt, "cause", r.message(), "written", written);
                Metrics.count(Metrics.PLUGIN_ERRORS, m.workflow());
            } else {
                int delay = QueueBridgeRules.backoffSeconds(attempt);
                reporter.heartbeat(m, plugin, mandatory, now);
                send(m, attempt + 1, delay);
                LOG.info("queued work will retry", "attempt", attempt, "delaySeconds", delay, "cause", r.message());
            }
        } else if (result instanceof PluginResult.StartChild c) {
            boolean asked = reporter.startChild(m, plugin, mandatory, c.child().workflow(), c.child().toJson(), now);
            LOG.info(asked ? "plugin asked for a child workflow" : "child workflow not asked: the claim is gone or a child was already asked for",
                    "childWorkflow", c.child().workflow());
        } else {
            reporter.heartbeat(m, plugin, mandatory, now); // Wait: In Progress until reportLater
            LOG.info("plugin waits for a later report");
        }
        return true;
    }

    /** The state of this plugin's own execution item: the one read the published plugin policy allows. */
    private Optional<State> current(StageMessage m, String plugin, boolean mandatory) {
        return store.execution(StatusReporter.execution(m, plugin)).map(ItemCodec::pluginFrom).map(PluginStatus::state);
    }

    /** Reports the outcome of work that returned {@link PluginResult.Wait} (or any late outcome). */
    public void reportLater(StageMessage m, State outcome, String message) {
        PluginInfo info = info();
        reporter.report(m, info.pluginName(), info.isMandatory(m.activity()), outcome, message, System.currentTimeMillis());
    }

}
