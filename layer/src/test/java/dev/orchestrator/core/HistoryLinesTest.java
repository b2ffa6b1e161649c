package dev.orchestrator.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class HistoryLinesTest {

    static HistoryLines.Line plugin(long time, String sequence, String plugin, String to) {
        return new HistoryLines.Line(time, sequence, 0, "state", "Provision", "parallel", plugin, "In Progress", to, null);
    }

    @Test
    void linesReadBackAsWrittenWhateverOrderTheirTimesAndSequencesCameIn() {
        List<HistoryLines.Line> lines = List.of(
                plugin(1_796_593_717_379L, "49600000000000000123456789", "dns", "Complete"),
                plugin(1_796_593_717_379L, "49600000000000000123456789", "cert", "Complete"), // same write
                plugin(1_796_593_717_402L, "49600000000000000123457001", "cdn", "Error"),
                // Another shard's record packed after it: earlier time, smaller sequence.
                new HistoryLines.Line(1_796_593_717_100L, "11100000000000000000042", 1, "state", "Provision", "parallel", null,
                        "In Progress", "Mandatory Completed", null),
                new HistoryLines.Line(1_796_593_717_500L, "not-a-number", 0, "created", null, null, null, null, "Not Started", null),
                new HistoryLines.Line(1_796_593_717_501L, "+7", 2, "cancel requested", null, null, null, null, null,
                        "by ops\u001Ffor maintenance"));

        List<String> encoded = HistoryLines.encode(lines);

        assertThat(HistoryLines.decode(encoded)).containsExactlyElementsOf(lines);
        assertThat(encoded.get(1)).as("a line of the same write repeats neither time nor sequence").startsWith("\u001F\u001F0\u001F");
        assertThat(encoded.get(2)).as("later write of the same shard: differences").startsWith("+23\u001F+212\u001F");
        assertThat(encoded.get(3)).startsWith("-302\u001F");
        assertThat(encoded.get(5)).as("a sequence that looks like a difference is escaped").startsWith("+1\u001F=+7\u001F");
    }

    @Test
    void scopeAndPathComeFromTheNamesThatAreSet() {
        var run = new HistoryLines.Line(1, "1", 0, "created", null, null, null, null, "Not Started", null);
        var activity = new HistoryLines.Line(1, "1", 1, "state", "Setup", null, null, "Not Started", "In Progress", null);
        var stage = new HistoryLines.Line(1, "1", 2, "state", "Setup", "pre", null, "Not Started", "In Progress", null);
        var plugin = new HistoryLines.Line(1, "1", 3, "dispatched", "Setup", "pre", "gate", null, null, null);
        assertThat(List.of(run, activity, stage, plugin)).extracting(HistoryLines.Line::scope)
                .containsExactly("run", "activity", "stage", "plugin");
        assertThat(List.of(run, activity, stage, plugin)).extracting(HistoryLines.Line::path)
                .containsExactly("", "Setup", "Setup/pre", "Setup/pre/gate");
        var entry = HistoryLines.entry(plugin);
        assertThat(entry.path("at").asText()).isEqualTo(HistoryLines.at(1, "1", 3));
        assertThat(entry.has("from")).isFalse();
        assertThat(entry.path("plugin").asText()).isEqualTo("gate");
    }

    @Test
    void aLineAfterTheFirstSpendsAtMostTwentyTwoBytesBesideItsPluginsName() {
        List<HistoryLines.Line> lines = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            lines.add(plugin(1_796_593_717_379L + 7L * i, Long.toString(49_600_000_000_000_000L + 1_000L * i), "plugin-" + i, "Complete"));
        }
        List<String> encoded = HistoryLines.encode(lines);
        assertThat(HistoryLines.decode(encoded)).containsExactlyElementsOf(lines);
        for (int i = 1; i < encoded.size(); i++) {
            // "+7", "+1000", "0", event, activity, stage, from and to as the previous line's (one character each), the
            // plugin's name and nine separators (22 bytes beside the name, 60 before these rules), where the whole time and sequence take 13 + 17 bytes.
            assertThat(encoded.get(i)).as("line " + i).endsWith("\u001E\u001F\u001E\u001F\u001E\u001Fplugin-" + i + "\u001F\u001E\u001F\u001E\u001F");
            assertThat(encoded.get(i).length() - ("plugin-" + i).length()).as("line " + i).isLessThanOrEqualTo(22);
        }
        assertThat(encoded.get(0)).as("the first line names its event, names and states (states as codes)")
                .contains("state\u001FProvision\u001Fparallel\u001Fplugin-0\u001F\u0002\u001F\u0004\u001F");
    }

    @Test
    void statesAndRepeatsReadBackWhereverTheyChange() {
        List<HistoryLines.Line> lines = new ArrayList<>();
        for (String state : HistoryLines.CODED_STATES) {
            lines.add(new HistoryLines.Line(10, "5", 0, "state", "A", null, null, null, state, null));
            lines.add(new HistoryLines.Line(10, "5", 1, "state", "A", "pre", null, state, "Someday", "why"));
        }
        lines.add(new HistoryLines.Line(11, "6", 0, "created", null, null, null, null, "Not Started", null));
        List<String> encoded = HistoryLines.encode(lines);
        assertThat(HistoryLines.decode(encoded)).containsExactlyElementsOf(lines);
    }

    @Test
    void linesWrittenBeforeRepeatsAndStateCodesReadAsTheyDid() {
        List<String> stored = List.of(
                "1796593717379\u001F49600000000000000123456789\u001F0\u001Fstate\u001FProvision\u001Fparallel\u001Fdns\u001FIn Progress\u001FComplete\u001F",
                "+5\u001F+2\u001F0\u001Fstate\u001FProvision\u001Fparallel\u001Fcert\u001FIn Progress\u001FComplete\u001F");
        assertThat(HistoryLines.decode(stored)).containsExactly(
                plugin(1_796_593_717_379L, "49600000000000000123456789", "dns", "Complete"),
                plugin(1_796_593_717_384L, "49600000000000000123456791", "cert", "Complete"));
    }

    @Test
    void aLineThatDoesNotParseIsAnErrorNamingIt() {
        assertThatThrownBy(() -> HistoryLines.decode(List.of("12\u001F34\u001F0\u001Fstate")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("history line with 4 fields (expected 10)");
        assertThatThrownBy(() -> HistoryLines.decode(List.of("+5\u001F34\u001F0\u001F\u001F\u001F\u001F\u001F\u001F\u001F")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("without its time");
        assertThatThrownBy(() -> HistoryLines.decode(List.of("5\u001F34\u001F0\u001F\u001E\u001F\u001F\u001F\u001F\u001F\u001F")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("first history line of an item repeats a field");
    }
}
