package dev.orchestrator.core;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/** Status item <-> {@link WorkflowRun}. The attribute names here are the wire format (seed names). */
public final class ItemCodec {

    public static final String UID = "uid";
    public static final String WORKFLOW = "workflow";
    public static final String STATUS = "status";
    public static final String METADATA = "metadata";
    public static final String ACTIVITY_ORDER = "activityOrder";
    public static final String ACTIVITIES = "activities";
    public static final String REGISTER_TIMEOUT = "pluginRegisterTimeout";
    public static final String VERSION = "version";
    public static final String NOTIFIED_AT = "notifiedAt";
    /** Why the engine could not carry a run on, when it announced a run another writer had ended (EngineHandler.failRun). */
    public static final String NOTIFY_ERROR = "notifyError";
    public static final String UPDATED_AT = "updatedAt";
    public static final String MANDATORY = "mandatory";
    public static final String OPTIONAL = "optional";
    public static final String STATE = "state";
    public static final String ORDER = "order";
    public static final String MESSAGE = "message";
    public static final String DISPATCHED_AT = "dispatchedAt";
    public static final String WINDOW_SECONDS = "windowSeconds";
    public static final String PUBLISHED_AT = "publishedAt";
    public static final String WINDOW_ENDS_AT = "windowEndsAt";
    public static final String DEPENDS_ON = "dependsOn";
    public static final String PLUGIN_TIMEOUT = "pluginTimeout";
    public static final String START_TIMEOUT = "startTimeout";
    public static final String FILTER_ATTRIBUTES = "filterAttributes";
    public static final String CANCEL_REQUESTED = "cancelRequested";
    public static final String REASON = "reason";
    public static final String AT = "at";
    public static final String WAKE_AT = "wakeAt";
    public static final String WOKEN_AT = "wokenAt";
    public static final String STARTED_AT = "startedAt";
    public static final String ENDED_AT = "endedAt";
    public static final String HEARTBEAT_AT = "heartbeatAt";
    public static final String ATTEMPT = "attempt";
    public static final String TIMEOUT = "timeout";
    public static final String RERUN_AT = "rerunAt";
    public static final String RERUN_PUBLISHED_AT = "rerunPublishedAt";
    public static final String PARENT = "parent";
    /** Header: the digest naming the item that holds the run's start inputs ({@link Keys#startInputsItem}). */
    public static final String START_INPUTS = "startInputs";
    public static final String CHILD = "child";
    public static final String REQUEST = "request";
    public static final String CANCELLED_AT = "cancelledAt";
    public static final String ACTIVITY = "activity";
    public static final String STAGE = "stage";
    public static final String PLUGIN = "plugin";
    /** Header: the version under which an entered stage's roster (its listed plugins) was written. */
    public static final String ROSTER = "roster";
    /** Roster items: the listed plugins of one chunk. Joiner items: the joined plugin's group. */
    public static final String ENTRIES = "entries";
    public static final String NAME = "name";
    /** Execution items: the run they belong to, spelled out (the key holds it too) for readers and history. */
    /** DynamoDB TTL attribute (epoch seconds) of run headers, rosters and executions: see {@link StatusStore#expiresAt}. */
    public static final String EXPIRES_AT = "expiresAt";
    public static final String RUN_UID = "runUid";
    public static final String RUN_WORKFLOW = "runWorkflow";

    private ItemCodec() {
    }

    public static Map<String, AttributeValue> key(String uid, String workflow) {
        return Map.of(UID, AttributeValue.fromS(uid), WORKFLOW, AttributeValue.fromS(workflow));
    }

