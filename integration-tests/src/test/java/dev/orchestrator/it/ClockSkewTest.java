package dev.orchestrator.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.orchestrator.core.AwsClients;
import dev.orchestrator.core.Env;
import dev.orchestrator.core.ItemCodec;
import dev.orchestrator.core.Keys;
import dev.orchestrator.core.Stage;
import dev.orchestrator.core.State;
import dev.orchestrator.core.WorkflowRun;
import dev.orchestrator.plugin.PluginContext;
import dev.orchestrator.plugin.PluginHandler;
import dev.orchestrator.plugin.PluginInfo;
import dev.orchestrator.plugin.StageMessage;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Lateness is judged by a clock no plugin can skew: the engine compares the time the table received a joiner's
 * claim (the stream record's) with the window's end. A plugin whose clock runs 10 s fast joins inside the real
 * window, though its own clock says the window has passed; one whose clock runs 60 s slow and claims after the
 * real window is refused, though its own clock says it is early; and the refused one's item says why.
 */
class ClockSkewTest {

    static final int WINDOW = 8;
    static OrchestratorFixture stack;

    @BeforeAll
    static void deploy() {
        stack = OrchestratorFixture.deploy("skew", List.of("Fast", "Slow"));
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    /** An optional plugin the registry does not know (a joiner), whose clock is {@code skew} off the real one. */
    static final class Skewed extends PluginHandler {
        final PluginInfo info;
        final AtomicInteger runs = new AtomicInteger();
        final CountDownLatch claimed = new CountDownLatch(1);
        final boolean claimAfterTheRealWindow;

        Skewed(String name, Duration skew, boolean claimAfterTheRealWindow) {
            super(stack.pluginEnv(), new AwsClients(new Env(stack.pluginEnv())).dynamo(),
                    Clock.offset(Clock.systemUTC(), skew));
            this.info = PluginInfo.builder(name).mandatory(false).build();
            this.claimAfterTheRealWindow = claimAfterTheRealWindow;
        }

        @Override
        public PluginInfo info() {
            return info;
        }

        @Override
        public Outcome handle(StageMessage message) {
            if (claimAfterTheRealWindow) {
                // The message reached this plugin late: it claims 2 s after the real window ended (the stream
                // record's time, which the engine judges by, is whole seconds).
                stack.awaitCondition(OrchestratorFixture.CEILING, () -> System.currentTimeMillis() > message.windowEndsAt() + 2_000);
            }
            try {
                return super.handle(message);
            } finally {
                claimed.countDown();
            }
        }

        @Override
        protected void run(PluginContext context) {
            runs.incrementAndGet();
        }
    }

    /** A registered mandatory plugin that keeps the stage open until the late joiner has claimed. */
    static final class Holder extends PluginHandler {
        final CountDownLatch until;

        Holder(CountDownLatch until) {
            super(stack.pluginEnv());
            this.until = until;
        }

        @Override
        public PluginInfo info() {
            return PluginInfo.builder("holder").mandatory(true).build();
        }

        @Override
        protected void run(PluginContext context) throws InterruptedException {
            assertThat(until.await(OrchestratorFixture.CEILING.toSeconds(), TimeUnit.SECONDS)).as("the late joiner claimed").isTrue();
        }
    }

    @Test
    void aPluginWhoseClockRunsTenSecondsFastJoinsInsideTheRealWindow() {
        Skewed fast = new Skewed("fast", Duration.ofSeconds(10), false);
        stack.runtime.subscribe(stack.topicArn("Fast", Stage.PARALLEL), null, fast, false);

        stack.start(WorkflowRunTest.startJson("fast-1", "skew", List.of("Fast"), WINDOW, "{}"));
        WorkflowRun run = stack.awaitEnd("fast-1", "skew", Duration.ofSeconds(120));

        assertThat(run.status()).isEqualTo(State.COMPLETE);
        var stage = run.activity("Fast").async();
        assertThat(stage.optional().get("fast").state()).as("the joiner counts").isEqualTo(State.COMPLETE);
        assertThat(fast.runs.get()).isEqualTo(1);
        var item = stack.store.execution(new Keys.Execution("fast", "fast-1", "skew", "Fast", Stage.PARALLEL)).orElseThrow();
        long startedByItsClock = Long.parseLong(item.get(ItemCodec.STARTED_AT).n());
        assertThat(startedByItsClock).as("by its own clock it started after the window (" + stage.windowEndsAt() + ")")
                .isGreaterThan(stage.windowEndsAt());
    }

    @Test
    void aPluginWhoseClockRunsSixtySecondsSlowIsRefusedAfterTheRealWindowAndItsItemSaysWhy() {
        Skewed slow = new Skewed("slow", Duration.ofSeconds(-60), true);
        stack.register("Slow", Stage.PARALLEL, new Holder(slow.claimed));
        stack.runtime.subscribe(stack.topicArn("Slow", Stage.PARALLEL), null, slow, false);

        stack.start(WorkflowRunTest.startJson("slow-1", "skew", List.of("Slow"), WINDOW, "{}"));
        WorkflowRun run = stack.awaitEnd("slow-1", "skew", Duration.ofSeconds(180));

        assertThat(run.status()).as("the late joiner changes nothing for the run").isEqualTo(State.COMPLETE);
        assertThat(run.activity("Slow").async().optional()).as("the late joiner is not counted").doesNotContainKey("slow");
        Keys.Execution e = new Keys.Execution("slow", "slow-1", "skew", "Slow", Stage.PARALLEL);
        stack.awaitCondition(OrchestratorFixture.CEILING, () -> stack.store.execution(e)
                .map(i -> State.DO_NOT_RUN.wire().equals(i.get(ItemCodec.STATE).s())).orElse(false));
        var item = stack.store.execution(e).orElseThrow();
        assertThat(item.get(ItemCodec.MESSAGE).s())
                .startsWith("refused: joined after the registration window: the table received the claim at");
        long startedByItsClock = Long.parseLong(item.get(ItemCodec.STARTED_AT).n());
        assertThat(startedByItsClock).as("by its own clock it claimed inside the window")
                .isLessThan(run.activity("Slow").async().windowEndsAt());
    }
}
