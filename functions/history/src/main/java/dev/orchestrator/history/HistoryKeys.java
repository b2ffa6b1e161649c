package dev.orchestrator.history;

/** Keys of the history table: partition {@code run} = uid#workflow, sort {@code at} = time#sequence#index. */
public final class HistoryKeys {

    private HistoryKeys() {
    }

    public static String run(String uid, String workflow) {
        return uid + "#" + workflow;
    }

    /** Sorts by time, then by stream order, then by position in the diff ({@link dev.orchestrator.core.HistoryLines#at}). */
    public static String at(long epochMillis, String streamSequence, int index) {
        return dev.orchestrator.core.HistoryLines.at(epochMillis, streamSequence, index);
    }
}
