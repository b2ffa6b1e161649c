package dev.orchestrator.history;

/** Keys of the history table: partition {@code run} = uid#workflow, sort {@code at} = time#sequence#index ({@link dev.orchestrator.core.HistoryLines#at}). */
public final class HistoryKeys {

    private HistoryKeys() {
    }

    public static String run(String uid, String workflow) {
        return uid + "#" + workflow;
    }
}
