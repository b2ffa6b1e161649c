package dev.orchestrator.plugin;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import com.fasterxml.jackson.databind.JsonNode;
import dev.orchestrator.core.AwsClients;
import dev.orchestrator.core.Env;
import dev.orchestrator.core.EnvNames;
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
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

/**
 * Base class of an SNS-subscribed plugin Lambda. It answers {@code {"action":"initialize"}} with
 * {@link #info()}, ignores stage messages addressed to another plugin, skips work already
 * {@code Complete} or {@code Do Not Run} (unless {@code alwaysRun}), and reports
 * {@code In Progress} / {@code Complete} / {@code Error} itself.
 */
public abstract class PluginHandler implements RequestStreamHandler {

    private static final Log LOG = Log.of(PluginHandler.class);

    private final StatusReporter reporter;
    private final StatusStore store;
    private final Map<String, String> environment;
    private final int maxAttempts;
    private final dev.orchestrator.core.PayloadStore payloads;
    private final OutputWriter outputs;
    /** The plugin's clock: what it writes as its own times, and how it judges a broadcast plainly late. */
    private final java.time.Clock clock;
    private final Trace.Config trace;

    /**
     * How far past a broadcast's {@code windowEndsAt} this plugin's clock must be before it skips the broadcast as
     * late. The engine judges joins by the time the table received the claim, which no plugin clock can skew; the
     * plugin's own skip only spares work, so it must not fire for a plugin whose clock merely runs fast.
     */
    public static final long LATE_SKEW_TOLERANCE_MS = 60_000;

    protected PluginHandler() {
        this(System.getenv());
    }

    protected PluginHandler(Map<String, String> environment) {
        this(environment, new AwsClients(new Env(environment)).dynamo());
    }

    /** With a DynamoDB client of the caller's (e.g. one carrying an SDK interceptor). */
    protected PluginHandler(Map<String, String> environment, DynamoDbClient dynamo) {
        this(environment, dynamo, java.time.Clock.systemUTC());
    }

    /** With the caller's clock too (a test of a plugin whose clock is skewed). */
    protected PluginHandler(Map<String, String> environment, DynamoDbClient dynamo, java.time.Clock clock) {
        this.clock = clock;
        this.store = new StatusStore(dynamo, new Env(environment).require(EnvNames.STATUS_TABLE));
        this.reporter = new StatusReporter(store);
        this.environment = Map.copyOf(environment);
        this.trace = Trace.Config.of(environment);
        this.maxAttempts = new Env(environment).getInt(EnvNames.PLUGIN_MAX_ATTEMPTS, 4);
        Env env = new Env(environment);
        this.payloads = new dev.orchestrator.core.PayloadStore(AwsClients.memoize(() -> new AwsClients(env).s3()),
                env.get(EnvNames.PAYLOAD_BUCKET, null));
        this.outputs = new OutputWriter(env, payloads);
    }

    /** The plugin's declaration: name, mandatory flag, order, ... */
    public abstract PluginInfo info();

    /**
     * The plugin's work, for plugins that only complete or fail. Throwing marks the plugin {@code Error}
     * with the exception's message. Override this or {@link #process}.
     */
    protected void run(PluginContext context) throws Exception {
        throw new UnsupportedOperationException(getClass().getName() + " must override run(PluginContext) or process(PluginContext)");
    }

    /**
     * The plugin's work with a result: {@link PluginResult#complete()}, {@link PluginResult#fatal},
     * {@link PluginResult#retry} (re-run with backoff until {@code PLUGIN_MAX_ATTEMPTS}),
     * {@link PluginResult#schedule} (re-run after a delay, e.g. polling), {@link PluginResult#waitForReport()}
     * or {@link PluginResult#startChild} (ends when the child workflow ends).
     * Re-runs are published again by the engine at the time asked (a timer); no Lambda waits.
     */
    protected PluginResult process(PluginContext context) throws Exception {
        run(context);
        return PluginResult.complete();
    }

