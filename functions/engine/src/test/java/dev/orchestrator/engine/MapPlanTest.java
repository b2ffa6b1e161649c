package dev.orchestrator.engine;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.orchestrator.core.Json;
import dev.orchestrator.core.MapSpec;
import dev.orchestrator.core.MapState;
import dev.orchestrator.core.State;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The map's decisions from the header's counters alone: waves, tolerance, the end, and the collected order. */
class MapPlanTest {

    static MapState state(int maxConcurrency, Integer count, Double pct, Integer total, int released, Map<String, Integer> ended,
                          int failed) {
        return new MapState(new MapSpec("$.metadata.r", maxConcurrency, count, pct), total, released, ended, failed, 1L);
    }

    @Test
    void anUnresolvedMapResolvesFirst() {
        assertThat(MapPlan.next(state(5, null, null, null, 0, Map.of(), 0), List.of("p"))).isEqualTo(new MapPlan.Resolve());
    }

    @Test
    void theFirstWaveIsMaxConcurrencyAndNoMore() {
        assertThat(MapPlan.next(state(50, null, null, 1000, 0, Map.of("p", 0), 0), List.of("p")))
                .isEqualTo(new MapPlan.Release(0, 50));
        assertThat(MapPlan.next(state(500, null, null, 1000, 0, Map.of("p", 0), 0), List.of("p")))
                .as("one step publishes at most RELEASE_BATCH").isEqualTo(new MapPlan.Release(0, MapPlan.RELEASE_BATCH));
        assertThat(MapPlan.next(state(50, null, null, 10, 0, Map.of("p", 0), 0), List.of("p")))
                .as("never past the list").isEqualTo(new MapPlan.Release(0, 10));
    }

    @Test
    void slotsThatFreeAreReleasedAndAFullWindowWaits() {
        assertThat(MapPlan.next(state(50, null, null, 1000, 50, Map.of("p", 0), 0), List.of("p")))
                .isInstanceOf(MapPlan.Wait.class);
        assertThat(MapPlan.next(state(50, null, null, 1000, 50, Map.of("p", 3), 0), List.of("p")))
                .isEqualTo(new MapPlan.Release(50, 53));
    }

    @Test
    void withSeveralPluginsTheSlowestBoundsTheRelease() {
        assertThat(MapPlan.next(state(10, null, null, 100, 10, Map.of("p", 10, "q", 2), 0), List.of("p", "q")))
                .isEqualTo(new MapPlan.Release(10, 12));
        assertThat(MapPlan.next(state(10, null, null, 100, 10, Map.of("p", 10), 0), List.of("p", "q")))
                .as("a plugin with no count yet has ended none").isInstanceOf(MapPlan.Wait.class);
    }

    @Test
    void itCompletesWhenEveryElementEndedForEveryPlugin() {
        assertThat(MapPlan.next(state(10, 5, null, 100, 100, Map.of("p", 100, "q", 99), 3), List.of("p", "q")))
                .isInstanceOf(MapPlan.Wait.class);
        MapPlan.Next done = MapPlan.next(state(10, 5, null, 100, 100, Map.of("p", 100, "q", 100), 3), List.of("p", "q"));
        assertThat(done).isEqualTo(new MapPlan.Finish(State.COMPLETE, "map: 100 elements, 3 failed (tolerated 5)"));
    }

    @Test
    void anEmptyListCompletesAtOnce() {
        assertThat(MapPlan.next(state(10, null, null, 0, 0, Map.of("p", 0), 0), List.of("p")))
                .isEqualTo(new MapPlan.Finish(State.COMPLETE, "map: 0 elements, 0 failed (tolerated 0)"));
    }

    @Test
    void failuresWithinTheToleranceCarryOnAndOneMoreEndsItError() {
        assertThat(MapPlan.next(state(10, 2, null, 100, 20, Map.of("p", 15), 2), List.of("p")))
                .isEqualTo(new MapPlan.Release(20, 25));
        assertThat(MapPlan.next(state(10, 2, null, 100, 20, Map.of("p", 15), 3), List.of("p")))
                .isEqualTo(new MapPlan.Finish(State.ERROR,
                        "map: 3 of 100 elements failed, over the tolerance of 2 (toleratedFailureCount 2)"));
        assertThat(MapPlan.next(state(10, null, 2.0, 100, 20, Map.of("p", 15), 3), List.of("p")))
                .isEqualTo(new MapPlan.Finish(State.ERROR,
                        "map: 3 of 100 elements failed, over the tolerance of 2 (toleratedFailurePercentage 2.0)"));
        assertThat(MapPlan.next(state(10, null, null, 100, 20, Map.of("p", 15), 1), List.of("p")))
                .isEqualTo(new MapPlan.Finish(State.ERROR,
                        "map: 1 of 100 elements failed, over the tolerance of 0 (toleratedFailureCount 0 (the default))"));
    }

