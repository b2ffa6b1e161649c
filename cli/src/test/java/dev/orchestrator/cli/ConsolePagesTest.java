package dev.orchestrator.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.orchestrator.core.Json;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The console's rendering, without a stack: escaping, the graph, paging of big stages, page tokens. */
class ConsolePagesTest {

    final ConsolePages pages = new ConsolePages(null, "demo", ZoneOffset.UTC, "csrf-token", args -> {
        throw new AssertionError("no CLI here");
    });

    static ObjectNode run(int pluginsInDeploy) {
        ObjectNode run = (ObjectNode) Json.parse("""
                {"uid":"u1","workflow":"w","status":"In Progress","startedAt":1000,"updatedAt":2000,
                 "activityOrder":["Build","Deploy","Verify"],
                 "metadata":{"note":"<img src=x onerror=alert(1)>"},
                 "activities":{
                   "Build":{"status":"Complete","pre":{"status":"Complete","mandatory":{"compile":{"state":"Complete","order":1,
                       "startedAt":1000,"endedAt":1500,"message":"<script>alert(2)</script>"}}},
                       "async":{"status":"Complete"},"post":{"status":"Complete"}},
                   "Deploy":{"status":"In Progress","pre":{"status":"Complete"},"async":{"status":"In Progress","mandatory":{}},
                       "post":{"status":"Not Started"}},
                   "Verify":{"status":"Not Started"}}}""");
        ObjectNode group = (ObjectNode) run.path("activities").path("Deploy").path("async").path("mandatory");
        for (int i = 0; i < pluginsInDeploy; i++) {
            group.set("p" + i, Json.parse("{\"state\":\"In Progress\",\"order\":" + i + ",\"startedAt\":1000,\"heartbeatAt\":1500,"
                    + "\"timeout\":60,\"attempt\":1}"));
        }
        return run;
    }

    @Test
    void everyValueFromTheRunIsEscaped() {
        String html = pages.renderRun("u1", "w", run(2), List.of(Json.parse(
                "{\"time\":1000,\"path\":\"Build.pre.compile\",\"event\":\"state\",\"to\":\"Error\",\"message\":\"<i>boom</i>\"}")), Map.of());
        assertThat(html).doesNotContain("<img").doesNotContain("<script>").doesNotContain("<i>boom")
                .contains("&lt;img src=x onerror=alert(1)&gt;").contains("&lt;script&gt;alert(2)&lt;/script&gt;");
        assertThat(ConsolePages.esc("\"'&<>")).isEqualTo("&quot;&#39;&amp;&lt;&gt;");
    }

    @Test
    void theGraphHasOneNodePerActivityEdgesFromTheListOrderAndTheRunningOneHighlighted() {
        String svg = RunGraph.svg(run(1), ConsolePages.activityOrder(run(1)));
        assertThat(svg.split("class=\"node ", -1)).hasSize(4);
        assertThat(svg).contains("data-from=\"Build\" data-to=\"Deploy\"").contains("data-from=\"Deploy\" data-to=\"Verify\"")
                .contains("class=\"node st-in-progress running\" data-activity=\"Deploy\"");
    }

    @Test
    void aDagRunDrawsItsDependsOnAndPutsParallelActivitiesInOneColumn() {
        ObjectNode run = run(0);
        run.set("dependsOn", Json.parse("{\"Build\":[],\"Deploy\":[\"Build\"],\"Verify\":[\"Build\"]}"));
        Map<String, List<String>> deps = RunGraph.dependencies(run, List.of("Build", "Deploy", "Verify"));
        assertThat(deps).containsEntry("Verify", List.of("Build")).containsEntry("Build", List.of());
        String svg = RunGraph.svg(run, List.of("Build", "Deploy", "Verify"));
        assertThat(svg).contains("data-from=\"Build\" data-to=\"Verify\"").doesNotContain("data-from=\"Deploy\"");
    }

    @Test
    void aStageOfAThousandPluginsRendersCollapsedAndOnePageAtATime() {
        String html = pages.renderRun("u1", "w", run(1000), List.of(), Map.of());
        assertThat(html.split("<tr class=\"plugin ", -1).length - 1).isEqualTo(1 + ConsolePages.PLUGIN_PAGE);
        assertThat(html).contains("1000 plugins").contains("plugins 1–50 of 1000")
                .contains("<details class=\"stage\" data-stage-key=\"Deploy|async\">"); // not open
        String third = pages.renderRun("u1", "w", run(1000), List.of(), Map.of("Deploy|async", 2));
        assertThat(third).contains("plugins 101–150 of 1000").contains("data-plugin=\"p100\"").doesNotContain("data-plugin=\"p99\"");
    }

    @Test
    void pageTokensRoundTripAndBadOnesAreRefused() {
        ConsoleReads.Cursor c = new ConsoleReads.Cursor(1234L, "u\u0000w");
        assertThat(ConsoleReads.Cursor.decode(c.encode())).isEqualTo(c);
        JsonNode older = Json.parse("{\"uid\":\"a\",\"workflow\":\"w\",\"updatedAt\":1000}");
        JsonNode same = Json.parse("{\"uid\":\"z\",\"workflow\":\"w\",\"updatedAt\":1234}");
        JsonNode newer = Json.parse("{\"uid\":\"a\",\"workflow\":\"w\",\"updatedAt\":2000}");
        assertThat(c.admits(older)).isTrue();
        assertThat(c.admits(same)).isTrue();
        assertThat(c.admits(newer)).isFalse();
        assertThatThrownBy(() -> ConsoleReads.Cursor.decode("!!")).hasMessageContaining("not one this console made");
    }

    @Test
    void theStageNamesOfTheRepairCommand() {
        assertThat(PluginRepair.stageKey("parallel")).isEqualTo("async");
        assertThat(PluginRepair.stageKey("PRE")).isEqualTo("pre");
        assertThatThrownBy(() -> PluginRepair.stageKey("middle")).hasMessageContaining("not one of pre, parallel (async), post");
    }

    @Test
    void helpListsTheConsoleOptions() {
        java.io.StringWriter out = new java.io.StringWriter();
        int code = Orchestrator.run(new String[] {"console", "--help"}, Map.of(), ZoneOffset.UTC, new java.io.PrintWriter(out),
                new java.io.PrintWriter(new java.io.StringWriter()));
        assertThat(code).isZero();
        assertThat(out.toString()).contains("--port=PORT").contains("--bind=ADDRESS").contains("default 0: a free port")
                .contains("default 127.0.0.1");
    }
}
