package dev.orchestrator.engine;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.orchestrator.core.AttributeJson;
import dev.orchestrator.core.AwsClients;
import dev.orchestrator.core.Env;
import dev.orchestrator.core.EnvNames;
import dev.orchestrator.core.ItemCodec;
import dev.orchestrator.core.Keys;
import dev.orchestrator.core.Stage;
import dev.orchestrator.core.StageStatus;
import dev.orchestrator.core.Json;
import dev.orchestrator.core.PluginRegistration;
import dev.orchestrator.core.PluginRegistry;
import dev.orchestrator.core.State;
import dev.orchestrator.core.StatusStore;
import dev.orchestrator.core.UpdateBuilder;
import dev.orchestrator.core.WorkflowRun;
import dev.orchestrator.obs.Log;
import dev.orchestrator.obs.Metrics;
import dev.orchestrator.obs.Trace;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * The engine. Runs are driven only from the status table's stream (engine v3: run headers and plugin execution
 * items alike; roster items are the engine's own and ignored). A timer message (a delayed SQS message) only
 * touches its run ({@code wokenAt}), which brings the run back through the stream. For each run in a batch the
 * engine admits or refuses plugins that claimed unlisted (judged by the table's clock in the stream record),
 * reads the header and its open stages' entries, performs steps, and continues from what it wrote; every write
 * is conditional, so two invocations on one run (header and execution records can sit on different shards)
 * never both win. A failure of one run ends that run
 * {@code Error} with the cause; transient AWS errors are reported as batch item failures, so Lambda
 * retries just those records.
 */
public final class EngineHandler implements RequestStreamHandler {

    private static final Log LOG = Log.of(EngineHandler.class);

    /** Upper bound of steps per run per invocation; a healthy run needs far fewer before it idles. */
    static final int MAX_STEPS = 200;

    private final StatusStore store;
    private final Planner planner;
    private final Executor executor;
    private final Timers timers;
    private final Trace.Config trace;

    public EngineHandler() {
        this(System.getenv());
    }

    public EngineHandler(Map<String, String> environment) {
        Log.configure(environment);
        Metrics.configure(environment);
        Env env = new Env(environment);
        this.trace = Trace.Config.of(environment);
        AwsClients aws = new AwsClients(env);
        var dynamo = aws.dynamo();
        // Finished runs expire with their history: one retention knob (HistoryRetentionDays) for both.
        this.store = new StatusStore(dynamo, env.require(EnvNames.STATUS_TABLE), env.getInt(EnvNames.HISTORY_RETENTION_DAYS, 90));
        // SNS, SQS and EventBridge clients are built on first use: many invocations need one or none of them.
        this.timers = new Timers(AwsClients.memoize(aws::sqs), env.require(EnvNames.TIMER_QUEUE_URL));
        var limits = dev.orchestrator.request.StartRequest.Limits.parse(env.get(EnvNames.ACTIVITIES, ""),
                env.get(EnvNames.DEFAULT_FILTER_ATTRIBUTES, ""));
        this.planner = new Planner(new Planner.Defaults(env.getInt(EnvNames.DEFAULT_REGISTER_TIMEOUT, 0),
                env.getInt(EnvNames.DEFAULT_PLUGIN_TIMEOUT, 900), env.getInt(EnvNames.DEFAULT_START_TIMEOUT, 300), limits));
        this.executor = new Executor(store, new PluginRegistry(dynamo, env.require(EnvNames.PLUGIN_TABLE)),
                AwsClients.memoize(aws::sns), AwsClients.memoize(aws::events), timers, planner,
                new Executor.Settings(env.require(EnvNames.TOPIC_ARN_PREFIX), env.require(EnvNames.EVENT_BUS_NAME),
                        limits.defaultFilterAttributes(), env.get(EnvNames.MAP_LIST_BUCKET, "")),
                new dev.orchestrator.core.PayloadStore(AwsClients.memoize(aws::s3), env.get(EnvNames.PAYLOAD_BUCKET, null),
                        dev.orchestrator.core.PayloadStore.presigning(AwsClients.memoize(aws::s3Presigner),
                                env.getInt(EnvNames.PAYLOAD_URL_SECONDS, dev.orchestrator.core.PayloadStore.DEFAULT_URL_SECONDS))));
    }

    @Override
    public void handleRequest(InputStream input, OutputStream output, Context context) throws IOException {
        Log.init(context);
        Trace.begin(trace);
        ObjectNode response = Json.object();
        ArrayNode failures = response.putArray("batchItemFailures");
        try {
            JsonNode event = Json.parse(input);
            Map<RunKey, StreamRun> runs = new LinkedHashMap<>();
            for (JsonNode record : event.path("Records")) {
                String source = record.path("eventSource").asText("");
                switch (source) {
                    case "aws:dynamodb" -> collect(record, runs, failures);
                    case "aws:sqs" -> timerFired(record, failures);
                    default -> throw new IllegalArgumentException("engine cannot handle records from '" + source + "'");
                }
            }
            for (Map.Entry<RunKey, StreamRun> r : runs.entrySet()) {
                if (!driveIsolated(r.getKey(), r.getValue().news())) {
                    failures.addObject().put("itemIdentifier", r.getValue().firstSequence());
                }
            }
        } finally {
            Metrics.flush();
            Log.clear();
            Trace.end();
        }
        output.write(Json.write(response).getBytes(StandardCharsets.UTF_8));
    }

    /**
     * A run's news in a stream batch: the plugin items that changed (with the time the table received each
     * write), and its first record (where a retry must resume). A header change carries no news: the engine
     * reads the run anyway.
     */
    private record StreamRun(List<News> news, String firstSequence) {
    }

    /**
     * A plugin execution item as the stream showed it: its key, state, group, order, when the table got it, and the
     * whole item as written (the record's new image).
     */
    public record News(Keys.Execution execution, State state, boolean mandatory, int order, long receivedAtMs,
                       Map<String, AttributeValue> image) {
    }

    private static void collect(JsonNode record, Map<RunKey, StreamRun> runs, ArrayNode failures) {
        JsonNode d = record.path("dynamodb");
        String sequence = d.path("SequenceNumber").asText("");
        RunKey key;
        Keys.Execution execution = null;
        try {
            var keys = AttributeJson.fromDynamoJsonMap(d.path("Keys"));
            if (!keys.containsKey(ItemCodec.UID) || !keys.containsKey(ItemCodec.WORKFLOW)) {
                throw new IllegalArgumentException("stream record lacks uid/workflow keys");
            }
            String uid = keys.get(ItemCodec.UID).s();
            switch (Keys.kind(uid)) {
                case ROSTER -> {
                    return; // written by the engine itself: nothing to decide
                }
                case EXECUTION -> {
                    execution = Keys.execution(uid, keys.get(ItemCodec.WORKFLOW).s());
                    key = new RunKey(execution.uid(), execution.workflow());
                }
                default -> key = new RunKey(uid, keys.get(ItemCodec.WORKFLOW).s());
            }
        } catch (IllegalArgumentException e) {
            // Its keys name no run: none can be driven from it, and retrying it would block the shard.
            LOG.error("stream record refused: its keys name no run", e, "sequence", sequence,
                    "keys", dev.orchestrator.core.Names.cut(d.path("Keys").toString(), 500),
                    "action", "an item the orchestrator did not write is in the status table: remove it");
            return;
        }
        News news = null;
        if (execution != null && d.has("NewImage")) {
            try {
                news = news(execution, d);
                if (news == null) {
                    return; // a map element's claim, heartbeat or the engine's own count: nothing to decide
                }
            } catch (IllegalArgumentException e) {
                // The run is still driven: without news of this execution it reads the item from the table.
                LOG.warn("stream record's image unreadable; the run reads the execution from the table", "sequence", sequence,
                        Log.UID, key.uid(), Log.WORKFLOW, key.workflow(), Log.PLUGIN, execution.plugin(), "cause", e.getMessage());
            }
        }
        StreamRun previous = runs.get(key);
        List<News> all = new ArrayList<>(previous != null ? previous.news() : List.of());
        if (news != null) {
            all.add(news);
        }
        runs.put(key, new StreamRun(all, previous != null ? previous.firstSequence() : sequence));
    }

    /** What an execution's record tells the engine; null when nothing is to decide (a map element still running). */
    private static News news(Keys.Execution e, JsonNode d) {
        var image = AttributeJson.fromDynamoJsonMap(d.get("NewImage"));
        State state;
        try {
            state = State.fromWire(image.containsKey(ItemCodec.STATE) ? image.get(ItemCodec.STATE).s() : null);
        } catch (IllegalArgumentException unknown) {
            state = State.ERROR; // the engine's read flags it and writes the cause
        }
        long received = d.has("ApproximateCreationDateTime")
                ? (long) (d.path("ApproximateCreationDateTime").asDouble() * 1000) : System.currentTimeMillis();
        AttributeValue m = image.get(ItemCodec.MANDATORY);
        AttributeValue o = image.get(ItemCodec.ORDER);
        int order;
        try {
            order = o == null || o.n() == null ? 1000 : new java.math.BigDecimal(o.n()).intValue();
        } catch (NumberFormatException bad) {
            order = 1000; // ordering only: the engine's read of the item decides what it means
        }
        if (e.index() != null && (image.containsKey(Executor.COUNTED_AT) || !(state == State.COMPLETE || state == State.ERROR))) {
            return null;
        }
        return new News(e, state, m != null && Boolean.TRUE.equals(m.bool()), order, received, image);
    }

    /** A timer only touches its run; the stream brings it to the engine. Each message stands alone. */
    private void timerFired(JsonNode record, ArrayNode failures) {
        String messageId = record.path("messageId").asText("");
        Timers.Wake wake = null;
        try {
            wake = Timers.Wake.fromJson(Json.parse(record.path("body").asText()));
            long now = System.currentTimeMillis();
            if (wake.dueAt() > now + 500) {
                timers.wakeAt(wake.uid(), wake.workflow(), wake.dueAt(), now); // longer than SQS's 15 min: re-arm
                LOG.info("timer re-armed: its run's deadline is further than one queue delay", Log.UID, wake.uid(),
                        Log.WORKFLOW, wake.workflow(), "dueAt", wake.dueAt());
                return;
            }
            UpdateBuilder u = new UpdateBuilder();
            u.condition(u.path(List.of(ItemCodec.STATUS)) + " IN (" + u.value(AttributeValue.fromS(State.NOT_STARTED.wire()))
                    + ", " + u.value(AttributeValue.fromS(State.IN_PROGRESS.wire())) + ") OR attribute_not_exists("
                    + u.path(List.of(ItemCodec.NOTIFIED_AT)) + ")");
            u.set(List.of(ItemCodec.WOKEN_AT), AttributeValue.fromN(Long.toString(now)));
            u.withoutVersionBump(); // a wake-up changes no state: it must not void a transition planned meanwhile
            boolean touched;
            try (Trace.Scope s = Trace.open("engine timer", Map.of(Log.UID, wake.uid(), Log.WORKFLOW, wake.workflow()))) {
                touched = store.update(wake.uid(), wake.workflow(), u, now);
            }
            LOG.info(touched ? "timer woke run" : "timer for an ended or unknown run dropped",
                    Log.UID, wake.uid(), Log.WORKFLOW, wake.workflow());
        } catch (IllegalArgumentException e) {
            // Never dropped: reported as a batch item failure, the queue's redrive policy moves it to
            // EngineDeadLetterQueue after maxReceiveCount receives.
            LOG.error("timer message refused; it goes to the dead-letter queue after its retries", e, "messageId", messageId,
                    "reason", e.getMessage(), "receiveCount", record.path("attributes").path("ApproximateReceiveCount").asText(null));
            failures.addObject().put("itemIdentifier", messageId);
        } catch (RuntimeException e) {
            LOG.error("timer could not wake its run; it will be received again", e, "messageId", messageId,
                    Log.UID, wake == null ? null : wake.uid(), Log.WORKFLOW, wake == null ? null : wake.workflow(),
                    "cause", String.valueOf(e));
            failures.addObject().put("itemIdentifier", messageId);
        }
    }

    /** Drives one run; false only when the failure is transient and the records must be retried. */
    private boolean driveIsolated(RunKey key, List<News> news) {
        Log.put(Log.UID, key.uid());
        Log.put(Log.WORKFLOW, key.workflow());
        // One subsegment per run and invocation, annotated uid and workflow: the stream hop starts a new trace.
        Trace.Scope step = Trace.open("engine step");
        try {
            drive(key, news);
            return true;
        } catch (RuntimeException e) {
            step.fail(e);
            if (transient_(e)) {
                LOG.warn("transient failure; the run's records will be retried", "cause", String.valueOf(e));
                return false;
            }
            return failRun(key, e);
        } finally {
            step.close();
            Log.clearKeys(); // the next run of the batch keeps the invocation's Lambda fields
        }
    }

    static boolean transient_(RuntimeException e) {
        if (e instanceof OutcomeNotPut) {
            return true; // the bus refused the event: retry the records, never announce another outcome instead
        }
        if (e instanceof AwsServiceException s) {
            return s.isThrottlingException() || s.statusCode() >= 500 || s.retryable();
        }
        return e instanceof SdkClientException || (e instanceof SdkException s && s.retryable());
    }

    /**
     * Ends the run Error with the cause and announces it once, without needing to parse the item (it may be
     * what failed): {@code notifiedAt} is claimed in the same conditional write, then the event is put.
     */
    private boolean failRun(RunKey key, RuntimeException e) {
        String cause = "engine failed: " + (e instanceof RunFailure ? e.getMessage() : e.getClass().getSimpleName() + ": " + e.getMessage());
        LOG.error("run failed in the engine", e);
        try {
            long now = System.currentTimeMillis();
            UpdateBuilder u = new UpdateBuilder();
            String status = u.path(List.of(ItemCodec.STATUS));
            u.condition("NOT (" + status + " IN (" + u.value(AttributeValue.fromS(State.COMPLETE.wire())) + ", "
                    + u.value(AttributeValue.fromS(State.ERROR.wire())) + ", "
                    + u.value(AttributeValue.fromS(State.OPTIONAL_TASK_ERROR.wire())) + ", "
                    + u.value(AttributeValue.fromS(State.DO_NOT_RUN.wire())) + "))");
            u.condition("attribute_not_exists(" + u.path(List.of(ItemCodec.NOTIFIED_AT)) + ")");
            u.set(List.of(ItemCodec.STATUS), AttributeValue.fromS(State.ERROR.wire()));
            u.set(List.of(ItemCodec.MESSAGE), AttributeValue.fromS(dev.orchestrator.core.Names.cut(cause, 1000)));
            u.set(List.of(ItemCodec.ENDED_AT), AttributeValue.fromN(Long.toString(now)));
            u.set(List.of(ItemCodec.NOTIFIED_AT), AttributeValue.fromN(Long.toString(now)));
            boolean claimed = store.update(key.uid(), key.workflow(), u, now);
            if (!claimed) {
                // Already ended: announce it if nobody has (e.g. announcing is what failed), else nothing.
                UpdateBuilder n = new UpdateBuilder();
                n.condition("attribute_not_exists(" + n.path(List.of(ItemCodec.NOTIFIED_AT)) + ")");
                n.set(List.of(ItemCodec.NOTIFIED_AT), AttributeValue.fromN(Long.toString(now)));
                n.set(List.of(ItemCodec.NOTIFY_ERROR), AttributeValue.fromS(dev.orchestrator.core.Names.cut(cause, 1000)));
                claimed = store.update(key.uid(), key.workflow(), n, now);
            }
            if (!claimed) {
                LOG.info("run had already ended and been announced: nothing to record", "cause", cause);
                return true;
            }
            try {
                executor.reportFailureToParent(key.uid(), key.workflow(), cause);
                executor.announceFailure(key.uid(), key.workflow(), cause);
            } catch (RuntimeException notAnnounced) {
                // Give the notice back: the retry announces, where a kept notice would leave the run unannounced.
                boolean released = executor.releaseNotice(key.uid(), key.workflow(), now);
                LOG.warn("run's failure not announced; its records will be retried", "cause", String.valueOf(notAnnounced),
                        "noticeReleased", released);
                return false;
            }
            return true;
        } catch (RuntimeException again) {
            LOG.error("could not record the run's failure; its records will be retried", again);
            return false;
        }
    }

    /**
     * Plans and performs steps for one run until it waits on something outside the engine. First it admits or
     * refuses plugins whose items it has not listed (joins, late or stray claims); then it decides from a
     * consistent read of the header and the open stages' entries.
     */
    public void drive(RunKey key, List<News> news) {
        // Executions this drive reads ended, or its batch shows ended, are not read again (forgotten after it).
        try (StatusStore.Scope ended = store.rememberingEnded()) {
            List<Map<String, AttributeValue>> images = new ArrayList<>();
            for (News n : news) {
                if (n.execution().index() == null) {
                    images.add(n.image());
                }
            }
            store.sawInStream(images);
            driveRead(key, news);
        }
    }

    private void driveRead(RunKey key, List<News> news) {
        Optional<WorkflowRun> start = store.getForEngine(key.uid(), key.workflow());
        if (start.isEmpty()) {
            for (News n : news) {
                if (n.state() == State.IN_PROGRESS) {
                    refuse(n, "run " + key.uid() + " / " + key.workflow() + " does not exist");
                }
            }
            LOG.info("run not found: nothing to drive (deleted, expired or never created)", "executions", news.size());
            return;
        }
        if (countElements(start.get(), news)) {
            start = store.getForEngine(key.uid(), key.workflow());
            if (start.isEmpty()) {
                LOG.info("run gone while driving: nothing more to drive");
                return;
            }
        }
        if (admit(start.get(), news)) {
            start = store.getForEngine(key.uid(), key.workflow());
            if (start.isEmpty()) {
                LOG.info("run gone while driving: nothing more to drive");
                return;
            }
        }
        WorkflowRun base = start.get();
        WorkflowRun view = base;
        List<Change> pending = new ArrayList<>();
        for (int i = 0; i < MAX_STEPS; i++) {
            long now = System.currentTimeMillis();
            Step step = planner.plan(view, now);
            if (step instanceof Step.Transition t) {
                pending.addAll(t.changes());
                view = Changes.apply(view, t.changes());
                continue;
            }
            boolean idle = step instanceof Step.Idle;
            if (idle && pending.isEmpty() && planner.timerToArm(view, now).isEmpty()) {
                return;
            }
            Optional<WorkflowRun> written;
            if (step instanceof Step.EnterStage e) {
                List<PluginRegistration> registered = executor.registered(e);
                StageStatus current = view.activity(e.activity()).stage(e.stage());
                // A map stage admits no joiners: its plugins run once per element, as listed when it starts.
                int window = e.stage() == Stage.PARALLEL && current.map() != null ? 0 : planner.windowSeconds(view);
                // The plugins the stage expects: for the parallel stage, those SNS delivers its message to.
                List<PluginRegistration> listed = Planner.toList(e.stage(), current, registered,
                        executor.delivery(view, e.activity(), now + window * 1000L));
                Optional<Change> skip = Planner.skipEmpty(e.activity(), e.stage(), current, listed, window);
                if (skip.isPresent()) {
                    // DEBUG: the write's "run advanced" line shows the stage ending "(no plugins)" (StepLine.endedEmpty).
                    LOG.debug("stage has no plugins to run: it ends Complete with the next write", Log.ACTIVITY, e.activity(),
                            Log.STAGE, e.stage().wireName(), "registered", registered.size(), "windowSeconds", window);
                    pending.add(skip.get());
                    view = Changes.apply(view, skip.get());
                    continue;
                }
                written = executor.enterStage(base, view, pending, e, registered, listed, window, now);
            } else {
                written = executor.execute(base, view, pending, step, now);
            }
            pending = new ArrayList<>();
            if (written.isEmpty()) {
                // A lost condition means news arrived: read the latest item and plan again.
                Optional<WorkflowRun> fresh = store.getForEngine(key.uid(), key.workflow());
                if (fresh.isEmpty()) {
                    LOG.info("run gone while driving: nothing more to drive");
                    return;
                }
                base = view = fresh.get();
                continue;
            }
            base = view = written.get();
            if (idle) {
                return;
            }
        }
        throw new RunFailure("the run did not settle after " + MAX_STEPS + " engine steps");
    }

    /**
     * Admits (records as joiners) or refuses (closes Do Not Run, with the reason) the running plugin items this
     * run's stages do not list. True when anything was recorded, so the run is read again.
     */
    /** Counts the map elements of the batch that ended ({@link Executor#countElements}); true when any was counted. */
    private boolean countElements(WorkflowRun run, List<News> news) {
        List<Executor.EndedElement> ended = new ArrayList<>();
        for (News n : news) {
            if (n.execution().index() != null) {
                ended.add(new Executor.EndedElement(n.execution(), n.state()));
            }
        }
        return !ended.isEmpty() && executor.countElements(run, ended, System.currentTimeMillis());
    }

    private boolean admit(WorkflowRun run, List<News> news) {
        boolean changed = false;
        for (News n : news) {
            if (n.state() != State.IN_PROGRESS || n.execution().index() != null) {
                continue;
            }
            Keys.Execution e = n.execution();
            var activity = run.activities().get(e.activity());
            StageStatus s = activity == null ? null : activity.stage(e.stage());
            if (s != null && (s.mandatory().containsKey(e.plugin()) || s.optional().containsKey(e.plugin()))) {
                continue; // listed, or admitted before
            }
            if (s != null && (s.status().isDoneOk() || s.status() == State.DO_NOT_RUN)) {
                // The engine reads only open stages' entries: a claim record of a finished stage (a late or
                // redelivered record of a plugin it listed) is judged against that stage's roster.
                StageStatus done = store.withEntries(run, e.activity(), e.stage()).activity(e.activity()).stage(e.stage());
                if (done.mandatory().containsKey(e.plugin()) || done.optional().containsKey(e.plugin())) {
                    continue;
                }
            }
            if (activity == null) {
                refuse(n, "run has no activity " + e.activity());
                continue;
            }
            Planner.Admission a = Planner.admit(e.activity(), e.stage(), s, n.receivedAtMs());
            if (a instanceof Planner.Admission.Refuse r) {
                refuse(n, r.reason());
            } else {
                boolean recorded = store.rosters().recordJoiner(run.uid(), run.workflow(), e.activity(), e.stage(), e.plugin(),
                        n.mandatory(), n.order(), n.receivedAtMs());
                LOG.info(recorded ? "plugin joined" : "plugin joined (already recorded)", Log.ACTIVITY, e.activity(),
                        Log.STAGE, e.stage().wireName(), Log.PLUGIN, e.plugin(), "mandatory", n.mandatory(),
                        "receivedAt", n.receivedAtMs(), "windowEndsAt", s.windowEndsAt());
                changed = true;
            }
        }
        return changed;
    }

    private void refuse(News n, String reason) {
        Keys.Execution e = n.execution();
        UpdateBuilder u = new UpdateBuilder();
        // Whatever the plugin wrote since (it may have finished its work before the refusal), its item ends Do Not
        // Run with the reason: the run does not count it, and its item must not say otherwise.
        String state = u.path(List.of(ItemCodec.STATE));
        u.condition("attribute_exists(" + state + ") AND " + state + " <> " + u.value(AttributeValue.fromS(State.DO_NOT_RUN.wire())));
        u.set(List.of(ItemCodec.STATE), AttributeValue.fromS(State.DO_NOT_RUN.wire()));
        u.set(List.of(ItemCodec.MESSAGE), AttributeValue.fromS(dev.orchestrator.core.Names.cut("refused: " + reason, 500)));
        u.set(List.of(ItemCodec.ENDED_AT), AttributeValue.fromN(Long.toString(System.currentTimeMillis())));
        boolean closed = store.updateExecution(e, u, System.currentTimeMillis());
        LOG.warn(closed ? "plugin claim refused" : "plugin claim refused (refused before)", Log.ACTIVITY, e.activity(),
                Log.STAGE, e.stage().wireName(), Log.PLUGIN, e.plugin(), "cause", reason);
        if (closed) {
            Metrics.count(Metrics.PLUGIN_ERRORS, e.workflow());
        }
    }

    /** For tests and tools: drive a run from a consistent read. */
    public void drive(RunKey key) {
        drive(key, List.of());
    }

    /** A run's key. */
    public record RunKey(String uid, String workflow) {

        static RunKey fromStreamKeys(JsonNode keys) {
            var map = AttributeJson.fromDynamoJsonMap(keys);
            if (!map.containsKey(ItemCodec.UID) || !map.containsKey(ItemCodec.WORKFLOW)) {
                throw new IllegalArgumentException("stream record lacks uid/workflow keys: " + keys);
            }
            return new RunKey(map.get(ItemCodec.UID).s(), map.get(ItemCodec.WORKFLOW).s());
        }
    }
}
