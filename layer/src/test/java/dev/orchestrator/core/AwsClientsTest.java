package dev.orchestrator.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

@SuppressWarnings("deprecation")
class AwsClientsTest {

    @Test
    void aLazyClientIsBuiltOnItsFirstCallAndOnlyOnce() {
        AtomicInteger built = new AtomicInteger();
        CharSequence lazy = AwsClients.lazy(CharSequence.class, () -> {
            built.incrementAndGet();
            return "abc";
        });
        assertThat(built).hasValue(0);
        assertThat(lazy.length()).isEqualTo(3);
        assertThat(lazy.charAt(1)).isEqualTo('b');
        assertThat(built).hasValue(1);
    }

    @Test
    void aLazyClientRethrowsWhatTheRealOneThrows() {
        CharSequence lazy = AwsClients.lazy(CharSequence.class, () -> "abc");
        assertThatThrownBy(() -> lazy.charAt(7)).isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void everyClientCarriesTheFunctionItBelongsTo() {
        Env env = new Env(Map.of("AWS_REGION", "eu-west-1", "AWS_ACCESS_KEY_ID", "k", "AWS_SECRET_ACCESS_KEY", "s",
                "AWS_LAMBDA_FUNCTION_NAME", "my-engine"));
        try (DynamoDbClient client = new AwsClients(env).dynamo()) {
            assertThat(client.serviceClientConfiguration().overrideConfiguration().executionAttributes()
                    .getAttribute(AwsClients.FUNCTION)).isEqualTo("my-engine");
        }
    }
}
