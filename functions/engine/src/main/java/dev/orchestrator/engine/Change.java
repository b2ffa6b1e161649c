package dev.orchestrator.engine;

import dev.orchestrator.core.ItemCodec;
import dev.orchestrator.core.Paths;
import dev.orchestrator.core.Stage;
import dev.orchestrator.core.State;
import java.util.List;

/** One state attribute the engine sets: the run's, an activity's, a stage's or a plugin's. */
public record Change(List<String> statePath, State state, String message) {

    public static Change workflow(State s) {
        return new Change(List.of(ItemCodec.STATUS), s, null);
    }

    public static Change activity(String activity, State s) {
        return new Change(Paths.child(Paths.activity(activity), ItemCodec.STATUS), s, null);
    }

    public static Change stage(String activity, Stage stage, State s) {
        return new Change(Paths.child(Paths.stage(activity, stage), ItemCodec.STATUS), s, null);
    }

    public static Change plugin(String activity, Stage stage, boolean mandatory, String plugin, State s, String message) {
        return new Change(Paths.child(Paths.plugin(activity, stage, mandatory, plugin), ItemCodec.STATE), s, message);
    }

    /** Where a plugin change's message goes (next to its state). */
    public List<String> messagePath() {
        return Paths.child(statePath.subList(0, statePath.size() - 1), ItemCodec.MESSAGE);
    }
}
