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

    /**
     * Interceptors added to every client built from now on (in this JVM): how tests and the benchmark count
     * or fail real calls without mocking a client. Empty in Lambda.
     */
    private static final java.util.List<software.amazon.awssdk.core.interceptor.ExecutionInterceptor> INTERCEPTORS =
            new java.util.concurrent.CopyOnWriteArrayList<>();

    public static void addInterceptor(software.amazon.awssdk.core.interceptor.ExecutionInterceptor interceptor) {
        INTERCEPTORS.add(interceptor);
    }

    public static void removeInterceptor(software.amazon.awssdk.core.interceptor.ExecutionInterceptor interceptor) {
        INTERCEPTORS.remove(interceptor);
    }

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
        {
            // Always a delegating interceptor (an empty loop in Lambda), so ones added after the client was built apply.
            builder.overrideConfiguration(c -> c.addExecutionInterceptor(new software.amazon.awssdk.core.interceptor.ExecutionInterceptor() {
                @Override
                public void afterExecution(software.amazon.awssdk.core.interceptor.Context.AfterExecution context,
                                           software.amazon.awssdk.core.interceptor.ExecutionAttributes attributes) {
                    INTERCEPTORS.forEach(i -> i.afterExecution(context, attributes));
                }

                @Override
                public void beforeExecution(software.amazon.awssdk.core.interceptor.Context.BeforeExecution context,
                                            software.amazon.awssdk.core.interceptor.ExecutionAttributes attributes) {
                    INTERCEPTORS.forEach(i -> i.beforeExecution(context, attributes));
                }
            }));
        }
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
