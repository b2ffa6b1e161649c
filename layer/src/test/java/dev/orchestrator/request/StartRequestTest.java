package dev.orchestrator.request;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.orchestrator.core.Json;
import java.util.Set;
import org.junit.jupiter.api.Test;

class StartRequestTest {

    static StartRequest parse(String json) {
        return StartRequest.parse(Json.parse(json), Set.of("Ingest", "Deliver"));
    }

    @Test
    void acceptsADirectRequestAndAnEventBridgeEvent() {
        StartRequest direct = parse("{\"uid\":\"u\",\"workflow\":\"w\",\"activities\":[\"Ingest\",\"Deliver\"],\"metadata\":{\"k\":1}}");
        assertThat(direct.activities()).containsExactly("Ingest", "Deliver");
        assertThat(direct.metadata().get("k").asInt()).isEqualTo(1);
        StartRequest viaBus = parse("{\"detail-type\":\"Start Workflow\",\"source\":\"x\",\"detail\":"
                + "{\"uid\":\"u\",\"workflow\":\"w\",\"activities\":[\"Ingest\"],\"pluginRegisterTimeout\":3,\"metadataOverride\":true}}");
        assertThat(viaBus.pluginRegisterTimeout()).isEqualTo(3);
        assertThat(viaBus.metadataOverride()).isTrue();
    }

    @Test
    void eachBadFieldIsNamed() {
        assertThatThrownBy(() -> parse("{\"workflow\":\"w\",\"activities\":[\"Ingest\"]}")).hasMessageContaining("uid is required");
        assertThatThrownBy(() -> parse("{\"uid\":\"u\",\"activities\":[\"Ingest\"]}")).hasMessageContaining("workflow is required");
        assertThatThrownBy(() -> parse("{\"uid\":\"u\",\"workflow\":\"w\"}")).hasMessageContaining("activities is required");
        assertThatThrownBy(() -> parse("{\"uid\":\"u\",\"workflow\":\"w\",\"activities\":[]}")).hasMessageContaining("activities must be a non-empty list");
        assertThatThrownBy(() -> parse("{\"uid\":\"u\",\"workflow\":\"w\",\"activities\":[\"Nope\"]}"))
                .hasMessageContaining("activities[0] 'Nope' is not deployed");
        assertThatThrownBy(() -> parse("{\"uid\":\"u\",\"workflow\":\"w\",\"activities\":[\"Ingest\",\"Ingest\"]}"))
                .hasMessageContaining("activities[1] repeats 'Ingest'");
        assertThatThrownBy(() -> parse("{\"uid\":\"u\",\"workflow\":\"w\",\"activities\":[\"Ingest\"],\"metadata\":[1]}"))
                .hasMessageContaining("metadata must be a JSON object");
        assertThatThrownBy(() -> parse("{\"uid\":\"u\",\"workflow\":\"w\",\"activities\":[\"Ingest\"],\"pluginRegisterTimeout\":-1}"))
                .hasMessageContaining("pluginRegisterTimeout");
        assertThatThrownBy(() -> parse("{\"uid\":\"\",\"workflow\":3,\"activities\":[\"Ingest\"]}"))
                .hasMessageContaining("uid must be a non-empty string").hasMessageContaining("workflow must be a non-empty string");
        assertThatThrownBy(() -> parse("[1]")).hasMessageContaining("must be a JSON object");
        assertThatThrownBy(() -> parse("not json")).hasMessageContaining("not valid JSON");
    }

    @Test
    void startInputsAreNamedObjectsUnderASourceThatIsNoActivity() {
        StartRequest r = parse("{\"uid\":\"u\",\"workflow\":\"w\",\"activities\":[\"Ingest\"],"
                + "\"inputs\":{\"Provisioning\":{\"codebuild\":{\"variables\":{\"DB_HOST\":\"db.acme\"}}}}}");
        assertThat(r.inputs().path("Provisioning").path("codebuild").path("variables").path("DB_HOST").asText()).isEqualTo("db.acme");
        assertThat(r.startInputsDigest()).hasSize(32);
        assertThat(r.newRun(null).startInputs()).isEqualTo(r.startInputsDigest());
        StartRequest none = parse("{\"uid\":\"u\",\"workflow\":\"w\",\"activities\":[\"Ingest\"]}");
        assertThat(none.inputs()).isNull();
        assertThat(none.newRun(null).startInputs()).isNull();

        assertThatThrownBy(() -> parse("{\"uid\":\"u\",\"workflow\":\"w\",\"activities\":[\"Ingest\"],\"inputs\":[1]}"))
                .hasMessageContaining("inputs must be a JSON object");
        assertThatThrownBy(() -> parse("{\"uid\":\"u\",\"workflow\":\"w\",\"activities\":[\"Ingest\"],\"inputs\":{\"Ingest\":{\"x\":{}}}}"))
                .hasMessageContaining("inputs.Ingest names an activity of this run");
        assertThatThrownBy(() -> parse("{\"uid\":\"u\",\"workflow\":\"w\",\"activities\":[\"Ingest\"],\"inputs\":{\"P\":{\"x\":\"text\"}}}"))
                .hasMessageContaining("inputs.P.x must be a JSON object, got string");
        String big = "x".repeat(StartRequest.MAX_INPUTS_BYTES);
        assertThatThrownBy(() -> parse("{\"uid\":\"u\",\"workflow\":\"w\",\"activities\":[\"Ingest\"],\"inputs\":{\"P\":{\"x\":{\"v\":\"" + big + "\"}}}}"))
                .hasMessageContaining("inputs is 1310").hasMessageContaining("at most 131072");
    }
}
