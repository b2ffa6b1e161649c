package dev.orchestrator.engine;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.orchestrator.core.AwsClients;
import dev.orchestrator.core.FilterPolicy;
import dev.orchestrator.core.ItemCodec;
import dev.orchestrator.core.Keys;
import dev.orchestrator.core.Rosters;
import dev.orchestrator.core.Json;
import dev.orchestrator.core.Names;
import dev.orchestrator.core.Paths;
import dev.orchestrator.core.PluginRegistration;
import dev.orchestrator.core.PluginRegistry;
import dev.orchestrator.core.PluginStatus;
import dev.orchestrator.core.Stage;
import dev.orchestrator.core.StageStatus;
import dev.orchestrator.core.State;
import dev.orchestrator.core.StatusStore;
import dev.orchestrator.core.Topics;
import dev.orchestrator.core.UpdateBuilder;
import dev.orchestrator.core.WorkflowRun;
import dev.orchestrator.obs.Log;
import dev.orchestrator.obs.Metrics;
import dev.orchestrator.plugin.StageMessage;
import dev.orchestrator.request.InvalidStartException;
import dev.orchestrator.request.Resume;
import dev.orchestrator.request.StartRequest;
import java.util.ArrayList;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.eventbridge.model.PutEventsRequestEntry;
import software.amazon.awssdk.services.eventbridge.model.PutEventsResponse;
import software.amazon.awssdk.services.sns.SnsClient;
import software.amazon.awssdk.services.sns.model.MessageAttributeValue;

/**
 * Carries out one {@link Step}. Side effects (publish, timer, event) happen before the write that records
 * them, so a crash in between repeats the side effect (plugins are idempotent) instead of losing it. Every
 * write carries the transitions planned since the last one ({@code pending}) and, when needed, arms the
 * run's timer; it returns the item as written (ALL_NEW), so the engine plans on without reading again.
 * An empty result means a condition did not hold: someone else moved the run on.
 */
public final class Executor {

    private static final Log LOG = Log.of(Executor.class);

    /** Source of the events the engine puts on the stack's bus. */
    public static final String EVENT_SOURCE = "orchestrator";
    public static final String COMPLETED = "Workflow Completed";
    public static final String FAILED = "Workflow Failed";

    /**
     * The stack-wide settings the executor needs beside its clients; {@code mapListBucket} is the one bucket besides the
     * payload bucket a map may read its list from (blank: none).
     */
    public record Settings(String topicArnPrefix, String busName, List<String> defaultFilterAttributes, String mapListBucket) {
    }

    private final StatusStore store;
    private final PluginRegistry registry;
    private final Supplier<SnsClient> sns;
    private final Supplier<EventBridgeClient> events;
    private final Timers timers;
    private final Planner planner;
    private final Settings settings;
    private final dev.orchestrator.core.PayloadStore payloads;

    /** Clients as suppliers, asked for on first use: an invocation that publishes nothing builds no SNS client. */
    public Executor(StatusStore store, PluginRegistry registry, Supplier<SnsClient> sns, Supplier<EventBridgeClient> events,
                    Timers timers, Planner planner, Settings settings, dev.orchestrator.core.PayloadStore payloads) {
        this.payloads = payloads;
        this.store = store;
        this.registry = registry;
        this.sns = sns;
        this.events = events;
        this.timers = timers;
        this.planner = planner;
        this.settings = settings;
    }

    /**
     * Carries out any step but {@link Step.EnterStage}: the engine reads that stage's registrations first and
     * either ends it in memory ({@link Planner#skipEmpty}) or calls {@link #enterStage}, so there is one path.
     */
    public Optional<WorkflowRun> execute(WorkflowRun base, WorkflowRun view, List<Change> pending, Step step, long now) {
        if (step instanceof Step.EnterStage) {
            throw new IllegalArgumentException("EnterStage is decided by the engine's drive loop (registered, skipEmpty, enterStage)");
        }
        if (step instanceof Step.Dispatch d) {
            return dispatch(base, view, pending, d, now);
        }
        if (step instanceof Step.PublishParallel p) {
            return publishParallel(base, view, pending, p, now);
        }
        if (step instanceof Step.Rerun r) {
            return rerun(base, view, pending, r, now);
        }
        if (step instanceof Step.DropRejected d) {
            return dropRejected(base, view, pending, d, now);
        }
        if (step instanceof Step.StartChild c) {
            return startChild(base, view, pending, c, now);
        }
        if (step instanceof Step.CancelChild c) {
            return cancelChild(base, view, pending, c, now);
        }
        if (step instanceof Step.ResolveMap r) {
            return resolveMap(base, view, pending, r, now);
        }
        if (step instanceof Step.ReleaseElements r) {
            return releaseElements(base, view, pending, r, now);
        }
        if (step instanceof Step.ReconcileMap r) {
            return reconcileMap(base, view, pending, r, now);
        }
        if (step instanceof Step.FinishMap f) {
            return finishMap(base, view, pending, f, now);
        }
        if (step instanceof Step.Notify n) {
            if (view.parent() != null && !pending.isEmpty()) {
                // A child's end must be durable before its parent hears of it: write it, then plan the notice.
                return flush(base, view, pending, now);
            }
            return notifyOutcome(base, view, pending, n, now);
        }
        return flush(base, view, pending, now);
    }

    /** Writes planned transitions (and the timer mark); nothing to write: the run as it is. */
    public Optional<WorkflowRun> flush(WorkflowRun base, WorkflowRun view, List<Change> pending, long now) {
        UpdateBuilder u = new UpdateBuilder();
        withPending(u, base, pending, now);
        armTimer(u, view, now);
        if (u.isEmpty()) {
            if (!writeExecutions(base, pending, now)) {
                return Optional.empty();
            }
            recordChanges(base, pending, now, StepLine.Also.NONE);
            return Optional.of(withEntries(base, view));
        }
        if (pending.stream().noneMatch(c -> c.level() != Change.Level.PLUGIN)) {
            u.withoutVersionBump(); // the timer mark or plugin items only: no header state a decision depends on
        }
        return write(base, view, u, now, pending);
    }

    private void withPending(UpdateBuilder u, WorkflowRun base, List<Change> pending, long now) {
        if (!pending.isEmpty()) {
            u.expectVersion(base.version());
            Changes.write(u, pending, now);
        }
    }

    /** Sends a timer when the run needs one that is not armed, and records it in the same write. */
    private void armTimer(UpdateBuilder u, WorkflowRun after, long now) {
        Optional<Long> due = planner.timerToArm(after, now);
        if (due.isPresent()) {
            timers.wakeAt(after.uid(), after.workflow(), due.get(), now);
            u.set(List.of(ItemCodec.WAKE_AT), AttributeValue.fromN(Long.toString(due.get())));
        }
    }

    /**
     * Writes one step: first the plugin changes into their execution items (each conditional on the entry the
     * engine decided from), then the header (conditional on its version). A lost condition anywhere means news
     * arrived: the engine reads the run again. Returns the header as written with the entries as planned.
     */
    private Optional<WorkflowRun> write(WorkflowRun base, WorkflowRun view, UpdateBuilder u, long now, List<Change> pending) {
        return write(base, view, u, now, pending, StepLine.Also.NONE);
    }

    /** {@link #write}, whose one log line also says what the write did beside its changes. */
    private Optional<WorkflowRun> write(WorkflowRun base, WorkflowRun view, UpdateBuilder u, long now, List<Change> pending,
                                        StepLine.Also also) {
        if (!writeExecutions(base, pending, now)) {
            return Optional.empty();
        }
        Optional<WorkflowRun> written = store.updateAndGet(base.uid(), base.workflow(), u, now);
        if (written.isEmpty()) {
            Metrics.count(Metrics.ENGINE_CONFLICTS, base.workflow());
            LOG.debug("write lost its condition; reading the run again", "version", base.version());
        } else {
            recordChanges(base, pending, now, also);
        }
        return written.map(header -> withEntries(header, view));
    }

    /** The header as written, with each stage's plugin entries taken from the engine's view (they live in their own items). */
    static WorkflowRun withEntries(WorkflowRun header, WorkflowRun view) {
        WorkflowRun out = header;
        for (var a : header.activities().entrySet()) {
            var seen = view.activities().get(a.getKey());
            if (seen == null) {
                continue;
            }
            var merged = a.getValue();
            for (Stage st : Stage.values()) {
                StageStatus v = seen.stage(st);
                merged = merged.withStage(st, merged.stage(st).withPlugins(v.mandatory(), v.optional()));
            }
            out = out.withActivity(a.getKey(), merged);
        }
        return out;
    }

    /** The execution item a plugin entry of this run lives in. */
    static Keys.Execution execution(WorkflowRun run, String activity, Stage stage, String plugin) {
        return new Keys.Execution(plugin, run.uid(), run.workflow(), activity, stage);
    }

