package dev.orchestrator.history;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/** How a stream batch's transitions of one run become history items (pure: no I/O). */
final class HistoryItems {

    /**
     * Packing bound of one history item (estimated bytes): far below DynamoDB's 400 KB item limit, large enough
     * that rounding each item up to a whole KB costs little.
     */
    static final int ITEM_BYTES = 32 * 1024;

    private HistoryItems() {
    }

    /** One stream record's transitions, with the time and sequence number they are keyed by. */
    record Recorded(String uid, String workflow, long time, String sequence, List<Transition> transitions) {
    }

    /**
     * One run's records of a batch as few items as fit {@code itemBytes}: each item keyed by its first
     * transition's {@code at}, each transition with its own {@code time} and {@code at}.
     */
    static List<Map<String, AttributeValue>> pack(List<Recorded> records, int retentionDays, int itemBytes) {
        List<Map<String, AttributeValue>> items = new java.util.ArrayList<>();
        List<AttributeValue> list = new java.util.ArrayList<>();
        Recorded first = null;
        String firstAt = null;
        long bytes = 0;
        for (Recorded r : records) {
            for (int i = 0; i < r.transitions().size(); i++) {
                Map<String, AttributeValue> t = transition(r.transitions().get(i));
                String at = HistoryKeys.at(r.time(), r.sequence(), i);
                t.put("at", AttributeValue.fromS(at));
                t.put("time", AttributeValue.fromN(Long.toString(r.time())));
                long size = estimate(t);
                if (first != null && bytes + size > itemBytes) {
                    items.add(item(first.uid(), first.workflow(), first.time(), firstAt, list, retentionDays));
                    list = new java.util.ArrayList<>();
                    first = null;
                    bytes = 0;
                }
                if (first == null) {
                    first = r;
                    firstAt = at;
                }
                list.add(AttributeValue.fromM(t));
                bytes += size;
            }
        }
        if (first != null) {
            items.add(item(first.uid(), first.workflow(), first.time(), firstAt, list, retentionDays));
        }
        return items;
    }

    /** DynamoDB's size of a map of strings and numbers, near enough for packing (names + values + 3 B each). */
    private static long estimate(Map<String, AttributeValue> m) {
        long n = 3;
        for (var e : m.entrySet()) {
            AttributeValue v = e.getValue();
            n += e.getKey().length() + 3 + (v.s() != null ? v.s().getBytes(StandardCharsets.UTF_8).length : v.n() != null ? 21 : 1);
        }
        return n;
    }

    /** One history item: transitions in stream and diff order, keyed by the first one's {@code at}. */
    static Map<String, AttributeValue> item(String uid, String workflow, long time, String at, List<AttributeValue> transitions,
                                            int retentionDays) {
        Map<String, AttributeValue> item = new LinkedHashMap<>();
        item.put("run", AttributeValue.fromS(HistoryKeys.run(uid, workflow)));
        item.put("at", AttributeValue.fromS(at));
        item.put("time", AttributeValue.fromN(Long.toString(time)));
        item.put("uid", AttributeValue.fromS(uid));
        item.put("workflow", AttributeValue.fromS(workflow));
        item.put("transitions", AttributeValue.fromL(transitions));
        if (retentionDays > 0) {
            item.put("expiresAt", AttributeValue.fromN(Long.toString(time / 1000 + retentionDays * 86_400L)));
        }
        return item;
    }

    private static Map<String, AttributeValue> transition(Transition t) {
        Map<String, AttributeValue> m = new LinkedHashMap<>();
        m.put("scope", AttributeValue.fromS(t.scope()));
        m.put("event", AttributeValue.fromS(t.event()));
        m.put("path", AttributeValue.fromS(t.path()));
        put(m, "activity", t.activity());
        put(m, "stage", t.stage());
        put(m, "plugin", t.plugin());
        put(m, "from", t.from());
        put(m, "to", t.to());
        put(m, "message", t.message());
        return m;
    }

    private static void put(Map<String, AttributeValue> item, String key, String value) {
        if (value != null) {
            item.put(key, AttributeValue.fromS(value));
        }
    }

}
