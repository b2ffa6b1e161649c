package dev.orchestrator.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.orchestrator.core.Json;
import org.junit.jupiter.api.Test;

/** The conformance kit's output-shape rule, on execution items as JSON. */
class ConformanceOutputRuleTest {

    @Test
    void anInlineObjectOrAWholeReferenceConformsAndAnythingElseIsNamed() {
        assertThat(Conformance.outputProblem(Json.parse("{\"state\":\"Complete\"}"))).isNull();
        assertThat(Conformance.outputProblem(Json.parse("{\"output\":\"{\\\"host\\\":\\\"a\\\"}\"}"))).isNull();
        assertThat(Conformance.outputProblem(Json.parse("{\"outputRef\":{\"bucket\":\"b\",\"key\":\"k\",\"sha256\":\""
                + "0".repeat(64) + "\",\"size\":3}}"))).isNull();
        assertThat(Conformance.outputProblem(Json.parse("{\"output\":\"[1,2]\"}")))
                .isEqualTo("output must be the JSON text of an object, got ARRAY");
        assertThat(Conformance.outputProblem(Json.parse("{\"output\":{\"host\":\"a\"}}")))
                .isEqualTo("output must be a string attribute holding an object's JSON text, got OBJECT");
        assertThat(Conformance.outputProblem(Json.parse("{\"outputRef\":{\"bucket\":\"b\",\"key\":\"k\",\"size\":3}}")))
                .isEqualTo("outputRef lacks sha256");
    }
}
