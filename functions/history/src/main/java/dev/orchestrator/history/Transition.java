package dev.orchestrator.history;

/**
 * One change of a run, as the history records it.
 *
 * @param scope    run, activity, stage or plugin
 * @param event    what happened: {@code created}, {@code state} (from -> to), {@code dispatched},
 *                 {@code rerun scheduled}, {@code cancel requested}, {@code deleted}
 * @param from     previous state (null when there was none)
 * @param to       new state (null when the entry went away)
 * @param message  the cause the item gives at that moment (run/activity/stage/plugin {@code message})
 */
public record Transition(String scope, String activity, String stage, String plugin,
                         String event, String from, String to, String message) {

    public static final String RUN = "run";
    public static final String ACTIVITY = "activity";
    public static final String STAGE = "stage";
    public static final String PLUGIN = "plugin";

    /** Where in the run ({@link dev.orchestrator.core.HistoryLines#path}). */
    public String path() {
        return dev.orchestrator.core.HistoryLines.path(activity, stage, plugin);
    }
}
