package dev.orchestrator.plugin;

import dev.orchestrator.core.ItemCodec;
import dev.orchestrator.core.Paths;
import dev.orchestrator.core.Stage;
import dev.orchestrator.core.State;
import dev.orchestrator.core.StatusStore;
import dev.orchestrator.core.UpdateBuilder;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * A plugin's own status writes: the Java implementation of the wire protocol (docs/protocol.md). A run
 * costs two writes and no read: {@link #claim} (In Progress, conditional, so a duplicate delivery finds
 * the claim taken) and {@link #report} (the outcome). Every write requires the stage to be open, so
 * nothing lands in a stage that already ended.
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

    private static void stageOpen(UpdateBuilder u, StageMessage m) {
        String stagePath = u.path(Paths.child(Paths.stage(m.activity(), m.stage()), ItemCodec.STATUS));
        u.condition(stagePath + " IN (" + u.value(AttributeValue.fromS(State.IN_PROGRESS.wire())) + ", "
                + u.value(AttributeValue.fromS(State.MANDATORY_COMPLETED.wire())) + ")");
    }

    /**
     * Marks the plugin In Progress if the stage is open and the plugin may start: its entry is Not Started
     * (listed, dispatched or released), or In Progress but stale (no heartbeat within {@code timeoutSeconds}:
     * its previous attempt died) or due for a re-run; a plugin the engine did not list joins a parallel
     * stage only while its registration window is open. {@code alwaysRun} plugins may claim a finished entry.
     */
    public Optional<Claim> claim(StageMessage m, String pluginName, boolean mandatory, boolean alwaysRun, int order,
                                 Integer timeoutSeconds, long now) {
        boolean listed = m.statusOf(pluginName) != null;
        Optional<Claim> c = listed || m.stage().sequential()
                ? claimListed(m, pluginName, mandatory, alwaysRun, timeoutSeconds, now)
                : join(m, pluginName, mandatory, order, timeoutSeconds, now);
        if (c.isEmpty() && !listed && !m.stage().sequential()) {
            // The message did not list us, but the entry may exist (listed after this message was built).
            return claimListed(m, pluginName, mandatory, alwaysRun, timeoutSeconds, now);
        }
        return c;
    }

    private Optional<Claim> claimListed(StageMessage m, String pluginName, boolean mandatory, boolean alwaysRun,
                                        Integer timeoutSeconds, long now) {
        UpdateBuilder u = new UpdateBuilder();
        List<String> plugin = Paths.plugin(m.activity(), m.stage(), mandatory, pluginName);
        stageOpen(u, m);
        u.condition("attribute_exists(" + u.path(plugin) + ")");
        if (!alwaysRun) {
            // alwaysRun opts out of the duplicate check (it runs on every delivery); DynamoDB refuses unused
            // placeholders, so this condition's names and values are made only when it is used.
            String state = u.path(Paths.child(plugin, ItemCodec.STATE));
            long staleBefore = now - m.effectiveTimeout(timeoutSeconds) * 1000L;
            u.condition(state + " = " + u.value(AttributeValue.fromS(State.NOT_STARTED.wire()))
                    + " OR (" + state + " = " + u.value(AttributeValue.fromS(State.IN_PROGRESS.wire()))
                    // waiting for a child workflow is not a dead attempt: the child's end decides
                    + " AND attribute_not_exists(" + u.path(Paths.child(plugin, ItemCodec.CHILD)) + ") AND ("
                    + u.path(Paths.child(plugin, ItemCodec.HEARTBEAT_AT)) + " < "
                    + u.value(AttributeValue.fromN(Long.toString(staleBefore))) + " OR "
                    + u.path(Paths.child(plugin, ItemCodec.RERUN_AT)) + " <= "
                    + u.value(AttributeValue.fromN(Long.toString(now))) + "))");
        }
        u.set(Paths.child(plugin, ItemCodec.STATE), AttributeValue.fromS(State.IN_PROGRESS.wire()));
        u.set(Paths.child(plugin, ItemCodec.STARTED_AT), AttributeValue.fromN(Long.toString(now)));
        u.set(Paths.child(plugin, ItemCodec.HEARTBEAT_AT), AttributeValue.fromN(Long.toString(now)));
        u.increment(Paths.child(plugin, ItemCodec.ATTEMPT));
        u.remove(Paths.child(plugin, ItemCodec.RERUN_AT));
        if (timeoutSeconds != null && m.pluginTimeout() == null) {
            u.set(Paths.child(plugin, ItemCodec.TIMEOUT), AttributeValue.fromN(Integer.toString(timeoutSeconds)));
        }
        return store.updateReturning(m.uid(), m.workflow(), u, now).map(StatusReporter::claimFrom);
    }

    private Optional<Claim> join(StageMessage m, String pluginName, boolean mandatory, int order, Integer timeoutSeconds,
                                 long now) {
        UpdateBuilder u = new UpdateBuilder();
        List<String> plugin = Paths.plugin(m.activity(), m.stage(), mandatory, pluginName);
        stageOpen(u, m);
        u.condition("attribute_not_exists(" + u.path(plugin) + ")");
        u.condition(u.path(Paths.child(Paths.stage(m.activity(), m.stage()), ItemCodec.WINDOW_ENDS_AT)) + " > "
                + u.value(AttributeValue.fromN(Long.toString(now))));
        Map<String, AttributeValue> entry = new java.util.LinkedHashMap<>();
        entry.put(ItemCodec.STATE, AttributeValue.fromS(State.IN_PROGRESS.wire()));
        entry.put(ItemCodec.ORDER, AttributeValue.fromN(Integer.toString(order)));
        entry.put(ItemCodec.STARTED_AT, AttributeValue.fromN(Long.toString(now)));
        entry.put(ItemCodec.HEARTBEAT_AT, AttributeValue.fromN(Long.toString(now)));
        entry.put(ItemCodec.ATTEMPT, AttributeValue.fromN("1"));
        if (timeoutSeconds != null) {
            entry.put(ItemCodec.TIMEOUT, AttributeValue.fromN(Integer.toString(timeoutSeconds)));
        }
        u.set(plugin, AttributeValue.fromM(entry));
        return store.updateReturning(m.uid(), m.workflow(), u, now).map(StatusReporter::claimFrom);
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

    private static UpdateBuilder running(StageMessage m, String pluginName, boolean mandatory) {
        UpdateBuilder u = new UpdateBuilder();
        List<String> plugin = Paths.plugin(m.activity(), m.stage(), mandatory, pluginName);
        stageOpen(u, m);
        u.condition(u.path(Paths.child(plugin, ItemCodec.STATE)) + " = " + u.value(AttributeValue.fromS(State.IN_PROGRESS.wire())));
        return u;
    }

    /** Writes the plugin's outcome, only over its own claim in an open stage; the message is cut to 180 characters. */
    public boolean report(StageMessage m, String pluginName, boolean mandatory, State state, String message, long now) {
        UpdateBuilder u = running(m, pluginName, mandatory);
        List<String> plugin = Paths.plugin(m.activity(), m.stage(), mandatory, pluginName);
        u.set(Paths.child(plugin, ItemCodec.STATE), AttributeValue.fromS(state.wire()));
        u.set(Paths.child(plugin, ItemCodec.ENDED_AT), AttributeValue.fromN(Long.toString(now)));
        if (message != null) {
            u.set(Paths.child(plugin, ItemCodec.MESSAGE), AttributeValue.fromS(cut(message)));
        }
        return store.update(m.uid(), m.workflow(), u, now);
    }

    /** Pushes the plugin's execution deadline: it is alive. False when the claim is no longer its own. */
    public boolean heartbeat(StageMessage m, String pluginName, boolean mandatory, long now) {
        UpdateBuilder u = running(m, pluginName, mandatory);
        u.set(Paths.child(Paths.plugin(m.activity(), m.stage(), mandatory, pluginName), ItemCodec.HEARTBEAT_AT),
                AttributeValue.fromN(Long.toString(now)));
        return store.update(m.uid(), m.workflow(), u, now);
    }

    /** Asks the engine to publish to this plugin again at {@code rerunAt} (Schedule / RetryError); it stays In Progress. */
    public boolean rerunAt(StageMessage m, String pluginName, boolean mandatory, long rerunAt, String message, long now) {
        UpdateBuilder u = running(m, pluginName, mandatory);
        List<String> plugin = Paths.plugin(m.activity(), m.stage(), mandatory, pluginName);
        u.set(Paths.child(plugin, ItemCodec.RERUN_AT), AttributeValue.fromN(Long.toString(rerunAt)));
        u.set(Paths.child(plugin, ItemCodec.HEARTBEAT_AT), AttributeValue.fromN(Long.toString(now)));
        if (message != null) {
            u.set(Paths.child(plugin, ItemCodec.MESSAGE), AttributeValue.fromS(cut(message)));
        }
        return store.update(m.uid(), m.workflow(), u, now);
    }

    /**
     * Asks the engine to start a child workflow for this plugin ({@code requestJson}: workflow, activities and
     * optional metadata / timeouts, as in a start request). The plugin stays In Progress; the engine reports the
     * child's outcome into this entry. Once per claim: a second request finds the first.
     */
    public boolean startChild(StageMessage m, String pluginName, boolean mandatory, String workflow, String requestJson,
                              long now) {
        UpdateBuilder u = running(m, pluginName, mandatory);
        List<String> plugin = Paths.plugin(m.activity(), m.stage(), mandatory, pluginName);
        u.condition("attribute_not_exists(" + u.path(Paths.child(plugin, ItemCodec.CHILD)) + ")");
        u.set(Paths.child(plugin, ItemCodec.CHILD), AttributeValue.fromM(Map.of(ItemCodec.REQUEST, AttributeValue.fromS(requestJson))));
        u.set(Paths.child(plugin, ItemCodec.HEARTBEAT_AT), AttributeValue.fromN(Long.toString(now)));
        u.set(Paths.child(plugin, ItemCodec.MESSAGE), AttributeValue.fromS(cut("waiting for child workflow " + workflow)));
        return store.update(m.uid(), m.workflow(), u, now);
    }

    /** Gives the claim back (Not Started), so a re-delivery of the message may claim it at once. */
    public boolean release(StageMessage m, String pluginName, boolean mandatory, String why, long now) {
        UpdateBuilder u = running(m, pluginName, mandatory);
        List<String> plugin = Paths.plugin(m.activity(), m.stage(), mandatory, pluginName);
        u.set(Paths.child(plugin, ItemCodec.STATE), AttributeValue.fromS(State.NOT_STARTED.wire()));
        if (why != null) {
            u.set(Paths.child(plugin, ItemCodec.MESSAGE), AttributeValue.fromS(cut("released: " + why)));
        }
        return store.update(m.uid(), m.workflow(), u, now);
    }

    public static String cut(String message) {
        return dev.orchestrator.core.Names.cut(message, MAX_MESSAGE);
    }

    static boolean isSequential(Stage stage) {
        return stage.sequential();
    }
}
