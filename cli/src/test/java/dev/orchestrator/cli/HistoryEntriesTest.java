package dev.orchestrator.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.orchestrator.core.Json;
import java.util.List;
import org.junit.jupiter.api.Test;

class HistoryEntriesTest {

    static JsonNode json(String s) {
        return Json.parse(s.replace('\'', '"'));
    }

    @Test
    void packedItemsOfDifferentShardsReadAsOneTimelineAndARepeatedTransitionShowsOnce() {
        // Header writes and plugin writes arrive on different shards: their items interleave in time.
        JsonNode header = json("{'run':'u#w','at':'0001#a#000','time':1,'uid':'u','workflow':'w','transitions':["
                + "{'scope':'run','to':'In Progress','at':'0001#a#000','time':1},"
                + "{'scope':'run','to':'Complete','at':'0009#d#000','time':9}]}");
        JsonNode plugins = json("{'run':'u#w','at':'0003#b#000','time':3,'uid':'u','workflow':'w','transitions':["
                + "{'scope':'plugin','plugin':'p1','to':'In Progress','at':'0003#b#000','time':3},"
                + "{'scope':'plugin','plugin':'p1','to':'Complete','at':'0005#c#000','time':5}]}");
        // A bisected retry packed the second plugin transition again, in an item of its own.
        JsonNode again = json("{'run':'u#w','at':'0005#c#000','time':5,'uid':'u','workflow':'w','transitions':["
                + "{'scope':'plugin','plugin':'p1','to':'Complete','at':'0005#c#000','time':5}]}");

        List<JsonNode> entries = ConsoleReads.entries(List.of(header, plugins, again));

        assertThat(entries).extracting(e -> e.path("to").asText())
                .containsExactly("In Progress", "In Progress", "Complete", "Complete");
        assertThat(entries).extracting(e -> e.path("scope").asText()).containsExactly("run", "plugin", "plugin", "run");
        assertThat(entries).extracting(e -> e.path("time").asLong()).containsExactly(1L, 3L, 5L, 9L);
        assertThat(entries).allSatisfy(e -> assertThat(e.path("uid").asText()).isEqualTo("u"));
    }

    @Test
    void itemsWrittenBeforePackingKeepEveryTransitionInOrder() {
        // One write's transitions shared the item's at: none of them is a duplicate of another.
        JsonNode old = json("{'run':'u#w','at':'0002#a#000','time':2,'uid':'u','workflow':'w','transitions':["
                + "{'scope':'stage','to':'Complete'},{'scope':'activity','to':'Complete'}]}");
        JsonNode oldest = json("{'run':'u#w','at':'0001#a#000','time':1,'uid':'u','workflow':'w','scope':'run','to':'In Progress'}");

        List<JsonNode> entries = ConsoleReads.entries(List.of(oldest, old));

        assertThat(entries).extracting(e -> e.path("scope").asText()).containsExactly("run", "stage", "activity");
        assertThat(entries).extracting(e -> e.path("at").asText()).containsExactly("0001#a#000", "0002#a#000", "0002#a#000");
    }

    static JsonNode compact(String uid, List<dev.orchestrator.core.HistoryLines.Line> lines) {
        var item = Json.object();
        item.put("run", uid + "#w");
        item.put("at", lines.get(0).at());
        item.put("time", lines.get(0).time());
        item.put("uid", uid);
        item.put("workflow", "w");
        var l = item.putArray(dev.orchestrator.core.HistoryLines.LINES);
        dev.orchestrator.core.HistoryLines.encode(lines).forEach(l::add);
        return item;
    }

    @Test
    void compactItemsReadAsTheEntriesTheMapFormGaveBesideOlderItemsAndARepeatShowsOnce() {
        var created = new dev.orchestrator.core.HistoryLines.Line(1, "100", 0, "created", null, null, null, null, "Not Started", null);
        var claimed = new dev.orchestrator.core.HistoryLines.Line(3, "200", 0, "state", "A", "parallel", "p1", "Not Started",
                "In Progress", null);
        var ended = new dev.orchestrator.core.HistoryLines.Line(5, "300", 0, "state", "A", "parallel", "p1", "In Progress",
                "Error", "disk full\u001Fsee the log"); // a message may hold the separator: it is the last field
        var stage = new dev.orchestrator.core.HistoryLines.Line(5, "300", 1, "state", "A", "parallel", null, "In Progress", "Error", null);
        JsonNode plugins = compact("u", List.of(claimed, ended, stage));
        JsonNode header = compact("u", List.of(created));
        JsonNode again = compact("u", List.of(ended)); // a bisected retry packed it again
        JsonNode older = json("{'run':'u#w','at':'" + dev.orchestrator.core.HistoryLines.at(9, "400", 0)
                + "','time':9,'uid':'u','workflow':'w','transitions':[{'scope':'run','event':'state','path':'','from':'In Progress',"
                + "'to':'Error','at':'" + dev.orchestrator.core.HistoryLines.at(9, "400", 0) + "','time':9}]}");

        List<JsonNode> entries = ConsoleReads.entries(List.of(plugins, header, again, older));

        assertThat(entries).extracting(e -> e.path("path").asText()).containsExactly("", "A/parallel/p1", "A/parallel/p1", "A/parallel", "");
        assertThat(entries).extracting(e -> e.path("scope").asText()).containsExactly("run", "plugin", "plugin", "stage", "run");
        assertThat(entries).extracting(e -> e.path("to").asText()).containsExactly("Not Started", "In Progress", "Error", "Error", "Error");
        assertThat(entries).extracting(e -> e.path("time").asLong()).containsExactly(1L, 3L, 5L, 5L, 9L);
        assertThat(entries.get(2).path("message").asText()).isEqualTo("disk full\u001Fsee the log");
        assertThat(entries.get(2).path("plugin").asText()).isEqualTo("p1");
        assertThat(entries.get(3).has("plugin")).isFalse();
        assertThat(entries.get(0).has("from")).isFalse();
        assertThat(entries).allSatisfy(e -> assertThat(e.path("uid").asText()).isEqualTo("u"));
    }
}