    public static Map<String, AttributeValue> toItem(WorkflowRun run, long now) {
        Map<String, AttributeValue> item = new LinkedHashMap<>(key(run.uid(), run.workflow()));
        item.put(STATUS, AttributeValue.fromS(run.status().wire()));
        item.put(METADATA, AttributeJson.toAttribute(run.metadata()));
        item.put(ACTIVITY_ORDER, AttributeValue.fromL(run.activityOrder().stream().map(AttributeValue::fromS).toList()));
        Map<String, AttributeValue> activities = new LinkedHashMap<>();
        run.activities().forEach((name, a) -> activities.put(name, activity(a)));
        item.put(ACTIVITIES, AttributeValue.fromM(activities));
        if (run.pluginRegisterTimeout() != null) {
            item.put(REGISTER_TIMEOUT, AttributeValue.fromN(run.pluginRegisterTimeout().toString()));
        }
        if (run.dependsOn() != null) {
            Map<String, AttributeValue> deps = new LinkedHashMap<>();
            run.dependsOn().forEach((a, d) -> deps.put(a, AttributeValue.fromL(d.stream().map(AttributeValue::fromS).toList())));
            item.put(DEPENDS_ON, AttributeValue.fromM(deps));
        }
        putNumber(item, PLUGIN_TIMEOUT, run.pluginTimeout());
        putNumber(item, START_TIMEOUT, run.startTimeout());
        if (run.filterAttributes() != null) {
            item.put(FILTER_ATTRIBUTES, AttributeValue.fromL(run.filterAttributes().stream().map(AttributeValue::fromS).toList()));
        }
        if (run.message() != null) {
            item.put(MESSAGE, AttributeValue.fromS(run.message()));
        }
        if (run.parent() != null) {
            WorkflowRun.Parent p = run.parent();
            item.put(PARENT, AttributeValue.fromM(Map.of(UID, AttributeValue.fromS(p.uid()),
                    WORKFLOW, AttributeValue.fromS(p.workflow()), ACTIVITY, AttributeValue.fromS(p.activity()),
                    STAGE, AttributeValue.fromS(p.stage().wireName()), MANDATORY, AttributeValue.fromBool(p.mandatory()),
                    PLUGIN, AttributeValue.fromS(p.plugin()))));
        }
        if (run.startInputs() != null) {
            item.put(START_INPUTS, AttributeValue.fromS(run.startInputs()));
        }
        item.put(VERSION, AttributeValue.fromN(Long.toString(run.version())));
        item.put(UPDATED_AT, AttributeValue.fromN(Long.toString(now)));
        item.put(RunIndex.PARTITION, AttributeValue.fromS(RunIndex.partition(run.status().wire(), run.uid())));
        item.put(RunIndex.SORT, AttributeValue.fromN(Long.toString(now)));
        return item;
    }

    public static AttributeValue activity(ActivityStatus a) {
        Map<String, AttributeValue> m = new LinkedHashMap<>();
        m.put(STATUS, AttributeValue.fromS(a.status().wire()));
        for (Stage s : Stage.values()) {
            m.put(s.itemKey(), stage(a.stage(s)));
        }
        return AttributeValue.fromM(m);
    }

    public static AttributeValue stage(StageStatus s) {
        Map<String, AttributeValue> m = new LinkedHashMap<>();
        m.put(STATUS, AttributeValue.fromS(s.status().wire()));
        // Engine v3: plugin entries are execution items of their own, never part of the header.
        putNumber(m, ROSTER, s.rosterVersion());
        putNumber(m, WINDOW_SECONDS, s.windowSeconds());
        putNumber(m, PUBLISHED_AT, s.publishedAt());
        putNumber(m, WINDOW_ENDS_AT, s.windowEndsAt());
        if (s.map() != null) {
            m.put(MapState.MAP, s.map().toAttribute());
        }
        return AttributeValue.fromM(m);
    }

    /**
     * The activities as readers see them (the layout before engine v3: each stage with its {@code mandatory}
     * and {@code optional} entries, each entry with its times and attempt), from a run whose entries were
     * filled from its roster and execution items.
     */
    public static AttributeValue readerActivities(WorkflowRun run) {
        Map<String, AttributeValue> out = new LinkedHashMap<>();
        run.activities().forEach((name, a) -> {
            Map<String, AttributeValue> m = new LinkedHashMap<>();
            m.put(STATUS, AttributeValue.fromS(a.status().wire()));
            for (Stage st : Stage.values()) {
                StageStatus s = a.stage(st);
                Map<String, AttributeValue> sm = new LinkedHashMap<>(stage(s).m());
                sm.remove(ROSTER);
                sm.put(MANDATORY, readerPlugins(s.mandatory()));
                sm.put(OPTIONAL, readerPlugins(s.optional()));
                m.put(st.itemKey(), AttributeValue.fromM(sm));
            }
            out.put(name, AttributeValue.fromM(m));
        });
        return AttributeValue.fromM(out);
    }

    private static AttributeValue readerPlugins(Map<String, PluginStatus> plugins) {
        Map<String, AttributeValue> m = new LinkedHashMap<>();
        plugins.forEach((name, p) -> {
            Map<String, AttributeValue> e = new LinkedHashMap<>(plugin(p).m());
            putNumber(e, STARTED_AT, p.startedAt());
            putNumber(e, HEARTBEAT_AT, p.heartbeatAt());
            putNumber(e, ENDED_AT, p.endedAt());
            putNumber(e, RERUN_AT, p.rerunAt());
            if (p.attempt() > 0) {
                e.put(ATTEMPT, AttributeValue.fromN(Integer.toString(p.attempt())));
            }
            m.put(name, AttributeValue.fromM(e));
        });
        return AttributeValue.fromM(m);
    }

