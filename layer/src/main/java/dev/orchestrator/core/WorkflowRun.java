package dev.orchestrator.core;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;

/**
 * One run: the status item keyed by {@code uid} + {@code workflow}. {@code activityOrder} keeps the order
 * the run was started with (the {@code activities} map has none). {@code version} grows with every write,
 * so a conditional write on it proves the writer saw the latest item.
 */
public record WorkflowRun(String uid,
                          String workflow,
                          State status,
                          ObjectNode metadata,
                          List<String> activityOrder,
                          Map<String, ActivityStatus> activities,
                          Integer pluginRegisterTimeout,
                          long version,
                          Long notifiedAt) {

    public WorkflowRun {
        activityOrder = List.copyOf(activityOrder);
        activities = Map.copyOf(activities);
    }

    public ActivityStatus activity(String name) {
        ActivityStatus a = activities.get(name);
        if (a == null) {
            throw new IllegalStateException("run " + uid + "/" + workflow + " has no activity '" + name + "'");
        }
        return a;
    }
}
