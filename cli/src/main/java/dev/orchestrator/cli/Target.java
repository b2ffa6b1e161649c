package dev.orchestrator.cli;

import java.net.URI;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.ProfileCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.client.builder.AwsClientBuilder;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.profiles.ProfileFile;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.cloudformation.CloudFormationClient;
import software.amazon.awssdk.services.cloudformation.model.Export;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * The stack the CLI talks to: AWS clients (default credential chain, or --profile; --region;
 * --endpoint-url for the local stack) and the stack's resources, resolved from its CloudFormation
 * exports ({@code <Stack>-status-name}, {@code <Stack>-start-workflow}, ...).
 */
final class Target {

    private final String stack;
    private final String profile;
    private final String region;
    private final String endpoint;
    private final String lambdaEndpoint;
    private final Map<String, String> env;
    private Map<String, String> exports;
    private final Map<Class<?>, Object> clients = new HashMap<>();

    Target(String stack, String profile, String region, String endpoint, String lambdaEndpoint, Map<String, String> env) {
        this.stack = stack;
        this.profile = profile;
        this.env = env;
        this.region = region != null ? region : env.getOrDefault("AWS_REGION", env.get("AWS_DEFAULT_REGION"));
        this.endpoint = endpoint != null ? endpoint : env.get("AWS_ENDPOINT_URL");
        this.lambdaEndpoint = lambdaEndpoint != null ? lambdaEndpoint : this.endpoint;
    }

    String stack() {
        if (stack == null || stack.isBlank()) {
            throw new CliException(Exit.USAGE, "no stack: pass --stack <name> or set ORCHESTRATOR_STACK");
        }
        return stack;
    }

    /** The value of export {@code <Stack>-<suffix>}. */
    synchronized String export(String suffix) {
        String name = stack() + "-" + suffix;
        if (exports == null) {
            Map<String, String> all = new HashMap<>();
            aws(() -> {
                cloudFormation().listExportsPaginator(b -> { }).exports().forEach((Export e) -> all.put(e.name(), e.value()));
                return null;
            });
            exports = all;
        }
        String value = exports.get(name);
        if (value == null) {
            throw new CliException(Exit.UNREACHABLE, "stack '" + stack() + "' has no export " + name
                    + " (is the stack deployed in this account and region, and up to date?)");
        }
        return value;
    }

    DynamoDbClient dynamo() {
        return client(DynamoDbClient.class, () -> configure(DynamoDbClient.builder(), endpoint).build());
    }

    software.amazon.awssdk.services.s3.S3Client s3() {
        return client(software.amazon.awssdk.services.s3.S3Client.class, () -> configure(
                software.amazon.awssdk.services.s3.S3Client.builder().forcePathStyle(true), endpoint).build());
    }

    SqsClient sqs() {
        return client(SqsClient.class, () -> configure(SqsClient.builder(), endpoint).build());
    }

    LambdaClient lambda() {
        return client(LambdaClient.class, () -> configure(LambdaClient.builder(), lambdaEndpoint).build());
    }

    EventBridgeClient events() {
        return client(EventBridgeClient.class, () -> configure(EventBridgeClient.builder(), endpoint).build());
    }

    CloudFormationClient cloudFormation() {
        return client(CloudFormationClient.class, () -> configure(CloudFormationClient.builder(), endpoint).build());
    }

    @SuppressWarnings("unchecked")
    private synchronized <T> T client(Class<T> type, Supplier<T> make) {
        return (T) clients.computeIfAbsent(type, t -> make.get());
    }

    private <B extends AwsClientBuilder<B, C>, C> B configure(B builder, String endpointUrl) {
        builder.credentialsProvider(credentials());
        if (region != null) {
            builder.region(Region.of(region));
        } else if (profile != null) {
            ProfileFile.defaultProfileFile().profile(profile).flatMap(p -> p.property("region"))
                    .ifPresent(r -> builder.region(Region.of(r)));
        }
        if (builder instanceof software.amazon.awssdk.awscore.client.builder.AwsSyncClientBuilder<?, ?> sync) {
            sync.httpClientBuilder(UrlConnectionHttpClient.builder());
        }
        if (endpointUrl != null) {
            builder.endpointOverride(URI.create(endpointUrl));
        }
        return builder;
    }

    private AwsCredentialsProvider credentials() {
        if (profile != null) {
            return ProfileCredentialsProvider.create(profile);
        }
        String key = env.get("AWS_ACCESS_KEY_ID");
        String secret = env.get("AWS_SECRET_ACCESS_KEY");
        if (key != null && secret != null) {
            String token = env.get("AWS_SESSION_TOKEN");
            return StaticCredentialsProvider.create(token == null ? AwsBasicCredentials.create(key, secret)
                    : AwsSessionCredentials.create(key, secret, token));
        }
        return DefaultCredentialsProvider.builder().build();
    }

    /** Runs an AWS call; failures to reach or authenticate become exit code 6 with the SDK's reason. */
    static <T> T aws(Supplier<T> call) {
        try {
            return call.get();
        } catch (software.amazon.awssdk.awscore.exception.AwsServiceException e) {
            if (e.statusCode() == 403 || e.statusCode() == 401) {
                throw new CliException(Exit.UNREACHABLE, "AWS refused the call: " + e.awsErrorDetails().errorMessage());
            }
            throw e;
        } catch (SdkException e) {
            if (e instanceof software.amazon.awssdk.core.exception.SdkClientException
                    && String.valueOf(e.getMessage()).startsWith("Unable to load region")) {
                throw new CliException(Exit.UNREACHABLE, "no AWS region: pass --region, set AWS_REGION, or use a --profile that has one");
            }
            if (e instanceof software.amazon.awssdk.core.exception.SdkClientException) {
                throw new CliException(Exit.UNREACHABLE, "cannot reach AWS: " + e.getMessage());
            }
            throw e;
        }
    }
}