    public static AttributeValue plugin(PluginStatus p) {
        Map<String, AttributeValue> m = new LinkedHashMap<>();
        m.put(STATE, AttributeValue.fromS(p.state().wire()));
        m.put(ORDER, AttributeValue.fromN(Integer.toString(p.order())));
        if (p.message() != null) {
            m.put(MESSAGE, AttributeValue.fromS(p.message()));
        }
        putNumber(m, DISPATCHED_AT, p.dispatchedAt());
        putNumber(m, TIMEOUT, p.timeout());
        if (p.child() != null) {
            m.put(CHILD, child(p.child()));
        }
        return AttributeValue.fromM(m);
    }

    public static AttributeValue child(PluginStatus.Child c) {
        Map<String, AttributeValue> m = new LinkedHashMap<>();
        if (c.request() != null) {
            m.put(REQUEST, AttributeValue.fromS(c.request()));
        }
        if (c.uid() != null) {
            m.put(UID, AttributeValue.fromS(c.uid()));
        }
        if (c.workflow() != null) {
            m.put(WORKFLOW, AttributeValue.fromS(c.workflow()));
        }
        putNumber(m, STARTED_AT, c.startedAt());
        putNumber(m, CANCELLED_AT, c.cancelledAt());
        return AttributeValue.fromM(m);
    }

    public static WorkflowRun fromItem(Map<String, AttributeValue> item) {
        Map<String, ActivityStatus> activities = new LinkedHashMap<>();
        mapOf(item, ACTIVITIES).forEach((name, v) -> activities.put(name, activityFrom(v.m())));
        List<String> order = new ArrayList<>();
        if (item.containsKey(ACTIVITY_ORDER)) {
            item.get(ACTIVITY_ORDER).l().forEach(v -> order.add(v.s()));
        }
        JsonNode metadata = item.containsKey(METADATA) ? AttributeJson.toJson(item.get(METADATA)) : Json.object();
        Map<String, List<String>> dependsOn = null;
        if (item.containsKey(DEPENDS_ON) && item.get(DEPENDS_ON).hasM()) {
            dependsOn = new LinkedHashMap<>();
            for (var e : item.get(DEPENDS_ON).m().entrySet()) {
                dependsOn.put(e.getKey(), e.getValue().hasL() ? e.getValue().l().stream().map(AttributeValue::s).toList() : List.of());
            }
        }
        List<String> filter = item.containsKey(FILTER_ATTRIBUTES) && item.get(FILTER_ATTRIBUTES).hasL()
                ? item.get(FILTER_ATTRIBUTES).l().stream().map(AttributeValue::s).toList() : null;
        Map<String, AttributeValue> cancel = mapOf(item, CANCEL_REQUESTED);
        WorkflowRun.Parent parent = parentFrom(item);
        return new WorkflowRun(
                text(item, UID), text(item, WORKFLOW),
                State.fromWire(text(item, STATUS)),
                metadata.isObject() ? (ObjectNode) metadata : Json.object(),
                order, activities,
                integer(item, REGISTER_TIMEOUT),
                item.containsKey(VERSION) ? Long.parseLong(item.get(VERSION).n()) : 0L,
                longOrNull(item, NOTIFIED_AT),
                dependsOn, integer(item, PLUGIN_TIMEOUT), integer(item, START_TIMEOUT), filter,
                stringOrNull(item, MESSAGE),
                cancel.isEmpty() ? null : cancel.containsKey(REASON) && cancel.get(REASON).s() != null ? cancel.get(REASON).s() : "",
                longOrNull(item, WAKE_AT), longOrNull(item, STARTED_AT), longOrNull(item, ENDED_AT), parent,
                stringOrNull(item, START_INPUTS));
    }

    /** The run's parent entry, if it is a child run; read alone so even an otherwise unreadable item yields it. */
    public static WorkflowRun.Parent parentFrom(Map<String, AttributeValue> item) {
        Map<String, AttributeValue> p = mapOf(item, PARENT);
        if (p.isEmpty()) {
            return null;
        }
        return new WorkflowRun.Parent(text(p, UID), text(p, WORKFLOW), text(p, ACTIVITY), Stage.fromWire(text(p, STAGE)),
                p.containsKey(MANDATORY) && Boolean.TRUE.equals(p.get(MANDATORY).bool()), text(p, PLUGIN));
    }

    private static ActivityStatus activityFrom(Map<String, AttributeValue> m) {
        return new ActivityStatus(State.fromWire(text(m, STATUS)),
                stageFrom(m.get(Stage.PRE.itemKey())),
                stageFrom(m.get(Stage.PARALLEL.itemKey())),
                stageFrom(m.get(Stage.POST.itemKey())),
                stringOrNull(m, MESSAGE), longOrNull(m, STARTED_AT), longOrNull(m, ENDED_AT));
    }

