package dev.orchestrator.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import com.fasterxml.jackson.databind.JsonNode;
import dev.orchestrator.core.Json;
import dev.orchestrator.core.Stage;
import dev.orchestrator.testkit.RetrySchedule;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntPredicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.sns.SnsClient;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * The local runtime delivers like AWS under load: an event that could not run because the emulator
 * or the machine was overloaded is retried with backoff over the event's maximum age (not dropped
 * after Lambda's two retries of a function error), and a failed SQS message comes back with growing
 * waits until the queue's redrive policy moves it to its dead-letter queue.
 */
class DeliveryRetryTest {

    static OrchestratorFixture stack;

    @BeforeAll
    static void deploy() {
        stack = OrchestratorFixture.deploy("retry", List.of("Setup"));
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    @AfterEach
    void defaults() {
        stack.runtime.overloadRetry(RetrySchedule.ASYNC_SYSTEM).sqsRetry(RetrySchedule.SQS_VISIBILITY);
    }

    /** A subscriber that counts the deliveries of messages carrying its marker and fails while told to. */
    static final class Flaky implements RequestStreamHandler {
        final String marker;
        final IntPredicate failOnDelivery;
        final RuntimeException failure;
        final AtomicInteger deliveries = new AtomicInteger();
        final List<Long> at = new CopyOnWriteArrayList<>();

        Flaky(String marker, IntPredicate failOnDelivery, RuntimeException failure) {
            this.marker = marker;
            this.failOnDelivery = failOnDelivery;
            this.failure = failure;
        }

        @Override
        public void handleRequest(InputStream input, OutputStream output, Context context) throws java.io.IOException {
            JsonNode event = Json.parse(input);
            if (!event.toString().contains(marker)) {
                return;
            }
            at.add(System.currentTimeMillis());
            if (failOnDelivery.test(deliveries.incrementAndGet())) {
                throw failure;
            }
        }
    }

    static RuntimeException emulatorUnreachable() {
        return SdkClientException.builder().message("Unable to execute HTTP request: Connection refused")
                .cause(new java.net.ConnectException("Connection refused")).build();
    }

    static void publish(String marker) {
        stack.emulator.client(SnsClient.builder()).publish(b -> b.topicArn(stack.topicArn("Setup", Stage.PARALLEL)).message(marker));
    }

    @Test
    void anSnsEventThatCouldNotRunUnderLoadIsRetriedPastLambdasTwoRetriesUntilDelivered() {
        stack.runtime.overloadRetry(new RetrySchedule(Duration.ofMillis(100), Duration.ofMillis(400), Duration.ofMinutes(10)));
        Flaky plugin = new Flaky("overloaded-then-fine", n -> n <= 6, emulatorUnreachable());
        stack.runtime.subscribe(stack.topicArn("Setup", Stage.PARALLEL), null, plugin, false);
        publish("overloaded-then-fine");
        stack.awaitCondition(Duration.ofSeconds(120), () -> plugin.deliveries.get() >= 7);
        assertThat(plugin.deliveries.get()).as("six overloaded tries (Lambda would give a function error three), then delivered")
                .isEqualTo(7);
        assertThat(stack.runtime.failedDeliveries()).noneMatch(f -> f.event().contains("overloaded-then-fine"));
    }

    @Test
    void anEventStillOverloadedAtItsMaximumAgeIsRecordedAsFailedNotRetriedForEver() {
        stack.runtime.overloadRetry(new RetrySchedule(Duration.ofMillis(200), Duration.ofMillis(400), Duration.ofSeconds(2)));
        Flaky plugin = new Flaky("overloaded-for-ever", n -> true, emulatorUnreachable());
        stack.runtime.subscribe(stack.topicArn("Setup", Stage.PARALLEL), null, plugin, false);
        publish("overloaded-for-ever");
        stack.awaitCondition(Duration.ofSeconds(120), () -> stack.runtime.failedDeliveries().stream()
                .anyMatch(f -> f.event().contains("overloaded-for-ever")));
        assertThat(plugin.deliveries.get()).isGreaterThan(3);
        long span = plugin.at.get(plugin.at.size() - 1) - plugin.at.get(0);
        assertThat(span).as("retried over the horizon, not at once").isGreaterThanOrEqualTo(1_000);
    }

    @Test
    void aFunctionErrorStillGetsLambdasRetriesOnly() {
        Flaky plugin = new Flaky("plain-bug", n -> true, new IllegalStateException("a bug in the plugin"));
        stack.runtime.subscribe(stack.topicArn("Setup", Stage.PARALLEL), null, plugin, false);
        publish("plain-bug");
        stack.awaitCondition(Duration.ofSeconds(120), () -> stack.runtime.failedDeliveries().stream()
                .anyMatch(f -> f.event().contains("plain-bug")));
        assertThat(plugin.deliveries.get()).as("the first try and MaximumRetryAttempts (2) retries").isEqualTo(3);
    }

    @Test
    void aFailedSqsMessageComesBackWithGrowingWaitsThenReachesTheDeadLetterQueue() {
        String[] queue = stack.queueWithDlq("retry-work", 4, false);
        Flaky worker = new Flaky("always-fails", n -> true, new IllegalStateException("worker cannot do it"));
        stack.runtime.subscribeQueue(queue[0], worker, 1, false);
        stack.emulator.client(SqsClient.builder()).sendMessage(b -> b.queueUrl(queue[0]).messageBody("{\"job\":\"always-fails\"}"));
        List<JsonNode> dead = stack.drainUrl(queue[1], Duration.ofSeconds(120));
        assertThat(dead).extracting(m -> m.path("job").asText()).containsExactly("always-fails");
        assertThat(worker.deliveries.get()).as("maxReceiveCount receives").isEqualTo(4);
        // Waits of 1, 2 and 4 s between the receives (the queue's own timeout, 30 s, caps them).
        assertThat(worker.at.get(3) - worker.at.get(0)).isGreaterThanOrEqualTo(6_000);
    }
}
