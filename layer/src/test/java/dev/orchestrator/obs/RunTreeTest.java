package dev.orchestrator.obs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.orchestrator.core.Json;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class RunTreeTest {

    @Test
    void treeWithTimesCausesAndCancel() {
        String item = """
            {"uid":"t-1","workflow":"onboarding","status":"Error","message":"cancelled: bad data",
             "startedAt":0,"endedAt":9000,"cancelRequested":{"reason":"bad data","at":8000},
             "activityOrder":["Ingest"],
             "activities":{"Ingest":{"status":"Error","startedAt":1000,
               "pre":{"status":"Complete","mandatory":{"audit":{"state":"Complete","order":1,"startedAt":1000,"endedAt":2500}},"optional":{}},
               "async":{"status":"Error","mandatory":{"resize":{"state":"In Progress","order":1,"attempt":2,"rerunAt":60000,"startedAt":3000}},
                        "optional":{"thumbs":{"state":"Error","order":0,"message":"disk full"}}},
               "post":{"status":"Not Started","mandatory":{},"optional":{}}}}}
            """;
        assertThat(RunTree.render(Json.parse(item), ZoneOffset.UTC).lines().toList()).containsExactly(
                "t-1 / onboarding  Error [FAILED]: cancelled: bad data  00:00:00 → 00:00:09 (9.0 s)",
                "│  cancel requested at 00:00:08: bad data",
                "└─ Ingest  Error [FAILED]  since 00:00:01",
                "   ├─ pre      Complete [ok]",
                "   │  · audit  Complete  00:00:01 → 00:00:02 (1.5 s)",
                "   ├─ parallel Error [FAILED]",
                "   │  · thumbs (optional)  Error: disk full",
                "   │  · resize  In Progress  since 00:00:03, attempt 2, re-run at 00:01:00",
                "   └─ post     Not Started [ ]");
    }

    @Test
    void readableLogAndMetricLines() {
        String log = "{\"level\":\"INFO\",\"message\":\"plugin dispatched\",\"timestamp\":\"2026-11-22T12:00:01.000Z\","
                + "\"service\":\"local\",\"logger\":\"EngineHandler\",\"plugin\":\"audit\",\"uid\":\"u-1\",\"cold_start\":true,\"attempt\":\"2\"}";
        assertThat(LogLines.readable(log, ZoneOffset.UTC))
                .isEqualTo("12:00:01 INFO  engine     plugin dispatched uid=u-1 plugin=audit attempt=2");
        String emf = "{\"_aws\":{\"Timestamp\":43201000,\"CloudWatchMetrics\":[{\"Namespace\":\"Orchestrator\","
                + "\"Dimensions\":[[\"service\",\"workflow\"]],\"Metrics\":[{\"Name\":\"RunsStarted\",\"Unit\":\"Count\"}]}]},"
                + "\"service\":\"StartWorkflowHandler\",\"workflow\":\"wf\",\"RunsStarted\":1.0}";
        assertThat(LogLines.readable(emf, ZoneOffset.UTC)).isEqualTo("12:00:01 METRIC startworkflow RunsStarted=1 workflow=wf");
        assertThat(LogLines.readable("plain text", ZoneOffset.UTC)).isEqualTo("plain text");
    }
}
