package dev.orchestrator.plugin;

import dev.orchestrator.core.ItemCodec;
import dev.orchestrator.core.Keys;
import dev.orchestrator.core.Outputs;
import dev.orchestrator.core.Stage;
import dev.orchestrator.core.State;
import dev.orchestrator.core.StatusStore;
import dev.orchestrator.core.UpdateBuilder;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * A plugin's own status writes: the Java implementation of the wire protocol v3 (docs/protocol.md). Every
 * write goes to the plugin's own execution item ({@link Keys.Execution}: key {@code ~<plugin>~<uid>} +
 * {@code <workflow>␟<activity>␟<stage>}), whose size does not depend on how many plugins the run has. A run
 * costs two writes and no read: {@link #claim} (creates or re-claims the item, conditionally, so a duplicate
 * delivery finds the claim taken) and {@link #report}. Whether the stage was still open, and whether an
 * unlisted plugin joined inside the registration window, is judged by the engine from the table's own clock
 * (the stream record), never from the plugin's.
 */
public final class StatusReporter {

    /** Status messages are cut to this many characters (the seed's limit). */
    public static final int MAX_MESSAGE = 180;

    private final StatusStore store;

    public StatusReporter(StatusStore store) {
        this.store = store;
    }

    /** What a successful claim learned: which attempt this is. */
    public record Claim(int attempt) {
    }

    static Keys.Execution execution(StageMessage m, String pluginName) {
        return new Keys.Execution(pluginName, m.uid(), m.workflow(), m.activity(), m.stage(), m.index());
    }

    private static List<String> at(String name) {
        return List.of(name);
    }

    /**
     * Marks the plugin In Progress: its execution item does not exist yet (first claim, listed or joining), or
     * is Not Started (dispatched or released), or In Progress but stale (no heartbeat within the timeout: its
     * previous attempt died) or due for a re-run. {@code alwaysRun} plugins claim whatever the item says.
     */
    public Optional<Claim> claim(StageMessage m, String pluginName, boolean mandatory, boolean alwaysRun, int order,
                                 Integer timeoutSeconds, long now) {
        UpdateBuilder u = new UpdateBuilder().mayCreate();
        if (!alwaysRun) {
            String state = u.path(at(ItemCodec.STATE));
            long staleBefore = now - m.effectiveTimeout(timeoutSeconds) * 1000L;
            u.condition("attribute_not_exists(" + state + ") OR " + state + " = " + u.value(AttributeValue.fromS(State.NOT_STARTED.wire()))
                    + " OR (" + state + " = " + u.value(AttributeValue.fromS(State.IN_PROGRESS.wire()))
                    // waiting for a child workflow is not a dead attempt: the child's end decides
                    + " AND attribute_not_exists(" + u.path(at(ItemCodec.CHILD)) + ") AND ("
                    + u.path(at(ItemCodec.HEARTBEAT_AT)) + " < " + u.value(AttributeValue.fromN(Long.toString(staleBefore)))
                    + " OR " + u.path(at(ItemCodec.RERUN_AT)) + " <= " + u.value(AttributeValue.fromN(Long.toString(now))) + "))");
        }
        AttributeValue nowV = AttributeValue.fromN(Long.toString(now));
        u.set(at(ItemCodec.STATE), AttributeValue.fromS(State.IN_PROGRESS.wire()));
        u.set(at(ItemCodec.STARTED_AT), nowV);
        u.set(at(ItemCodec.HEARTBEAT_AT), nowV);
        u.increment(at(ItemCodec.ATTEMPT));
        u.remove(at(ItemCodec.RERUN_AT));
        u.set(at(ItemCodec.MANDATORY), AttributeValue.fromBool(mandatory));
        u.setIfNotExists(at(ItemCodec.ORDER), AttributeValue.fromN(Integer.toString(order)));
        u.setIfNotExists(at(ItemCodec.RUN_UID), AttributeValue.fromS(m.uid()));
        u.setIfNotExists(at(ItemCodec.RUN_WORKFLOW), AttributeValue.fromS(m.workflow()));
        u.setIfNotExists(at(ItemCodec.ACTIVITY), AttributeValue.fromS(m.activity()));
        u.setIfNotExists(at(ItemCodec.STAGE), AttributeValue.fromS(m.stage().wireName()));
        if (m.expiresAt() != null) {
            u.setIfNotExists(at(ItemCodec.EXPIRES_AT), AttributeValue.fromN(Long.toString(m.expiresAt())));
        }
        if (timeoutSeconds != null && m.pluginTimeout() == null) {
            u.set(at(ItemCodec.TIMEOUT), AttributeValue.fromN(Integer.toString(timeoutSeconds)));
        }
        try {
            var r = store.client().updateItem(u.returnUpdatedNew().build(store.table(), execution(m, pluginName).uidKey(),
                    execution(m, pluginName).sortKey(), now));
            return Optional.of(claimFrom(r.attributes()));
        } catch (software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException taken) {
            return Optional.empty();
        }
    }

    private static Claim claimFrom(Map<String, AttributeValue> updated) {
        // UPDATED_NEW returns the written paths nested as in the item; find the attempt number.
        AttributeValue v = find(updated, ItemCodec.ATTEMPT);
        return new Claim(v != null && v.n() != null ? Integer.parseInt(v.n()) : 1);
    }

    private static AttributeValue find(Map<String, AttributeValue> m, String name) {
        if (m == null) {
            return null;
        }
        if (m.containsKey(name)) {
            return m.get(name);
        }
        for (AttributeValue v : m.values()) {
            if (v.hasM()) {
                AttributeValue found = find(v.m(), name);
                if (found != null) {
                    return found;
                }
            }
        }
        return null;
    }

    private static UpdateBuilder running() {
        UpdateBuilder u = new UpdateBuilder();
        u.condition(u.path(at(ItemCodec.STATE)) + " = " + u.value(AttributeValue.fromS(State.IN_PROGRESS.wire())));
        return u;
    }

    private boolean write(StageMessage m, String pluginName, UpdateBuilder u, long now) {
        return store.updateExecution(execution(m, pluginName), u, now);
    }

    /** Writes the plugin's outcome, only over its own running claim; the message is cut to 180 characters. */
    public boolean report(StageMessage m, String pluginName, boolean mandatory, State state, String message, long now) {
        UpdateBuilder u = running();
        u.set(at(ItemCodec.STATE), AttributeValue.fromS(state.wire()));
        u.set(at(ItemCodec.ENDED_AT), AttributeValue.fromN(Long.toString(now)));
        if (message != null) {
            u.set(at(ItemCodec.MESSAGE), AttributeValue.fromS(cut(message)));
        }
        return write(m, pluginName, u, now);
    }

    /**
     * Writes Complete with an output: inline ({@code outputJson}, the object's JSON text, as attribute
     * {@code output}) or as a reference ({@code outputRef}); in the same single UpdateItem as the state.
     */
    public boolean complete(StageMessage m, String pluginName, String outputJson, Outputs.Ref outputRef, long now) {
        UpdateBuilder u = running();
        u.set(at(ItemCodec.STATE), AttributeValue.fromS(State.COMPLETE.wire()));
        u.set(at(ItemCodec.ENDED_AT), AttributeValue.fromN(Long.toString(now)));
        if (outputRef != null) {
            u.set(at(Outputs.OUTPUT_REF), outputRef.toAttribute());
            u.remove(at(Outputs.OUTPUT));
        } else if (outputJson != null) {
            u.set(at(Outputs.OUTPUT), AttributeValue.fromS(outputJson));
            u.remove(at(Outputs.OUTPUT_REF));
        }
        return write(m, pluginName, u, now);
    }

    /** Pushes the plugin's execution deadline: it is alive. False when the claim is no longer its own. */
    public boolean heartbeat(StageMessage m, String pluginName, boolean mandatory, long now) {
        UpdateBuilder u = running();
        u.set(at(ItemCodec.HEARTBEAT_AT), AttributeValue.fromN(Long.toString(now)));
        return write(m, pluginName, u, now);
    }

    /** Asks the engine to publish to this plugin again at {@code rerunAt} (Schedule / RetryError); it stays In Progress. */
    public boolean rerunAt(StageMessage m, String pluginName, boolean mandatory, long rerunAt, String message, long now) {
        UpdateBuilder u = running();
        u.set(at(ItemCodec.RERUN_AT), AttributeValue.fromN(Long.toString(rerunAt)));
        u.set(at(ItemCodec.HEARTBEAT_AT), AttributeValue.fromN(Long.toString(now)));
        if (message != null) {
            u.set(at(ItemCodec.MESSAGE), AttributeValue.fromS(cut(message)));
        }
        return write(m, pluginName, u, now);
    }

    /**
     * Asks the engine to start a child workflow for this plugin ({@code requestJson}: workflow, activities and
     * optional metadata / timeouts, as in a start request). The plugin stays In Progress; the engine reports the
     * child's outcome into this entry. Once per claim: a second request finds the first.
     */
    public boolean startChild(StageMessage m, String pluginName, boolean mandatory, String workflow, String requestJson,
                              long now) {
        UpdateBuilder u = running();
        u.condition("attribute_not_exists(" + u.path(at(ItemCodec.CHILD)) + ")");
        u.set(at(ItemCodec.CHILD), AttributeValue.fromM(Map.of(ItemCodec.REQUEST, AttributeValue.fromS(requestJson))));
        u.set(at(ItemCodec.HEARTBEAT_AT), AttributeValue.fromN(Long.toString(now)));
        u.set(at(ItemCodec.MESSAGE), AttributeValue.fromS(cut("waiting for child workflow " + workflow)));
        return write(m, pluginName, u, now);
    }

    /** Gives the claim back (Not Started), so a re-delivery of the message may claim it at once. */
    public boolean release(StageMessage m, String pluginName, boolean mandatory, String why, long now) {
        UpdateBuilder u = running();
        u.set(at(ItemCodec.STATE), AttributeValue.fromS(State.NOT_STARTED.wire()));
        if (why != null) {
            u.set(at(ItemCodec.MESSAGE), AttributeValue.fromS(cut("released: " + why)));
        }
        return write(m, pluginName, u, now);
    }

    public static String cut(String message) {
        return dev.orchestrator.core.Names.cut(message, MAX_MESSAGE);
    }

    static boolean isSequential(Stage stage) {
        return stage.sequential();
    }
}