    /**
     * Plugin state changes, each into its own execution item, conditional on the entry being as the engine saw
     * it (same state and heartbeat; or absent, for a listed plugin that never claimed: the engine creates it).
     */
    private boolean writeExecutions(WorkflowRun base, List<Change> pending, long now) {
        Map<String, PluginStatus> seen = new java.util.HashMap<>();
        for (Change c : pending) {
            if (c.level() != Change.Level.PLUGIN) {
                continue;
            }
            String id = c.activity() + "/" + c.stage() + "/" + c.plugin();
            PluginStatus before = seen.containsKey(id) ? seen.get(id) : entry(base, c);
            UpdateBuilder u = new UpdateBuilder().mayCreate();
            expectEntry(u, before);
            Changes.writeExecution(u, c, base, now);
            if (!store.updateExecution(execution(base, c.activity(), c.stage(), c.plugin()), u, now)) {
                Metrics.count(Metrics.ENGINE_CONFLICTS, base.workflow());
                LOG.debug("plugin item changed since it was read; reading the run again", Log.ACTIVITY, c.activity(),
                        Log.PLUGIN, c.plugin());
                return false;
            }
            seen.put(id, before == null ? new PluginStatus(c.state(), 0, c.message(), null) : before.withState(c.state(), c.message()));
        }
        return true;
    }

    private static PluginStatus entry(WorkflowRun run, Change c) {
        var a = run.activities().get(c.activity());
        if (a == null) {
            return null;
        }
        StageStatus s = a.stage(c.stage());
        PluginStatus p = s.mandatory().get(c.plugin());
        return p != null ? p : s.optional().get(c.plugin());
    }

    /** The condition that the entry is still what the engine decided from. */
    static void expectEntry(UpdateBuilder u, PluginStatus before) {
        String state = u.path(List.of(ItemCodec.STATE));
        if (before == null || before.state() == State.NOT_STARTED) {
            u.condition("attribute_not_exists(" + state + ") OR " + state + " = " + u.value(AttributeValue.fromS(State.NOT_STARTED.wire())));
            return;
        }
        if (before.invalid() != null) {
            u.condition("attribute_exists(" + state + ")"); // an unreadable state: whatever it says, it gets the cause
            return;
        }
        u.condition(state + " = " + u.value(AttributeValue.fromS(before.state().wire())));
        String hb = u.path(List.of(ItemCodec.HEARTBEAT_AT));
        u.condition(before.heartbeatAt() == null ? "attribute_not_exists(" + hb + ")"
                : hb + " = " + u.value(AttributeValue.fromN(Long.toString(before.heartbeatAt()))));
    }

    /**
     * What a write changed, logged: one INFO line for the run, activity and stage changes ({@link StepLine}), and a
     * WARN line of its own per plugin the engine changed (a timeout, an error); the metrics of each change.
     */
    private static void recordChanges(WorkflowRun base, List<Change> pending, long now, StepLine.Also also) {
        for (Change c : pending) {
            switch (c.level()) {
                case STAGE -> {
                    Long started = base.activities().containsKey(c.activity())
                            ? base.activity(c.activity()).stage(c.stage()).startedAt() : null;
                    if (started != null && c.state().isTerminal()) {
                        Metrics.millis(Metrics.STAGE_DURATION, base.workflow(), now - started);
                    }
                }
                case PLUGIN -> {
                    boolean timeout = c.message() != null && (c.message().startsWith("timed out") || c.message().startsWith("did not start"));
                    LOG.warn(timeout ? "plugin timed out" : "plugin state set by engine", Log.ACTIVITY, c.activity(),
                            Log.STAGE, c.stage().wireName(), Log.PLUGIN, c.plugin(), "status", c.state().wire(), "cause", c.message());
                    if (timeout) {
                        Metrics.count(Metrics.PLUGIN_TIMEOUTS, base.workflow());
                    }
                    if (c.state() == State.ERROR) {
                        Metrics.count(Metrics.PLUGIN_ERRORS, base.workflow());
                    }
                }
                default -> { }
            }
        }
        StepLine.of(base, pending, also).ifPresent(line -> LOG.info(StepLine.MESSAGE, line.keyValues()));
    }

    /** The plugins registered on the stage a step enters, in dispatch order (a consistent read of the plugin table). */
    public List<PluginRegistration> registered(Step.EnterStage e) {
        return registry.plugins(e.activity(), e.stage());
    }

    /**
     * Starts a stage: its roster (what it lists: the entries it already had, e.g. kept by a resume, and each
     * registration {@link Planner#toList} lists, {@code listed}) goes into roster items first, in batches; then the header
     * records the stage In Progress, its window and which roster it wrote. No request grows with the plugins.
     */
    public Optional<WorkflowRun> enterStage(WorkflowRun base, WorkflowRun view, List<Change> pending, Step.EnterStage e,
                                            List<PluginRegistration> registered, List<PluginRegistration> listed, int window,
                                            long now) {
        StageStatus current = view.activity(e.activity()).stage(e.stage());
        List<Rosters.Entry> roster = new ArrayList<>();
        for (StageStatus.Entry known : current.plugins()) {
            roster.add(new Rosters.Entry(known.name(), known.mandatory(), known.status().order(), known.status().timeout()));
        }
        for (PluginRegistration r : listed) {
            roster.add(new Rosters.Entry(r.pluginName(), r.mandatory(), r.order(), r.timeout()));
        }
        long rosterVersion = now; // an entry attempt that loses its header write leaves a roster nobody refers to
        store.rosters().writeListed(view.uid(), view.workflow(), e.activity(), e.stage(), rosterVersion, roster);
        UpdateBuilder u = new UpdateBuilder();
        u.expectVersion(base.version());
        Changes.write(u, pending, now);
        List<String> stage = Paths.stage(e.activity(), e.stage());
        u.set(Paths.child(stage, ItemCodec.STATUS), AttributeValue.fromS(State.IN_PROGRESS.wire()));
        u.set(Paths.child(stage, ItemCodec.STARTED_AT), AttributeValue.fromN(Long.toString(now)));
        u.set(Paths.child(stage, ItemCodec.WINDOW_SECONDS), AttributeValue.fromN(Integer.toString(window)));
        u.set(Paths.child(stage, ItemCodec.ROSTER), AttributeValue.fromN(Long.toString(rosterVersion)));
        if (!e.stage().sequential()) {
            u.set(Paths.child(stage, ItemCodec.WINDOW_ENDS_AT), AttributeValue.fromN(Long.toString(now + window * 1000L)));
        }
        Map<String, PluginStatus> mandatory = new LinkedHashMap<>(current.mandatory());
        Map<String, PluginStatus> optional = new LinkedHashMap<>(current.optional());
        for (PluginRegistration r : listed) {
            (r.mandatory() ? mandatory : optional).put(r.pluginName(), PluginStatus.listed(r.order(), r.timeout()));
        }
        var a = view.activity(e.activity());
        WorkflowRun entered = view.withActivity(e.activity(), a.withStage(e.stage(), current.withPlugins(mandatory, optional)));
        // Logged on the write's one line: the stage entered, with what it lists.
        return write(base, entered, u, now, pending, new StepLine.Also(e.activity() + "/" + e.stage().wireName() + " entered",
                "registered", registered.size(), "listed", listed.size(), "expectedOptional",
                listed.stream().filter(r -> !r.mandatory()).count(), "roster", roster.size(), "windowSeconds", window));
    }

    /**
     * Predicts, for each registration of a parallel stage, whether SNS delivers it the stage message: the message
     * is built as {@link #publishParallel} will publish it (same body fields, same attributes, the window end the
     * stage is entered with) and each recorded filter policy is evaluated against it by {@link FilterPolicy}. The
     * fields that may differ at publish time are {@code expiresAt} (a retention date) and {@code listsOptional}
     * (whether optional plugins were listed, which this prediction decides), which no policy has reason to test.
     */
    public Function<PluginRegistration, Planner.Delivery> delivery(WorkflowRun view, String activity, long windowEndsAt) {
        Supplier<StageMessage> predicted = AwsClients.memoize(() -> message(view, activity, Stage.PARALLEL, windowEndsAt, null));
        Supplier<Map<String, FilterPolicy.Attribute>> attributes = AwsClients.memoize(() ->
                FilterPolicy.attributesOf(attributes(predicted.get())));
        Supplier<String> body = AwsClients.memoize(() -> Json.write(predicted.get().toJson()));
        return r -> {
            PluginRegistration.Subscription sub = r.subscription();
            if (sub == null) {
                return Planner.Delivery.UNKNOWN;
            }
            if (sub.filterPolicy() == null) {
                return Planner.Delivery.DELIVERED;
            }
            try {
                return FilterPolicy.parse(sub.filterPolicy(), sub.scope()).matches(attributes.get(), body.get())
                        ? Planner.Delivery.DELIVERED : Planner.Delivery.NOT_DELIVERED;
            } catch (IllegalArgumentException unreadable) {
                LOG.warn("a plugin's filter policy cannot be evaluated: the stage expects it", Log.ACTIVITY, activity,
                        Log.PLUGIN, r.pluginName(), "subscriptionArn", r.subscriptionArn(), "cause", unreadable.getMessage());
                return Planner.Delivery.UNKNOWN;
            }
        };
    }

