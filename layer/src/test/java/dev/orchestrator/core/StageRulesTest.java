package dev.orchestrator.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Every combination of mandatory/optional x the seven states for a stage of two plugins, window open and closed. */
class StageRulesTest {

    record Plugin(boolean mandatory, State state) {
    }

    static List<Plugin> options() {
        List<Plugin> out = new ArrayList<>();
        for (boolean m : new boolean[] {true, false}) {
            for (State s : State.values()) {
                out.add(new Plugin(m, s));
            }
        }
        return out;
    }

    static StageStatus stageOf(Plugin a, Plugin b) {
        Map<String, PluginStatus> mandatory = new LinkedHashMap<>();
        Map<String, PluginStatus> optional = new LinkedHashMap<>();
        (a.mandatory() ? mandatory : optional).put("a", new PluginStatus(a.state(), 1, null, null));
        (b.mandatory() ? mandatory : optional).put("b", new PluginStatus(b.state(), 2, null, null));
        return new StageStatus(State.IN_PROGRESS, mandatory, optional, 5, 1L, 2L);
    }

    /** The specification, stated per plugin rather than per stage. */
    static State expected(Plugin a, Plugin b, boolean windowElapsed) {
        List<Plugin> both = List.of(a, b);
        if (both.stream().anyMatch(p -> p.mandatory() && p.state() == State.ERROR)) {
            return State.ERROR; // a mandatory failure fails the stage
        }
        boolean mandatoryOpen = both.stream().anyMatch(p -> p.mandatory()
                && (p.state() == State.NOT_STARTED || p.state() == State.IN_PROGRESS || p.state() == State.MANDATORY_COMPLETED));
        if (mandatoryOpen) {
            return State.IN_PROGRESS;
        }
        boolean optionalOpen = both.stream().anyMatch(p -> !p.mandatory()
                && (p.state() == State.NOT_STARTED || p.state() == State.IN_PROGRESS || p.state() == State.MANDATORY_COMPLETED));
        if (optionalOpen || !windowElapsed) {
            return State.MANDATORY_COMPLETED;
        }
        boolean optionalFailure = both.stream().anyMatch(p -> (!p.mandatory() && p.state() == State.ERROR)
                || p.state() == State.OPTIONAL_TASK_ERROR);
        return optionalFailure ? State.OPTIONAL_TASK_ERROR : State.COMPLETE;
    }

    @Test
    void everyCombinationOfTwoPluginsFollowsTheRules() {
        Map<State, Integer> closedWindow = new EnumMap<>(State.class);
        int checked = 0;
        for (Plugin a : options()) {
            for (Plugin b : options()) {
                for (boolean window : new boolean[] {true, false}) {
                    State actual = StageRules.derive(stageOf(a, b), window);
                    assertThat(actual).as("%s + %s, window elapsed %s", a, b, window).isEqualTo(expected(a, b, window));
                    if (window) {
                        closedWindow.merge(actual, 1, Integer::sum);
                    } else {
                        assertThat(actual).as("never complete while the window is open").isNotIn(State.COMPLETE, State.OPTIONAL_TASK_ERROR);
                    }
                    checked++;
                }
            }
        }
        assertThat(checked).isEqualTo(14 * 14 * 2);
        // Counts derived by hand from 14 options per plugin (7 mandatory + 7 optional states):
        // Error: at least one of the two is a mandatory Error: 196 - 13*13 = 27.
        assertThat(closedWindow.get(State.ERROR)).isEqualTo(27);
        // Complete: each plugin is mandatory {Complete, Do Not Run} or optional {Complete, Do Not Run}: 4*4 = 16.
        assertThat(closedWindow.get(State.COMPLETE)).isEqualTo(16);
        // Ended with an optional failure: each plugin ended well or failed optionally
        // (mandatory {C, DNR, OTE} or optional {C, DNR, OTE, Error}: 7 choices), minus the 16 clean ones: 49 - 16 = 33.
        assertThat(closedWindow.get(State.OPTIONAL_TASK_ERROR)).isEqualTo(33);
        // In Progress: no mandatory Error and at least one mandatory pending (NS, IP, MC).
        // No mandatory Error leaves 13 options per plugin, 10 of which are not mandatory-pending: 169 - 100 = 69.
        assertThat(closedWindow.get(State.IN_PROGRESS)).isEqualTo(69);
        // The rest wait on an optional plugin: 196 - 27 - 16 - 33 - 69 = 51.
        assertThat(closedWindow.get(State.MANDATORY_COMPLETED)).isEqualTo(51);
    }

    @Test
    void anOptionalErrorNeverFailsTheStage() {
        StageStatus s = stageOf(new Plugin(true, State.COMPLETE), new Plugin(false, State.ERROR));
        assertThat(StageRules.derive(s, true)).isEqualTo(State.OPTIONAL_TASK_ERROR);
    }

    @Test
    void aMandatoryErrorFailsTheStageEvenWhileOthersRun() {
        StageStatus s = stageOf(new Plugin(true, State.ERROR), new Plugin(false, State.IN_PROGRESS));
        assertThat(StageRules.derive(s, false)).isEqualTo(State.ERROR);
    }

    @Test
    void anEmptyStageCompletesOnlyWhenItsWindowHasElapsed() {
        StageStatus empty = new StageStatus(State.IN_PROGRESS, Map.of(), Map.of(), 5, 1L, 2L);
        assertThat(StageRules.derive(empty, false)).isEqualTo(State.MANDATORY_COMPLETED);
        assertThat(StageRules.derive(empty, true)).isEqualTo(State.COMPLETE);
    }

    @Test
    void statesKeepTheSeedSpelling() {
        assertThat(List.of(State.values()).stream().map(State::wire).toList()).containsExactly(
                "Not Started", "In Progress", "Mandatory Completed", "Complete", "Error", "Optional Task Error", "Do Not Run");
        for (State s : State.values()) {
            assertThat(State.fromWire(s.wire())).isEqualTo(s);
        }
    }
}
