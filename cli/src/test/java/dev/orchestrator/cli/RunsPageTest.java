package dev.orchestrator.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.orchestrator.core.Json;
import java.util.List;
import org.junit.jupiter.api.Test;

class RunsPageTest {

    static JsonNode run(String uid, String status, long updatedAt) {
        return Json.parse("{\"uid\":\"" + uid + "\",\"workflow\":\"w\",\"status\":\"" + status + "\",\"updatedAt\":" + updatedAt + "}");
    }

    @Test
    void aRunReadInTwoStatesWhileItChangedShowsOnceWithItsNewestState() {
        // "In Progress" was queried first and saw the run; it completed before "Complete" was queried.
        List<JsonNode> found = List.of(run("a", "In Progress", 10), run("b", "In Progress", 12), run("a", "Complete", 20));

        List<JsonNode> shown = ConsoleReads.shown(found, Long.MIN_VALUE, 10);

        assertThat(shown).extracting(r -> r.path("uid").asText() + ":" + r.path("status").asText())
                .containsExactly("a:Complete", "b:In Progress");
    }

    @Test
    void thePageStopsAtItsSizeAndAtTheFloor() {
        List<JsonNode> found = List.of(run("a", "Complete", 30), run("b", "Complete", 20), run("c", "Complete", 10));

        assertThat(ConsoleReads.shown(found, Long.MIN_VALUE, 2)).extracting(r -> r.path("uid").asText()).containsExactly("a", "b");
        assertThat(ConsoleReads.shown(found, 20, 10)).extracting(r -> r.path("uid").asText()).containsExactly("a");
    }
}
