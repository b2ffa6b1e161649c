package dev.orchestrator.plugin;

import dev.orchestrator.core.ItemCodec;
import dev.orchestrator.core.Paths;
import dev.orchestrator.core.Stage;
import dev.orchestrator.core.State;
import dev.orchestrator.core.StatusStore;
import dev.orchestrator.core.UpdateBuilder;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * A plugin's own status writes. A run costs two writes and no read: {@link #claim} (In Progress,
 * conditional, so a duplicate delivery finds the claim taken) and {@link #report} (the outcome).
 */
public final class StatusReporter {

    /** Status messages are cut to this many characters (the seed's limit). */
    public static final int MAX_MESSAGE = 180;

    private final StatusStore store;

    public StatusReporter(StatusStore store) {
        this.store = store;
    }

    /**
     * Marks the plugin In Progress if the stage is open and the plugin may start: not already claimed
     * or finished (unless {@code alwaysRun}); a plugin the engine did not list joins a parallel stage
     * only while its registration window is open.
     */
    public boolean claim(StageMessage m, String pluginName, boolean mandatory, boolean alwaysRun, int order, long now) {
        UpdateBuilder u = new UpdateBuilder();
        List<String> stage = Paths.stage(m.activity(), m.stage());
        List<String> plugin = Paths.plugin(m.activity(), m.stage(), mandatory, pluginName);
        String stagePath = u.path(Paths.child(stage, ItemCodec.STATUS));
        String pluginPath = u.path(plugin);
        u.condition(stagePath + " IN (" + u.value(AttributeValue.fromS(State.IN_PROGRESS.wire())) + ", "
                + u.value(AttributeValue.fromS(State.MANDATORY_COMPLETED.wire())) + ")");
        if (!alwaysRun) {
            // Placeholders only where used: DynamoDB refuses unused expression attribute names.
            String statePath = u.path(Paths.child(plugin, ItemCodec.STATE));
            u.condition("attribute_not_exists(" + pluginPath + ") OR " + statePath + " = "
                    + u.value(AttributeValue.fromS(State.NOT_STARTED.wire())));
        }
        if (m.stage() == Stage.PARALLEL) {
            u.condition("attribute_exists(" + pluginPath + ") OR "
                    + u.path(Paths.child(stage, ItemCodec.WINDOW_ENDS_AT)) + " > "
                    + u.value(AttributeValue.fromN(Long.toString(now))));
        } else {
            u.condition("attribute_exists(" + pluginPath + ")");
        }
        u.set(plugin, AttributeValue.fromM(Map.of(
                ItemCodec.STATE, AttributeValue.fromS(State.IN_PROGRESS.wire()),
                ItemCodec.ORDER, AttributeValue.fromN(Integer.toString(order)),
                "startedAt", AttributeValue.fromN(Long.toString(now)))));
        return store.update(m.uid(), m.workflow(), u, now);
    }

    /** Writes the plugin's outcome; the message is cut to {@value #MAX_MESSAGE} characters. */
    public boolean report(StageMessage m, String pluginName, boolean mandatory, State state, String message, long now) {
        UpdateBuilder u = new UpdateBuilder();
        List<String> plugin = Paths.plugin(m.activity(), m.stage(), mandatory, pluginName);
        u.condition("attribute_exists(" + u.path(plugin) + ")");
        u.set(Paths.child(plugin, ItemCodec.STATE), AttributeValue.fromS(state.wire()));
        if (message != null) {
            u.set(Paths.child(plugin, ItemCodec.MESSAGE), AttributeValue.fromS(cut(message)));
        }
        return store.update(m.uid(), m.workflow(), u, now);
    }

    public static String cut(String message) {
        return message.length() <= MAX_MESSAGE ? message : message.substring(0, MAX_MESSAGE);
    }
}
