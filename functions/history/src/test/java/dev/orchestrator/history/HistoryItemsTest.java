package dev.orchestrator.history;

import static org.assertj.core.api.Assertions.assertThat;

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

    static List<Map<String, AttributeValue>> transitions(List<Map<String, AttributeValue>> items) {
        List<Map<String, AttributeValue>> out = new ArrayList<>();
        items.forEach(i -> i.get("transitions").l().forEach(t -> out.add(t.m())));
        return out;
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
        assertThat(item.get("at").s()).isEqualTo(HistoryKeys.at(5_000, "1001", 0));
        assertThat(item.get("expiresAt").n()).isEqualTo(Long.toString(5 + 7 * 86_400L));
        var ts = transitions(items);
        assertThat(ts).extracting(t -> t.get("at").s()).containsExactly(HistoryKeys.at(5_000, "1001", 0),
                HistoryKeys.at(5_010, "1002", 0), HistoryKeys.at(5_020, "1003", 0), HistoryKeys.at(5_020, "1003", 1));
        assertThat(ts).extracting(t -> t.get("time").n()).containsExactly("5000", "5010", "5020", "5020");
        assertThat(ts.get(3).get("scope").s()).isEqualTo("activity");
        assertThat(ts.get(0).get("plugin").s()).isEqualTo("p1");
        assertThat(ts.get(2)).doesNotContainKey("plugin");
    }

    @Test
    void aBatchLargerThanTheBoundIsSplitIntoItemsUnderItInOrderWithNothingLost() {
        List<HistoryItems.Recorded> batch = new ArrayList<>();
        for (int i = 0; i < 1_000; i++) {
            batch.add(plugin(i, 10_000 + i));
        }
        int bound = 4 * 1024; // a non-default bound: the default (32 KB) would take the batch in about 4 items

        var items = HistoryItems.pack(batch, 0, bound);

        assertThat(items.size()).isGreaterThan(20);
        var ts = transitions(items);
        assertThat(ts).hasSize(1_000);
        assertThat(ts).extracting(t -> t.get("plugin").s()).containsExactlyElementsOf(
                batch.stream().map(r -> r.transitions().get(0).plugin()).toList());
        for (var item : items) {
            assertThat(item.get("at").s()).isEqualTo(item.get("transitions").l().get(0).m().get("at").s());
            assertThat(item).doesNotContainKey("expiresAt"); // retention 0: nothing expires
            long bytes = item.get("transitions").l().stream().mapToLong(t -> t.m().entrySet().stream()
                    .mapToLong(e -> e.getKey().length() + (e.getValue().s() != null ? e.getValue().s().length() : 21)).sum()).sum();
            assertThat(bytes).as("an item's transitions stay under the bound").isLessThanOrEqualTo(bound);
        }
    }

    @Test
    void nothingRecordedIsNoItem() {
        assertThat(HistoryItems.pack(List.of(), 7, HistoryItems.ITEM_BYTES)).isEmpty();
    }
}
