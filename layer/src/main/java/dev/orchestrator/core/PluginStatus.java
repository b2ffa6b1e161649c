package dev.orchestrator.core;

/**
 * One plugin's entry in a stage: {@code activities.<a>.<stage>.<mandatory|optional>.<plugin>}.
 * {@code order} sorts sequential stages; {@code dispatchedAt} (epoch ms) marks the engine's publish to it;
 * {@code startedAt}/{@code heartbeatAt} are written by its claim and heartbeats, and the engine's
 * execution deadline is the later of them plus the effective timeout; {@code attempt} counts claims;
 * {@code timeout} (s) is the plugin's declared execution timeout; {@code rerunAt} is set by a
 * Schedule / RetryError result (the engine re-publishes to the plugin then) and
 * {@code rerunPublishedAt} records that re-publish. {@code invalid} is not stored: the codec sets it
 * when the stored entry could not be understood (e.g. an unknown state), so the engine repairs it.
 * {@code child} is set when the plugin asked for a child workflow: it ends when that run ends.
 */
public record PluginStatus(State state, int order, String message, Long dispatchedAt,
                           Long startedAt, Long heartbeatAt, int attempt, Integer timeout,
                           Long rerunAt, Long rerunPublishedAt, Long endedAt, String invalid, Child child) {

    /**
     * A child workflow the plugin asked for ({@code request}: the start request as JSON, written by the
     * plugin) and, once the engine started it, the run's key and when; {@code cancelledAt} when the engine
     * asked the child to stop because this entry no longer waits for it.
     */
    public record Child(String request, String uid, String workflow, Long startedAt, Long cancelledAt) {
        public boolean started() {
            return startedAt != null;
        }
    }

    public PluginStatus(State state, int order, String message, Long dispatchedAt, Long startedAt, Long heartbeatAt,
                        int attempt, Integer timeout, Long rerunAt, Long rerunPublishedAt, Long endedAt, String invalid) {
        this(state, order, message, dispatchedAt, startedAt, heartbeatAt, attempt, timeout, rerunAt, rerunPublishedAt,
                endedAt, invalid, null);
    }

    public PluginStatus(State state, int order, String message, Long dispatchedAt) {
        this(state, order, message, dispatchedAt, null, null, 0, null, null, null, null, null);
    }

    public static PluginStatus notStarted(int order) {
        return new PluginStatus(State.NOT_STARTED, order, null, null);
    }

    /** A Not Started entry the engine lists, with the plugin's declared timeout. */
    public static PluginStatus listed(int order, Integer timeout) {
        return new PluginStatus(State.NOT_STARTED, order, null, null, null, null, 0, timeout, null, null, null, null);
    }

    public PluginStatus withState(State newState, String newMessage) {
        return new PluginStatus(newState, order, newMessage, dispatchedAt, startedAt, heartbeatAt, attempt, timeout,
                newState.isTerminal() ? null : rerunAt, rerunPublishedAt, endedAt, null, child);
    }

    public PluginStatus withDispatchedAt(long at) {
        return new PluginStatus(state, order, message, at, startedAt, heartbeatAt, attempt, timeout, rerunAt,
                rerunPublishedAt, endedAt, invalid, child);
    }

    public PluginStatus withRerunPublishedAt(long at) {
        return new PluginStatus(state, order, message, dispatchedAt, startedAt, heartbeatAt, attempt, timeout, rerunAt,
                at, endedAt, invalid, child);
    }

    public PluginStatus withChild(Child newChild) {
        return new PluginStatus(state, order, message, dispatchedAt, startedAt, heartbeatAt, attempt, timeout, rerunAt,
                rerunPublishedAt, endedAt, invalid, newChild);
    }

    /** The last sign of life of a running plugin: its latest heartbeat, else its claim. */
    public Long lastBeat() {
        if (heartbeatAt != null && startedAt != null) {
            return Math.max(heartbeatAt, startedAt);
        }
        return heartbeatAt != null ? heartbeatAt : startedAt;
    }

    /** Waits for a child workflow (requested or running): the child's own deadlines bound it, not this entry's. */
    public boolean awaitingChild() {
        return state == State.IN_PROGRESS && child != null;
    }

    /** Asked to run again later (Schedule / RetryError) and not yet claimed again. */
    public boolean awaitingRerun() {
        return state == State.IN_PROGRESS && rerunAt != null;
    }
}
