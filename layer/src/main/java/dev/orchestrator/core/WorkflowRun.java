package dev.orchestrator.core;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One run: the status item keyed by {@code uid} + {@code workflow}. {@code activityOrder} keeps the order
 * the run was started with; {@code dependsOn} (null for a plain list) makes the activities a DAG. A plain
 * list means each activity depends on the one before it. {@code version} grows with every write, so a
 * conditional write on it proves the writer saw the latest item.
 */
public record WorkflowRun(String uid,
                          String workflow,
                          State status,
                          ObjectNode metadata,
                          List<String> activityOrder,
                          Map<String, ActivityStatus> activities,
                          Integer pluginRegisterTimeout,
                          long version,
                          Long notifiedAt,
                          Map<String, List<String>> dependsOn,
                          Integer pluginTimeout,
                          Integer startTimeout,
                          List<String> filterAttributes,
                          String message,
                          String cancelReason,
                          Long wakeAt,
                          Long startedAt,
                          Long endedAt,
                          Parent parent,
                          String startInputs) {

    /** The plugin entry of another run that started this one as its child; it ends when this run ends. */
    public record Parent(String uid, String workflow, String activity, Stage stage, boolean mandatory, String plugin) {
    }

    public WorkflowRun {
        activityOrder = List.copyOf(activityOrder);
        activities = Map.copyOf(activities);
        if (dependsOn != null) {
            Map<String, List<String>> copy = new LinkedHashMap<>();
            dependsOn.forEach((k, v) -> copy.put(k, List.copyOf(v)));
            dependsOn = java.util.Collections.unmodifiableMap(copy);
        }
        filterAttributes = filterAttributes == null ? null : List.copyOf(filterAttributes);
    }

    /**
     * A run without start inputs. {@code startInputs}, when set, names the item holding the inputs the run was
     * started with ({@link Keys#startInputsItem}): a digest of them, so a resume with other inputs names another item.
     */
    public WorkflowRun(String uid, String workflow, State status, ObjectNode metadata, List<String> activityOrder,
                       Map<String, ActivityStatus> activities, Integer pluginRegisterTimeout, long version,
                       Long notifiedAt, Map<String, List<String>> dependsOn, Integer pluginTimeout, Integer startTimeout,
                       List<String> filterAttributes, String message, String cancelReason, Long wakeAt, Long startedAt,
                       Long endedAt, Parent parent) {
        this(uid, workflow, status, metadata, activityOrder, activities, pluginRegisterTimeout, version, notifiedAt,
                dependsOn, pluginTimeout, startTimeout, filterAttributes, message, cancelReason, wakeAt, startedAt, endedAt,
                parent, null);
    }

    public WorkflowRun(String uid, String workflow, State status, ObjectNode metadata, List<String> activityOrder,
                       Map<String, ActivityStatus> activities, Integer pluginRegisterTimeout, long version,
                       Long notifiedAt) {
        this(uid, workflow, status, metadata, activityOrder, activities, pluginRegisterTimeout, version, notifiedAt,
                null, null, null, null, null, null, null, null, null, null);
    }

    public ActivityStatus activity(String name) {
        ActivityStatus a = activities.get(name);
        if (a == null) {
            throw new IllegalStateException("run " + uid + "/" + workflow + " has no activity '" + name + "'");
        }
        return a;
    }

    /** What an activity waits for: its dependsOn, or for a plain list the activity before it. */
    public List<String> dependenciesOf(String activity) {
        if (dependsOn != null) {
            return dependsOn.getOrDefault(activity, List.of());
        }
        int i = activityOrder.indexOf(activity);
        return i <= 0 ? List.of() : List.of(activityOrder.get(i - 1));
    }

    public WorkflowRun withActivity(String name, ActivityStatus a) {
        Map<String, ActivityStatus> copy = new LinkedHashMap<>(activities);
        copy.put(name, a);
        return new WorkflowRun(uid, workflow, status, metadata, activityOrder, copy, pluginRegisterTimeout, version,
                notifiedAt, dependsOn, pluginTimeout, startTimeout, filterAttributes, message, cancelReason, wakeAt,
                startedAt, endedAt, parent, startInputs);
    }

    public WorkflowRun withStatus(State newStatus, String newMessage) {
        return new WorkflowRun(uid, workflow, newStatus, metadata, activityOrder, activities, pluginRegisterTimeout,
                version, notifiedAt, dependsOn, pluginTimeout, startTimeout, filterAttributes,
                newMessage != null ? newMessage : message, cancelReason, wakeAt, startedAt, endedAt, parent, startInputs);
    }

    public WorkflowRun withVersion(long newVersion) {
        return new WorkflowRun(uid, workflow, status, metadata, activityOrder, activities, pluginRegisterTimeout,
                newVersion, notifiedAt, dependsOn, pluginTimeout, startTimeout, filterAttributes, message, cancelReason,
                wakeAt, startedAt, endedAt, parent, startInputs);
    }
}
