package dev.orchestrator.request;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.orchestrator.core.Json;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Everything the engine needs later is checked at start, each problem naming its field. Pure. */
class StartValidationTest {

    static final StartRequest.Limits LIMITS = new StartRequest.Limits(Set.of("A", "B", "C", "D"), List.of("tier", "tenantId"));

    static StartRequest parse(String json) {
        return StartRequest.parse(Json.parse(json), LIMITS);
    }

    static List<String> problems(String json) {
        try {
            parse(json);
        } catch (InvalidStartException e) {
            return e.problems();
        }
        throw new AssertionError("accepted: " + json);
    }

    @Test
    void aPlainListHasNoGraphAndObjectsMakeOne() {
        assertThat(parse("{\"uid\":\"u\",\"workflow\":\"w\",\"activities\":[\"A\",\"B\"]}").dependsOn()).isNull();
        StartRequest dag = parse("{\"uid\":\"u\",\"workflow\":\"w\",\"activities\":[{\"name\":\"A\"},"
                + "{\"name\":\"B\",\"dependsOn\":[\"A\"]},{\"name\":\"C\",\"dependsOn\":[\"A\",\"A\"]}]}");
        assertThat(dag.activities()).containsExactly("A", "B", "C");
        assertThat(dag.dependsOn()).isEqualTo(Map.of("A", List.of(), "B", List.of("A"), "C", List.of("A")));
    }

    @Test
    void graphProblemsNameTheActivities() {
        assertThat(ActivityGraph.problems(List.of("A", "B"), Map.of("A", List.of("B"), "B", List.of("A"))))
                .containsExactly("activities form a cycle: A -> B -> A");
        assertThat(ActivityGraph.problems(List.of("A"), Map.of("A", List.of("A")))).containsExactly("activity 'A' depends on itself");
        assertThat(ActivityGraph.problems(List.of("A"), Map.of("A", List.of("Z"))))
                .containsExactly("activity 'A' depends on 'Z', which is not an activity of this run");
        assertThat(ActivityGraph.problems(List.of("A", "B", "C", "D"), Map.of("A", List.of(), "B", List.of("A"),
                "C", List.of("A"), "D", List.of("B", "C")))).isEmpty();
    }

    @Test
    void attributesAndSizesAreCheckedAgainstWhatSnsAccepts() {
        assertThat(problems("{\"uid\":\"u\",\"workflow\":\"w\",\"activities\":[\"A\"],\"metadata\":{\"tier\":\"\"}}"))
                .containsExactly("metadata.tier is sent as an SNS message attribute and must not be empty");
        assertThat(problems("{\"uid\":\"u\",\"workflow\":\"w\",\"activities\":[\"A\"],\"metadata\":{\"tier\":{\"x\":1}}}"))
                .containsExactly("metadata.tier is sent as an SNS message attribute and must be a string, number or boolean");
        assertThat(problems("{\"uid\":\"u\",\"workflow\":\"w\",\"activities\":[\"A\"],\"filterAttributes\":[\"AWS.x\",\"a..b\",\"stage\"]}"))
                .hasSize(3).allMatch(p -> p.startsWith("filterAttributes key"));
        assertThat(problems("{\"uid\":\"u\",\"workflow\":\"w\",\"activities\":[\"A\"],\"metadata\":{\"b\":\"" + "x".repeat(140_000) + "\"}}"))
                .singleElement().asString().startsWith("metadata is 140008 bytes; at most 131072");
        // Keys not sent as attributes may be anything.
        assertThat(parse("{\"uid\":\"u\",\"workflow\":\"w\",\"activities\":[\"A\"],\"metadata\":{\"note\":\"\",\"odd key\":1}}").metadata().size())
                .isEqualTo(2);
    }

    @Test
    void timeoutsMustBeWholeSecondsInRange() {
        StartRequest r = parse("{\"uid\":\"u\",\"workflow\":\"w\",\"activities\":[\"A\"],\"pluginTimeout\":30,\"startTimeout\":5}");
        assertThat(List.of(r.pluginTimeout(), r.startTimeout())).containsExactly(30, 5);
        assertThat(problems("{\"uid\":\"u\",\"workflow\":\"w\",\"activities\":[\"A\"],\"pluginTimeout\":0,\"startTimeout\":1.5}"))
                .containsExactly("pluginTimeout must be a whole number of seconds between 1 and 604800",
                        "startTimeout must be a whole number of seconds between 1 and 604800");
    }

    @Test
    void cancelRequestsNameWhatIsMissing() {
        assertThatThrownBy(() -> CancelRequest.parse(Json.parse("{\"action\":\"cancel\"}")))
                .hasMessageContaining("uid is required").hasMessageContaining("workflow is required");
        assertThat(CancelRequest.parse(Json.parse("{\"detail-type\":\"Cancel Workflow\",\"detail\":{\"uid\":\"u\",\"workflow\":\"w\"}}")).reason())
                .isEqualTo("no reason given");
    }
}