    @Test
    void aStallIsJudgedFromTheLastProgress() {
        assertThat(MapPlan.stalledAt(state(1, null, null, null, 0, Map.of(), 0), 1000)).isNull();
        assertThat(MapPlan.stalledAt(state(1, null, null, 10, 1, Map.of(), 0), 1000)).isEqualTo(1001L);
    }

    /** Any order of endings: never more than maxConcurrency in flight, each element released once, in order. */
    @Test
    void randomEndingsNeverExceedTheConcurrencyAndReleaseEveryElementOnceInOrder() {
        Random random = new Random(21);
        for (int round = 0; round < 200; round++) {
            int total = random.nextInt(300);
            int max = 1 + random.nextInt(60);
            int released = 0;
            int ended = 0;
            List<Integer> inFlight = new ArrayList<>();
            List<Integer> order = new ArrayList<>();
            while (true) {
                MapPlan.Next n = MapPlan.next(state(max, null, null, total, released, Map.of("p", ended), 0), List.of("p"));
                if (n instanceof MapPlan.Finish f) {
                    assertThat(f.state()).isEqualTo(State.COMPLETE);
                    break;
                }
                if (n instanceof MapPlan.Release r) {
                    assertThat(r.from()).isEqualTo(released);
                    for (int i = r.from(); i < r.to(); i++) {
                        inFlight.add(i);
                        order.add(i);
                    }
                    released = r.to();
                    assertThat(inFlight.size()).isLessThanOrEqualTo(max);
                    continue;
                }
                assertThat(inFlight).isNotEmpty();
                inFlight.remove(random.nextInt(inFlight.size()));
                ended++;
            }
            assertThat(order).hasSize(total);
            for (int i = 0; i < total; i++) {
                assertThat(order.get(i)).isEqualTo(i);
            }
        }
    }

    @Test
    void resultsAreCollectedInIndexOrderWithFailuresNamed() {
        Map<Integer, MapPlan.Element> read = new HashMap<>();
        ObjectNode two = Json.object().put("v", 2);
        ObjectNode wire2 = Json.object();
        wire2.set("output", two);
        ObjectNode ref = Json.object();
        ref.set("outputRef", Json.object().put("bucket", "b").put("key", "k").put("sha256", "0".repeat(64)).put("size", 3));
        read.put(2, new MapPlan.Element(State.COMPLETE, wire2, null));
        read.put(0, new MapPlan.Element(State.COMPLETE, ref, null));
        read.put(1, new MapPlan.Element(State.ERROR, null, "boom"));
        read.put(3, new MapPlan.Element(State.COMPLETE, null, null));
        ObjectNode out = MapPlan.collect(5, read);
        assertThat(Json.write(out)).isEqualTo("{\"results\":[{\"outputRef\":{\"bucket\":\"b\",\"key\":\"k\",\"sha256\":\""
                + "0".repeat(64) + "\",\"size\":3}},null,{\"v\":2},null,null],\"failed\":1,\"errors\":[{\"index\":1,\"message\":\"boom\"}]}");
        assertThat(MapPlan.firstErrors(out, 3)).isEqualTo("element 1: boom");
    }

    @Test
    void collectedOrderHoldsForTenThousandElements() {
        Map<Integer, MapPlan.Element> read = new LinkedHashMap<>();
        for (int i = 9_999; i >= 0; i--) {
            ObjectNode w = Json.object();
            w.set("output", Json.object().put("i", i));
            read.put(i, new MapPlan.Element(State.COMPLETE, w, null));
        }
        ObjectNode out = MapPlan.collect(10_000, read);
        for (int i = 0; i < 10_000; i++) {
            assertThat(out.get("results").get(i).get("i").asInt()).isEqualTo(i);
        }
    }
}
