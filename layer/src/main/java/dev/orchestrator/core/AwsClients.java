package dev.orchestrator.core;

import java.net.URI;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.client.builder.AwsClientBuilder;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttribute;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
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
 *
 * <p>Every client built here carries {@link #FUNCTION} (the Lambda function it belongs to, from
 * {@code AWS_LAMBDA_FUNCTION_NAME}) and one shared interceptor that hands each call to the observers
 * registered with {@link #observe}. Tests and the benchmark count API calls that way, per function,
 * without mocking anything; with no observer (production) the cost is one empty-list check per call.
 * Clients also carry {@link dev.orchestrator.obs.Trace#SDK_CALLS}: each call becomes an X-Ray subsegment when
 * the invocation is traced (one thread-local read per call when it is not).
 * A caller that adds its own override configuration must start from
 * {@code builder.overrideConfiguration().toBuilder()}, or it replaces ours.
 */
public final class AwsClients {

    /** Execution attribute naming the function a client was built for ({@code "unknown"} outside Lambda). */
    public static final ExecutionAttribute<String> FUNCTION = new ExecutionAttribute<>("orchestrator.function");

    private static final List<ExecutionInterceptor> OBSERVERS = new CopyOnWriteArrayList<>();

    private final Env env;

    static {
        Names.allowLongNamesInSdk();
    }

    public AwsClients(Env env) {
        this.env = env;
    }

    /** Adds an observer of every call made by clients this class builds (also those built before). Thread-safe. */
    public static void observe(ExecutionInterceptor observer) {
        OBSERVERS.add(observer);
    }

    public static void stopObserving(ExecutionInterceptor observer) {
        OBSERVERS.remove(observer);
    }

    /** Same as {@link #observe}: how the fault-injection tests fail a real call after it happened. */
    public static void addInterceptor(ExecutionInterceptor interceptor) {
        observe(interceptor);
    }

    public static void removeInterceptor(ExecutionInterceptor interceptor) {
        stopObserving(interceptor);
    }

    public DynamoDbClient dynamo() {
        return configure(DynamoDbClient.builder()).build();
    }

    /** S3 with path-style addressing (emulators on loopback serve buckets by path). */
    public software.amazon.awssdk.services.s3.S3Client s3() {
        return configure(software.amazon.awssdk.services.s3.S3Client.builder().forcePathStyle(true)).build();
    }

    /**
     * Signs GET links to payload objects with this function's credentials (path-style, as {@link #s3()}); signing is
     * local, no API call.
     */
    public software.amazon.awssdk.services.s3.presigner.S3Presigner s3Presigner() {
        var b = software.amazon.awssdk.services.s3.presigner.S3Presigner.builder()
                .region(Region.of(env.get(EnvNames.AWS_REGION, "us-east-1")))
                .credentialsProvider(credentials())
                .serviceConfiguration(software.amazon.awssdk.services.s3.S3Configuration.builder().pathStyleAccessEnabled(true).build());
        String endpoint = env.get(EnvNames.AWS_ENDPOINT_URL, null);
        if (endpoint != null) {
            b.endpointOverride(URI.create(endpoint));
        }
        return b.build();
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

    /** Applies region, credentials, HTTP client, endpoint and call observation to any SDK client builder. */
    public <B extends AwsClientBuilder<B, C>, C> B configure(B builder) {
        builder.region(Region.of(env.get(EnvNames.AWS_REGION, "us-east-1")))
                .credentialsProvider(credentials())
                .overrideConfiguration(o -> o.addExecutionInterceptor(Dispatch.INSTANCE)
                        .addExecutionInterceptor(dev.orchestrator.obs.Trace.SDK_CALLS)
                        .putExecutionAttribute(FUNCTION, env.get(EnvNames.AWS_LAMBDA_FUNCTION_NAME, "unknown")));
        String endpoint = env.get(EnvNames.AWS_ENDPOINT_URL, null);
        if (builder instanceof software.amazon.awssdk.awscore.client.builder.AwsSyncClientBuilder<?, ?> sync) {
            sync.httpClientBuilder(endpoint == null ? UrlConnectionHttpClient.builder() : emulatorHttpClient());
        }
        if (endpoint != null) {
            builder.endpointOverride(URI.create(endpoint));
        }
        return builder;
    }

    /**
     * The HTTP client for an endpoint override (the local emulator): a single-threaded emulator holding a
     * large table can take longer than the SDK's 30 s socket timeout to answer one request on a busy
     * machine, where AWS answers in milliseconds; on AWS the SDK's defaults stay.
     */
    private static UrlConnectionHttpClient.Builder emulatorHttpClient() {
        return UrlConnectionHttpClient.builder().socketTimeout(java.time.Duration.ofMinutes(3));
    }

    /**
     * The value of {@code factory}, computed once on first use (thread-safe). How a handler holds a
     * client it needs on some paths only: a cold start then pays for the SDK classes of the paths it takes.
     */
    public static <T> Supplier<T> memoize(Supplier<T> factory) {
        return new Supplier<>() {
            private volatile T value;

            @Override
            public T get() {
                T v = value;
                if (v == null) {
                    synchronized (this) {
                        v = value;
                        if (v == null) {
                            v = factory.get();
                            value = v;
                        }
                    }
                }
                return v;
            }
        };
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

    /** The one interceptor every client carries: forwards to the registered observers, if any. */
    private static final class Dispatch implements ExecutionInterceptor {
        static final Dispatch INSTANCE = new Dispatch();

        @Override
        public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
            for (ExecutionInterceptor o : OBSERVERS) {
                o.beforeExecution(context, attributes);
            }
        }

        @Override
        public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
            for (ExecutionInterceptor o : OBSERVERS) {
                o.beforeTransmission(context, attributes);
            }
        }

        @Override
        public void afterExecution(Context.AfterExecution context, ExecutionAttributes attributes) {
            for (ExecutionInterceptor o : OBSERVERS) {
                o.afterExecution(context, attributes);
            }
        }

        @Override
        public void onExecutionFailure(Context.FailedExecution context, ExecutionAttributes attributes) {
            for (ExecutionInterceptor o : OBSERVERS) {
                o.onExecutionFailure(context, attributes);
            }
        }
    }
}
