package dev.orchestrator.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

class PayloadLinksTest {

    static final Outputs.Ref REF = new Outputs.Ref("b", "runs/u/~p~/w/A/parallel.json", "ab".repeat(32), 10);

    @Test
    void aStoredReferenceHasNoLinkAndASignedOneCarriesItOnTheWire() {
        assertThat(REF.toJson().has("url")).isFalse();
        assertThat(REF.toAttribute().m()).doesNotContainKey("url");
        Outputs.Ref signed = REF.withUrl("http://127.0.0.1:1/b/k?X-Amz-Expires=60");
        assertThat(Outputs.Ref.fromJson(signed.toJson(), "x")).isEqualTo(signed);
        assertThat(signed.toAttribute().m()).as("a link is never stored").doesNotContainKey("url");
    }

    @Test
    void aLinkThatIsNotHttpIsRefusedNamingTheField() {
        ObjectNode wire = REF.toJson();
        wire.put("url", "file:///etc/passwd");
        assertThatThrownBy(() -> Outputs.Ref.fromJson(wire, "input A.p")).hasMessage("input A.p.outputRef.url is not an http(s) URL");
    }

    @Test
    void signingAddsALinkToEveryReferenceOfAnInputsDocumentAndLeavesInlineOutputsAlone() {
        PayloadStore store = new PayloadStore(() -> null, "b", r -> "https://signed/" + r.key());
        ObjectNode inputs = Json.object();
        inputs.putObject("A").putObject("p").set(Outputs.OUTPUT_REF, REF.toJson());
        inputs.putObject("B").putObject("q").putObject(Outputs.OUTPUT).put("host", "h");

        store.sign(inputs);

        assertThat(inputs.path("A").path("p").path(Outputs.OUTPUT_REF).path("url").asText()).isEqualTo("https://signed/" + REF.key());
        assertThat(inputs.path("B").path("q").path(Outputs.OUTPUT).path("host").asText()).isEqualTo("h");
        assertThat(inputs.path("B").path("q").has(Outputs.OUTPUT_REF)).isFalse();
        assertThat(store.signed(null)).isNull();
        assertThat(new PayloadStore(() -> null, "b").signed(REF)).as("a store without a signer (a plugin's)").isEqualTo(REF);
    }

    @Test
    void theLinkLifeIsBoundedBySigV4sSevenDays() {
        assertThatThrownBy(() -> PayloadStore.presigning(() -> null, 0)).hasMessageContaining("PAYLOAD_URL_SECONDS must be 1 to 604800");
        assertThatThrownBy(() -> PayloadStore.presigning(() -> null, 604_801)).hasMessageContaining("got 604801");
        assertThat(PayloadStore.presigning(() -> null, 900)).isNotNull();
    }
}