    private Optional<WorkflowRun> dispatch(WorkflowRun base, WorkflowRun view, List<Change> pending, Step.Dispatch d,
                                           long now) {
        StageStatus s = view.activity(d.activity()).stage(d.stage());
        boolean mandatory = s.mandatory().containsKey(d.plugin());
        PluginStatus entry = s.group(mandatory).get(d.plugin());
        publish(withInputs(view, message(view, d.activity(), d.stage(), null, s, d.plugin())));
        // The plugin's item is created Not Started with dispatchedAt, unless its claim already created it.
        UpdateBuilder x = new UpdateBuilder().mayCreate();
        String state = x.path(List.of(ItemCodec.STATE));
        x.condition("attribute_not_exists(" + x.path(List.of(ItemCodec.DISPATCHED_AT)) + ")");
        x.condition("attribute_not_exists(" + state + ") OR " + state + " = " + x.value(AttributeValue.fromS(State.NOT_STARTED.wire())));
        x.set(List.of(ItemCodec.STATE), AttributeValue.fromS(State.NOT_STARTED.wire()));
        x.set(List.of(ItemCodec.DISPATCHED_AT), AttributeValue.fromN(Long.toString(now)));
        Changes.identify(x, view, d.activity(), d.stage(), d.plugin(), mandatory);
        if (!store.updateExecution(execution(view, d.activity(), d.stage(), d.plugin()), x, now)) {
            return Optional.empty(); // claimed (or dispatched) meanwhile: read again
        }
        LOG.info("plugin dispatched", Log.ACTIVITY, d.activity(), Log.STAGE, d.stage().wireName(), Log.PLUGIN, d.plugin());
        WorkflowRun after = withPlugin(view, d.activity(), d.stage(), mandatory, d.plugin(), entry.withDispatchedAt(now));
        return flush(base, after, pending, now);
    }

    private Optional<WorkflowRun> publishParallel(WorkflowRun base, WorkflowRun view, List<Change> pending,
                                                  Step.PublishParallel p, long now) {
        StageStatus s = view.activity(p.activity()).stage(Stage.PARALLEL);
        publish(withInputs(view, message(view, p.activity(), Stage.PARALLEL, p.windowEndsAt(), s)));
        UpdateBuilder u = new UpdateBuilder();
        withPending(u, base, pending, now);
        List<String> stagePath = Paths.stage(p.activity(), Stage.PARALLEL);
        u.condition("attribute_not_exists(" + u.path(Paths.child(stagePath, ItemCodec.PUBLISHED_AT)) + ")");
        u.set(Paths.child(stagePath, ItemCodec.PUBLISHED_AT), AttributeValue.fromN(Long.toString(now)));
        u.set(Paths.child(stagePath, ItemCodec.WINDOW_ENDS_AT), AttributeValue.fromN(Long.toString(p.windowEndsAt())));
        var a = view.activity(p.activity());
        armTimer(u, view.withActivity(p.activity(), a.withStage(Stage.PARALLEL, s.withPublished(now, p.windowEndsAt()))), now);
        Optional<WorkflowRun> out = write(base, view, u, now, pending, new StepLine.Also(p.activity() + "/"
                + Stage.PARALLEL.wireName() + " published", "listed", s.plugins().size(), "windowEndsAt", p.windowEndsAt()));
        if (out.isEmpty()) {
            // Published, but the write that records it lost its condition: the publish still has its line.
            LOG.info("parallel stage published", Log.ACTIVITY, p.activity(), Log.STAGE, Stage.PARALLEL.wireName(),
                    "listed", s.plugins().size(), "windowEndsAt", p.windowEndsAt());
        }
        return out;
    }

    private Optional<WorkflowRun> rerun(WorkflowRun base, WorkflowRun view, List<Change> pending, Step.Rerun r, long now) {
        StageStatus s = view.activity(r.activity()).stage(r.stage());
        publish(withInputs(view, message(view, r.activity(), r.stage(), s.windowEndsAt(), s, r.plugin())));
        UpdateBuilder x = new UpdateBuilder();
        x.condition(x.path(List.of(ItemCodec.RERUN_AT)) + " = " + x.value(AttributeValue.fromN(Long.toString(r.rerunAt()))));
        x.set(List.of(ItemCodec.RERUN_PUBLISHED_AT), AttributeValue.fromN(Long.toString(now)));
        if (!store.updateExecution(execution(view, r.activity(), r.stage(), r.plugin()), x, now)) {
            return Optional.empty();
        }
        LOG.info("plugin re-run published", Log.ACTIVITY, r.activity(), Log.STAGE, r.stage().wireName(), Log.PLUGIN, r.plugin());
        WorkflowRun after = withPlugin(view, r.activity(), r.stage(), r.mandatory(), r.plugin(),
                s.group(r.mandatory()).get(r.plugin()).withRerunPublishedAt(now));
        return flush(base, after, pending, now);
    }

    private Optional<WorkflowRun> dropRejected(WorkflowRun base, WorkflowRun view, List<Change> pending, Step.DropRejected d, long now) {
        UpdateBuilder u = new UpdateBuilder();
        u.expectVersion(base.version());
        Changes.write(u, pending, now);
        StringBuilder note = new StringBuilder();
        for (StageStatus.Rejected r : d.rejected()) {
            u.remove(Paths.plugin(d.activity(), d.stage(), r.mandatory(), r.fullName()));
            note.append(note.length() == 0 ? "" : "; ").append("refused ").append(r.reason());
            LOG.warn("plugin entry refused", Log.ACTIVITY, d.activity(), Log.STAGE, d.stage().wireName(),
                    Log.PLUGIN, Names.shorten(r.fullName()), "cause", r.reason());
        }
        u.set(Paths.child(Paths.stage(d.activity(), d.stage()), ItemCodec.MESSAGE), AttributeValue.fromS(Names.cut(note.toString(), 500)));
        return write(base, view, u, now, pending);
    }

    private static WorkflowRun withPlugin(WorkflowRun run, String activity, Stage stage, boolean mandatory, String name,
                                          PluginStatus p) {
        var a = run.activity(activity);
        StageStatus s = a.stage(stage);
        Map<String, PluginStatus> group = new LinkedHashMap<>(s.group(mandatory));
        group.put(name, p);
        StageStatus updated = mandatory ? s.withPlugins(group, s.optional()) : s.withPlugins(s.mandatory(), group);
        return run.withActivity(activity, a.withStage(stage, updated));
    }

    /**
     * The parallel stage's message: it lists nobody (a stage of 10,000 plugins must fit SNS's 256 KB), and says
     * whether the stage lists optional plugins ({@code listsOptional}), so a listed optional plugin that starts
     * after the window still claims. {@code s} null: as predicted before entering (no entry listed yet).
     */
    private StageMessage message(WorkflowRun run, String activity, Stage stage, Long windowEndsAt, StageStatus s) {
        return new StageMessage(run.uid(), run.workflow(), activity, stage, null, run.metadata(), windowEndsAt,
                Map.of(), Map.of(), run.pluginTimeout(), planner.defaults().pluginTimeoutSeconds(),
                run.filterAttributes() != null ? run.filterAttributes() : settings.defaultFilterAttributes(),
                store.expiresAt(System.currentTimeMillis()), s != null && !s.optional().isEmpty());
    }

    /** A message addressed to one plugin, carrying that plugin's own entry (its state, order, attempt). */
    private StageMessage message(WorkflowRun run, String activity, Stage stage, Long windowEndsAt, StageStatus s, String plugin) {
        boolean mandatory = s.mandatory().containsKey(plugin);
        PluginStatus own = s.group(mandatory).get(plugin);
        Map<String, PluginStatus> one = own == null ? Map.of() : Map.of(plugin, own);
        return new StageMessage(run.uid(), run.workflow(), activity, stage, plugin, run.metadata(), windowEndsAt,
                mandatory ? one : Map.of(), mandatory ? Map.of() : one, run.pluginTimeout(),
                planner.defaults().pluginTimeoutSeconds(),
                run.filterAttributes() != null ? run.filterAttributes() : settings.defaultFilterAttributes(),
                store.expiresAt(System.currentTimeMillis()));
    }

    /**
     * The message with its {@code inputs} ({@link InputPlan} decides; this reads): the outputs of the Complete
     * executions of the stages it depends on. Over {@link dev.orchestrator.core.Outputs#ENGINE_INLINE_BUDGET_BYTES}
     * the whole document goes to the payload bucket and the message carries {@code inputsRef}.
     */
    private StageMessage withInputs(WorkflowRun view, StageMessage m) {
        List<InputPlan.Source> sources = InputPlan.sources(view, m.activity(), m.stage());
        if (sources.isEmpty() && view.startInputs() == null) {
            return m;
        }
        ObjectNode upstream = sources.isEmpty() ? Json.object() : outputsOf(view, sources);
        // Links first: a plugin reads payload objects only through them, also those inside an offloaded document.
        ObjectNode inputs = payloads.sign(InputPlan.withStartInputs(startInputs(view), upstream));
        return m.withInputs(inputs, payloads.signed(offload(view, inputs, "inputs/" + m.activity() + "/" + m.stage().wireName())));
    }

    /** The inputs the run was started with (null without); their item gone fails the run, naming it. */
    private ObjectNode startInputs(WorkflowRun view) {
        if (view.startInputs() == null) {
            return null;
        }
        return store.startInputs(view.uid(), view.workflow(), view.startInputs()).orElseThrow(() -> new RunFailure(
                "the inputs this run was started with are gone (status item ~~" + view.uid() + "␟inputs / " + view.workflow()
                        + "␟" + view.startInputs() + "; it expires HistoryRetentionDays + 7 days after the start)"));
    }

