package dev.orchestrator.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

class SeenEndedTest {

    static Map<String, AttributeValue> item(String plugin, State state, String output) {
        return item(plugin, state, output, 1_000L);
    }

    static Map<String, AttributeValue> item(String plugin, State state, String output, Long endedAt) {
        Map<String, AttributeValue> item = new LinkedHashMap<>(key(plugin));
        item.put(ItemCodec.STATE, AttributeValue.fromS(state.wire()));
        if (output != null) {
            item.put(Outputs.OUTPUT, AttributeValue.fromS(output));
        }
        if (endedAt != null && state.isTerminal()) {
            item.put(ItemCodec.ENDED_AT, AttributeValue.fromN(Long.toString(endedAt)));
        }
        return item;
    }

    static Map<String, AttributeValue> key(String plugin) {
        return new Keys.Execution(plugin, "run-1", "wf", "A", Stage.PARALLEL).key();
    }

    @Test
    void onlyEndedItemsSeenInsideAScopeAreKeptAndTheScopeForgetsThem() {
        SeenEnded seen = new SeenEnded();
        seen.saw(item("outside", State.COMPLETE, "{\"a\":1}"));
        assertThat(seen.outputs(key("outside"))).as("no scope: nothing kept").isNull();
        try (StatusStore.Scope scope = seen.open()) {
            seen.saw(item("with", State.COMPLETE, "{\"a\":1}"));
            seen.saw(item("without", State.COMPLETE, null));
            seen.saw(item("running", State.IN_PROGRESS, null));
            seen.saw(item("failed", State.ERROR, null));
            assertThat(Outputs.fromItem(seen.outputs(key("with"))).path("output").path("a").asInt()).isEqualTo(1);
            assertThat(seen.outputs(key("without"))).as("Complete without an output: known to have none").isEmpty();
            assertThat(seen.outputs(key("running"))).as("not ended: read again when asked").isNull();
            assertThat(seen.ended(key("running"))).isNull();
            assertThat(seen.ended(key("failed"))).as("an Error item has ended").containsEntry(ItemCodec.STATE,
                    AttributeValue.fromS(State.ERROR.wire()));
            assertThat(seen.outputs(key("failed"))).as("only a Complete item has outputs to give").isNull();
        }
        assertThat(seen.outputs(key("with"))).as("forgotten when the scope closes").isNull();
        try (StatusStore.Scope scope = seen.open()) {
            assertThat(seen.ended(key("with"))).as("a new scope starts empty").isNull();
        }
    }

    @Test
    void aLaterImageThatHasNotEndedReplacesAnEndedOne() {
        SeenEnded seen = new SeenEnded();
        try (StatusStore.Scope scope = seen.open()) {
            // An alwaysRun plugin's unconditional claim of an item that had ended: the batch's last image wins.
            seen.saw(item("again", State.COMPLETE, null));
            seen.saw(item("again", State.IN_PROGRESS, null));
            assertThat(seen.ended(key("again"))).isNull();
            seen.saw(item("again", State.ERROR, null));
            assertThat(seen.ended(key("again")).get(ItemCodec.STATE).s()).isEqualTo(State.ERROR.wire());
        }
    }

    @Test
    void anItemThatEndedBeforeTheStageWasEnteredIsReadAgain() {
        SeenEnded seen = new SeenEnded();
        try (StatusStore.Scope scope = seen.open()) {
            seen.saw(item("old", State.ERROR, null, 1_000L));
            seen.saw(item("new", State.ERROR, null, 5_000L));
            seen.saw(item("undated", State.ERROR, null, null));
            // A resume reset "old" and entered the stage again at 2,000: its Error is from the earlier entry.
            assertThat(seen.endedIn(key("old"), 2_000L)).isNull();
            assertThat(seen.endedIn(key("new"), 2_000L)).isNotNull();
            assertThat(seen.endedIn(key("new"), 5_000L)).as("ended the same millisecond: this entry").isNotNull();
            assertThat(seen.endedIn(key("undated"), 2_000L)).as("no endedAt: read").isNull();
            assertThat(seen.endedIn(key("new"), null)).as("a stage without an entry time: read").isNull();
        }
    }

    @Test
    void pastItsBoundsItKeepsNothingMore() {
        SeenEnded seen = new SeenEnded();
        String big = "{\"x\":\"" + "y".repeat((int) (SeenEnded.MAX_BYTES / 2)) + "\"}";
        try (StatusStore.Scope scope = seen.open()) {
            seen.saw(item("first", State.COMPLETE, big));
            seen.saw(item("second", State.COMPLETE, big));
            assertThat(seen.outputs(key("first"))).isNotNull();
            assertThat(seen.outputs(key("second"))).as("over MAX_BYTES: read again when asked").isNull();
            for (int i = 0; i < SeenEnded.MAX_EXECUTIONS + 10; i++) {
                seen.saw(item("p" + i, State.COMPLETE, null));
            }
            assertThat(seen.outputs(key("p" + (SeenEnded.MAX_EXECUTIONS - 2)))).isNotNull();
            assertThat(seen.outputs(key("p" + (SeenEnded.MAX_EXECUTIONS + 5)))).isNull();
        }
    }

    @Test
    void forgettingAnItemFreesItsShareOfTheBound() {
        SeenEnded seen = new SeenEnded();
        String big = "{\"x\":\"" + "y".repeat((int) (SeenEnded.MAX_BYTES * 3 / 5)) + "\"}";
        try (StatusStore.Scope scope = seen.open()) {
            seen.saw(item("first", State.COMPLETE, big));
            seen.saw(item("first", State.IN_PROGRESS, null));
            seen.saw(item("second", State.COMPLETE, big));
            assertThat(seen.outputs(key("second"))).as("the first's bytes were given back when it was replaced").isNotNull();
            assertThat(List.of(seen.ended(key("first")) == null)).containsExactly(true);
        }
    }
}
