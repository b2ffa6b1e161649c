package dev.orchestrator.engine;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.orchestrator.core.ItemCodec;
import dev.orchestrator.core.Json;
import dev.orchestrator.core.Paths;
import dev.orchestrator.core.PluginRegistration;
import dev.orchestrator.core.PluginRegistry;
import dev.orchestrator.core.PluginStatus;
import dev.orchestrator.core.StageStatus;
import dev.orchestrator.core.State;
import dev.orchestrator.core.StatusStore;
import dev.orchestrator.core.Topics;
import dev.orchestrator.core.UpdateBuilder;
import dev.orchestrator.core.WorkflowRun;
import dev.orchestrator.plugin.StageMessage;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.eventbridge.model.PutEventsRequestEntry;
import software.amazon.awssdk.services.eventbridge.model.PutEventsResponse;
import software.amazon.awssdk.services.sns.SnsClient;
import software.amazon.awssdk.services.sns.model.MessageAttributeValue;

/**
 * Carries out one {@link Step}. State changes are conditional writes; side effects (publish, timer,
 * event) happen before the write that records them, so a crash in between repeats the side effect
 * (plugins are idempotent) instead of losing it.
 */
public final class Executor {

    /** Source of the events the engine puts on the stack's bus. */
    public static final String EVENT_SOURCE = "orchestrator";
    public static final String COMPLETED = "Workflow Completed";
    public static final String FAILED = "Workflow Failed";

    private final StatusStore store;
    private final PluginRegistry registry;
    private final SnsClient sns;
    private final EventBridgeClient events;
    private final Timers timers;
    private final String topicArnPrefix;
    private final String busName;
    private final int defaultWindowSeconds;

    public Executor(StatusStore store, PluginRegistry registry, SnsClient sns, EventBridgeClient events, Timers timers,
                    String topicArnPrefix, String busName, int defaultWindowSeconds) {
        this.store = store;
        this.registry = registry;
        this.sns = sns;
        this.events = events;
        this.timers = timers;
        this.topicArnPrefix = topicArnPrefix;
        this.busName = busName;
        this.defaultWindowSeconds = defaultWindowSeconds;
    }

    /** Returns true when the step changed the run (so planning again may find more to do). */
    public boolean execute(WorkflowRun run, Step step, long now) {
        if (step instanceof Step.Transition t) {
            return transition(run, t.changes(), now);
        }
        if (step instanceof Step.EnterStage e) {
            return enterStage(run, e, now);
        }
        if (step instanceof Step.Dispatch d) {
            return dispatch(run, d, now);
        }
        if (step instanceof Step.PublishParallel p) {
            return publishParallel(run, p, now);
        }
        if (step instanceof Step.Notify n) {
            return notifyOutcome(run, n, now);
        }
        return false; // Idle
    }

    private boolean transition(WorkflowRun run, List<Change> changes, long now) {
        UpdateBuilder u = new UpdateBuilder().expectVersion(run.version());
        apply(u, changes);
        return store.update(run.uid(), run.workflow(), u, now);
    }

    private static void apply(UpdateBuilder u, List<Change> changes) {
        for (Change c : changes) {
            u.set(c.statePath(), AttributeValue.fromS(c.state().wire()));
            if (c.message() != null) {
                u.set(c.messagePath(), AttributeValue.fromS(c.message()));
            }
        }
    }

    private boolean enterStage(WorkflowRun run, Step.EnterStage e, long now) {
        StageStatus current = run.activity(e.activity()).stage(e.stage());
        List<PluginRegistration> registered = registry.plugins(e.activity(), e.stage());
        int window = windowSeconds(run, registered);
        UpdateBuilder u = new UpdateBuilder().expectVersion(run.version());
        apply(u, e.alsoSet());
        u.set(Paths.child(Paths.stage(e.activity(), e.stage()), ItemCodec.STATUS), AttributeValue.fromS(State.IN_PROGRESS.wire()));
        u.set(Paths.child(Paths.stage(e.activity(), e.stage()), ItemCodec.WINDOW_SECONDS), AttributeValue.fromN(Integer.toString(window)));
        if (!e.stage().sequential()) {
            u.set(Paths.child(Paths.stage(e.activity(), e.stage()), ItemCodec.WINDOW_ENDS_AT),
                    AttributeValue.fromN(Long.toString(now + window * 1000L)));
        }
        for (PluginRegistration r : registered) {
            // Parallel stages list only mandatory plugins up front; optional ones join by registering.
            boolean listed = e.stage().sequential() || r.mandatory();
            boolean known = current.mandatory().containsKey(r.pluginName()) || current.optional().containsKey(r.pluginName());
            if (listed && !known) {
                u.set(Paths.plugin(e.activity(), e.stage(), r.mandatory(), r.pluginName()),
                        ItemCodec.plugin(PluginStatus.notStarted(r.order())));
            }
        }
        return store.update(run.uid(), run.workflow(), u, now);
    }

