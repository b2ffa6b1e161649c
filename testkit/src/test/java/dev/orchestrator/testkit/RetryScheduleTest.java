package dev.orchestrator.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.dynamodb.model.DynamoDbException;
import software.amazon.awssdk.services.dynamodb.model.ResourceNotFoundException;

class RetryScheduleTest {

    @Test
    void lambdasScheduleDoublesFromOneSecondToFiveMinutesOverSixHours() {
        RetrySchedule s = RetrySchedule.ASYNC_SYSTEM;
        assertThat(s.delayMillis(1)).isEqualTo(1_000);
        assertThat(s.delayMillis(2)).isEqualTo(2_000);
        assertThat(s.delayMillis(5)).isEqualTo(16_000);
        assertThat(s.delayMillis(9)).isEqualTo(256_000);
        assertThat(s.delayMillis(10)).isEqualTo(300_000);
        assertThat(s.delayMillis(1_000)).as("no overflow").isEqualTo(300_000);
        assertThat(s.next(3, 0)).hasValue(4_000);
        assertThat(s.next(50, Duration.ofHours(6).toMillis() - 300_000)).hasValue(300_000);
        assertThat(s.next(50, Duration.ofHours(6).toMillis() - 299_999)).isEmpty();
    }

    @Test
    void loadAloneNeverExhaustsTheHorizonQuickly() {
        // Under load every try may fail for minutes: how many tries, and how long, until it gives up.
        RetrySchedule s = RetrySchedule.ASYNC_SYSTEM;
        long elapsed = 0;
        int failures = 0;
        while (true) {
            var wait = s.next(++failures, elapsed);
            if (wait.isEmpty()) {
                break;
            }
            elapsed += wait.getAsLong();
        }
        assertThat(elapsed).isGreaterThan(Duration.ofHours(5).toMillis()).isLessThanOrEqualTo(Duration.ofHours(6).toMillis());
        assertThat(failures).isGreaterThan(70);
    }

    @Test
    void sqsWaitsAreCappedByTheQueuesTimeout() {
        RetrySchedule s = RetrySchedule.SQS_VISIBILITY.withCap(Duration.ofSeconds(30));
        assertThat(s.delayMillis(1)).isEqualTo(1_000);
        assertThat(s.delayMillis(4)).isEqualTo(8_000);
        assertThat(s.delayMillis(6)).isEqualTo(30_000);
        assertThat(RetrySchedule.SQS_VISIBILITY.withCap(Duration.ZERO).delayMillis(3)).as("never below the first wait").isEqualTo(1_000);
    }

    @Test
    void nonsenseIsRefusedNamingWhatIsWrong() {
        assertThatThrownBy(() -> new RetrySchedule(Duration.ZERO, Duration.ofSeconds(1), Duration.ofSeconds(1)))
                .hasMessageContaining("first wait must be positive");
        assertThatThrownBy(() -> new RetrySchedule(Duration.ofSeconds(2), Duration.ofSeconds(1), Duration.ofSeconds(1)))
                .hasMessageContaining("is shorter than the first wait");
        assertThatThrownBy(() -> RetrySchedule.ASYNC_SYSTEM.delayMillis(0)).hasMessageContaining("failures must be at least 1");
    }

    @Test
    void anOverloadedEmulatorIsToldApartFromTheFunctionsOwnErrors() {
        assertThat(LocalLambdaRuntime.overloaded(SdkClientException.builder().message("Unable to execute HTTP request")
                .cause(new java.net.SocketTimeoutException("Read timed out")).build())).isTrue();
        assertThat(LocalLambdaRuntime.overloaded(ApiCallTimeoutException.create(1000))).isTrue();
        assertThat(LocalLambdaRuntime.overloaded(new IllegalStateException("wrapped",
                SdkClientException.builder().cause(new java.net.ConnectException("refused")).build()))).isTrue();
        assertThat(LocalLambdaRuntime.overloaded(DynamoDbException.builder().statusCode(500).message("internal").build())).isTrue();
        assertThat(LocalLambdaRuntime.overloaded(DynamoDbException.builder().statusCode(429).message("slow down").build())).isTrue();
        assertThat(LocalLambdaRuntime.overloaded(ResourceNotFoundException.builder().statusCode(400).message("no table").build())).isFalse();
        assertThat(LocalLambdaRuntime.overloaded(SdkClientException.create("Unable to marshall request"))).isFalse();
        assertThat(LocalLambdaRuntime.overloaded(new IllegalArgumentException("bad event"))).isFalse();
    }
}
