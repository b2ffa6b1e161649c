package dev.orchestrator.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.orchestrator.core.AwsClients;
import dev.orchestrator.core.ItemCodec;
import dev.orchestrator.core.Keys;
import dev.orchestrator.core.Stage;
import dev.orchestrator.core.State;
import dev.orchestrator.engine.EngineHandler;
import dev.orchestrator.plugin.PluginResult;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.BatchGetItemRequest;

/**
 * Issue 20: a drive does not read the executions its stream batch shows ended. A plugin cannot change its item once
 * it has ended, so the batch's image is the item; reading it again cost a read unit per item and drive. An image of
 * an item that ended before its stage was entered (a resume may have reset it since) is read all the same.
 *
 * <p>A probe engine (the stack's engine function, under another name so its calls are counted apart) drives a run
 * whose stage waits on one plugin while two have ended, with the news a stream batch would bring.
 */
class EngineEndedReadsTest {

    static final String PROBE = "probe-engine";

    /** The execution keys the probe asks for in full (BatchGetItem), by plugin name. */
    static final class Reads implements ExecutionInterceptor {
        final Set<String> plugins = ConcurrentHashMap.newKeySet();

        @Override
        public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
            if (context.request() instanceof BatchGetItemRequest r && PROBE.equals(attributes.getAttribute(AwsClients.FUNCTION))) {
                r.requestItems().values().forEach(k -> k.keys().forEach(key -> {
                    String uid = key.get(ItemCodec.UID).s();
                    if (Keys.kind(uid) == Keys.Kind.EXECUTION) {
                        plugins.add(Keys.execution(uid, key.get(ItemCodec.WORKFLOW).s()).plugin());
                    }
                }));
            }
        }
    }

    static OrchestratorFixture stack;
    static final Reads reads = new Reads();

    @BeforeAll
    static void deploy() {
        AwsClients.observe(reads);
        stack = OrchestratorFixture.deploy("endedreads", List.of("Ended"));
    }

    @AfterAll
    static void stop() {
        AwsClients.stopObserving(reads);
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void aDriveReadsOnlyTheExecutionsItsBatchDoesNotShowEndedInThisEntry() {
        Map<String, String> env = stack.pluginEnv();
        stack.register("Ended", Stage.PARALLEL, new DataBetweenStepsTest.Fn(env, "done-1", c -> PluginResult.complete()));
        stack.register("Ended", Stage.PARALLEL, new DataBetweenStepsTest.Fn(env, "done-2", c -> PluginResult.complete()));
        // Holds the stage open: asks to run again in ten minutes.
        stack.register("Ended", Stage.PARALLEL, new DataBetweenStepsTest.Fn(env, "waits", c -> PluginResult.schedule(Duration.ofMinutes(10))));
        stack.start(WorkflowRunTest.startJson("ended-1", "ended", List.of("Ended"), 1, "{}"));
        Keys.Execution done1 = new Keys.Execution("done-1", "ended-1", "ended", "Ended", Stage.PARALLEL);
        Keys.Execution done2 = new Keys.Execution("done-2", "ended-1", "ended", "Ended", Stage.PARALLEL);
        Keys.Execution waits = new Keys.Execution("waits", "ended-1", "ended", "Ended", Stage.PARALLEL);
        stack.awaitCondition(OrchestratorFixture.CEILING, () -> state(done1) == State.COMPLETE && state(done2) == State.COMPLETE
                && stack.store.execution(waits).map(i -> i.containsKey(ItemCodec.RERUN_AT)).orElse(false));

        var spec = stack.runtime.function("EngineFunction");
        Map<String, String> probeEnv = new LinkedHashMap<>(spec.environment());
        probeEnv.putAll(stack.emulator.clientEnvironment());
        probeEnv.put("AWS_LAMBDA_FUNCTION_NAME", PROBE);
        EngineHandler probe = new EngineHandler(probeEnv);
        EngineHandler.RunKey key = new EngineHandler.RunKey("ended-1", "ended");
        long enteredAt = stack.run("ended-1", "ended").orElseThrow().activity("Ended").stage(Stage.PARALLEL).rosterVersion();

        probe.drive(key, List.of());
        assertThat(reads.plugins).as("without news, every listed execution is read").containsExactlyInAnyOrder("done-1", "done-2", "waits");

        reads.plugins.clear();
        probe.drive(key, List.of(news(done1, item(done1)), news(done2, item(done2))));
        assertThat(reads.plugins).as("the batch showed done-1 and done-2 Complete: only the running one is read")
                .containsExactly("waits");

        reads.plugins.clear();
        Map<String, AttributeValue> older = new LinkedHashMap<>(item(done2));
        older.put(ItemCodec.ENDED_AT, AttributeValue.fromN(Long.toString(enteredAt - 1)));
        probe.drive(key, List.of(news(done1, item(done1)), news(done2, older)));
        assertThat(reads.plugins).as("done-2's image ended before the stage was entered (an earlier entry's): read")
                .containsExactlyInAnyOrder("done-2", "waits");

        reads.plugins.clear();
        Map<String, AttributeValue> claimedAgain = new LinkedHashMap<>(item(done1));
        claimedAgain.put(ItemCodec.STATE, AttributeValue.fromS(State.IN_PROGRESS.wire()));
        probe.drive(key, List.of(news(done1, item(done1)), news(done1, claimedAgain)));
        assertThat(reads.plugins).as("the batch's last image of done-1 is In Progress: read")
                .containsExactlyInAnyOrder("done-1", "done-2", "waits");
        assertThat(stack.run("ended-1", "ended").orElseThrow().status()).as("the run still waits on its running plugin")
                .isEqualTo(State.IN_PROGRESS);
    }

    static State state(Keys.Execution e) {
        return stack.store.execution(e).map(i -> i.get(ItemCodec.STATE)).map(v -> State.fromWire(v.s())).orElse(null);
    }

    static Map<String, AttributeValue> item(Keys.Execution e) {
        return stack.store.execution(e).orElseThrow();
    }

    static EngineHandler.News news(Keys.Execution e, Map<String, AttributeValue> image) {
        return new EngineHandler.News(e, State.fromWire(image.get(ItemCodec.STATE).s()), true, 1000, System.currentTimeMillis(), image);
    }
}
