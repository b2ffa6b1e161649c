package dev.orchestrator.core;

import java.net.URI;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.client.builder.AwsClientBuilder;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.sns.SnsClient;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * Builds SDK clients from a function's environment. Cold start: URL-connection HTTP client, explicit
 * region and static credentials from the environment (no provider chain walk); endpoint override
 * when {@code AWS_ENDPOINT_URL} is set (emulator).
 */
public final class AwsClients {

    private final Env env;

    public AwsClients(Env env) {
        this.env = env;
    }

    public DynamoDbClient dynamo() {
        return configure(DynamoDbClient.builder()).build();
    }

    public SnsClient sns() {
        return configure(SnsClient.builder()).build();
    }

    public SqsClient sqs() {
        return configure(SqsClient.builder()).build();
    }

    public EventBridgeClient events() {
        return configure(EventBridgeClient.builder()).build();
    }

    /** Applies region, credentials, HTTP client and endpoint to any SDK client builder. */
    public <B extends AwsClientBuilder<B, C>, C> B configure(B builder) {
        builder.region(Region.of(env.get(EnvNames.AWS_REGION, "us-east-1")))
                .credentialsProvider(credentials());
        if (builder instanceof software.amazon.awssdk.awscore.client.builder.AwsSyncClientBuilder<?, ?> sync) {
            sync.httpClientBuilder(UrlConnectionHttpClient.builder());
        }
        String endpoint = env.get(EnvNames.AWS_ENDPOINT_URL, null);
        if (endpoint != null) {
            builder.endpointOverride(URI.create(endpoint));
        }
        return builder;
    }

    private AwsCredentialsProvider credentials() {
        String key = env.get("AWS_ACCESS_KEY_ID", null);
        String secret = env.get("AWS_SECRET_ACCESS_KEY", null);
        if (key == null || secret == null) {
            return DefaultCredentialsProvider.builder().build();
        }
        String token = env.get("AWS_SESSION_TOKEN", null);
        return StaticCredentialsProvider.create(token == null
                ? AwsBasicCredentials.create(key, secret)
                : AwsSessionCredentials.create(key, secret, token));
    }
}
