package dev.orchestrator.request;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.orchestrator.core.ActivityStatus;
import dev.orchestrator.core.Json;
import dev.orchestrator.core.PluginStatus;
import dev.orchestrator.core.StageStatus;
import dev.orchestrator.core.State;
import dev.orchestrator.core.WorkflowRun;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ResumeTest {

    static final StageStatus DONE = StageStatus.notStarted().withStatus(State.COMPLETE);

    static WorkflowRun failedRun() {
        StageStatus failed = new StageStatus(State.ERROR,
                Map.of("ok", new PluginStatus(State.COMPLETE, 1, null, null), "bad", new PluginStatus(State.ERROR, 2, "boom", 5L)),
                Map.of(), 5, 10L, 20L);
        var a = new ActivityStatus(State.ERROR, DONE, failed, StageStatus.notStarted());
        var b = ActivityStatus.notStarted();
        return new WorkflowRun("u", "w", State.ERROR, (com.fasterxml.jackson.databind.node.ObjectNode) Json.parse("{\"k\":1}"),
                List.of("A", "B"), Map.of("A", a, "B", b), null, 9, 123L);
    }

    static StartRequest request(String metadata, boolean override) {
        return StartRequest.parse(Json.parse("{\"uid\":\"u\",\"workflow\":\"w\",\"activities\":[\"A\",\"B\"],\"metadata\":" + metadata
                + ",\"metadataOverride\":" + override + "}"), Set.of());
    }

    @Test
    void erroredPartsGoBackToNotStartedAndCompletedOnesStay() {
        Resume.Decision d = Resume.decide(failedRun(), request("{\"k\":1}", false));
        assertThat(d.outcome()).isEqualTo(Resume.Outcome.RESUMED);
        WorkflowRun r = d.run();
        assertThat(r.status()).isEqualTo(State.NOT_STARTED);
        assertThat(r.notifiedAt()).isNull();
        assertThat(r.version()).isEqualTo(10);
        ActivityStatus a = r.activity("A");
        assertThat(a.status()).isEqualTo(State.NOT_STARTED);
        assertThat(a.pre().status()).isEqualTo(State.COMPLETE);
        assertThat(a.async().status()).isEqualTo(State.NOT_STARTED);
        assertThat(a.async().publishedAt()).isNull();
        assertThat(a.async().mandatory().get("ok").state()).isEqualTo(State.COMPLETE);
        assertThat(a.async().mandatory().get("bad")).isEqualTo(PluginStatus.notStarted(2));
    }

    @Test
    void metadataMustMatchUnlessOverridden() {
        assertThatThrownBy(() -> Resume.decide(failedRun(), request("{\"k\":2}", false)))
                .hasMessageContaining("metadata does not match").hasMessageContaining("metadataOverride");
        Resume.Decision d = Resume.decide(failedRun(), request("{\"k\":2}", true));
        assertThat(d.run().metadata().get("k").asInt()).isEqualTo(2);
    }

    @Test
    void aRunningOrCompleteRunIsLeftAlone() {
        WorkflowRun f = failedRun();
        WorkflowRun running = new WorkflowRun("u", "w", State.IN_PROGRESS, f.metadata(), f.activityOrder(), f.activities(), null, 3, null);
        assertThat(Resume.decide(running, request("{\"k\":1}", false)).outcome()).isEqualTo(Resume.Outcome.ALREADY_RUNNING);
        WorkflowRun complete = new WorkflowRun("u", "w", State.COMPLETE, f.metadata(), f.activityOrder(), f.activities(), null, 3, 1L);
        assertThat(Resume.decide(complete, request("{\"k\":1}", false)).outcome()).isEqualTo(Resume.Outcome.ALREADY_COMPLETE);
    }
}