    /** The outputs of the Complete executions of {@code sources}, as {@code [activity][plugin]}. */
    private ObjectNode outputsOf(WorkflowRun view, List<InputPlan.Source> sources) {
        WorkflowRun filled = store.withEntries(view, InputPlan.unread(view, sources));
        List<Keys.Execution> executions = InputPlan.executions(filled, sources);
        if (executions.isEmpty()) {
            return Json.object();
        }
        Map<Keys.Execution, ObjectNode> outputs = store.outputs(executions);
        outputs.forEach((e, wire) -> {
            if (wire.has("invalid")) {
                LOG.warn("a plugin's output is not passed on: " + wire.get("invalid").asText(), Log.ACTIVITY, e.activity(),
                        Log.STAGE, e.stage().wireName(), Log.PLUGIN, e.plugin());
            }
        });
        return InputPlan.assemble(executions, outputs);
    }

    /** A reference to the document in the payload bucket when it is over the engine's budget; else null. */
    private dev.orchestrator.core.Outputs.Ref offload(WorkflowRun view, ObjectNode document, String name) {
        int bytes = dev.orchestrator.core.Outputs.utf8(document).length;
        if (bytes <= dev.orchestrator.core.Outputs.ENGINE_INLINE_BUDGET_BYTES) {
            return null;
        }
        var ref = payloads.put(dev.orchestrator.core.Outputs.engineKey(view.uid(), view.workflow(), name), document);
        LOG.info("document stored in the payload bucket", "document", name, "bytes", bytes, "key", ref.key());
        return ref;
    }

