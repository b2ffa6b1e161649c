package dev.orchestrator.plugin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.orchestrator.core.Json;
import dev.orchestrator.core.Stage;
import java.util.Map;
import org.junit.jupiter.api.Test;

class QueueBridgeRulesTest {

    static StageMessage message(String uid, String activity, String metadata) {
        return new StageMessage(uid, "wf", activity, Stage.PARALLEL, null, (ObjectNode) Json.parse(metadata), 1L, Map.of(), Map.of());
    }

    @Test
    void theFifoGroupIsTheFifoKeyFieldElseTheUid() {
        assertThat(QueueBridgeRules.groupId(message("u1", "A", "{\"tenantId\":\"acme\"}"), "tenantId")).isEqualTo("acme");
        assertThat(QueueBridgeRules.groupId(message("u1", "A", "{}"), "tenantId")).isEqualTo("u1");
        assertThat(QueueBridgeRules.groupId(message("u1", "A", "{\"tenantId\":\"acme\"}"), null)).isEqualTo("u1");
    }

    @Test
    void theDeduplicationIdIsStablePerRunActivityStageAndPlugin() {
        String id = QueueBridgeRules.deduplicationId(message("u1", "A", "{\"x\":1}"), "p");
        assertThat(QueueBridgeRules.deduplicationId(message("u1", "A", "{\"x\":2}"), "p")).isEqualTo(id);
        assertThat(QueueBridgeRules.deduplicationId(message("u2", "A", "{}"), "p")).isNotEqualTo(id);
        assertThat(QueueBridgeRules.deduplicationId(message("u1", "B", "{}"), "p")).isNotEqualTo(id);
        assertThat(QueueBridgeRules.deduplicationId(message("u1", "A", "{}"), "q")).isNotEqualTo(id);
        assertThat(id).hasSizeLessThanOrEqualTo(128); // SQS's limit
    }

    @Test
    void backoffDoublesAndStopsAtFifteenMinutes() {
        assertThat(QueueBridgeRules.backoffSeconds(1)).isEqualTo(2);
        assertThat(QueueBridgeRules.backoffSeconds(2)).isEqualTo(4);
        assertThat(QueueBridgeRules.backoffSeconds(3)).isEqualTo(8);
        assertThat(QueueBridgeRules.backoffSeconds(20)).isEqualTo(900);
    }
}
