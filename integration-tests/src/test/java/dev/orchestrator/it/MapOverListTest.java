package dev.orchestrator.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.orchestrator.core.Json;
import dev.orchestrator.core.Keys;
import dev.orchestrator.core.Stage;
import dev.orchestrator.core.State;
import dev.orchestrator.core.WorkflowRun;
import dev.orchestrator.plugin.PluginContext;
import dev.orchestrator.plugin.PluginHandler;
import dev.orchestrator.plugin.PluginInfo;
import dev.orchestrator.plugin.PluginResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/** Issue 21, item 3: a map over a list, on the emulator. */
class MapOverListTest {

    /**
     * Elements of the big map: 120 by default, so the run ends within the fixture's 120 s ceiling on a busy 2-core
     * machine (the emulator's stream drives about 2-3 elements a second there); {@code -Dmap.elements=1000} runs the
     * issue's 1,000 where the machine allows, and {@code scripts/bench --only map} measures 100 and 1,000.
     */
    static final int ELEMENTS = Integer.getInteger("map.elements", 120);
    static final int MAX_CONCURRENCY = 50;
    static final String LIST_BUCKET = "maps-lists";

    static OrchestratorFixture stack;

    @BeforeAll
    static void deploy() {
        // MapListBucket (default: none) set, so a map may read its list from that bucket too.
        stack = OrchestratorFixture.deploy("maps", List.of("MapFan", "MapTol", "MapSrc", "MapUse", "MapAfter", "MapS3"),
                Map.of("MapListBucket", LIST_BUCKET));
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    static final class Fn extends PluginHandler {
        final String name;
        final Function<PluginContext, PluginResult> work;

        Fn(String name, Function<PluginContext, PluginResult> work) {
            super(stack.pluginEnv());
            this.name = name;
            this.work = work;
        }

        @Override
        public PluginInfo info() {
            return PluginInfo.builder(name).mandatory(true).build();
        }

        @Override
        protected PluginResult process(PluginContext ctx) {
            return work.apply(ctx);
        }
    }

    static String list(int n) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < n; i++) {
            b.append(i == 0 ? "" : ",").append("{\"n\":").append(i).append('}');
        }
        return b.append(']').toString();
    }

    /** The element executions of one plugin: [startedAt, endedAt] per index, read from their items. */
    static List<long[]> intervals(String uid, String activity, String plugin, int n) {
        List<long[]> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Map<String, AttributeValue> item = stack.store.execution(
                    new Keys.Execution(plugin, uid, "maps", activity, Stage.PARALLEL, i)).orElseThrow(
                    () -> new AssertionError("no execution item for an element"));
            out.add(new long[] {Long.parseLong(item.get("startedAt").n()), Long.parseLong(item.get("endedAt").n())});
        }
        return out;
    }

    /** The most executions in flight at once, from claim and end times (an end at the same ms frees its slot first). */
    static int maxInFlight(List<long[]> intervals) {
        List<long[]> events = new ArrayList<>();
        for (long[] iv : intervals) {
            events.add(new long[] {iv[0], 1});
            events.add(new long[] {iv[1], -1});
        }
        events.sort(Comparator.<long[]>comparingLong(e -> e[0]).thenComparingLong(e -> e[1]));
        int now = 0;
        int max = 0;
        for (long[] e : events) {
            now += (int) e[1];
            max = Math.max(max, now);
        }
        return max;
    }

    @Test
    void aMapRunsEachElementOnceWithinItsConcurrencyAndCollectsTheResultsInOrder() {
        AtomicInteger inFlight = new AtomicInteger();
        AtomicInteger maxSeen = new AtomicInteger();
        // The first wave holds until all of it is in flight (a generous ceiling, never a fixed wait), so the test sees
        // the engine fill its maxConcurrency slots exactly and release no more until slots free.
        java.util.concurrent.CountDownLatch firstWave = new java.util.concurrent.CountDownLatch(MAX_CONCURRENCY);
        stack.register("MapFan", Stage.PARALLEL, new Fn("square", c -> {
            int now = inFlight.incrementAndGet();
            maxSeen.accumulateAndGet(now, Math::max);
            try {
                if (c.index() < MAX_CONCURRENCY) {
                    firstWave.countDown();
                    firstWave.await(OrchestratorFixture.CEILING.toSeconds(), java.util.concurrent.TimeUnit.SECONDS);
                }
                int n = c.item().get("n").asInt();
                if (c.metadata().has("elements")) {
                    return PluginResult.fatal("the element's message carries the whole list in its metadata");
                }
                return PluginResult.complete(Map.of("index", c.index(), "square", n * n));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            } finally {
                inFlight.decrementAndGet();
            }
        }));
        stack.start("{\"uid\":\"map-1\",\"workflow\":\"maps\",\"metadata\":{\"elements\":" + list(ELEMENTS) + "},"
                + "\"activities\":[{\"name\":\"MapFan\",\"map\":{\"items\":\"$.metadata.elements\",\"maxConcurrency\":"
                + MAX_CONCURRENCY + "}}]}");
        long started = System.nanoTime();
        WorkflowRun run = awaitEnd("map-1", "MapFan", "square");
        long took = (System.nanoTime() - started) / 1_000_000;
        assertThat(run.status()).as("run message: %s", run.message()).isEqualTo(State.COMPLETE);

        JsonNode outputs = stack.awaitOutcomeEvent("map-1", OrchestratorFixture.CEILING).path("detail").path("outputs");
        JsonNode collected = outputs.path("MapFan").path("square");
        JsonNode results = collected.has("output") ? collected.get("output").get("results")
                : payload(collected.get("outputRef")).get("results");
        assertThat(results.size()).isEqualTo(ELEMENTS);
        for (int i = 0; i < ELEMENTS; i++) {
            assertThat(results.get(i)).as("element %d", i).isEqualTo(Json.parse("{\"index\":" + i + ",\"square\":" + i * i + "}"));
        }
        List<long[]> iv = intervals("map-1", "MapFan", "square", ELEMENTS);
        assertThat(maxInFlight(iv)).as("in flight, from the executions' claim and end times").isLessThanOrEqualTo(MAX_CONCURRENCY);
        assertThat(maxSeen.get()).as("the first wave fills every slot, and no more").isEqualTo(MAX_CONCURRENCY);
        assertThat(firstWave.getCount()).isZero();
        assertThat(run.activity("MapFan").async().mandatory().get("square").message())
                .isEqualTo("map: " + ELEMENTS + " elements, 0 failed (tolerated 0)");
        System.out.println("map of " + ELEMENTS + " elements, maxConcurrency " + MAX_CONCURRENCY + ": " + took
                + " ms to the end; at most " + maxInFlight(iv) + " in flight");
    }

    @Test
    void toleratedFailuresAreRespected() {
        stack.register("MapTol", Stage.PARALLEL, new Fn("flaky", c -> {
            int n = c.item().get("n").asInt();
            if (n % 7 == 3) { // elements 3, 10, 17 of 20
                return PluginResult.fatal("element " + n + " is bad");
            }
            return PluginResult.complete(Map.of("n", n));
        }));
        String map = "\"items\":\"$.metadata.elements\",\"maxConcurrency\":4";
        stack.start("{\"uid\":\"tol-5\",\"workflow\":\"maps\",\"metadata\":{\"elements\":" + list(20) + "},"
                + "\"activities\":[{\"name\":\"MapTol\",\"map\":{" + map + ",\"toleratedFailureCount\":5}}]}");
        stack.start("{\"uid\":\"tol-2\",\"workflow\":\"maps\",\"metadata\":{\"elements\":" + list(20) + "},"
                + "\"activities\":[{\"name\":\"MapTol\",\"map\":{" + map + ",\"toleratedFailureCount\":2}}]}");

        WorkflowRun within = awaitEnd("tol-5", "MapTol", "flaky");
        assertThat(within.status()).as("run message: %s", within.message()).isEqualTo(State.COMPLETE);
        JsonNode out = stack.awaitOutcomeEvent("tol-5", OrchestratorFixture.CEILING).path("detail").path("outputs")
                .path("MapTol").path("flaky").path("output");
        assertThat(out.path("failed").asInt()).isEqualTo(3);
        assertThat(out.path("results").get(3).isNull()).isTrue();
        assertThat(out.path("results").get(4)).isEqualTo(Json.parse("{\"n\":4}"));
        assertThat(out.path("errors")).isEqualTo(Json.parse("[{\"index\":3,\"message\":\"element 3 is bad\"},"
                + "{\"index\":10,\"message\":\"element 10 is bad\"},{\"index\":17,\"message\":\"element 17 is bad\"}]"));

        WorkflowRun over = awaitEnd("tol-2", "MapTol", "flaky");
        assertThat(over.status()).isEqualTo(State.ERROR);
        assertThat(over.message()).startsWith("activity MapTol failed: parallel plugin flaky: map: 3 of 20 elements failed,"
                + " over the tolerance of 2 (toleratedFailureCount 2); first: element 3: element 3 is bad");
    }

    @Test
    void aMapOverAnUpstreamOutputFeedsWhatComesAfterAndABadPathFailsTheActivityNamingTheField() {
        stack.register("MapSrc", Stage.PARALLEL, new Fn("dns", c -> PluginResult.complete(
                (ObjectNode) Json.parse("{\"hosts\":[\"a.example.com\",\"b.example.com\",\"c.example.com\"],\"zone\":\"z\"}"))));
        stack.register("MapUse", Stage.PARALLEL, new Fn("cert", c -> PluginResult.complete(
                Map.of("cert", "cert-for-" + c.item().asText(), "index", c.index()))));
        stack.register("MapAfter", Stage.PARALLEL, new Fn("publish", c -> PluginResult.complete(
                Map.of("count", c.input("MapUse", "cert").get("results").size(),
                        "last", c.input("MapUse", "cert").get("results").get(2).get("cert").asText()))));
        stack.start("{\"uid\":\"up-1\",\"workflow\":\"maps\",\"activities\":[\"MapSrc\","
                + "{\"name\":\"MapUse\",\"dependsOn\":[\"MapSrc\"],\"map\":{\"items\":\"$.inputs.MapSrc.dns.hosts\",\"maxConcurrency\":2}},"
                + "{\"name\":\"MapAfter\",\"dependsOn\":[\"MapUse\"]}]}");
        stack.start("{\"uid\":\"up-bad\",\"workflow\":\"maps\",\"activities\":[\"MapSrc\","
                + "{\"name\":\"MapUse\",\"dependsOn\":[\"MapSrc\"],\"map\":{\"items\":\"$.inputs.MapSrc.dns.zone\"}}]}");

        WorkflowRun ok = awaitEnd("up-1", "MapUse", "cert");
        assertThat(ok.status()).as("run message: %s", ok.message()).isEqualTo(State.COMPLETE);
        JsonNode after = stack.awaitOutcomeEvent("up-1", OrchestratorFixture.CEILING).path("detail").path("outputs")
                .path("MapAfter").path("publish").path("output");
        assertThat(after).isEqualTo(Json.parse("{\"count\":3,\"last\":\"cert-for-c.example.com\"}"));

        WorkflowRun bad = awaitEnd("up-bad", "MapUse", "cert");
        assertThat(bad.status()).isEqualTo(State.ERROR);
        assertThat(bad.message()).isEqualTo("activity MapUse failed: parallel plugin cert: map.items of MapUse"
                + " \"$.inputs.MapSrc.dns.zone\" is not a list (it is string)");
    }

    @Test
    void aMapReadsItsListFromS3AndAnUnreadableListFailsTheActivityNamingIt() {
        var s3 = stack.emulator.client(software.amazon.awssdk.services.s3.S3Client.builder().forcePathStyle(true));
        s3.createBucket(b -> b.bucket(LIST_BUCKET));
        s3.createBucket(b -> b.bucket("not-the-list-bucket"));
        s3.putObject(b -> b.bucket(LIST_BUCKET).key("lists/hosts.json"),
                software.amazon.awssdk.core.sync.RequestBody.fromString("[\"a\",\"b\",\"c\",\"d\"]"));
        s3.putObject(b -> b.bucket(LIST_BUCKET).key("lists/one.json"),
                software.amazon.awssdk.core.sync.RequestBody.fromString("{\"hosts\":[\"a\"]}"));
        s3.putObject(b -> b.bucket("not-the-list-bucket").key("hosts.json"),
                software.amazon.awssdk.core.sync.RequestBody.fromString("[\"a\"]"));
        stack.register("MapS3", Stage.PARALLEL, new Fn("ping", c -> PluginResult.complete(
                Map.of("host", c.item().asText(), "index", c.index()))));
        java.util.function.Function<String, String> start = items -> "\"activities\":[{\"name\":\"MapS3\",\"map\":{\"items\":\""
                + items + "\",\"maxConcurrency\":2}}]}";
        stack.start("{\"uid\":\"s3-1\",\"workflow\":\"maps\"," + start.apply("s3://" + LIST_BUCKET + "/lists/hosts.json"));
        stack.start("{\"uid\":\"s3-gone\",\"workflow\":\"maps\"," + start.apply("s3://" + LIST_BUCKET + "/lists/none.json"));
        stack.start("{\"uid\":\"s3-object\",\"workflow\":\"maps\"," + start.apply("s3://" + LIST_BUCKET + "/lists/one.json"));
        stack.start("{\"uid\":\"s3-other\",\"workflow\":\"maps\"," + start.apply("s3://not-the-list-bucket/hosts.json"));

        WorkflowRun ok = awaitEnd("s3-1", "MapS3", "ping");
        assertThat(ok.status()).as("run message: %s", ok.message()).isEqualTo(State.COMPLETE);
        JsonNode results = stack.awaitOutcomeEvent("s3-1", OrchestratorFixture.CEILING).path("detail").path("outputs")
                .path("MapS3").path("ping").path("output").path("results");
        assertThat(results).isEqualTo(Json.parse("[{\"host\":\"a\",\"index\":0},{\"host\":\"b\",\"index\":1},"
                + "{\"host\":\"c\",\"index\":2},{\"host\":\"d\",\"index\":3}]"));

        assertThat(awaitEnd("s3-gone", "MapS3", "ping").message()).isEqualTo("activity MapS3 failed: parallel plugin ping:"
                + " map.items of MapS3 \"s3://maps-lists/lists/none.json\": there is no object s3://maps-lists/lists/none.json");
        assertThat(awaitEnd("s3-object", "MapS3", "ping").message()).isEqualTo("activity MapS3 failed: parallel plugin ping:"
                + " map.items of MapS3 \"s3://maps-lists/lists/one.json\" is not a list (it is object)");
        WorkflowRun other = awaitEnd("s3-other", "MapS3", "ping");
        assertThat(other.status()).isEqualTo(State.ERROR);
        assertThat(other.message()).contains("map.items of MapS3 \"s3://not-the-list-bucket/hosts.json\" is in bucket"
                + " not-the-list-bucket, which the engine may not read").contains("MapListBucket (maps-lists)");
        assertThat(refusal("{\"uid\":\"s3-bad\",\"workflow\":\"maps\"," + start.apply("s3://just-a-bucket")))
                .contains("activities[0].map.items must name a bucket and a key after \"s3://\", got \"s3://just-a-bucket\"");
    }

    @Test
    void aBadMapIsRefusedAtStartNamingTheField() {
        assertThat(refusal("{\"uid\":\"bad-1\",\"workflow\":\"maps\",\"metadata\":{\"r\":\"x\"},"
                + "\"activities\":[{\"name\":\"MapFan\",\"map\":{\"items\":\"$.metadata.r\"}}]}"))
                .contains("activities[0].map.items \"$.metadata.r\" is not a list (it is string)");
        assertThat(refusal("{\"uid\":\"bad-2\",\"workflow\":\"maps\",\"metadata\":{\"r\":[1]},"
                + "\"activities\":[{\"name\":\"MapFan\",\"map\":{\"items\":\"$.metadata.r\",\"maxConcurrency\":0}}]}"))
                .contains("activities[0].map.maxConcurrency must be a whole number between 1 and 1000, got 0");
        assertThat(refusal("{\"uid\":\"bad-3\",\"workflow\":\"maps\",\"metadata\":{\"r\":" + list(10_001) + "},"
                + "\"activities\":[{\"name\":\"MapFan\",\"map\":{\"items\":\"$.metadata.r\"}}]}"))
                .contains("has 10001 elements; a map takes at most 10000");
        for (String uid : List.of("bad-1", "bad-2", "bad-3")) {
            assertThat(stack.run(uid, "maps")).as("refused start %s wrote nothing", uid).isEmpty();
        }
    }

    /** Waits for the run's end; on a timeout, says where the map stood (header counters, element states). */
    static WorkflowRun awaitEnd(String uid, String activity, String plugin) {
        try {
            // The ceiling grows with the big map: 3 s per element on top (a busy 2-core machine drove 0.7 elements a
            // second through the emulator at 1,000; only a failing run waits it out).
            return stack.awaitEnd(uid, "maps", OrchestratorFixture.CEILING.plusSeconds(3L * ELEMENTS));
        } catch (AssertionError e) {
            var header = stack.store.getItem(uid, "maps").orElseThrow();
            StringBuilder b = new StringBuilder("map of " + uid + " did not end: header map "
                    + header.get("activities").m().get(activity).m().get("async").m().get("map") + "; elements:");
            for (int i = 0; i < 30; i++) {
                var item = stack.store.execution(new Keys.Execution(plugin, uid, "maps", activity, Stage.PARALLEL, i));
                int n = i;
                item.ifPresent(it -> b.append(" ").append(n).append("=").append(it.get("state").s())
                        .append(it.containsKey("countedAt") ? "/counted" : ""));
            }
            throw new AssertionError(b.toString(), e);
        }
    }

    /** A payload object (an output over the inline threshold), read as a reader would. */
    static JsonNode payload(JsonNode ref) {
        var s3 = stack.emulator.client(software.amazon.awssdk.services.s3.S3Client.builder().forcePathStyle(true));
        return Json.parse(s3.getObjectAsBytes(b -> b.bucket(ref.path("bucket").asText()).key(ref.path("key").asText())).asUtf8String());
    }

    static String refusal(String request) {
        try {
            stack.start(request);
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
        throw new AssertionError("start was accepted: " + request);
    }
}