    private void publish(StageMessage message) {
        String body = Json.write(message.toJson());
        int bytes = body.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > Names.MAX_SNS_MESSAGE_BYTES) {
            // Deterministic: retrying cannot help, so the run fails with this cause instead of retrying for ever.
            throw new RunFailure("the " + message.stage().wireName() + " stage message of " + message.activity() + " is "
                    + bytes + " bytes, over SNS's limit of " + Names.MAX_SNS_MESSAGE_BYTES + "; keep large data out of metadata");
        }
        sns.get().publish(b -> b.topicArn(Topics.arn(settings.topicArnPrefix(), message.activity(), message.stage()))
                .message(body)
                .messageAttributes(attributes(message)));
    }

    /** A stage message's SNS message attributes, as published (and as filter policies see them). */
    static Map<String, MessageAttributeValue> attributes(StageMessage message) {
        Map<String, MessageAttributeValue> attributes = new LinkedHashMap<>();
        message.attributes().forEach((k, v) ->
                attributes.put(k, MessageAttributeValue.builder().dataType("String").stringValue(v).build()));
        return attributes;
    }

    /** A map element rides in a stage message beside the metadata and inputs: at most this many bytes of JSON. */
    static final int MAX_ELEMENT_BYTES = 128 * 1024;

    /**
     * Resolves a map's list: from the run's metadata, or from the output of the upstream plugin the path names (its
     * latest stage's, fetched from the payload bucket when it is a reference). Each element becomes an item of its own
     * (partition {@code ~~<uid>␟items}, batches of 25), then the header records the total and a zero count per listed
     * plugin. A path that does not resolve, is not a list, or has too many or too large elements ends the stage Error
     * with a message naming the field: every listed mandatory plugin Error, optional ones Do Not Run.
     */
    private Optional<WorkflowRun> resolveMap(WorkflowRun base, WorkflowRun view, List<Change> pending, Step.ResolveMap r,
                                             long now) {
        StageStatus s = view.activity(r.activity()).stage(Stage.PARALLEL);
        dev.orchestrator.core.MapSpec spec = s.map().spec();
        String field = "map.items of " + r.activity();
        String problem = null;
        List<com.fasterxml.jackson.databind.JsonNode> items = null;
        com.fasterxml.jackson.databind.JsonNode root = view.metadata();
        List<String> segments = spec.segments();
        if (spec.fromS3()) {
            root = null;
            problem = spec.s3BucketProblem(field, payloads.bucket(), settings.mapListBucket());
            if (problem == null) {
                try {
                    root = payloads.readJson(spec.s3Bucket(), spec.s3Key(), dev.orchestrator.core.MapSpec.MAX_S3_LIST_BYTES,
                            field + " \"" + spec.items() + "\"");
                } catch (dev.orchestrator.core.PayloadStore.Gone | IllegalArgumentException e) {
                    problem = e.getMessage();
                }
            }
        } else if (spec.fromInputs()) {
            String upstream = spec.inputActivity();
            String plugin = spec.inputPlugin();
            root = null;
            if (view.activities().containsKey(upstream)) {
                List<Keys.Execution> ex = new ArrayList<>();
                for (Stage st : Stage.values()) {
                    ex.add(new Keys.Execution(plugin, view.uid(), view.workflow(), upstream, st));
                }
                Map<Keys.Execution, ObjectNode> outs = store.outputs(ex);
                for (int i = ex.size() - 1; i >= 0 && root == null; i--) { // the latest stage's output wins
                    ObjectNode wire = outs.get(ex.get(i));
                    if (wire != null && !wire.has("invalid")) {
                        try {
                            root = payloads.resolve(wire, "input " + upstream + "." + plugin);
                        } catch (dev.orchestrator.core.PayloadStore.Gone gone) {
                            problem = field + " \"" + spec.items() + "\": " + gone.getMessage();
                        }
                    }
                }
            }
            if (root == null && problem == null) {
                problem = field + " \"" + spec.items() + "\" does not resolve: " + upstream + "." + plugin + " left no output";
            }
            segments = segments.subList(2, segments.size());
        }
        if (problem == null) {
            var resolved = dev.orchestrator.core.MapSpec.resolve(root, segments, field, spec.items());
            problem = resolved.problem();
            items = resolved.items();
        }
        List<Map<String, AttributeValue>> puts = new ArrayList<>();
        if (problem == null) {
            Long expires = store.expiresAt(now);
            for (int i = 0; i < items.size(); i++) {
                String json = Json.write(items.get(i));
                int bytes = json.getBytes(StandardCharsets.UTF_8).length;
                if (bytes > MAX_ELEMENT_BYTES) {
                    problem = field + " \"" + spec.items() + "\": element " + i + " is " + bytes
                            + " bytes of JSON; a map element rides in a stage message and may be at most " + MAX_ELEMENT_BYTES;
                    break;
                }
                Map<String, AttributeValue> item = new LinkedHashMap<>(Keys.mapItem(view.uid(), view.workflow(), r.activity(), i));
                item.put(dev.orchestrator.core.MapState.ITEMS, AttributeValue.fromS(json));
                if (expires != null) {
                    item.put(ItemCodec.EXPIRES_AT, AttributeValue.fromN(Long.toString(expires)));
                }
                puts.add(item);
            }
        }
        if (problem != null) {
            LOG.warn("map refused", Log.ACTIVITY, r.activity(), "cause", problem);
            List<Change> out = new ArrayList<>(pending);
            List<Change> mine = new ArrayList<>();
            for (StageStatus.Entry e : s.plugins()) {
                mine.add(Change.plugin(r.activity(), Stage.PARALLEL, e.mandatory(), e.name(),
                        e.mandatory() ? State.ERROR : State.DO_NOT_RUN, Names.cut(problem, 500)));
            }
            mine.add(Change.stage(r.activity(), Stage.PARALLEL, State.ERROR));
            out.addAll(mine);
            return flush(base, Changes.apply(view, mine), out, now);
        }
        store.rosters().putAll(puts);
        UpdateBuilder u = new UpdateBuilder();
        withPending(u, base, pending, now);
        u.expectVersion(base.version());
        List<String> map = Paths.child(Paths.stage(r.activity(), Stage.PARALLEL), dev.orchestrator.core.MapState.MAP);
        u.condition("attribute_not_exists(" + u.path(Paths.child(map, dev.orchestrator.core.MapState.TOTAL)) + ")");
        u.set(Paths.child(map, dev.orchestrator.core.MapState.TOTAL), AttributeValue.fromN(Integer.toString(items.size())));
        Map<String, AttributeValue> zero = new LinkedHashMap<>();
        Map<String, Integer> ended = new LinkedHashMap<>();
        for (StageStatus.Entry e : s.plugins()) {
            zero.put(e.name(), AttributeValue.fromN("0"));
            ended.put(e.name(), 0);
        }
        u.set(Paths.child(map, dev.orchestrator.core.MapState.ENDED), AttributeValue.fromM(zero));
        u.set(Paths.child(map, dev.orchestrator.core.MapState.PROGRESS_AT), AttributeValue.fromN(Long.toString(now)));
        var m = s.map();
        var resolvedState = new dev.orchestrator.core.MapState(m.spec(), items.size(), 0, ended, 0, now);
        var a = view.activity(r.activity());
        WorkflowRun after = view.withActivity(r.activity(), a.withStage(Stage.PARALLEL, s.withMap(resolvedState)));
        armTimer(u, after, now);
        LOG.info("map resolved", Log.ACTIVITY, r.activity(), "elements", items.size(), "items", spec.items(),
                "maxConcurrency", spec.maxConcurrency());
        return write(base, after, u, now, pending);
    }

    /**
     * Publishes elements {@code from..to-1} of a map (their items read in one BatchGetItem): each a parallel stage
     * message with {@code item} and {@code index}, which every plugin of the stage receives and claims under its own
     * element key. The header then records {@code released = to}, conditional on it still being {@code from}.
     */
    private Optional<WorkflowRun> releaseElements(WorkflowRun base, WorkflowRun view, List<Change> pending,
                                                  Step.ReleaseElements r, long now) {
        StageStatus s = view.activity(r.activity()).stage(Stage.PARALLEL);
        List<Map<String, AttributeValue>> keys = new ArrayList<>();
        for (int i = r.from(); i < r.to(); i++) {
            keys.add(Keys.mapItem(view.uid(), view.workflow(), r.activity(), i));
        }
        Map<Integer, com.fasterxml.jackson.databind.JsonNode> items = new java.util.HashMap<>();
        var got = store.client().batchGetItem(b -> b.requestItems(Map.of(store.table(),
                software.amazon.awssdk.services.dynamodb.model.KeysAndAttributes.builder().keys(keys).consistentRead(true).build())));
        var unprocessed = got.unprocessedKeys();
        for (Map<String, AttributeValue> item : got.responses().getOrDefault(store.table(), List.of())) {
            String sk = item.get(ItemCodec.WORKFLOW).s();
            int index = Integer.parseInt(sk.substring(sk.lastIndexOf(Keys.SEP) + 1));
            items.put(index, Json.parse(item.get(dev.orchestrator.core.MapState.ITEMS).s()));
        }
        int to = r.from();
        while (to < r.to() && items.containsKey(to)) {
            to++; // only a contiguous prefix: what DynamoDB left unprocessed waits for the next step
        }
        if (to == r.from()) {
            throw new IllegalStateException("map items " + r.from() + ".." + (r.to() - 1) + " of " + r.activity()
                    + " could not be read (" + (unprocessed == null ? 0 : unprocessed.size()) + " unprocessed); retrying");
        }
        StageMessage base0 = withInputs(view, withoutMappedList(message(view, r.activity(), Stage.PARALLEL, null, s),
                s.map().spec()));
        for (int i = r.from(); i < to; i++) {
            publish(base0.forElement(items.get(i), i));
        }
        UpdateBuilder u = new UpdateBuilder();
        withPending(u, base, pending, now);
        List<String> map = Paths.child(Paths.stage(r.activity(), Stage.PARALLEL), dev.orchestrator.core.MapState.MAP);
        String released = u.path(Paths.child(map, dev.orchestrator.core.MapState.RELEASED));
        u.condition(released + " = " + u.value(AttributeValue.fromN(Integer.toString(r.from()))));
        u.set(Paths.child(map, dev.orchestrator.core.MapState.RELEASED), AttributeValue.fromN(Integer.toString(to)));
        u.set(Paths.child(map, dev.orchestrator.core.MapState.PROGRESS_AT), AttributeValue.fromN(Long.toString(now)));
        var m = s.map();
        var a = view.activity(r.activity());
        WorkflowRun after = view.withActivity(r.activity(), a.withStage(Stage.PARALLEL, s.withMap(
                new dev.orchestrator.core.MapState(m.spec(), m.total(), to, m.ended(), m.failed(), now))));
        armTimer(u, after, now);
        LOG.info("map elements released", Log.ACTIVITY, r.activity(), Log.STAGE, Stage.PARALLEL.wireName(), "from", r.from(), "to", to, "total", m.total());
        return write(base, after, u, now, pending);
    }

    /**
     * An element's message carries its {@code item}, not the whole list: a map over {@code $.metadata.<path>} sends the
     * run's metadata without the list at that path, so a message's size does not grow with the list.
     */
    static StageMessage withoutMappedList(StageMessage m, dev.orchestrator.core.MapSpec spec) {
        if (!spec.fromMetadata()) {
            return m;
        }
        ObjectNode metadata = m.metadata().deepCopy();
        List<String> path = spec.segments();
        com.fasterxml.jackson.databind.JsonNode parent = metadata;
        for (String seg : path.subList(0, path.size() - 1)) {
            parent = parent.path(seg);
        }
        if (parent instanceof ObjectNode o) {
            o.remove(path.get(path.size() - 1));
        }
        return new StageMessage(m.uid(), m.workflow(), m.activity(), m.stage(), m.plugin(), metadata, m.windowEndsAt(),
                m.mandatory(), m.optional(), m.pluginTimeout(), m.defaultPluginTimeout(), m.filterAttributes(), m.expiresAt(),
                m.listsOptional(), m.inputs(), m.inputsRef(), m.item(), m.index());
    }

    /**
     * Ends a map stage: each listed plugin's element executions are read (BatchGetItem, 100 at a time, once) and
     * collected in index order ({@link MapPlan#collect}) as that plugin's output on its stage execution item (in the
     * payload bucket when over the inline threshold), so what depends on the activity receives it as an input. The
     * plugin's entry ends Complete, or Error when the map failed and it had failures (or the map stalled).
     */
    private Optional<WorkflowRun> finishMap(WorkflowRun base, WorkflowRun view, List<Change> pending, Step.FinishMap f,
                                            long now) {
        StageStatus s = view.activity(f.activity()).stage(Stage.PARALLEL);
        int total = s.map().total() == null ? 0 : s.map().total();
        List<Change> mine = new ArrayList<>();
        for (StageStatus.Entry e : s.plugins()) {
            if (!e.status().state().isPending()) {
                continue; // written by an earlier attempt of this step
            }
            Keys.Execution stageExec = execution(view, f.activity(), Stage.PARALLEL, e.name());
            List<Keys.Execution> elements = new ArrayList<>(total);
            for (int i = 0; i < Math.min(total, s.map().released()); i++) {
                elements.add(stageExec.element(i));
            }
            Map<Integer, MapPlan.Element> read = elements(elements);
            ObjectNode collected = MapPlan.collect(total, read);
            UpdateBuilder x = new UpdateBuilder().mayCreate();
            String state = x.path(List.of(ItemCodec.STATE));
            x.condition("attribute_not_exists(" + state + ") OR " + state + " = " + x.value(AttributeValue.fromS(State.NOT_STARTED.wire())));
            byte[] bytes = dev.orchestrator.core.Outputs.utf8(collected);
            if (bytes.length <= dev.orchestrator.core.Outputs.DEFAULT_INLINE_MAX_BYTES) {
                x.set(List.of(dev.orchestrator.core.Outputs.OUTPUT), AttributeValue.fromS(new String(bytes, StandardCharsets.UTF_8)));
            } else {
                var ref = payloads.put(dev.orchestrator.core.Outputs.engineKey(view.uid(), view.workflow(),
                        "map/" + f.activity() + "/" + e.name()), collected);
                x.set(List.of(dev.orchestrator.core.Outputs.OUTPUT_REF), ref.toAttribute());
            }
            Changes.identify(x, view, f.activity(), Stage.PARALLEL, e.name(), e.mandatory());
            if (!store.updateExecution(stageExec, x, now)) {
                return Optional.empty();
            }
            boolean failedHere = f.state() == State.ERROR && (collected.path("failed").asInt() > 0 || f.message().startsWith("map: no element"));
            String msg = f.message() + (collected.path("failed").asInt() > 0 ? "; first: " + MapPlan.firstErrors(collected, 3) : "");
            State st = failedHere ? (e.mandatory() ? State.ERROR : State.COMPLETE) : State.COMPLETE;
            mine.add(Change.plugin(f.activity(), Stage.PARALLEL, e.mandatory(), e.name(), st, Names.cut(msg, 500)));
        }
        mine.add(Change.stage(f.activity(), Stage.PARALLEL, f.state()));
        List<Change> out = new ArrayList<>(pending);
        out.addAll(mine);
        LOG.info("map ended", Log.ACTIVITY, f.activity(), Log.STAGE, Stage.PARALLEL.wireName(), "status", f.state().wire(), "elements", total, "cause", f.message());
        return flush(base, Changes.apply(view, mine), out, now);
    }

    /** A map element execution the stream showed ended, with the state it showed. */
    public record EndedElement(Keys.Execution execution, State state) {
    }

    /**
     * Counts the element executions of a stream batch that ended, each once: first each item is marked
     * {@code countedAt} (only if it is still that ended state and not counted before: a redelivered record counts
     * nothing), then one header write adds, per plugin, how many of its elements were marked to {@code ended} (and the
     * mandatory Errors to {@code failed}), while the map stage is running. One conditional write per element and one
     * header write per batch and map, whatever the map's size: the header (which carries the run's metadata, a mapped
     * list included) is rewritten once per batch, not once per element. Not one transaction: the local emulator copies
     * the whole table for each transaction. A crash between the marks and the header write loses counts, never doubles
     * one (so never more than {@code maxConcurrency} in flight); a map that then stops progressing is reconciled from
     * its items ({@link Step.FinishMap} after the stall deadline reads every element anyway).
     *
     * @return true when the header took any count
     */
    public boolean countElements(WorkflowRun run, List<EndedElement> ended, long now) {
        Map<String, Map<String, Integer>> endedByActivity = new LinkedHashMap<>();
        Map<String, Integer> failedByActivity = new LinkedHashMap<>();
        for (EndedElement el : ended) {
            Keys.Execution element = el.execution();
            var activity = run.activities().get(element.activity());
            if (activity == null) {
                continue;
            }
            StageStatus s = activity.stage(Stage.PARALLEL);
            if (s.map() == null || s.map().total() == null || s.status() != State.IN_PROGRESS) {
                continue;
            }
            boolean mandatory = s.mandatory().containsKey(element.plugin());
            if (!mandatory && !s.optional().containsKey(element.plugin())) {
                LOG.warn("map element of a plugin the stage does not list: not counted", Log.ACTIVITY, element.activity(),
                        Log.PLUGIN, element.plugin(), "index", element.index());
                continue;
            }
            UpdateBuilder x = new UpdateBuilder();
            String st = x.path(List.of(ItemCodec.STATE));
            x.condition(st + " = " + x.value(AttributeValue.fromS(el.state().wire())));
            x.condition("attribute_not_exists(" + x.path(List.of(COUNTED_AT)) + ")");
            x.set(List.of(COUNTED_AT), AttributeValue.fromN(Long.toString(now)));
            x.withoutVersionBump();
            if (!store.updateExecution(element, x, now)) {
                continue; // counted before (a redelivered record), or no longer in that state
            }
            endedByActivity.computeIfAbsent(element.activity(), a -> new LinkedHashMap<>()).merge(element.plugin(), 1, Integer::sum);
            if (el.state() == State.ERROR && mandatory) {
                failedByActivity.merge(element.activity(), 1, Integer::sum);
            }
        }
        boolean counted = false;
        for (var byActivity : endedByActivity.entrySet()) {
            String activity = byActivity.getKey();
            UpdateBuilder h = new UpdateBuilder();
            List<String> stage = Paths.stage(activity, Stage.PARALLEL);
            List<String> map = Paths.child(stage, dev.orchestrator.core.MapState.MAP);
            h.condition(h.path(Paths.child(stage, ItemCodec.STATUS)) + " = " + h.value(AttributeValue.fromS(State.IN_PROGRESS.wire())));
            byActivity.getValue().forEach((plugin, n) -> h.increment(Paths.child(Paths.child(map, dev.orchestrator.core.MapState.ENDED),
                    plugin), n));
            int failed = failedByActivity.getOrDefault(activity, 0);
            if (failed > 0) {
                h.increment(Paths.child(map, dev.orchestrator.core.MapState.FAILED), failed);
            }
            h.set(Paths.child(map, dev.orchestrator.core.MapState.PROGRESS_AT), AttributeValue.fromN(Long.toString(now)));
            boolean took = store.update(run.uid(), run.workflow(), h, now);
            LOG.debug(took ? "map elements counted" : "map elements not counted: the map stage is no longer running",
                    Log.ACTIVITY, activity, "ended", byActivity.getValue(), "failed", failed);
            counted |= took;
        }
        return counted;
    }

    /**
     * A stalled map: its released elements' items are read (once) and counted; when they say more ended than the
     * header does (a count lost between its two writes), the header takes their counts and the map carries on.
     * Otherwise an element really is stuck, and the map ends Error.
     */
    private Optional<WorkflowRun> reconcileMap(WorkflowRun base, WorkflowRun view, List<Change> pending, Step.ReconcileMap r,
                                               long now) {
        StageStatus s = view.activity(r.activity()).stage(Stage.PARALLEL);
        var m = s.map();
        Map<String, Integer> ended = new LinkedHashMap<>();
        int failed = 0;
        for (StageStatus.Entry e : s.plugins()) {
            Keys.Execution stageExec = execution(view, r.activity(), Stage.PARALLEL, e.name());
            List<Keys.Execution> released = new ArrayList<>();
            for (int i = 0; i < m.released(); i++) {
                released.add(stageExec.element(i));
            }
            int n = 0;
            for (MapPlan.Element el : elements(released).values()) {
                if (el.state() == State.COMPLETE || el.state() == State.ERROR) {
                    n++;
                    failed += el.state() == State.ERROR && e.mandatory() ? 1 : 0;
                }
            }
            ended.put(e.name(), n);
        }
        if (ended.equals(m.ended()) && failed == m.failed()) {
            return finishMap(base, view, pending, new Step.FinishMap(r.activity(), State.ERROR, r.message()), now);
        }
        LOG.warn("map counts reconciled from its element items", Log.ACTIVITY, r.activity(), "ended", ended, "failed", failed);
        UpdateBuilder u = new UpdateBuilder();
        withPending(u, base, pending, now);
        u.expectVersion(base.version());
        List<String> map = Paths.child(Paths.stage(r.activity(), Stage.PARALLEL), dev.orchestrator.core.MapState.MAP);
        Map<String, AttributeValue> counts = new LinkedHashMap<>();
        ended.forEach((k, v) -> counts.put(k, AttributeValue.fromN(Integer.toString(v))));
        u.set(Paths.child(map, dev.orchestrator.core.MapState.ENDED), AttributeValue.fromM(counts));
        u.set(Paths.child(map, dev.orchestrator.core.MapState.FAILED), AttributeValue.fromN(Integer.toString(failed)));
        u.set(Paths.child(map, dev.orchestrator.core.MapState.PROGRESS_AT), AttributeValue.fromN(Long.toString(now)));
        var a = view.activity(r.activity());
        WorkflowRun after = view.withActivity(r.activity(), a.withStage(Stage.PARALLEL, s.withMap(
                new dev.orchestrator.core.MapState(m.spec(), m.total(), m.released(), ended, failed, now))));
        armTimer(u, after, now);
        return write(base, after, u, now, pending);
    }

    /** Execution items of map elements: when the engine counted their end. */
    public static final String COUNTED_AT = "countedAt";

    /** Element executions as they ended (state, output as it travels, message): BatchGetItem, 100 keys a request. */
    private Map<Integer, MapPlan.Element> elements(List<Keys.Execution> executions) {
        Map<Integer, MapPlan.Element> out = new java.util.HashMap<>();
        for (int i = 0; i < executions.size(); i += Rosters.BATCH_GET) {
            List<Map<String, AttributeValue>> keys = executions.subList(i, Math.min(executions.size(), i + Rosters.BATCH_GET))
                    .stream().map(Keys.Execution::key).toList();
            Map<String, software.amazon.awssdk.services.dynamodb.model.KeysAndAttributes> pending = Map.of(store.table(),
                    software.amazon.awssdk.services.dynamodb.model.KeysAndAttributes.builder().keys(keys).consistentRead(true)
                            .projectionExpression("#u, #w, #s, #m, #o, #r")
                            .expressionAttributeNames(Map.of("#u", ItemCodec.UID, "#w", ItemCodec.WORKFLOW, "#s", ItemCodec.STATE,
                                    "#m", ItemCodec.MESSAGE, "#o", dev.orchestrator.core.Outputs.OUTPUT,
                                    "#r", dev.orchestrator.core.Outputs.OUTPUT_REF)).build());
            for (int attempt = 0; !pending.isEmpty(); attempt++) {
                if (attempt > 20) {
                    throw new IllegalStateException("DynamoDB left map element reads unprocessed after 20 tries");
                }
                var send = pending;
                var r = store.client().batchGetItem(b -> b.requestItems(send));
                for (Map<String, AttributeValue> item : r.responses().getOrDefault(store.table(), List.of())) {
                    Keys.Execution e = Keys.execution(item.get(ItemCodec.UID).s(), item.get(ItemCodec.WORKFLOW).s());
                    State st;
                    try {
                        st = State.fromWire(item.containsKey(ItemCodec.STATE) ? item.get(ItemCodec.STATE).s() : null);
                    } catch (IllegalArgumentException unknown) {
                        st = State.ERROR;
                    }
                    ObjectNode wire = dev.orchestrator.core.Outputs.fromItem(item);
                    out.put(e.index(), new MapPlan.Element(st, wire == null || wire.has("invalid") ? null : wire,
                            item.containsKey(ItemCodec.MESSAGE) ? item.get(ItemCodec.MESSAGE).s() : null));
                }
                pending = r.unprocessedKeys() == null ? Map.of() : r.unprocessedKeys();
            }
        }
        return out;
    }

    /**
     * Starts the child workflow a plugin asked for (a conditional put, like a start), then records it in the
     * plugin's entry. Asking again finds the same run (its key comes from the entry): a run still going is
     * adopted, one that ended Complete completes the entry at once, one that ended Error is resumed (the
     * parent was resumed). A run under that key that is not this entry's child fails the plugin.
     */
    private Optional<WorkflowRun> startChild(WorkflowRun base, WorkflowRun view, List<Change> pending, Step.StartChild c,
                                             long now) {
        StartRequest r = c.request();
        WorkflowRun.Parent parent = new WorkflowRun.Parent(view.uid(), view.workflow(), c.activity(), c.stage(),
                c.mandatory(), c.plugin());
        WorkflowRun fresh = r.newRun(parent);
        if (r.inputs() != null) {
            // Before the child's header names them, as StartWorkflow does.
            Long expires = store.expiresAt(now);
            store.putStartInputs(r.uid(), r.workflow(), r.startInputsDigest(), r.inputs(),
                    expires == null ? null : expires + 7 * 86_400L);
        }
        List<Change> out = new ArrayList<>(pending);
        String how;
        ChildEndWrite found = null;
        if (store.create(fresh, now)) {
            how = "started";
            Metrics.count(Metrics.RUNS_STARTED, r.workflow());
        } else {
            WorkflowRun existing = store.get(r.uid(), r.workflow()).orElseThrow(() ->
                    new IllegalStateException("child run " + r.uid() + " / " + r.workflow() + " vanished while starting; retrying"));
            if (!parent.equals(existing.parent())) {
                how = "refused";
                out.add(Change.plugin(c.activity(), c.stage(), c.mandatory(), c.plugin(), State.ERROR, Names.cut("child run "
                        + r.uid() + " / " + r.workflow() + " already exists and is not this plugin's child", 500)));
            } else if (existing.status().isPending()) {
                how = "adopted";
            } else if (existing.status() == State.COMPLETE || existing.status() == State.OPTIONAL_TASK_ERROR) {
                how = "found complete";
                found = childEnd(parent, existing.uid(), existing.workflow(), existing.status(), existing.message(),
                        outputsOf(existing, InputPlan.runOutputs(existing)));
                out.add(found.change(parent));
            } else {
                try {
                    Resume.Decision d = Resume.decide(existing, r);
                    if (!store.replace(d.run(), existing.version(), now)) {
                        throw new IllegalStateException("child run " + r.uid() + " / " + r.workflow()
                                + " changed while being resumed; retrying");
                    }
                    how = "resumed";
                } catch (InvalidStartException refused) {
                    how = "refused";
                    out.add(Change.plugin(c.activity(), c.stage(), c.mandatory(), c.plugin(), State.ERROR,
                            Names.cut("child workflow refused: " + String.join("; ", refused.problems()), 500)));
                }
            }
        }
        UpdateBuilder x = new UpdateBuilder();
        List<String> child = List.of(ItemCodec.CHILD);
        x.condition("attribute_not_exists(" + x.path(Paths.child(child, ItemCodec.STARTED_AT)) + ")");
        x.set(Paths.child(child, ItemCodec.UID), AttributeValue.fromS(r.uid()));
        x.set(Paths.child(child, ItemCodec.WORKFLOW), AttributeValue.fromS(r.workflow()));
        x.set(Paths.child(child, ItemCodec.STARTED_AT), AttributeValue.fromN(Long.toString(now)));
        if (found != null) {
            found.writeOutput(x); // with the child fields; the state follows in the flush below
        }
        if (!store.updateExecution(execution(view, c.activity(), c.stage(), c.plugin()), x, now)) {
            return Optional.empty();
        }
        LOG.info("child run " + how, Log.ACTIVITY, c.activity(), Log.STAGE, c.stage().wireName(), Log.PLUGIN, c.plugin(),
                "childUid", r.uid(), "childWorkflow", r.workflow());
        StageStatus s = view.activity(c.activity()).stage(c.stage());
        PluginStatus p = s.group(c.mandatory()).get(c.plugin());
        PluginStatus.Child started = new PluginStatus.Child(p.child() != null ? p.child().request() : null, r.uid(),
                r.workflow(), now, null);
        WorkflowRun after = withPlugin(view, c.activity(), c.stage(), c.mandatory(), c.plugin(), p.withChild(started));
        // The outcome found (a finished child) is written after the child fields, against the entry as it now is.
        WorkflowRun seen = withPlugin(base, c.activity(), c.stage(), c.mandatory(), c.plugin(), p.withChild(started));
        return flush(seen, Changes.apply(after, out.subList(pending.size(), out.size())), out, now);
    }

    /** A child's end for its parent's entry ({@link Planner#childEnd}) and the output attribute to write with it. */
    record ChildEndWrite(Planner.ChildEnd end, List<String> outputAttribute, AttributeValue output) {

        Change change(WorkflowRun.Parent p) {
            return Change.plugin(p.activity(), p.stage(), p.mandatory(), p.plugin(), end.state(), end.message());
        }

        /** SETs the output (inline or the reference) and REMOVEs the other shape, so the item has one of them. */
        void writeOutput(UpdateBuilder u) {
            if (output != null) {
                u.set(outputAttribute, output);
                u.remove(List.of(outputAttribute.get(0).equals(dev.orchestrator.core.Outputs.OUTPUT)
                        ? dev.orchestrator.core.Outputs.OUTPUT_REF : dev.orchestrator.core.Outputs.OUTPUT));
            }
        }
    }

    /**
     * Decides a child's end for its parent's entry (pure: {@link Planner#childEnd}) around the I/O it needs: the
     * child's referenced outputs are read (only when the whole stays under the hard limit), and a document over the
     * inline threshold is written to the payload bucket under the parent plugin's own output key.
     * {@code childOutputs}: the child's run outputs as its outcome event carries them (null for a failed child).
     */
    private ChildEndWrite childEnd(WorkflowRun.Parent p, String childUid, String childWorkflow, State outcome, String cause,
                                   ObjectNode childOutputs) {
        long bytes = 0;
        String problem = null;
        ObjectNode document = null;
        byte[] utf8 = null;
        if (outcome == State.COMPLETE || outcome == State.OPTIONAL_TASK_ERROR) {
            ObjectNode wire = childOutputs == null ? Json.object() : childOutputs;
            bytes = ChildOutputs.boundBytes(wire);
            if (bytes <= dev.orchestrator.core.Outputs.DEFAULT_MAX_BYTES) {
                try {
                    Map<String, com.fasterxml.jackson.databind.JsonNode> read = new LinkedHashMap<>();
                    ChildOutputs.references(wire).forEach((name, ref) -> read.put(name, payloads.get(ref, "output of " + name)));
                    document = ChildOutputs.unwrap(wire, read);
                    utf8 = dev.orchestrator.core.Outputs.utf8(document);
                    bytes = utf8.length;
                } catch (dev.orchestrator.core.PayloadStore.Gone gone) {
                    problem = gone.getMessage();
                }
            }
        }
        Planner.ChildEnd end = Planner.childEnd(childUid, childWorkflow, outcome, cause, bytes, problem,
                dev.orchestrator.core.Outputs.DEFAULT_INLINE_MAX_BYTES, dev.orchestrator.core.Outputs.DEFAULT_MAX_BYTES);
        List<String> attribute = null;
        AttributeValue value = null;
        String key = null;
        switch (end.output()) {
            case INLINE -> {
                attribute = List.of(dev.orchestrator.core.Outputs.OUTPUT);
                value = AttributeValue.fromS(new String(utf8, StandardCharsets.UTF_8));
            }
            case BUCKET -> {
                var ref = payloads.put(dev.orchestrator.core.Outputs.outputKey(p.uid(), p.workflow(), p.activity(), p.stage(),
                        p.plugin()), document);
                attribute = List.of(dev.orchestrator.core.Outputs.OUTPUT_REF);
                value = ref.toAttribute();
                key = ref.key();
            }
            default -> { }
        }
        LOG.info("child outcome decided for its parent", "parentUid", p.uid(), "parentWorkflow", p.workflow(),
                Log.ACTIVITY, p.activity(), Log.PLUGIN, p.plugin(), "childUid", childUid, "childStatus", outcome.wire(),
                "status", end.state().wire(), "output", end.output().name().toLowerCase(java.util.Locale.ROOT),
                "outputBytes", end.outputBytes(), "key", key, "cause", end.state() == State.ERROR ? end.message() : null);
        return new ChildEndWrite(end, attribute, value);
    }

    /**
     * Asks a child run to stop (a cancel request, as an operator's would be), then notes it in the parent entry so
     * it is asked once. A child that already ended refuses the request, which is fine.
     */
    private Optional<WorkflowRun> cancelChild(WorkflowRun base, WorkflowRun view, List<Change> pending, Step.CancelChild c, long now) {
        UpdateBuilder ask = dev.orchestrator.request.CancelRequest.write(Names.cut(c.reason(), 500), now);
        ask.condition("attribute_not_exists(" + ask.path(List.of(ItemCodec.CANCEL_REQUESTED)) + ")");
        boolean asked = store.update(c.childUid(), c.childWorkflow(), ask, now);
        LOG.info(asked ? "child run cancel requested" : "child run already ended or cancelling", Log.ACTIVITY, c.activity(),
                Log.STAGE, c.stage().wireName(), Log.PLUGIN, c.plugin(), "childUid", c.childUid(),
                "childWorkflow", c.childWorkflow(), "reason", c.reason());
        UpdateBuilder x = new UpdateBuilder();
        x.condition("attribute_not_exists(" + x.path(List.of(ItemCodec.CHILD, ItemCodec.CANCELLED_AT)) + ")");
        x.set(List.of(ItemCodec.CHILD, ItemCodec.CANCELLED_AT), AttributeValue.fromN(Long.toString(now)));
        store.updateExecution(execution(view, c.activity(), c.stage(), c.plugin()), x, now);
        StageStatus s = view.activity(c.activity()).stage(c.stage());
        PluginStatus p = s.group(c.mandatory()).get(c.plugin());
        PluginStatus.Child ch = p.child();
        PluginStatus.Child cancelled = new PluginStatus.Child(ch.request(), ch.uid(), ch.workflow(), ch.startedAt(), now);
        WorkflowRun after = withPlugin(view, c.activity(), c.stage(), c.mandatory(), c.plugin(), p.withChild(cancelled));
        WorkflowRun seen = withPlugin(base, c.activity(), c.stage(), c.mandatory(), c.plugin(), p.withChild(cancelled));
        return flush(seen, after, pending, now);
    }

    /**
     * A child run's outcome into its parent's entry, once: only while that entry is In Progress, waits for a
     * child and its stage is open (a cancelled or moved-on parent refuses it). The parent's stream record
     * then brings the parent to the engine.
     */
    private void reportToParent(WorkflowRun child, State outcome, ObjectNode outputs, long now) {
        reportToParent(child.parent(), child.uid(), child.workflow(), outcome, child.message(), outputs, now);
    }

    private void reportToParent(WorkflowRun.Parent p, String childUid, String childWorkflow, State outcome, String cause,
                                ObjectNode outputs, long now) {
        ChildEndWrite end = childEnd(p, childUid, childWorkflow, outcome, cause, outputs);
        Change c = end.change(p);
        // Only while the parent's entry waits for this child: In Progress with a child. A parent whose stage ended
        // marked its entry Do Not Run, so a late outcome lands nowhere.
        UpdateBuilder u = new UpdateBuilder();
        u.condition(u.path(List.of(ItemCodec.STATE)) + " = " + u.value(AttributeValue.fromS(State.IN_PROGRESS.wire())));
        u.condition("attribute_exists(" + u.path(List.of(ItemCodec.CHILD)) + ")");
        u.set(List.of(ItemCodec.STATE), AttributeValue.fromS(c.state().wire()));
        u.set(List.of(ItemCodec.MESSAGE), AttributeValue.fromS(c.message()));
        u.set(List.of(ItemCodec.ENDED_AT), AttributeValue.fromN(Long.toString(now)));
        end.writeOutput(u);
        boolean told = store.updateExecution(new Keys.Execution(p.plugin(), p.uid(), p.workflow(), p.activity(), p.stage()), u, now);
        LOG.info(told ? "parent told of child's outcome" : "parent no longer waits for this child",
                "parentUid", p.uid(), "parentWorkflow", p.workflow(), Log.ACTIVITY, p.activity(), Log.PLUGIN, p.plugin(),
                "status", outcome.wire());
    }

    /**
     * A child run the engine had to fail ({@code engine failed: ...}) still ends its parent's wait: the parent is
     * read from the raw item, which may be unreadable otherwise. Nothing to do for a run without a parent.
     */
    public void reportFailureToParent(String uid, String workflow, String cause) {
        Optional<Map<String, AttributeValue>> item = store.getItem(uid, workflow);
        WorkflowRun.Parent p;
        try {
            p = item.map(ItemCodec::parentFrom).orElse(null);
        } catch (RuntimeException unreadable) {
            LOG.error("the failed run's parent cannot be read; the parent waits until it is cancelled", unreadable);
            return;
        }
        if (p != null) {
            reportToParent(p, uid, workflow, State.ERROR, cause, null, System.currentTimeMillis());
        }
    }

    /**
     * Announces the outcome exactly once: {@code notifiedAt} is claimed by a conditional write first (with
     * any planned transitions), and only the invocation that won it puts the event. A retried stream batch
     * replays old images, so deciding "not yet announced" from an image alone would announce twice. If the
     * put fails the claim is released and the failure retried; only a crash between claim and put can lose
     * the event (the run's status is never lost).
     */
    private Optional<WorkflowRun> notifyOutcome(WorkflowRun base, WorkflowRun view, List<Change> pending, Step.Notify n,
                                                long now) {
        UpdateBuilder claim = new UpdateBuilder();
        withPending(claim, base, pending, now);
        claim.condition("attribute_not_exists(" + claim.path(List.of(ItemCodec.NOTIFIED_AT)) + ")");
        claim.set(List.of(ItemCodec.NOTIFIED_AT), AttributeValue.fromN(Long.toString(now)));
        Long expires = store.expiresAt(now);
        if (expires != null) {
            claim.set(List.of(ItemCodec.EXPIRES_AT), AttributeValue.fromN(Long.toString(expires))); // a finished run expires
        }
        // The run's outputs, [activity][plugin] (large ones as references): read once, for the parent and the event.
        ObjectNode outputs = n.outcome() == State.ERROR || view.parent() == null ? null : outputsOf(view, InputPlan.runOutputs(view));
        if (view.parent() != null) {
            reportToParent(view, n.outcome(), outputs, now); // before the claim: a crash repeats it, and it is conditional
        }
        Optional<WorkflowRun> claimed = write(base, view, claim, now, pending);
        if (claimed.isEmpty()) {
            return claimed;
        }
        WorkflowRun run = claimed.get();
        boolean cancelled = run.cancelReason() != null && run.message() != null && run.message().startsWith("cancelled: ");
        try {
            ObjectNode detail = outcomeDetail(view, run, n.outcome(), cancelled, outputs);
            putOutcome(run.uid(), run.workflow(), n.outcome() == State.ERROR ? FAILED : COMPLETED, detail);
        } catch (RuntimeException e) {
            // A kept notice would leave the run unannounced: given back, a refused put (OutcomeNotPut) or any other
            // transient failure is retried, and any other failure to make the event (outputs unreadable, or not
            // storable in the payload bucket) ends in the engine's failure path, which announces it Failed with the cause.
            boolean released = releaseNotice(run.uid(), run.workflow(), now);
            boolean notPut = e instanceof OutcomeNotPut;
            LOG.warn(notPut ? "outcome event not put; the run's records will be retried" : "outcome event not made; the notice is given back",
                    "status", n.outcome().wire(), "noticeReleased", released, "cause", String.valueOf(notPut ? e.getCause() : e),
                    "action", notPut ? "check the event bus " + settings.busName() + " exists and accepts PutEvents from the engine" : null);
            throw e;
        }
        Metrics.count(cancelled ? Metrics.RUNS_CANCELLED : n.outcome() == State.ERROR ? Metrics.RUNS_FAILED
                : Metrics.RUNS_COMPLETED, run.workflow());
        LOG.info("outcome announced", "status", n.outcome().wire(), "cause", run.message(), "cancelled", cancelled);
        return claimed;
    }

    /** The outcome event's detail: the run's keys, status, message, metadata and (unless it failed) its outputs. */
    private ObjectNode outcomeDetail(WorkflowRun view, WorkflowRun run, State outcome, boolean cancelled, ObjectNode outputsRead) {
        ObjectNode outputs = outputsRead;
        ObjectNode detail = Json.object();
        detail.put("uid", run.uid());
        detail.put("workflow", run.workflow());
        detail.put("status", outcome.wire());
        if (run.message() != null) {
            detail.put("message", run.message());
        }
        if (cancelled) {
            detail.put("cancelled", true);
            detail.put("reason", run.cancelReason());
        }
        detail.set("metadata", run.metadata());
        if (outcome != State.ERROR) {
            if (outputs == null) {
                outputs = outputsOf(view, InputPlan.runOutputs(view)); // a run without a parent reads them once it won the claim
            }
            // The whole map by reference when big.
            var ref = offload(view, outputs, "outputs");
            if (ref != null) {
                detail.set(dev.orchestrator.core.Outputs.OUTPUTS_REF, ref.toJson());
            } else {
                detail.set(dev.orchestrator.core.Outputs.OUTPUTS, outputs);
            }
        }
        if (run.parent() != null) {
            ObjectNode parent = detail.putObject("parent");
            parent.put("uid", run.parent().uid());
            parent.put("workflow", run.parent().workflow());
        }
        return detail;
    }

    /** The outcome of a run the engine could not carry on (its item may be unreadable): minimal detail. */
    public void announceFailure(String uid, String workflow, String cause) {
        ObjectNode detail = Json.object();
        detail.put("uid", uid);
        detail.put("workflow", workflow);
        detail.put("status", State.ERROR.wire());
        detail.put("message", cause);
        putOutcome(uid, workflow, FAILED, detail);
        Metrics.count(Metrics.RUNS_FAILED, workflow);
        LOG.info("outcome announced", "status", State.ERROR.wire(), "cause", cause);
    }

    /** Puts one outcome event; any refusal (the call's or its entry's) is an {@link OutcomeNotPut}. */
    private void putOutcome(String uid, String workflow, String detailType, ObjectNode detail) {
        PutEventsResponse r;
        try {
            r = events.get().putEvents(b -> b.entries(PutEventsRequestEntry.builder().eventBusName(settings.busName())
                    .source(EVENT_SOURCE).detailType(detailType).detail(Json.write(detail)).build()));
        } catch (RuntimeException e) {
            throw new OutcomeNotPut("PutEvents failed for the outcome of " + uid + "/" + workflow, e);
        }
        if (r.failedEntryCount() != null && r.failedEntryCount() > 0) {
            throw new OutcomeNotPut("PutEvents refused the outcome of " + uid + "/" + workflow,
                    new IllegalStateException(String.valueOf(r.entries())));
        }
    }

    /** Removes the run's {@code notifiedAt} if it is still the one written at {@code claimedAt}: the next try announces. */
    public boolean releaseNotice(String uid, String workflow, long claimedAt) {
        UpdateBuilder release = new UpdateBuilder();
        release.condition(release.path(List.of(ItemCodec.NOTIFIED_AT)) + " = "
                + release.value(AttributeValue.fromN(Long.toString(claimedAt))));
        release.remove(List.of(ItemCodec.NOTIFIED_AT));
        return store.update(uid, workflow, release, claimedAt);
    }
}
