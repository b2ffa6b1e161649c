package dev.orchestrator.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.orchestrator.core.ItemCodec;
import dev.orchestrator.core.Json;
import dev.orchestrator.core.Keys;
import dev.orchestrator.core.Stage;
import dev.orchestrator.core.State;
import dev.orchestrator.core.WorkflowRun;
import dev.orchestrator.plugin.PluginContext;
import dev.orchestrator.plugin.PluginHandler;
import dev.orchestrator.plugin.PluginInfo;
import dev.orchestrator.plugin.PluginResult;
import dev.orchestrator.plugin.StageMessage;
import dev.orchestrator.plugin.StatusReporter;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * Issue 28, item 2: a plugin that writes another plugin's execution item. On AWS the published plugin policy
 * denies that write (evaluated here on the exact request, see {@link PluginPolicyTest}); the emulator enforces no
 * IAM conditions, so the write lands, and what this shows is the engine's own line of defence: an execution item
 * for a plugin the stage does not list is refused and closed {@code Do Not Run}, logged as a WARN
 * {@code plugin claim refused} with the run's keys and the cause, and the run goes on as if it had not happened.
 * (A claim for a run that does not exist: NoWedgeTest#aStageMessageForARunThatDoesNotExistIsLoggedWithTheReason.)
 */
class PluginIdentityTest {

    static OrchestratorFixture stack;
    static final TenantTestSupport.LogCapture LOGS = new TenantTestSupport.LogCapture();
    static final AtomicReference<Map<String, AttributeValue>> FORGED_KEY = new AtomicReference<>();
    static TestPlugin honest;

    @BeforeAll
    static void deploy() {
        LOGS.install();
        stack = OrchestratorFixture.deploy("ident", List.of("Ident"));
        honest = stack.register("Ident", Stage.PARALLEL, new TestPlugin(stack.pluginEnv(),
                PluginInfo.builder("honest").mandatory(true).build(), new CopyOnWriteArrayList<>()));
        stack.register("Ident", Stage.PARALLEL, new PluginHandler(stack.pluginEnv()) {
            @Override
            public PluginInfo info() {
                return PluginInfo.builder("rogue").mandatory(true).build();
            }

            @Override
            protected PluginResult process(PluginContext ctx) {
                // A compromised plugin claims work as "honest", in a stage that does not list honest, with the
                // library's own claim (the same UpdateItem a real claim makes), under honest's name.
                var forged = new StageMessage(ctx.uid(), ctx.workflow(), "Ident", Stage.PRE, null, Json.object(),
                        System.currentTimeMillis() + 60_000, Map.of(), Map.of());
                boolean written = new StatusReporter(stack.store).claim(forged, "honest", true, false, 1, null,
                        System.currentTimeMillis()).isPresent();
                if (written) {
                    FORGED_KEY.set(new Keys.Execution("honest", ctx.uid(), ctx.workflow(), "Ident", Stage.PRE).key());
                }
                return PluginResult.complete();
            }
        });
    }

    @AfterAll
    static void stop() {
        LOGS.uninstall();
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void anotherPluginsItemWrittenByARoguePluginIsRefusedLoggedAndTheRunIsUnaffected() {
        stack.start("{\"uid\":\"id-1\",\"workflow\":\"ident\",\"activities\":[\"Ident\"],\"pluginRegisterTimeout\":1,\"metadata\":{}}");
        WorkflowRun run = stack.awaitEnd("id-1", "ident", Duration.ofSeconds(120));

        // The run: Complete, both listed plugins Complete, nothing joined the pre stage, one outcome event.
        assertThat(run.status()).isEqualTo(State.COMPLETE);
        assertThat(run.activity("Ident").async().mandatory().get("honest").state()).isEqualTo(State.COMPLETE);
        assertThat(run.activity("Ident").async().mandatory().get("rogue").state()).isEqualTo(State.COMPLETE);
        assertThat(run.activity("Ident").stage(Stage.PRE).mandatory()).isEmpty();
        assertThat(run.activity("Ident").stage(Stage.PRE).optional()).isEmpty();
        assertThat(stack.outcomeEvents("id-1")).hasSize(1);

        // The forged claim landed (no IAM here) and the engine refused it, with the run's keys and the cause.
        assertThat(FORGED_KEY.get()).as("the emulator let the forged write through").isNotNull();
        JsonNode refused = LOGS.await(stack, l -> l.path("message").asText().equals("plugin claim refused")
                && l.path("uid").asText().equals("id-1"), Duration.ofSeconds(120));
        assertThat(refused.path("level").asText()).isEqualTo("WARN");
        assertThat(refused.path("plugin").asText()).isEqualTo("honest");
        assertThat(refused.path("workflow").asText()).isEqualTo("ident");
        assertThat(refused.path("activity").asText()).isEqualTo("Ident");
        assertThat(refused.path("stage").asText()).isEqualTo("pre");
        assertThat(refused.path("cause").asText()).startsWith("not listed in the pre stage of Ident");
        stack.awaitCondition(Duration.ofSeconds(120), () -> State.DO_NOT_RUN.wire().equals(forgedState()));
        Map<String, AttributeValue> item = stack.dynamo.getItem(b -> b.tableName(stack.store.table())
                .key(FORGED_KEY.get()).consistentRead(true)).item();
        assertThat(item.get(ItemCodec.MESSAGE).s()).startsWith("refused: not listed in the pre stage of Ident");

        // On AWS the write never lands: the rogue's role (tag orchestrator-plugin=rogue) may write only ~rogue~*.
        String forgedPartition = FORGED_KEY.get().get("uid").s();
        assertThat(forgedPartition).isEqualTo("~honest~id-1");
        assertThat(PluginPolicyTest.POLICY.allows(PluginPolicyTest.as("rogue", "dynamodb:UpdateItem",
                PluginPolicyTest.STATUS_ARN, forgedPartition))).isFalse();
        assertThat(PluginPolicyTest.POLICY.allows(PluginPolicyTest.as("rogue", "dynamodb:UpdateItem",
                PluginPolicyTest.STATUS_ARN, "~rogue~id-1"))).isTrue();
    }

    @Test
    void aRefusedClaimIsExplainedFromThePluginsOwnItemTheOnlyOneItsPolicyLetsItRead() {
        stack.start("{\"uid\":\"id-2\",\"workflow\":\"ident\",\"activities\":[\"Ident\"],\"pluginRegisterTimeout\":1,\"metadata\":{}}");
        assertThat(stack.awaitEnd("id-2", "ident", Duration.ofSeconds(120)).status()).isEqualTo(State.COMPLETE);
        int runs = honest.runs.get();
        // The stage message delivered again after the work was done (SNS delivers at least once).
        var again = new StageMessage("id-2", "ident", "Ident", Stage.PARALLEL, null, Json.object(), null, Map.of(), Map.of());
        assertThat(honest.handle(again)).isEqualTo(PluginHandler.Outcome.NOT_CLAIMED);
        JsonNode line = LOGS.await(stack, l -> l.path("message").asText().equals("stage message not claimed")
                && l.path("uid").asText().equals("id-2") && l.path("plugin").asText().equals("honest"), Duration.ofSeconds(120));
        assertThat(line.path("executionState").asText()).isEqualTo("Complete");
        assertThat(line.path("reason").asText()).startsWith("this plugin's execution item is Complete: a duplicate delivery");
        assertThat(honest.runs.get()).as("the work is not done again").isEqualTo(runs);
    }

    static String forgedState() {
        Map<String, AttributeValue> item = stack.dynamo.getItem(b -> b.tableName(stack.store.table())
                .key(FORGED_KEY.get()).consistentRead(true)).item();
        AttributeValue s = item == null ? null : item.get(ItemCodec.STATE);
        return s == null ? null : s.s();
    }
}