    private int windowSeconds(WorkflowRun run, List<PluginRegistration> registered) {
        if (run.pluginRegisterTimeout() != null) {
            return run.pluginRegisterTimeout();
        }
        return registered.stream().map(PluginRegistration::pluginRegisterTimeout)
                .filter(t -> t != null && t > 0).max(Integer::compare).orElse(defaultWindowSeconds);
    }

    private boolean dispatch(WorkflowRun run, Step.Dispatch d, long now) {
        StageStatus s = run.activity(d.activity()).stage(d.stage());
        boolean mandatory = s.mandatory().containsKey(d.plugin());
        StageMessage message = message(run, d.activity(), d.stage(), d.plugin(), null, s);
        publish(message);
        timers.wakeAt(run.uid(), run.workflow(), now + d.windowSeconds() * 1000L + 1, now);
        UpdateBuilder u = new UpdateBuilder();
        List<String> plugin = Paths.plugin(d.activity(), d.stage(), mandatory, d.plugin());
        u.condition(u.path(Paths.child(plugin, ItemCodec.STATE)) + " = " + u.value(AttributeValue.fromS(State.NOT_STARTED.wire())));
        u.condition("attribute_not_exists(" + u.path(Paths.child(plugin, ItemCodec.DISPATCHED_AT)) + ")");
        u.set(Paths.child(plugin, ItemCodec.DISPATCHED_AT), AttributeValue.fromN(Long.toString(now)));
        return store.update(run.uid(), run.workflow(), u, now);
    }

    private boolean publishParallel(WorkflowRun run, Step.PublishParallel p, long now) {
        var stage = dev.orchestrator.core.Stage.PARALLEL;
        StageStatus s = run.activity(p.activity()).stage(stage);
        publish(message(run, p.activity(), stage, null, p.windowEndsAt(), s));
        timers.wakeAt(run.uid(), run.workflow(), p.windowEndsAt(), now);
        UpdateBuilder u = new UpdateBuilder();
        List<String> stagePath = Paths.stage(p.activity(), stage);
        u.condition("attribute_not_exists(" + u.path(Paths.child(stagePath, ItemCodec.PUBLISHED_AT)) + ")");
        u.set(Paths.child(stagePath, ItemCodec.PUBLISHED_AT), AttributeValue.fromN(Long.toString(now)));
        u.set(Paths.child(stagePath, ItemCodec.WINDOW_ENDS_AT), AttributeValue.fromN(Long.toString(p.windowEndsAt())));
        return store.update(run.uid(), run.workflow(), u, now);
    }

    private StageMessage message(WorkflowRun run, String activity, dev.orchestrator.core.Stage stage, String plugin,
                                 Long windowEndsAt, StageStatus s) {
        return new StageMessage(run.uid(), run.workflow(), activity, stage, plugin, run.metadata(), windowEndsAt,
                s.mandatory(), s.optional());
    }

    private void publish(StageMessage message) {
        Map<String, MessageAttributeValue> attributes = new LinkedHashMap<>();
        message.attributes().forEach((k, v) ->
                attributes.put(k, MessageAttributeValue.builder().dataType("String").stringValue(v).build()));
        sns.publish(b -> b.topicArn(Topics.arn(topicArnPrefix, message.activity(), message.stage()))
                .message(Json.write(message.toJson()))
                .messageAttributes(attributes));
    }

    private boolean notifyOutcome(WorkflowRun run, Step.Notify n, long now) {
        ObjectNode detail = Json.object();
        detail.put("uid", run.uid());
        detail.put("workflow", run.workflow());
        detail.put("status", n.outcome().wire());
        detail.set("metadata", run.metadata());
        PutEventsResponse r = events.putEvents(b -> b.entries(PutEventsRequestEntry.builder()
                .eventBusName(busName)
                .source(EVENT_SOURCE)
                .detailType(n.outcome() == State.ERROR ? FAILED : COMPLETED)
                .detail(Json.write(detail))
                .build()));
        if (r.failedEntryCount() != null && r.failedEntryCount() > 0) {
            throw new IllegalStateException("PutEvents refused the outcome of " + run.uid() + "/" + run.workflow()
                    + ": " + r.entries());
        }
        UpdateBuilder u = new UpdateBuilder();
        u.condition("attribute_not_exists(" + u.path(List.of(ItemCodec.NOTIFIED_AT)) + ")");
        u.set(List.of(ItemCodec.NOTIFIED_AT), AttributeValue.fromN(Long.toString(now)));
        return store.update(run.uid(), run.workflow(), u, now);
    }
}
