package dev.orchestrator.history;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.orchestrator.core.Json;
import java.util.List;
import org.junit.jupiter.api.Test;

class HistoryDiffTest {

    static JsonNode item(String runStatus, String activityStatus, String preStatus, String pluginState, String pluginExtra) {
        return Json.parse(("{'uid':'u','workflow':'w','status':'%s','activities':{'Setup':{'status':'%s',"
                + "'pre':{'status':'%s','mandatory':{'audit':{'state':'%s','order':1%s}},'optional':{}},"
                + "'async':{'status':'Not Started','mandatory':{},'optional':{}},"
                + "'post':{'status':'Not Started','mandatory':{},'optional':{}}}}}")
                .formatted(runStatus, activityStatus, preStatus, pluginState, pluginExtra).replace('\'', '"'));
    }

    static List<String> lines(List<Transition> ts) {
        return ts.stream().map(t -> t.scope() + " " + t.path() + " " + t.event() + " " + t.from() + " -> " + t.to()
                + (t.message() == null ? "" : " (" + t.message() + ")")).toList();
    }

    @Test
    void createdRunIsOneTransitionPlusItsInitialStates() {
        List<Transition> ts = HistoryDiff.diff(null, item("In Progress", "Not Started", "Not Started", "Not Started", ""));
        assertThat(lines(ts).get(0)).isEqualTo("run  created null -> In Progress");
        assertThat(lines(ts)).contains("plugin Setup/pre/audit state null -> Not Started");
    }

    @Test
    void activitiesComeInRunOrder() {
        JsonNode item = Json.parse(("{'uid':'u','workflow':'w','status':'Not Started','activityOrder':['Zeta','Alpha'],"
                + "'activities':{'Alpha':{'status':'Not Started'},'Zeta':{'status':'Not Started'}}}").replace('\'', '"'));
        assertThat(lines(HistoryDiff.diff(null, item))).containsExactly("run  created null -> Not Started",
                "activity Zeta state null -> Not Started", "activity Alpha state null -> Not Started");
    }

    @Test
    void noChangeNoTransition() {
        JsonNode a = item("In Progress", "In Progress", "In Progress", "In Progress", "");
        assertThat(HistoryDiff.diff(a, a.deepCopy())).isEmpty();
    }

    @Test
    void dispatchThenPluginErrorWithItsMessage() {
        JsonNode before = item("In Progress", "In Progress", "In Progress", "Not Started", "");
        JsonNode dispatched = item("In Progress", "In Progress", "In Progress", "Not Started", ",'dispatchedAt':5".replace('\'', '"'));
        assertThat(lines(HistoryDiff.diff(before, dispatched))).containsExactly("plugin Setup/pre/audit dispatched null -> null");

        JsonNode failed = item("Error", "Error", "Error", "Error", ",'dispatchedAt':5,'message':'disk full'".replace('\'', '"'));
        assertThat(lines(HistoryDiff.diff(dispatched, failed))).containsExactly(
                "run  state In Progress -> Error",
                "activity Setup state In Progress -> Error",
                "stage Setup/pre state In Progress -> Error",
                "plugin Setup/pre/audit state Not Started -> Error (disk full)");
    }

    @Test
    void rerunAndCancelAreRecorded() {
        JsonNode before = item("In Progress", "In Progress", "In Progress", "In Progress", "");
        JsonNode rerun = item("In Progress", "In Progress", "In Progress", "In Progress",
                ",'rerunAt':99,'message':'polling'".replace('\'', '"'));
        assertThat(lines(HistoryDiff.diff(before, rerun))).containsExactly("plugin Setup/pre/audit rerun scheduled null -> null (polling)");

        JsonNode cancel = rerun.deepCopy();
        ((com.fasterxml.jackson.databind.node.ObjectNode) cancel).set("cancelRequested", Json.parse("{\"reason\":\"bad data\",\"at\":1}"));
        assertThat(lines(HistoryDiff.diff(rerun, cancel))).containsExactly("run  cancel requested null -> null (bad data)");
    }

    @Test
    void runMessageTravelsWithTheRunTransitionAndDeletionIsRecorded() {
        JsonNode before = item("In Progress", "In Progress", "In Progress", "In Progress", "");
        JsonNode after = before.deepCopy();
        ((com.fasterxml.jackson.databind.node.ObjectNode) after).put("status", "Error").put("message", "cancelled: bad data");
        assertThat(lines(HistoryDiff.diff(before, after))).containsExactly("run  state In Progress -> Error (cancelled: bad data)");
        assertThat(lines(HistoryDiff.diff(after, null))).containsExactly("run  deleted Error -> null");
    }

    @Test
    void keysSortByTimeThenStreamOrder() {
        assertThat(dev.orchestrator.core.HistoryLines.at(1000, "9", 0)).isLessThan(dev.orchestrator.core.HistoryLines.at(1000, "10", 0));
        assertThat(dev.orchestrator.core.HistoryLines.at(1000, "10", 2)).isLessThan(dev.orchestrator.core.HistoryLines.at(1001, "1", 0));
        assertThat(HistoryKeys.run("u", "w")).isEqualTo("u#w");
    }
}