    private static StageStatus stageFrom(AttributeValue v) {
        if (v == null || !v.hasM()) {
            return StageStatus.notStarted();
        }
        Map<String, AttributeValue> m = v.m();
        List<StageStatus.Rejected> rejected = new ArrayList<>();
        return new StageStatus(
                m.containsKey(STATUS) ? State.fromWire(text(m, STATUS)) : State.NOT_STARTED,
                pluginsFrom(m.get(MANDATORY), true, rejected), pluginsFrom(m.get(OPTIONAL), false, rejected),
                integer(m, WINDOW_SECONDS), longOrNull(m, PUBLISHED_AT), longOrNull(m, WINDOW_ENDS_AT),
                longOrNull(m, STARTED_AT), longOrNull(m, ENDED_AT), stringOrNull(m, MESSAGE), rejected,
                longOrNull(m, ROSTER), MapState.fromAttribute(m.get(MapState.MAP)));
    }

    /** Plugin entries; names the orchestrator cannot carry (too long, odd characters) are set aside, not fatal. */
    private static Map<String, PluginStatus> pluginsFrom(AttributeValue v, boolean mandatory, List<StageStatus.Rejected> rejected) {
        Map<String, PluginStatus> out = new LinkedHashMap<>();
        if (v != null && v.hasM()) {
            v.m().forEach((name, p) -> {
                if (!Names.validPluginName(name)) {
                    rejected.add(new StageStatus.Rejected(mandatory, name, "plugin name '" + Names.shorten(name)
                            + "' is not valid (1-" + Names.MAX_PLUGIN_NAME + " letters, digits, '.', '_' or '-')"));
                } else if (!p.hasM()) {
                    rejected.add(new StageStatus.Rejected(mandatory, name, "plugin entry '" + name + "' is not a map"));
                } else {
                    out.put(name, pluginFrom(p.m()));
                }
            });
        }
        return out;
    }

    /** A plugin entry; an unknown state is read as Error and flagged, so the engine rewrites it with the cause. */
    public static PluginStatus pluginFrom(Map<String, AttributeValue> m) {
        Integer order = integer(m, ORDER);
        AttributeValue raw = m.get(STATE);
        State state;
        String invalid = null;
        try {
            state = State.fromWire(raw == null ? null : raw.s());
        } catch (IllegalArgumentException e) {
            state = State.ERROR;
            String shown = raw == null || raw.s() == null ? "(none)" : "'" + Names.shorten(raw.s()) + "'";
            invalid = "plugin wrote an unknown state " + shown + "; expected Not Started, In Progress, Complete, Error, ...";
        }
        Integer attempt = integer(m, ATTEMPT);
        return new PluginStatus(state, order == null ? 0 : order, stringOrNull(m, MESSAGE), longOrNull(m, DISPATCHED_AT),
                longOrNull(m, STARTED_AT), longOrNull(m, HEARTBEAT_AT), attempt == null ? 0 : attempt, integer(m, TIMEOUT),
                longOrNull(m, RERUN_AT), longOrNull(m, RERUN_PUBLISHED_AT), longOrNull(m, ENDED_AT), invalid,
                childFrom(m.get(CHILD)));
    }

    private static PluginStatus.Child childFrom(AttributeValue v) {
        if (v == null || !v.hasM()) {
            return null;
        }
        Map<String, AttributeValue> c = v.m();
        return new PluginStatus.Child(stringOrNull(c, REQUEST), stringOrNull(c, UID), stringOrNull(c, WORKFLOW),
                longOrNull(c, STARTED_AT), longOrNull(c, CANCELLED_AT));
    }

    private static Map<String, AttributeValue> mapOf(Map<String, AttributeValue> item, String name) {
        AttributeValue v = item.get(name);
        return v != null && v.hasM() ? v.m() : Map.of();
    }

    private static String text(Map<String, AttributeValue> m, String name) {
        AttributeValue v = m.get(name);
        if (v == null || v.s() == null) {
            throw new IllegalArgumentException("status item lacks string attribute '" + name + "'");
        }
        return v.s();
    }

    private static Integer integer(Map<String, AttributeValue> m, String name) {
        AttributeValue v = m.get(name);
        try {
            return v == null || v.n() == null ? null : new java.math.BigDecimal(v.n()).intValue();
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static Long longOrNull(Map<String, AttributeValue> m, String name) {
        AttributeValue v = m.get(name);
        try {
            return v == null || v.n() == null ? null : new java.math.BigDecimal(v.n()).longValue();
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static String stringOrNull(Map<String, AttributeValue> m, String name) {
        AttributeValue v = m.get(name);
        return v == null ? null : v.s();
    }

    private static void putNumber(Map<String, AttributeValue> m, String name, Number value) {
        if (value != null) {
            m.put(name, AttributeValue.fromN(value.toString()));
        }
    }
}
