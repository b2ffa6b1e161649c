package dev.orchestrator.history;

/** Keys of the history table: partition {@code run} = uid#workflow, sort {@code at} = time#sequence#index. */
public final class HistoryKeys {

    private HistoryKeys() {
    }

    public static String run(String uid, String workflow) {
        return uid + "#" + workflow;
    }

    /** Sorts by time, then by stream order (sequence numbers grow per shard), then by position in the diff. */
    public static String at(long epochMillis, String streamSequence, int index) {
        String seq = streamSequence.length() >= 40 ? streamSequence : "0".repeat(40 - streamSequence.length()) + streamSequence;
        return String.format("%013d#%s#%03d", epochMillis, seq, index);
    }
}
