package dev.orchestrator.core;

import java.util.ArrayList;
import java.util.List;

/**
 * The status table's run index ({@code RunsIndex}): runs by state, newest first, for {@code orchestrator runs}
 * and the console. Only run headers carry its keys (execution and roster items are not in it), and its keys
 * change only when the run's own status does, so a plugin's write or an engine step that leaves the status
 * alone writes no index item. The partition key is spread over {@link #SHARDS} shards by the run's uid, so no
 * partition takes every running run's writes; readers query every shard of a state and merge.
 */
public final class RunIndex {

    private RunIndex() {
    }

    public static final String NAME = "RunsIndex";
    /** {@code <status>#<shard>}. */
    public static final String PARTITION = "runsKey";
    /** When the run entered its status (epoch ms). */
    public static final String SORT = "statusAt";
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
        return status + "#" + shard(uid);
    }

    /** Every partition a state's runs are spread over. */
    public static List<String> partitions(String status) {
        List<String> out = new ArrayList<>(SHARDS);
        for (int i = 0; i < SHARDS; i++) {
            out.add(status + "#" + i);
        }
        return out;
    }
}
