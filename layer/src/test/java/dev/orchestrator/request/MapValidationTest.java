package dev.orchestrator.request;

import static org.assertj.core.api.Assertions.assertThat;

import dev.orchestrator.core.Json;
import dev.orchestrator.core.MapSpec;
import dev.orchestrator.core.MapState;
import dev.orchestrator.core.Stage;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** A map is checked at start: its fields, and a metadata list resolved there and then, each problem naming its field. */
class MapValidationTest {

    static final StartRequest.Limits LIMITS = new StartRequest.Limits(Set.of("A", "B"), List.of());

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

    static String start(String map, String metadata) {
        return "{\"uid\":\"u\",\"workflow\":\"w\",\"metadata\":" + metadata + ",\"activities\":[\"A\",{\"name\":\"B\","
                + "\"dependsOn\":[\"A\"],\"map\":" + map + "}]}";
    }

    @Test
    void aMapOverTheMetadataIsAcceptedAndCarriedByTheRun() {
        StartRequest r = parse(start("{\"items\":\"$.metadata.regions\",\"maxConcurrency\":2,\"toleratedFailurePercentage\":10}",
                "{\"regions\":[\"eu\",\"us\",\"ap\"]}"));
        assertThat(r.maps()).containsOnlyKeys("B");
        MapState m = r.newRun(null).activity("B").stage(Stage.PARALLEL).map();
        assertThat(m.spec()).isEqualTo(new MapSpec("$.metadata.regions", 2, null, 10.0));
        assertThat(m.total()).isNull();
        assertThat(r.newRun(null).activity("A").stage(Stage.PARALLEL).map()).isNull();
    }

    @Test
    void defaultsAreFortyInFlightAndNoFailureTolerated() {
        MapSpec s = parse(start("{\"items\":\"$.metadata.r\"}", "{\"r\":[1]}")).maps().get("B");
        assertThat(s.maxConcurrency()).isEqualTo(MapSpec.DEFAULT_MAX_CONCURRENCY).isEqualTo(40);
        assertThat(s.tolerated(1000)).isZero();
        assertThat(s.toleranceField()).contains("default");
    }

    @Test
    void aMetadataPathThatDoesNotResolveOrIsNotAListIsRefusedNamingTheField() {
        assertThat(problems(start("{\"items\":\"$.metadata.regions\"}", "{}")))
                .containsExactly("activities[1].map.items \"$.metadata.regions\" does not resolve: no \"regions\"");
        assertThat(problems(start("{\"items\":\"$.metadata.regions\"}", "{\"regions\":\"eu\"}")))
                .containsExactly("activities[1].map.items \"$.metadata.regions\" is not a list (it is string)");
        assertThat(problems(start("{\"items\":\"$.metadata.a.b\"}", "{\"a\":{\"c\":[]}}")))
                .containsExactly("activities[1].map.items \"$.metadata.a.b\" does not resolve: no \"b\"");
    }

    @Test
    void moreThanTenThousandElementsAreRefused() {
        StringBuilder list = new StringBuilder("[");
        for (int i = 0; i <= MapSpec.MAX_ITEMS; i++) {
            list.append(i == 0 ? "" : ",").append(i);
        }
        assertThat(problems(start("{\"items\":\"$.metadata.r\"}", "{\"r\":" + list + "]}")))
                .anySatisfy(p -> assertThat(p).isEqualTo("activities[1].map.items \"$.metadata.r\" has 10001 elements; a map takes at most 10000"));
        assertThat(parse(start("{\"items\":\"$.metadata.r\"}", "{\"r\":" + list.substring(0, list.lastIndexOf(",")) + "]}")).maps())
                .containsKey("B");
    }

    @Test
    void badConcurrencyAndToleranceAreRefusedNamingTheField() {
        assertThat(problems(start("{\"items\":\"$.metadata.r\",\"maxConcurrency\":0}", "{\"r\":[]}")))
                .containsExactly("activities[1].map.maxConcurrency must be a whole number between 1 and 1000, got 0");
        assertThat(problems(start("{\"items\":\"$.metadata.r\",\"maxConcurrency\":\"5\"}", "{\"r\":[]}")))
                .containsExactly("activities[1].map.maxConcurrency must be a whole number between 1 and 1000, got \"5\"");
        assertThat(problems(start("{\"items\":\"$.metadata.r\",\"toleratedFailureCount\":-1}", "{\"r\":[]}")))
                .containsExactly("activities[1].map.toleratedFailureCount must be a whole number between 0 and 10000, got -1");
        assertThat(problems(start("{\"items\":\"$.metadata.r\",\"toleratedFailurePercentage\":101}", "{\"r\":[]}")))
                .containsExactly("activities[1].map.toleratedFailurePercentage must be a number between 0 and 100, got 101");
        assertThat(problems(start("{\"items\":\"$.metadata.r\",\"toleratedFailureCount\":1,\"toleratedFailurePercentage\":5}", "{\"r\":[]}")))
                .containsExactly("activities[1].map may give toleratedFailureCount or toleratedFailurePercentage, not both");
        assertThat(problems(start("{\"items\":\"$.metadata.r\",\"maxConcurency\":5}", "{\"r\":[]}")))
                .containsExactly("activities[1].map.maxConcurency is not a map field (items, maxConcurrency, toleratedFailureCount, toleratedFailurePercentage)");
        assertThat(problems(start("[]", "{}"))).containsExactly(
                "activities[1].map must be an object {items, maxConcurrency, toleratedFailureCount | toleratedFailurePercentage}");
    }

