package dev.orchestrator.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

class SeenOutputsTest {

    static Map<String, AttributeValue> item(String plugin, State state, String output) {
        Map<String, AttributeValue> item = new LinkedHashMap<>(key(plugin));
        item.put(ItemCodec.STATE, AttributeValue.fromS(state.wire()));
        if (output != null) {
            item.put(Outputs.OUTPUT, AttributeValue.fromS(output));
        }
        return item;
    }

    static Map<String, AttributeValue> key(String plugin) {
        return new Keys.Execution(plugin, "run-1", "wf", "A", Stage.PARALLEL).key();
    }

    @Test
    void onlyCompleteItemsReadInsideAScopeAreKeptAndTheScopeForgetsThem() {
        SeenOutputs seen = new SeenOutputs();
        seen.saw(item("outside", State.COMPLETE, "{\"a\":1}"));
        assertThat(seen.lookup(key("outside"))).as("no scope: nothing kept").isNull();
        try (StatusStore.Scope scope = seen.open()) {
            seen.saw(item("with", State.COMPLETE, "{\"a\":1}"));
            seen.saw(item("without", State.COMPLETE, null));
            seen.saw(item("running", State.IN_PROGRESS, null));
            assertThat(Outputs.fromItem(seen.lookup(key("with"))).path("output").path("a").asInt()).isEqualTo(1);
            assertThat(seen.lookup(key("without"))).as("Complete without an output: known to have none").isEmpty();
            assertThat(seen.lookup(key("running"))).as("not Complete: read again when asked").isNull();
        }
        assertThat(seen.lookup(key("with"))).as("forgotten when the scope closes").isNull();
        try (StatusStore.Scope scope = seen.open()) {
            assertThat(seen.lookup(key("with"))).as("a new scope starts empty").isNull();
        }
    }

    @Test
    void pastItsBoundsItKeepsNothingMore() {
        SeenOutputs seen = new SeenOutputs();
        String big = "{\"x\":\"" + "y".repeat((int) (SeenOutputs.MAX_BYTES / 2)) + "\"}";
        try (StatusStore.Scope scope = seen.open()) {
            seen.saw(item("first", State.COMPLETE, big));
            seen.saw(item("second", State.COMPLETE, big));
            assertThat(seen.lookup(key("first"))).isNotNull();
            assertThat(seen.lookup(key("second"))).as("over MAX_BYTES: read again when asked").isNull();
            for (int i = 0; i < SeenOutputs.MAX_EXECUTIONS + 10; i++) {
                seen.saw(item("p" + i, State.COMPLETE, null));
            }
            assertThat(seen.lookup(key("p" + (SeenOutputs.MAX_EXECUTIONS - 2)))).isNotNull();
            assertThat(seen.lookup(key("p" + (SeenOutputs.MAX_EXECUTIONS + 5)))).isNull();
        }
    }
}
