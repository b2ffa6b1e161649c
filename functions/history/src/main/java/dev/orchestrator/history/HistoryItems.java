package dev.orchestrator.history;

import dev.orchestrator.core.HistoryLines;
import dev.orchestrator.core.ItemCodec;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/** How a stream batch's transitions of one run become history items (pure: no I/O). */
final class HistoryItems {

    /**
     * Packing bound of one history item (bytes of its lines): far below DynamoDB's 400 KB item limit, large enough
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
     * transition's {@code at}, its transitions as {@link HistoryLines} (each keeping its own time and {@code at}).
     */
    static List<Map<String, AttributeValue>> pack(List<Recorded> records, int retentionDays, int itemBytes) {
        List<Map<String, AttributeValue>> items = new java.util.ArrayList<>();
        List<HistoryLines.Line> lines = new java.util.ArrayList<>();
        Recorded first = null;
        long bytes = 0;
        for (Recorded r : records) {
            for (int i = 0; i < r.transitions().size(); i++) {
                Transition t = r.transitions().get(i);
                HistoryLines.Line line = new HistoryLines.Line(r.time(), r.sequence(), i, t.event(), t.activity(), t.stage(),
                        t.plugin(), t.from(), t.to(), t.message());
                // Bound on the full form of the line (with its time and sequence): a line may open the next item.
                long size = HistoryLines.encode(List.of(line)).get(0).getBytes(StandardCharsets.UTF_8).length + 1;
                if (first != null && bytes + size > itemBytes) {
                    items.add(item(first.uid(), first.workflow(), lines, retentionDays));
                    lines = new java.util.ArrayList<>();
                    first = null;
                    bytes = 0;
                }
                if (first == null) {
                    first = r;
                }
                lines.add(line);
                bytes += size;
            }
        }
        if (first != null) {
            items.add(item(first.uid(), first.workflow(), lines, retentionDays));
        }
        return items;
    }

    /** One history item: its lines in stream and diff order, keyed by the first one's {@code at}. */
    static Map<String, AttributeValue> item(String uid, String workflow, List<HistoryLines.Line> lines, int retentionDays) {
        HistoryLines.Line first = lines.get(0);
        Map<String, AttributeValue> item = new LinkedHashMap<>();
        item.put("run", AttributeValue.fromS(HistoryKeys.run(uid, workflow)));
        item.put("at", AttributeValue.fromS(first.at()));
        item.put("time", AttributeValue.fromN(Long.toString(first.time())));
        item.put("uid", AttributeValue.fromS(uid));
        item.put("workflow", AttributeValue.fromS(workflow));
        item.put(HistoryLines.LINES, AttributeValue.fromL(HistoryLines.encode(lines).stream().map(AttributeValue::fromS).toList()));
        if (retentionDays > 0) {
            item.put(ItemCodec.EXPIRES_AT, AttributeValue.fromN(Long.toString(first.time() / 1000 + retentionDays * 86_400L)));
        }
        return item;
    }
}
