package dev.orchestrator.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

class AwsClientsTest {

    @Test
    void aMemoizedClientIsBuiltOnItsFirstUseAndOnlyOnce() {
        AtomicInteger built = new AtomicInteger();
        java.util.function.Supplier<CharSequence> client = AwsClients.memoize(() -> {
            built.incrementAndGet();
            return "abc";
        });
        assertThat(built).hasValue(0);
        assertThat(client.get().length()).isEqualTo(3);
        assertThat(client.get().charAt(1)).isEqualTo('b');
        assertThat(built).hasValue(1);
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
