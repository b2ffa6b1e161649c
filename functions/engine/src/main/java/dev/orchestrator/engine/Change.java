package dev.orchestrator.engine;

import dev.orchestrator.core.ItemCodec;
import dev.orchestrator.core.Paths;
import dev.orchestrator.core.Stage;
import dev.orchestrator.core.State;
import java.util.List;

/**
 * One state the engine sets: the run's, an activity's, a stage's or a plugin's, with an optional message
 * (the cause, for operators). Applied in memory by {@link Changes} so consecutive transitions become one write.
 */
public record Change(Level level, String activity, Stage stage, Boolean mandatory, String plugin, State state,
                     String message) {

    public enum Level { RUN, ACTIVITY, STAGE, PLUGIN }

    public static Change workflow(State s) {
        return new Change(Level.RUN, null, null, null, null, s, null);
    }

    public static Change workflow(State s, String message) {
        return new Change(Level.RUN, null, null, null, null, s, message);
    }

    public static Change activity(String activity, State s) {
        return new Change(Level.ACTIVITY, activity, null, null, null, s, null);
    }

    public static Change activity(String activity, State s, String message) {
        return new Change(Level.ACTIVITY, activity, null, null, null, s, message);
    }

    public static Change stage(String activity, Stage stage, State s) {
        return new Change(Level.STAGE, activity, stage, null, null, s, null);
    }

    public static Change plugin(String activity, Stage stage, boolean mandatory, String plugin, State s, String message) {
        return new Change(Level.PLUGIN, activity, stage, mandatory, plugin, s, message);
    }

    /** The path of the entry this change writes (run: the item root). */
    public List<String> entryPath() {
        return switch (level) {
            case RUN -> List.of();
            case ACTIVITY -> Paths.activity(activity);
            case STAGE -> Paths.stage(activity, stage);
            case PLUGIN -> Paths.plugin(activity, stage, mandatory, plugin);
        };
    }

    public List<String> statePath() {
        return Paths.child(entryPath(), level == Level.PLUGIN ? ItemCodec.STATE : ItemCodec.STATUS);
    }

    public List<String> messagePath() {
        return Paths.child(entryPath(), ItemCodec.MESSAGE);
    }
}
