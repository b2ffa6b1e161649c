package dev.orchestrator.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.orchestrator.core.PluginStatus;
import dev.orchestrator.core.Stage;
import dev.orchestrator.core.StageStatus;
import dev.orchestrator.core.State;
import dev.orchestrator.core.WorkflowRun;
import dev.orchestrator.plugin.PluginContext;
import dev.orchestrator.plugin.PluginHandler;
import dev.orchestrator.plugin.PluginInfo;
import dev.orchestrator.plugin.PluginResult;
import dev.orchestrator.plugin.StageMessage;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The stack-wide deadlines ({@code DefaultStartTimeout}, default 300 s; {@code DefaultPluginTimeout}, default 900 s)
 * on a stack deployed with small ones: runs that set no {@code startTimeout} or {@code pluginTimeout}, with plugins that
 * declare no timeout, end by the stack's values, and the plugin's message names them.
 */
class DefaultTimeoutsTest {

    static final int START_TIMEOUT = 12;
    static final int PLUGIN_TIMEOUT = 5;
    static OrchestratorFixture stack;

    @BeforeAll
    static void deploy() {
        stack = OrchestratorFixture.deploy("deftimeouts", List.of("Silent", "Quiet"), Map.of(
                "DefaultStartTimeout", Integer.toString(START_TIMEOUT),
                "DefaultPluginTimeout", Integer.toString(PLUGIN_TIMEOUT)));
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    /** A run of one activity that names no deadline of its own (nor a registration window: mandatory plugins are listed). */
    static String start(String uid, String activity) {
        return "{\"uid\":\"" + uid + "\",\"workflow\":\"defaults\",\"activities\":[\"" + activity + "\"]}";
    }

    /** A registered plugin whose Lambda gets its stage messages and never claims one (it fails before its claim, every time). */
    static final class NeverClaims extends PluginHandler {
        final AtomicInteger delivered = new AtomicInteger();

        NeverClaims(Map<String, String> env) {
            super(env);
        }

        @Override
        public PluginInfo info() {
            return PluginInfo.builder("never-claims").mandatory(true).order(1).build();
        }

        @Override
        public Outcome handle(StageMessage message) {
            delivered.incrementAndGet();
            return Outcome.NOT_CLAIMED;
        }
    }

    /** A plugin that claims its work (In Progress) and never reports again: no heartbeat, no outcome. */
    static final class ClaimsThenSilent extends PluginHandler {
        final AtomicInteger claimed = new AtomicInteger();

        ClaimsThenSilent(Map<String, String> env) {
            super(env);
        }

        @Override
        public PluginInfo info() {
            return PluginInfo.builder("claims-then-silent").mandatory(true).order(1).build();
        }

        @Override
        protected PluginResult process(PluginContext context) {
            claimed.incrementAndGet();
            return PluginResult.waitForReport(); // the report never comes
        }
    }

    @Test
    void aMandatoryPluginThatNeverClaimsFailsTheRunAfterTheStacksStartTimeout() {
        NeverClaims plugin = stack.register("Silent", Stage.PARALLEL, new NeverClaims(stack.pluginEnv()));
        assertThat(stack.start(start("silent-1", "Silent")).path("outcome").asText()).isEqualTo("created");

        // The ceiling is far below the 300 s default: only the stack's value can end the run in time.
        WorkflowRun run = stack.awaitEnd("silent-1", "defaults", OrchestratorFixture.CEILING);
        assertThat(run.startTimeout()).as("the run set no start timeout").isNull();
        assertThat(plugin.delivered.get()).as("its stage message reached it").isGreaterThanOrEqualTo(1);
        StageStatus stage = run.activity("Silent").async();
        PluginStatus p = stage.mandatory().get("never-claims");
        assertThat(p.state()).isEqualTo(State.ERROR);
        assertThat(p.message()).isEqualTo("did not start within " + START_TIMEOUT + " s of the stage's start");
        assertThat(p.endedAt() - stage.publishedAt()).as("failed no sooner than the stack's start timeout")
                .isGreaterThanOrEqualTo(START_TIMEOUT * 1000L);
        assertThat(run.status()).isEqualTo(State.ERROR);
        assertThat(run.message()).contains("never-claims: did not start within " + START_TIMEOUT + " s");
        assertThat(stack.outcomeEvents("silent-1")).singleElement()
                .satisfies(e -> assertThat(e.path("detail-type").asText()).isEqualTo("Workflow Failed"));
    }

    @Test
    void aPluginThatClaimsAndNeverReportsTimesOutAfterTheStacksPluginTimeout() {
        ClaimsThenSilent plugin = stack.register("Quiet", Stage.PARALLEL, new ClaimsThenSilent(stack.pluginEnv()));
        assertThat(stack.start(start("quiet-1", "Quiet")).path("outcome").asText()).isEqualTo("created");

        // The ceiling is far below the 900 s default: only the stack's value can end the run in time.
        WorkflowRun run = stack.awaitEnd("quiet-1", "defaults", OrchestratorFixture.CEILING);
        assertThat(run.pluginTimeout()).as("the run set no plugin timeout").isNull();
        assertThat(plugin.claimed.get()).as("it claimed and ran once").isEqualTo(1);
        PluginStatus p = run.activity("Quiet").async().mandatory().get("claims-then-silent");
        assertThat(p.timeout()).as("the plugin declared no timeout").isNull();
        assertThat(p.startedAt()).as("it had started").isNotNull();
        assertThat(p.state()).isEqualTo(State.ERROR);
        assertThat(p.message()).isEqualTo("timed out after " + PLUGIN_TIMEOUT + " s without a heartbeat");
        assertThat(p.endedAt() - p.startedAt()).as("timed out no sooner than the stack's plugin timeout")
                .isGreaterThanOrEqualTo(PLUGIN_TIMEOUT * 1000L);
        assertThat(run.status()).isEqualTo(State.ERROR);
        assertThat(run.message()).contains("claims-then-silent: timed out after " + PLUGIN_TIMEOUT + " s");
        assertThat(stack.outcomeEvents("quiet-1")).singleElement()
                .satisfies(e -> assertThat(e.path("detail-type").asText()).isEqualTo("Workflow Failed"));
    }
}
