package dev.orchestrator.core;

import java.util.LinkedHashMap;
import java.util.Map;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * A map stage in the run header ({@code activities.<A>.async.map}): the spec, and the counters the engine decides
 * on. Nothing here grows with the elements: {@code total} (set when the list is resolved), {@code released} (elements
 * 0..released-1 were published), {@code ended} (per listed plugin, how many of its element executions ended and were
 * counted), {@code failed} (mandatory element executions that ended Error), {@code progressAt} (the last count or
 * release). Each element's execution is an item of its own.
 */
public record MapState(MapSpec spec, Integer total, int released, Map<String, Integer> ended, int failed, Long progressAt) {

    public static final String MAP = "map";
    public static final String ITEMS = "items";
    public static final String MAX_CONCURRENCY = "maxConcurrency";
    public static final String TOLERATED_COUNT = "toleratedFailureCount";
    public static final String TOLERATED_PERCENTAGE = "toleratedFailurePercentage";
    public static final String TOTAL = "total";
    public static final String RELEASED = "released";
    public static final String ENDED = "ended";
    public static final String FAILED = "failed";
    public static final String PROGRESS_AT = "progressAt";

    public MapState {
        ended = ended == null ? Map.of() : Map.copyOf(ended);
    }

    public static MapState of(MapSpec spec) {
        return new MapState(spec, null, 0, Map.of(), 0, null);
    }

    /** The spec alone (a resume starts the map over). */
    public MapState reset() {
        return of(spec);
    }

    public AttributeValue toAttribute() {
        Map<String, AttributeValue> m = new LinkedHashMap<>();
        m.put(ITEMS, AttributeValue.fromS(spec.items()));
        m.put(MAX_CONCURRENCY, AttributeValue.fromN(Integer.toString(spec.maxConcurrency())));
        if (spec.toleratedFailureCount() != null) {
            m.put(TOLERATED_COUNT, AttributeValue.fromN(spec.toleratedFailureCount().toString()));
        }
        if (spec.toleratedFailurePercentage() != null) {
            m.put(TOLERATED_PERCENTAGE, AttributeValue.fromN(spec.toleratedFailurePercentage().toString()));
        }
        if (total != null) {
            m.put(TOTAL, AttributeValue.fromN(total.toString()));
        }
        m.put(RELEASED, AttributeValue.fromN(Integer.toString(released)));
        Map<String, AttributeValue> e = new LinkedHashMap<>();
        ended.forEach((k, v) -> e.put(k, AttributeValue.fromN(v.toString())));
        m.put(ENDED, AttributeValue.fromM(e));
        m.put(FAILED, AttributeValue.fromN(Integer.toString(failed)));
        if (progressAt != null) {
            m.put(PROGRESS_AT, AttributeValue.fromN(progressAt.toString()));
        }
        return AttributeValue.fromM(m);
    }

    public static MapState fromAttribute(AttributeValue v) {
        if (v == null || !v.hasM()) {
            return null;
        }
        Map<String, AttributeValue> m = v.m();
        MapSpec spec = new MapSpec(m.get(ITEMS).s(), num(m, MAX_CONCURRENCY, 1),
                m.containsKey(TOLERATED_COUNT) ? num(m, TOLERATED_COUNT, 0) : null,
                m.containsKey(TOLERATED_PERCENTAGE) ? Double.valueOf(m.get(TOLERATED_PERCENTAGE).n()) : null);
        Map<String, Integer> ended = new LinkedHashMap<>();
        if (m.containsKey(ENDED) && m.get(ENDED).hasM()) {
            m.get(ENDED).m().forEach((k, n) -> ended.put(k, new java.math.BigDecimal(n.n()).intValue()));
        }
        return new MapState(spec, m.containsKey(TOTAL) ? num(m, TOTAL, 0) : null, num(m, RELEASED, 0), ended,
                num(m, FAILED, 0), m.containsKey(PROGRESS_AT) ? Long.valueOf(m.get(PROGRESS_AT).n()) : null);
    }

    private static int num(Map<String, AttributeValue> m, String k, int dflt) {
        AttributeValue v = m.get(k);
        return v == null || v.n() == null ? dflt : new java.math.BigDecimal(v.n()).intValue();
    }
}
