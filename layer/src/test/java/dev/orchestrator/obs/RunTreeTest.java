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
    void aMapStageShowsItsCountersUnderTheStage() {
        String item = """
            {"uid":"m-1","workflow":"rollout","status":"In Progress","activityOrder":["Deploy","Check"],
             "activities":{
               "Deploy":{"status":"In Progress","pre":{"status":"Complete"},
                 "async":{"status":"In Progress","map":{"items":"$.metadata.regions","maxConcurrency":50,"total":120,
                          "released":100,"ended":{"ping":80,"audit":78},"failed":2},
                          "mandatory":{"ping":{"state":"In Progress","order":1}}},
                 "post":{"status":"Not Started"}},
               "Check":{"status":"In Progress","pre":{"status":"Complete"},
                 "async":{"status":"In Progress","map":{"items":"s3://lists/hosts.json","maxConcurrency":40,"released":0,"ended":{},"failed":0}},
                 "post":{"status":"Not Started"}}}}
            """;
        assertThat(RunTree.render(Json.parse(item), ZoneOffset.UTC).lines().toList()).contains(
                "│  │  ↻ map over $.metadata.regions: 120 elements, 100 released, ended: ping 80, audit 78; 2 failed (maxConcurrency 50)",
                "   │  ↻ map over s3://lists/hosts.json: list not read yet (maxConcurrency 40)");
    }

    @Test
    void aDagSaysWhatEachActivityWaitsForAndAChildIsDrawnUnderItsPlugin() {
        String parent = """
            {"uid":"acme","workflow":"onboard","status":"In Progress",
             "activityOrder":["Setup","Db","Dns","Go"],
             "dependsOn":{"Setup":[],"Db":["Setup"],"Dns":["Setup"],"Go":["Db","Dns"]},
             "activities":{
               "Setup":{"status":"Complete","pre":{"status":"Complete"},"async":{"status":"Complete"},"post":{"status":"Complete"}},
               "Db":{"status":"In Progress","pre":{"status":"Complete"},
                     "async":{"status":"In Progress","mandatory":{"delegate":{"state":"In Progress","order":1,
                              "child":{"request":"{}","uid":"acme/Db/delegate","workflow":"db-setup","startedAt":1000}}}},
                     "post":{"status":"Not Started"}},
               "Dns":{"status":"In Progress","pre":{"status":"Complete"},
                     "async":{"status":"In Progress","mandatory":{"asker":{"state":"In Progress","order":1,"child":{"request":"{}"}}}},
                     "post":{"status":"Not Started"}},
               "Go":{"status":"Not Started"}}}
            """;
        String child = """
            {"uid":"acme/Db/delegate","workflow":"db-setup","status":"In Progress",
             "parent":{"uid":"acme","workflow":"onboard","activity":"Db","stage":"parallel","mandatory":true,"plugin":"delegate"},
             "activityOrder":["CreateDb"],
             "activities":{"CreateDb":{"status":"In Progress","pre":{"status":"Complete"},"async":{"status":"In Progress"},"post":{"status":"Not Started"}}}}
            """;
        RunTree.Children lookup = (uid, wf) -> uid.equals("acme/Db/delegate") && wf.equals("db-setup")
                ? java.util.Optional.of(Json.parse(child)) : java.util.Optional.empty();
        assertThat(RunTree.render(Json.parse(parent), ZoneOffset.UTC, lookup).lines().toList()).containsExactly(
                "acme / onboard  In Progress [running]",
                "├─ Setup  Complete [ok]",
                "│  ├─ pre      Complete [ok]",
                "│  ├─ parallel Complete [ok]",
                "│  └─ post     Complete [ok]",
                "├─ Db  In Progress [running]  after Setup",
                "│  ├─ pre      Complete [ok]",
                "│  ├─ parallel In Progress [running]",
                "│  │  · delegate  In Progress, child acme/Db/delegate / db-setup",
                "│  │      acme/Db/delegate / db-setup  In Progress [running]",
                "│  │      │  child of acme / onboard (Db parallel, plugin delegate)",
                "│  │      └─ CreateDb  In Progress [running]",
                "│  │         ├─ pre      Complete [ok]",
                "│  │         ├─ parallel In Progress [running]",
                "│  │         └─ post     Not Started [ ]",
                "│  └─ post     Not Started [ ]",
                "├─ Dns  In Progress [running]  after Setup",
                "│  ├─ pre      Complete [ok]",
                "│  ├─ parallel In Progress [running]",
                "│  │  · asker  In Progress, child requested",
                "│  └─ post     Not Started [ ]",
                "└─ Go  Not Started [ ]  after Db, Dns",
                "   ├─ pre      Not Started [ ]",
                "   ├─ parallel Not Started [ ]",
                "   └─ post     Not Started [ ]");
        assertThat(RunTree.render(Json.parse(parent), ZoneOffset.UTC)).as("without a lookup, no child tree")
                .doesNotContain("child of");
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