    @Test
    void badPathsAreRefusedNamingTheField() {
        assertThat(problems(start("{}", "{}"))).containsExactly(
                "activities[1].map.items is required: a path such as \"$.metadata.regions\", \"$.inputs.Provision.dns.hosts\" or \"s3://bucket/lists/hosts.json\"");
        assertThat(problems(start("{\"items\":\"regions\"}", "{}"))).containsExactly(
                "activities[1].map.items must start with \"$.metadata.\", \"$.inputs.<Activity>.<plugin>\" or \"s3://\", got \"regions\"");
        assertThat(problems(start("{\"items\":\"$.inputs.A\"}", "{}"))).containsExactly(
                "activities[1].map.items must name an activity and a plugin after \"$.inputs.\", got \"$.inputs.A\"");
        assertThat(problems(start("{\"items\":\"$.metadata..x\"}", "{}"))).containsExactly(
                "activities[1].map.items has an empty segment: \"$.metadata..x\"");
        for (String bad : new String[] {"s3://lists", "s3://lists/", "s3:///key.json"}) {
            assertThat(problems(start("{\"items\":\"" + bad + "\"}", "{}"))).containsExactly(
                    "activities[1].map.items must name a bucket and a key after \"s3://\", got \"" + bad + "\"");
        }
        // An S3 list is read when its stage starts: the start accepts any well-formed location.
        assertThat(parse(start("{\"items\":\"s3://lists/rollout/hosts.json\"}", "{}")).maps().get("B").s3Key())
                .isEqualTo("rollout/hosts.json");
    }

    @Test
    void anS3ListIsReadOnlyFromThePayloadBucketOrTheMapListBucket() {
        var spec = new dev.orchestrator.core.MapSpec("s3://lists/a/b.json", 40, null, null);
        assertThat(spec.fromS3()).isTrue();
        assertThat(spec.fromMetadata()).isFalse();
        assertThat(spec.s3Bucket()).isEqualTo("lists");
        assertThat(spec.s3Key()).isEqualTo("a/b.json");
        assertThat(spec.segments()).isEmpty();
        assertThat(spec.s3BucketProblem("f", "payloads", "lists")).isNull();
        assertThat(new dev.orchestrator.core.MapSpec("s3://payloads/x.json", 40, null, null).s3BucketProblem("f", "payloads", "")).isNull();
        assertThat(spec.s3BucketProblem("map.items of Deploy", "payloads", "")).isEqualTo("map.items of Deploy \"s3://lists/a/b.json\""
                + " is in bucket lists, which the engine may not read: a map reads a list from the payload bucket (payloads)"
                + " or the stack parameter MapListBucket (not set)");
    }

    @Test
    void aPathIntoAnUpstreamOutputMustNameADirectDependencyAndIsResolvedLater() {
        assertThat(parse(start("{\"items\":\"$.inputs.A.dns.hosts\"}", "{}")).maps().get("B").fromInputs()).isTrue();
        assertThat(problems("{\"uid\":\"u\",\"workflow\":\"w\",\"activities\":[\"A\",{\"name\":\"B\",\"map\":{\"items\":\"$.inputs.A.dns.hosts\"}}]}"))
                .containsExactly("activities[1].map.items \"$.inputs.A.dns.hosts\" reads an output of A, which B does not depend on"
                        + " directly (its dependencies: none)");
    }

    @Test
    void toleranceByPercentageRoundsDown() {
        assertThat(new MapSpec("$.metadata.r", 1, null, 0.5).tolerated(1000)).isEqualTo(5);
        assertThat(new MapSpec("$.metadata.r", 1, null, 10.0).tolerated(15)).isEqualTo(1);
        assertThat(new MapSpec("$.metadata.r", 1, 3, null).tolerated(1000)).isEqualTo(3);
    }

    @Test
    void theMapStateSurvivesTheHeaderCodec() {
        MapState m = new MapState(new MapSpec("$.inputs.A.p.x", 7, null, 12.5), 100, 40, java.util.Map.of("p", 33, "q", 31), 2, 123L);
        assertThat(MapState.fromAttribute(m.toAttribute())).isEqualTo(m);
        assertThat(m.reset()).isEqualTo(MapState.of(m.spec()));
    }
}
