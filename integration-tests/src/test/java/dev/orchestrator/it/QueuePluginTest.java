package dev.orchestrator.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.orchestrator.core.EnvNames;
import dev.orchestrator.core.PluginStatus;
import dev.orchestrator.core.Stage;
import dev.orchestrator.core.State;
import dev.orchestrator.core.WorkflowRun;
import dev.orchestrator.plugin.PluginContext;
import dev.orchestrator.plugin.PluginInfo;
import dev.orchestrator.plugin.PluginResult;
import dev.orchestrator.plugin.QueuePlugin;
import dev.orchestrator.plugin.StageMessage;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Queue-bridged plugins on the emulator: SNS -> bridge -> SQS -> worker, with real redelivery,
 * delays and dead-letter queues. Each scenario has its own activity, queue and plugin.
 */
class QueuePluginTest {

    static OrchestratorFixture stack;

    @BeforeAll
    static void deploy() {
        stack = OrchestratorFixture.deploy("queues", List.of("Poll", "Retry", "Fatal", "Wait", "Poison", "Fifo", "FifoDelay"));
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    /** A queue plugin whose result is scripted by its call number (1, 2, ...). */
    static final class Scripted extends QueuePlugin {
        final PluginInfo info;
        final Function<Integer, PluginResult> script;
        final List<Long> calls = new CopyOnWriteArrayList<>();
        final List<String> order = new CopyOnWriteArrayList<>();
        final List<String> bridged = new CopyOnWriteArrayList<>();
        volatile StageMessage last;

        Scripted(Map<String, String> env, PluginInfo info, Function<Integer, PluginResult> script) {
            super(env);
            this.info = info;
            this.script = script;
        }

        @Override
        public PluginInfo info() {
            return info;
        }

        /** Serialized so the recorded order is the order messages were enqueued. */
        @Override
        public synchronized boolean bridge(StageMessage m) {
            boolean forwarded = super.bridge(m);
            if (forwarded) {
                bridged.add(m.uid());
            }
            return forwarded;
        }

        @Override
        protected PluginResult process(PluginContext context) {
            calls.add(System.currentTimeMillis());
            order.add(context.uid());
            last = context.message();
            return script.apply(calls.size());
        }
    }

    /** A plugin on a queue with the default receive count (3: the queue's maxReceiveCount, PLUGIN_MAX_RECEIVE_COUNT unset). */
    static Scripted plugin(String activity, String name, boolean fifo, Function<Integer, PluginResult> script) {
        return plugin(activity, name, fifo, null, script);
    }

    /**
     * @param maxReceiveCount the queue's maxReceiveCount and the worker's PLUGIN_MAX_RECEIVE_COUNT (as a plugin
     *                        template sets both from one value); null: the queue's 3 and the variable unset
     */
    static Scripted plugin(String activity, String name, boolean fifo, Integer maxReceiveCount, Function<Integer, PluginResult> script) {
        String[] queue = stack.queueWithDlq("q-" + name, maxReceiveCount == null ? 3 : maxReceiveCount, fifo);
        Map<String, String> env = new LinkedHashMap<>(stack.pluginEnv());
        env.put(EnvNames.PLUGIN_QUEUE_URL, queue[0]);
        if (maxReceiveCount != null) {
            env.put(EnvNames.PLUGIN_MAX_RECEIVE_COUNT, Integer.toString(maxReceiveCount));
        }
        env.put(EnvNames.PLUGIN_MAX_ATTEMPTS, "3");
        Scripted p = new Scripted(env, PluginInfo.builder(name).mandatory(true).fifoKey("tenantId").build(), script);
        stack.register(activity, Stage.PARALLEL, p);           // the bridge, subscribed to the topic
        stack.runtime.subscribeQueue(queue[0], p, 5, true);    // the worker, on the queue
        deadLetters.put(name, queue[1]);
        return p;
    }

    static final Map<String, String> deadLetters = new java.util.concurrent.ConcurrentHashMap<>();

    static void start(String uid, String activity, String metadata) {
        stack.start(WorkflowRunTest.startJson(uid, "q", List.of(activity), 1, metadata));
    }

    static PluginStatus status(String uid, String activity, String plugin) {
        return stack.run(uid, "q").orElseThrow().activity(activity).async().mandatory().get(plugin);
    }

    @Test
    void scheduleRunsAgainAfterItsDelay() {
        Scripted p = plugin("Poll", "poller", false, n -> n == 1 ? PluginResult.schedule(Duration.ofSeconds(2)) : PluginResult.complete());
        start("poll-1", "Poll", "{}");
        WorkflowRun run = stack.awaitEnd("poll-1", "q", Duration.ofSeconds(120));
        assertThat(run.status()).isEqualTo(State.COMPLETE);
        assertThat(p.calls).hasSize(2);
        assertThat(p.calls.get(1) - p.calls.get(0)).as("second run after the 2 s delay").isGreaterThanOrEqualTo(2000);
    }

    @Test
    void retryErrorRetriesWithBackoffThenErrors() {
        Scripted p = plugin("Retry", "flaky-api", false, n -> PluginResult.retry("throttled by the DNS API"));
        start("retry-1", "Retry", "{}");
        WorkflowRun run = stack.awaitEnd("retry-1", "q", Duration.ofSeconds(120));
        assertThat(run.status()).isEqualTo(State.ERROR);
        assertThat(p.calls).hasSize(3);
        assertThat(p.calls.get(1) - p.calls.get(0)).as("first backoff 2 s").isGreaterThanOrEqualTo(2000);
        assertThat(p.calls.get(2) - p.calls.get(1)).as("second backoff 4 s").isGreaterThanOrEqualTo(4000);
        assertThat(status("retry-1", "Retry", "flaky-api").message()).isEqualTo("gave up after 3 attempts: throttled by the DNS API");
    }

    @Test
    void fatalErrorErrorsAtOnce() {
        Scripted p = plugin("Fatal", "strict", false, n -> PluginResult.fatal("domain 'a b' is invalid"));
        start("fatal-1", "Fatal", "{}");
        WorkflowRun run = stack.awaitEnd("fatal-1", "q", Duration.ofSeconds(120));
        assertThat(run.status()).isEqualTo(State.ERROR);
        assertThat(p.calls).hasSize(1);
        assertThat(status("fatal-1", "Fatal", "strict").message()).isEqualTo("domain 'a b' is invalid");
    }

    @Test
    void waitCompletesWhenReportedLater() {
        Scripted p = plugin("Wait", "external-job", false, n -> PluginResult.waitForReport());
        start("wait-1", "Wait", "{}");
        stack.awaitCondition(Duration.ofSeconds(120), () -> !p.calls.isEmpty());
        try {
            Thread.sleep(2500); // past the 1 s window: only the pending plugin holds the stage open
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        assertThat(status("wait-1", "Wait", "external-job").state()).isEqualTo(State.IN_PROGRESS);
        assertThat(stack.run("wait-1", "q").orElseThrow().status().isPending()).isTrue();
        p.reportLater(p.last, State.COMPLETE, null); // e.g. the external job's callback
        assertThat(stack.awaitEnd("wait-1", "q", Duration.ofSeconds(120)).status()).isEqualTo(State.COMPLETE);
        assertThat(p.calls).hasSize(1);
    }

    /**
     * PLUGIN_MAX_RECEIVE_COUNT=2 (non-default: 3), with the queue's maxReceiveCount 2 to match: the worker marks
     * the plugin Error on the second receive, and the queue dead-letters the message after it. With the
     * default (3) the worker would wait for a third receive the queue never makes: the plugin would stay
     * In Progress until the engine's timeout, with another message.
     */
    @Test
    void aPoisonMessageReachesTheDeadLetterQueueAndThePluginIsError() {
        Scripted p = plugin("Poison", "poisoned", false, 2, n -> {
            throw new IllegalStateException("cannot parse the tenant's zone file");
        });
        start("poison-1", "Poison", "{}");
        WorkflowRun run = stack.awaitEnd("poison-1", "q", Duration.ofSeconds(120));
        assertThat(run.status()).isEqualTo(State.ERROR);
        assertThat(p.calls).hasSize(2);
        assertThat(status("poison-1", "Poison", "poisoned").message())
                .isEqualTo("failed 2 times, sent to the dead-letter queue: cannot parse the tenant's zone file");
        List<JsonNode> dead = stack.drainUrl(deadLetters.get("poisoned"), Duration.ofSeconds(120));
        assertThat(dead).hasSize(1);
        assertThat(dead.get(0).path("uid").asText()).isEqualTo("poison-1");
    }

    @Test
    void aFifoBridgeKeepsTheOrderOfOneTenantsRuns() {
        Scripted p = plugin("Fifo", "ordered", true, n -> PluginResult.complete());
        List<String> uids = List.of("fifo-1", "fifo-2", "fifo-3", "fifo-4");
        for (String uid : uids) {
            start(uid, "Fifo", "{\"tenantId\":\"acme\"}");
        }
        for (String uid : uids) {
            assertThat(stack.awaitEnd(uid, "q", Duration.ofSeconds(120)).status()).isEqualTo(State.COMPLETE);
        }
        assertThat(p.order).containsExactlyInAnyOrderElementsOf(uids);
        // All four share the group "acme": the worker saw them in the order the bridge enqueued them.
        assertThat(p.order).isEqualTo(p.bridged);
    }

    @Test
    void aScheduleOnAFifoQueueEndsThePluginErrorWithTheReason() {
        Scripted p = plugin("FifoDelay", "fifo-poller", true, n -> PluginResult.schedule(Duration.ofSeconds(5)));
        start("fifo-delay-1", "FifoDelay", "{\"tenantId\":\"acme\"}");
        WorkflowRun run = stack.awaitEnd("fifo-delay-1", "q", Duration.ofSeconds(120));
        assertThat(run.status()).isEqualTo(State.ERROR);
        assertThat(p.calls).as("ran once: receiving the message again cannot make a FIFO queue delay it").hasSize(1);
        assertThat(status("fifo-delay-1", "FifoDelay", "fifo-poller").message())
                .isEqualTo("Schedule and RetryError need a standard queue: FIFO queues cannot delay one message");
    }
}
