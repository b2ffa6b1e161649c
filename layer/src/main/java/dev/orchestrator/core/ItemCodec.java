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
        item.put(VERSION, AttributeValue.fromN(Long.toString(run.version())));
        item.put(UPDATED_AT, AttributeValue.fromN(Long.toString(now)));
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
        m.put(MANDATORY, plugins(s.mandatory()));
        m.put(OPTIONAL, plugins(s.optional()));
        putNumber(m, WINDOW_SECONDS, s.windowSeconds());
        putNumber(m, PUBLISHED_AT, s.publishedAt());
        putNumber(m, WINDOW_ENDS_AT, s.windowEndsAt());
        return AttributeValue.fromM(m);
    }

    private static AttributeValue plugins(Map<String, PluginStatus> plugins) {
        Map<String, AttributeValue> m = new LinkedHashMap<>();
        plugins.forEach((name, p) -> m.put(name, plugin(p)));
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
        return new WorkflowRun(
                text(item, UID), text(item, WORKFLOW),
                State.fromWire(text(item, STATUS)),
                metadata.isObject() ? (ObjectNode) metadata : Json.object(),
                order, activities,
                integer(item, REGISTER_TIMEOUT),
                item.containsKey(VERSION) ? Long.parseLong(item.get(VERSION).n()) : 0L,
                longOrNull(item, NOTIFIED_AT));
    }

    private static ActivityStatus activityFrom(Map<String, AttributeValue> m) {
        return new ActivityStatus(State.fromWire(text(m, STATUS)),
                stageFrom(m.get(Stage.PRE.itemKey())),
                stageFrom(m.get(Stage.PARALLEL.itemKey())),
                stageFrom(m.get(Stage.POST.itemKey())));
    }

    private static StageStatus stageFrom(AttributeValue v) {
        if (v == null || !v.hasM()) {
            return StageStatus.notStarted();
        }
        Map<String, AttributeValue> m = v.m();
        return new StageStatus(
                m.containsKey(STATUS) ? State.fromWire(text(m, STATUS)) : State.NOT_STARTED,
                pluginsFrom(m.get(MANDATORY)), pluginsFrom(m.get(OPTIONAL)),
                integer(m, WINDOW_SECONDS), longOrNull(m, PUBLISHED_AT), longOrNull(m, WINDOW_ENDS_AT));
    }

    private static Map<String, PluginStatus> pluginsFrom(AttributeValue v) {
        Map<String, PluginStatus> out = new LinkedHashMap<>();
        if (v != null && v.hasM()) {
            v.m().forEach((name, p) -> out.put(name, pluginFrom(p.m())));
        }
        return out;
    }

    public static PluginStatus pluginFrom(Map<String, AttributeValue> m) {
        Integer order = integer(m, ORDER);
        return new PluginStatus(State.fromWire(text(m, STATE)), order == null ? 0 : order,
                m.containsKey(MESSAGE) ? m.get(MESSAGE).s() : null, longOrNull(m, DISPATCHED_AT));
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
        return v == null || v.n() == null ? null : Integer.valueOf(v.n());
    }

    private static Long longOrNull(Map<String, AttributeValue> m, String name) {
        AttributeValue v = m.get(name);
        return v == null || v.n() == null ? null : Long.valueOf(v.n());
    }

    private static void putNumber(Map<String, AttributeValue> m, String name, Number value) {
        if (value != null) {
            m.put(name, AttributeValue.fromN(value.toString()));
        }
    }
}
