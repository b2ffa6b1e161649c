package dev.orchestrator.core;

import java.util.ArrayList;
import java.util.List;

/**
 * The status table's run index ({@code RunsIndex}): runs by state, newest first, for {@code orchestrator runs}
 * and the console. Only run headers carry its keys (execution and roster items are not in it), and its keys
 * change only when the run's own status does, so a plugin's write or an engine step that leaves the status
 * alone writes no index item. The partition key is spread over {@link #SHARDS} shards by the run's uid, so no
 * partition takes every running run's writes; readers query every shard of a state and merge.
 *
 * <p>Runs that have not ended (Not Started, In Progress) share the {@code active#<shard>} partitions, and their
 * sort key stays the time they became active: the engine's start of a run changes only the entry's projected
 * {@code status}, one index write, where moving it to another key cost a delete and a put. Readers of a pending
 * state query the active partitions and keep the entries in that state (few: only runs in flight are there).
 */
public final class RunIndex {

    private RunIndex() {
    }

    public static final String NAME = "RunsIndex";
    /** {@code <status>#<shard>}, or {@code active#<shard>} for a run that has not ended. */
    public static final String PARTITION = "runsKey";
    /** When the run entered its status, or became active (epoch ms). */
    public static final String SORT = "statusAt";
    /**
     * What the index projects besides its keys and the table's: all that {@code orchestrator runs} and the
     * console's run list show. A change to any of them is an index write, so nothing a plugin writes is here.
     */
    public static final List<String> PROJECTED = List.of(ItemCodec.STATUS, ItemCodec.MESSAGE, ItemCodec.STARTED_AT,
            ItemCodec.ENDED_AT, ItemCodec.PARENT);
    /** The partition prefix of runs that have not ended. */
    public static final String ACTIVE = "active";
    /**
     * Fixed, not a knob: runs already written keep their shard, so changing it would hide them from readers
     * that query the new set. 8 shards give each partition 1/8 of the index writes.
     */
    public static final int SHARDS = 8;

    /** The shard of a run: String.hashCode is defined by the language, so every reader and writer agrees. */
    public static int shard(String uid) {
        return Math.floorMod(uid.hashCode(), SHARDS);
    }

    public static String partition(String status, String uid) {
        return (active(status) ? ACTIVE : status) + "#" + shard(uid);
    }

    /** Whether runs in this status share the active partitions: they have not ended. */
    public static boolean active(String status) {
        for (State s : State.values()) {
            if (s.wire().equals(status)) {
                return s.isPending();
            }
        }
        return false;
    }

    /**
     * Every partition a state's runs may be in: for a pending state the active partitions (readers keep the entries
     * whose {@code status} is the state) and the state's own, where engines before 2026-12-07 kept them.
     */
    public static List<String> partitions(String status) {
        List<String> out = new ArrayList<>(2 * SHARDS);
        for (int i = 0; i < SHARDS; i++) {
            if (active(status)) {
                out.add(ACTIVE + "#" + i);
            }
            out.add(status + "#" + i);
        }
        return out;
    }

    /** The partitions of several states, each once. */
    public static List<String> partitions(List<String> statuses) {
        return statuses.stream().flatMap(s -> partitions(s).stream()).distinct().toList();
    }
}