    @Override
    public void handleRequest(InputStream input, OutputStream output, Context context) throws IOException {
        Log.configure(environment);
        Metrics.configure(environment);
        Log.init(context);
        Trace.begin(trace);
        try {
            JsonNode event = Json.parse(input);
            if (isInitialize(event)) {
                output.write(Json.write(info().toJson()).getBytes(StandardCharsets.UTF_8));
                return;
            }
            JsonNode records = event.path("Records");
            if (!records.isArray() || records.isEmpty()) {
                throw new IllegalArgumentException("expected an SNS event with Records or {\"action\":\"initialize\"}, got: "
                        + abbreviate(Json.write(event)));
            }
            for (JsonNode record : records) {
                String body = record.path("Sns").path("Message").asText(null);
                if (body == null) {
                    throw new IllegalArgumentException("SNS record without Sns.Message");
                }
                handle(StageMessage.fromJson(Json.parse(body)));
            }
            output.write("null".getBytes(StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            LOG.error("event refused: not a stage message this plugin can read", e, "cause", e.getMessage(),
                    "action", UNREADABLE_EVENT_ACTION);
            throw e;
        } finally {
            Metrics.flush();
            Log.clear();
            Trace.end();
        }
    }

    /** What an operator does with an event a plugin cannot read (shared by both base classes). */
    static final String UNREADABLE_EVENT_ACTION = "Lambda retries it, then it goes to the function's dead-letter queue or "
            + "on-failure destination: compare it with docs/protocol.md (is the function subscribed to a stage topic?)";

    /** What happened to one stage message; returned for logging and tests. */
    public enum Outcome { NOT_MINE, ALREADY_DONE, NOT_CLAIMED, CLAIMED, COMPLETED, FAILED, RERUN, WAITING, CHILD }

    /** The result of the shared start: the outcome, and the attempt when claimed. */
    record Start(Outcome outcome, int attempt, boolean explained) {
        Start(Outcome outcome, int attempt) {
            this(outcome, attempt, false);
        }
    }

    /**
     * A parallel stage's broadcast whose registration window had ended more than {@link #LATE_SKEW_TOLERANCE_MS}
     * before it reached this plugin (by its clock), in a stage that lists no optional plugin (so an optional plugin
     * it does not name is surely a joiner).
     */
    static boolean lateForWindow(StageMessage message, long now) {
        return message.plugin() == null && !message.stage().sequential() && message.windowEndsAt() != null
                && now > message.windowEndsAt() + LATE_SKEW_TOLERANCE_MS && !message.listsOptional();
    }

    /**
     * The start every plugin shares (SNS handler and queue bridge alike): ignore a message for another
     * plugin, skip work the message shows done (unless alwaysRun), else claim it In Progress.
     */
    static Start claim(StatusReporter reporter, PluginInfo info, StageMessage message, long now) {
        if (message.plugin() != null && !message.plugin().equals(info.pluginName())) {
            return new Start(Outcome.NOT_MINE, 0);
        }
        PluginStatus known = message.statusOf(info.pluginName());
        if (!info.alwaysRun() && known != null
                && (known.state() == State.COMPLETE || known.state() == State.DO_NOT_RUN)) {
            return new Start(Outcome.ALREADY_DONE, 0);
        }
        boolean mandatory = info.isMandatory(message.activity());
        if (known == null && !mandatory && lateForWindow(message, now)) {
            // An optional joiner past the window would be refused by the engine (judged by the table's clock);
            // not starting spares its work. Listed and mandatory plugins claim whenever the stage is open; when the
            // stage lists optional plugins (listsOptional) this one may be one of them, so it claims.
            LOG.info("stage message not claimed", "outcome", Outcome.NOT_CLAIMED.name(),
                    "reason", "arrived after the registration window (it ended at "
                            + java.time.Instant.ofEpochMilli(message.windowEndsAt()) + ", this plugin's clock says "
                            + java.time.Instant.ofEpochMilli(now) + ")");
            return new Start(Outcome.NOT_CLAIMED, 0, true);
        }
        int order = known != null ? known.order() : info.order() == null ? PluginInfo.DEFAULT_ORDER : info.order();
        return reporter.claim(message, info.pluginName(), info.isMandatory(message.activity()), info.alwaysRun(), order,
                        info.timeout(message.activity()), now)
                .map(c -> new Start(Outcome.CLAIMED, c.attempt()))
                .orElse(new Start(Outcome.NOT_CLAIMED, 0));
    }

    /**
     * A refused claim is never silent: one read of the plugin's own execution item says why (the claim's
     * condition is on that item alone, so it exists and its state is the reason: a duplicate delivery, work
     * claimed or done before). Only the plugin's own item: the published plugin policy allows nothing else
     * (docs/security.md). A claim for a run that does not exist is not refused here: the engine refuses it.
     */
    static void notClaimed(StatusStore store, StageMessage message, String pluginName) {
        var item = store.execution(StatusReporter.execution(message, pluginName));
        var state = item.map(i -> i.get(dev.orchestrator.core.ItemCodec.STATE)).map(v -> v.s()).orElse(null);
        LOG.info("stage message not claimed", "outcome", Outcome.NOT_CLAIMED.name(), "executionState", state,
                "reason", state == null
                        ? "the claim's condition failed and this plugin's execution item is gone (expired or removed)"
                        : "this plugin's execution item is " + state + ": a duplicate delivery, or work claimed or done before");
    }

    public Outcome handle(StageMessage message) {
        PluginInfo info = info();
        Log.put(Log.UID, message.uid());
        Log.put(Log.WORKFLOW, message.workflow());
        Log.put(Log.ACTIVITY, message.activity());
        Log.put(Log.STAGE, message.stage().wireName());
        Log.put(Log.PLUGIN, info.pluginName());
        Log.put(Log.ATTEMPT, null); // an earlier record's claim of this invocation is not this one's
        // A subsegment per stage message, annotated with the run's keys and the outcome (found across traces).
        try (Trace.Scope scope = Trace.open("plugin " + info.pluginName())) {
            try {
                Outcome outcome = claimAndRun(message, info);
                scope.annotate("outcome", outcome.name());
                return outcome;
            } catch (RuntimeException | Error e) {
                scope.fail(e);
                throw e;
            }
        }
    }

    private Outcome claimAndRun(StageMessage message, PluginInfo info) {
        Start start = claim(reporter, info, message, clock.millis());
        if (start.outcome() == Outcome.NOT_CLAIMED) {
            if (!start.explained()) {
                notClaimed(store, message, info.pluginName());
            }
            return start.outcome();
        }
        if (start.outcome() != Outcome.CLAIMED) {
            LOG.debug("stage message skipped", "outcome", start.outcome().name());
            return start.outcome();
        }
        boolean mandatory = info.isMandatory(message.activity());
        // The claim is a step, not an outcome: the one INFO line per execution is the outcome, carrying the attempt.
        Log.put(Log.ATTEMPT, Integer.toString(start.attempt()));
        LOG.debug("plugin claimed");
        PluginResult result;
        try {
            result = process(PluginContext.of(message, start.attempt(),
                    () -> reporter.heartbeat(message, info.pluginName(), mandatory, clock.millis()), payloads));
        } catch (Exception e) {
            String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            reporter.report(message, info.pluginName(), mandatory, State.ERROR, why, clock.millis());
            LOG.warn("plugin failed", "cause", why);
            Metrics.count(Metrics.PLUGIN_ERRORS, message.workflow());
            return Outcome.FAILED;
        } catch (Error e) {
            // The JVM is in trouble (out of memory, ...): give the claim back so Lambda's retry can run it again.
            boolean released = reporter.release(message, info.pluginName(), mandatory, e.getClass().getSimpleName(), clock.millis());
            LOG.error("plugin stopped by a JVM error; the claim is given back for Lambda's retry", e, "cause", String.valueOf(e),
                    "claimReleased", released, "action", "raise the function's memory if it ran out, or fix the error named here");
            throw e;
        }
        return apply(result, message, info, mandatory, start.attempt());
    }

    private Outcome apply(PluginResult result, StageMessage message, PluginInfo info, boolean mandatory, int attempt) {
        long now = clock.millis();
        if (result instanceof PluginResult.Complete c) {
            return complete(reporter, outputs, message, info.pluginName(), mandatory, c, clock::millis);
        }
        if (result instanceof PluginResult.FatalError f) {
            reporter.report(message, info.pluginName(), mandatory, State.ERROR, f.message(), now);
            LOG.warn("plugin failed", "cause", f.message());
            Metrics.count(Metrics.PLUGIN_ERRORS, message.workflow());
            return Outcome.FAILED;
        }
        if (result instanceof PluginResult.RetryError r) {
            if (attempt >= maxAttempts) {
                reporter.report(message, info.pluginName(), mandatory, State.ERROR,
                        "gave up after " + attempt + " attempts: " + r.message(), now);
                LOG.warn("plugin gave up", "attempt", attempt, "cause", r.message());
                Metrics.count(Metrics.PLUGIN_ERRORS, message.workflow());
                return Outcome.FAILED;
            }
            long delay = QueueBridgeRules.backoffSeconds(attempt) * 1000L;
            reporter.rerunAt(message, info.pluginName(), mandatory, now + delay,
                    "attempt " + attempt + " failed, retrying in " + delay / 1000 + " s: " + r.message(), now);
            LOG.info("plugin will retry", "attempt", attempt, "delaySeconds", delay / 1000, "cause", r.message());
            return Outcome.RERUN;
        }
        if (result instanceof PluginResult.Schedule s) {
            long delay = Math.max(0, s.delay().toMillis());
            reporter.rerunAt(message, info.pluginName(), mandatory, now + delay, "scheduled to run again in "
                    + (delay / 1000) + " s", now);
            LOG.info("plugin scheduled a re-run", "delaySeconds", delay / 1000);
            return Outcome.RERUN;
        }
        if (result instanceof PluginResult.StartChild c) {
            boolean asked = reporter.startChild(message, info.pluginName(), mandatory, c.child().workflow(), c.child().toJson(), now);
            LOG.info(asked ? "plugin asked for a child workflow" : "child workflow not asked: the claim is gone or a child was already asked for",
                    "childWorkflow", c.child().workflow());
            return Outcome.CHILD;
        }
        LOG.info("plugin waits for a later report");
        return Outcome.WAITING;
    }

    /**
     * Complete, with the output kept inline or in the payload bucket; an output that is not a JSON object, is over
     * the hard limit, or cannot be stored ends the plugin {@code Error} with a message naming {@code output}.
     */
    static Outcome complete(StatusReporter reporter, OutputWriter outputs, StageMessage message, String plugin,
                            boolean mandatory, PluginResult.Complete c, java.util.function.LongSupplier clock) {
        OutputWriter.Written w;
        try {
            w = outputs.prepare(message, plugin, c.output());
        } catch (RuntimeException storing) {
            w = new OutputWriter.Written("output could not be stored in the payload bucket: " + storing.getMessage(), null, null);
        }
        if (w.problem() != null) {
            reporter.report(message, plugin, mandatory, State.ERROR, w.problem(), clock.getAsLong());
            LOG.warn("plugin output refused", "cause", w.problem());
            Metrics.count(Metrics.PLUGIN_ERRORS, message.workflow());
            return Outcome.FAILED;
        }
        boolean written = reporter.complete(message, plugin, w.inlineJson(), w.ref(), clock.getAsLong()); // after a possible S3 put
        LOG.info(written ? "plugin completed" : "plugin completed, but its claim was no longer its own (timed out or cancelled): nothing written",
                "output", w.ref() != null ? "reference" : w.inlineJson() != null ? "inline" : "none");
        return Outcome.COMPLETED;
    }

    /** Reports the outcome of work that returned {@link PluginResult#waitForReport()} (e.g. from a callback). */
    public boolean reportLater(StageMessage message, State outcome, String text) {
        PluginInfo info = info();
        return reporter.report(message, info.pluginName(), info.isMandatory(message.activity()), outcome, text,
                clock.millis());
    }

    static boolean isInitialize(JsonNode event) {
        return "initialize".equals(event.path("action").asText(null)) || event.path("initialize").asBoolean(false);
    }

    private static String abbreviate(String s) {
        return s.length() > 200 ? s.substring(0, 200) + "..." : s;
    }
}
