package dev.orchestrator.history;

import static org.assertj.core.api.Assertions.assertThat;

import dev.orchestrator.core.HistoryLines;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

class HistoryItemsTest {

    static HistoryItems.Recorded plugin(int i, long time) {
        return new HistoryItems.Recorded("u-1", "wf", time, Integer.toString(1000 + i), List.of(
                new Transition("plugin", "A", "parallel", "p" + i, "state", "Not Started", "In Progress", null)));
    }

    static List<HistoryLines.Line> transitions(List<Map<String, AttributeValue>> items) {
        List<HistoryLines.Line> out = new ArrayList<>();
        items.forEach(i -> out.addAll(lines(i)));
        return out;
    }

    static List<HistoryLines.Line> lines(Map<String, AttributeValue> item) {
        return HistoryLines.decode(item.get(HistoryLines.LINES).l().stream().map(AttributeValue::s).toList());
    }

    @Test
    void aBatchOfOneRunsWritesIsOneItemWhoseTransitionsKeepTheirOwnTimeAndKey() {
        List<HistoryItems.Recorded> batch = List.of(plugin(1, 5_000), plugin(2, 5_010),
                new HistoryItems.Recorded("u-1", "wf", 5_020, "1003", List.of(
                        new Transition("stage", "A", "parallel", null, "status", "In Progress", "Complete", null),
                        new Transition("activity", "A", null, null, "status", "In Progress", "Complete", null))));

        var items = HistoryItems.pack(batch, 7, HistoryItems.ITEM_BYTES);

        assertThat(items).hasSize(1);
        var item = items.get(0);
        assertThat(item.get("run").s()).isEqualTo("u-1#wf");
        assertThat(item.get("at").s()).isEqualTo(dev.orchestrator.core.HistoryLines.at(5_000, "1001", 0));
        assertThat(item.get("expiresAt").n()).isEqualTo(Long.toString(5 + 7 * 86_400L));
        var ts = transitions(items);
        assertThat(ts).extracting(HistoryLines.Line::at).containsExactly(dev.orchestrator.core.HistoryLines.at(5_000, "1001", 0),
                dev.orchestrator.core.HistoryLines.at(5_010, "1002", 0), dev.orchestrator.core.HistoryLines.at(5_020, "1003", 0), dev.orchestrator.core.HistoryLines.at(5_020, "1003", 1));
        assertThat(ts).extracting(HistoryLines.Line::time).containsExactly(5000L, 5010L, 5020L, 5020L);
        assertThat(ts.get(3).scope()).isEqualTo("activity");
        assertThat(ts.get(0).plugin()).isEqualTo("p1");
        assertThat(ts.get(0).from()).isEqualTo("Not Started");
        assertThat(ts.get(2).plugin()).isNull();
        assertThat(ts.get(2).path()).isEqualTo("A/parallel");
        // The second line of one record repeats neither its time nor its sequence.
        assertThat(item.get(HistoryLines.LINES).l().get(3).s()).startsWith("\u001F\u001F1\u001F");
    }

    @Test
    void aBatchLargerThanTheBoundIsSplitIntoItemsUnderItInOrderWithNothingLost() {
        List<HistoryItems.Recorded> batch = new ArrayList<>();
        for (int i = 0; i < 1_000; i++) {
            batch.add(plugin(i, 10_000 + i));
        }
        int bound = 4 * 1024; // a non-default bound: the default (32 KB) would take the batch in about 4 items

        var items = HistoryItems.pack(batch, 0, bound);

        long lineBytes = items.stream().mapToLong(i -> i.get(HistoryLines.LINES).l().stream().mapToLong(t -> t.s().length() + 1).sum()).sum();
        assertThat(items.size()).as("split into items under the bound").isGreaterThan(1)
                .isGreaterThanOrEqualTo((int) Math.ceil(lineBytes / (double) bound));
        var ts = transitions(items);
        assertThat(ts).hasSize(1_000);
        assertThat(ts).extracting(HistoryLines.Line::plugin).containsExactlyElementsOf(
                batch.stream().map(r -> r.transitions().get(0).plugin()).toList());
        for (var item : items) {
            assertThat(item.get("at").s()).isEqualTo(lines(item).get(0).at());
            assertThat(item).doesNotContainKey("expiresAt"); // retention 0: nothing expires
            long bytes = item.get(HistoryLines.LINES).l().stream().mapToLong(t -> t.s().length() + 1).sum();
            assertThat(bytes).as("an item's transitions stay under the bound").isLessThanOrEqualTo(bound);
        }
    }

    @Test
    void nothingRecordedIsNoItem() {
        assertThat(HistoryItems.pack(List.of(), 7, HistoryItems.ITEM_BYTES)).isEmpty();
    }
}
