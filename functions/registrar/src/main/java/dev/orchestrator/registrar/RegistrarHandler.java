package dev.orchestrator.registrar;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.orchestrator.core.AwsClients;
import dev.orchestrator.core.Env;
import dev.orchestrator.core.EnvNames;
import dev.orchestrator.core.Json;
import dev.orchestrator.core.PluginRegistration;
import dev.orchestrator.core.PluginRegistry;
import dev.orchestrator.core.Stage;
import dev.orchestrator.core.Topics;
import dev.orchestrator.obs.Log;
import dev.orchestrator.obs.Trace;
import dev.orchestrator.obs.Metrics;
import dev.orchestrator.plugin.PluginInfo;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.InvokeResponse;
import software.amazon.awssdk.services.sns.SnsClient;
import software.amazon.awssdk.services.sns.model.NotFoundException;

/**
 * Keeps the plugin table in step with who subscribes to the stack's stage topics: registers a Lambda
 * that subscribed (asking it for its info with an {@code initialize} invoke), drops one that
 * unsubscribed, refreshes one whose code changed, and reconciles all topics on a schedule or on
 * demand, so registration works even where the CloudTrail events never arrive.
 */
public final class RegistrarHandler implements RequestStreamHandler {

    private static final Log LOG = Log.of(RegistrarHandler.class);

    private final PluginRegistry registry;
    private final Supplier<SnsClient> sns;
    private final Supplier<LambdaClient> lambda;
    private final String topicArnPrefix;
    private final List<String> activities;

    public RegistrarHandler() {
        this(System.getenv());
    }

    private final Trace.Config trace;

    public RegistrarHandler(Map<String, String> environment) {
        Env env = new Env(environment);
        Log.configure(environment);
        this.trace = Trace.Config.of(environment);
        AwsClients aws = new AwsClients(env);
        this.registry = new PluginRegistry(aws.dynamo(), env.require(EnvNames.PLUGIN_TABLE));
        // Built on first use: the subscribe/unsubscribe paths never list topics, and only a new plugin is invoked.
        // Suppliers, not proxies of the client interfaces: a proxy loads and initializes every request class.
        this.sns = AwsClients.memoize(aws::sns);
        String lambdaEndpoint = env.get(EnvNames.LAMBDA_ENDPOINT_URL, null);
        this.lambda = AwsClients.memoize(() -> {
            var lambdaBuilder = aws.configure(LambdaClient.builder());
            if (lambdaEndpoint != null) {
                lambdaBuilder.endpointOverride(URI.create(lambdaEndpoint));
            }
            return lambdaBuilder.build();
        });
        this.topicArnPrefix = env.require(EnvNames.TOPIC_ARN_PREFIX);
        this.activities = Arrays.stream(env.get(EnvNames.ACTIVITIES, "").split(","))
                .map(String::trim).filter(s -> !s.isEmpty()).toList();
    }

    @Override
    public void handleRequest(InputStream input, OutputStream output, Context context) throws IOException {
        Log.init(context);
        Trace.begin(trace);
        ObjectNode result = Json.object();
        try {
            Command command = Command.parse(Json.parse(input));
            if (command instanceof Command.Subscribe s) {
                result.put("registered", subscribe(s.topicArn(), s.endpoint(), s.subscriptionArn()));
            } else if (command instanceof Command.Unsubscribe u) {
                result.put("removed", unsubscribe(u.subscriptionArn()));
            } else if (command instanceof Command.CodeUpdated c) {
                result.put("refreshed", refresh(c.functionName()));
            } else {
                int[] counts = reconcile();
                result.put("registered", counts[0]);
                result.put("removed", counts[1]);
                LOG.info("reconcile done", "registered", counts[0], "removed", counts[1]);
            }
        } catch (RuntimeException e) {
            LOG.error("registrar request failed (retried, then dead-lettered)", e);
            throw e;
        } finally {
            Metrics.flush();
            Log.clear();
            Trace.end();
        }
        output.write(Json.write(result).getBytes(StandardCharsets.UTF_8));
    }

    /** Registers a Lambda subscription to one of our stage topics; other topics and protocols are not ours. */
    boolean subscribe(String topicArn, String endpoint, String subscriptionArn) {
        var topic = Topics.parse(topicArnPrefix, topicArn);
        if (topic.isEmpty() || !endpoint.contains(":lambda:")) {
            LOG.info("subscription ignored: not a Lambda on one of this stack's stage topics", "topicArn", topicArn,
                    "endpoint", endpoint);
            return false;
        }
        Log.put(Log.ACTIVITY, topic.get().activity());
        Log.put(Log.STAGE, topic.get().stage().wireName());
        try {
            PluginInfo info = initialize(endpoint);
            Log.put(Log.PLUGIN, info.pluginName());
            Optional<PluginRegistration.Subscription> delivery = delivery(subscriptionArn);
            if (delivery.isEmpty()) {
                LOG.info("subscription ignored: it no longer exists", "subscriptionArn", subscriptionArn);
                return false;
            }
            registry.register(PluginRegistration.of(topic.get().activity(), topic.get().stage(), subscriptionArn,
                    Command.functionName(endpoint), info).withSubscription(delivery.get()));
            LOG.info("plugin registered", "function", Command.functionName(endpoint), "subscriptionArn", subscriptionArn,
                    "filterPolicy", delivery.get().filterPolicy(), "filterPolicyScope", delivery.get().scope());
            Metrics.count(Metrics.PLUGINS_REGISTERED, null);
            return true;
        } finally {
            Log.put(Log.ACTIVITY, null);
            Log.put(Log.STAGE, null);
            Log.put(Log.PLUGIN, null);
        }
    }

    boolean unsubscribe(String subscriptionArn) {
        var topic = Topics.parse(topicArnPrefix, Command.topicOf(subscriptionArn));
        if (topic.isEmpty()) {
            return false;
        }
        registry.remove(topic.get().activity(), topic.get().stage(), subscriptionArn);
        LOG.info("plugin unregistered: unsubscribed", Log.ACTIVITY, topic.get().activity(), Log.STAGE,
                topic.get().stage().wireName(), "subscriptionArn", subscriptionArn);
        Metrics.count(Metrics.PLUGINS_REMOVED, null);
        return true;
    }

    int refresh(String functionName) {
        List<PluginRegistration> mine = registry.byFunction(functionName);
        for (PluginRegistration r : mine) {
            PluginInfo info = initialize(functionName);
            registry.register(PluginRegistration.of(r.activity(), r.stage(), r.subscriptionArn(), functionName, info)
                    .withSubscription(delivery(r.subscriptionArn()).orElse(r.subscription())));
            LOG.info("plugin refreshed after a code update", Log.ACTIVITY, r.activity(), Log.STAGE, r.stage().wireName(),
                    Log.PLUGIN, info.pluginName(), "function", functionName);
        }
        return mine.size();
    }

    /** @return {registered, removed} */
    int[] reconcile() {
        int added = 0;
        int removed = 0;
        // One scan for every stage's registrations (a query per topic made reconcile 2 calls per topic).
        Map<String, List<PluginRegistration>> registered = registry.all().stream()
                .collect(Collectors.groupingBy(r -> r.orchestratorId()));
        for (String activity : activities) {
            for (Stage stage : Stage.values()) {
                String topicArn = Topics.arn(topicArnPrefix, activity, stage);
                List<ReconcilePlan.TopicSubscription> actual = new ArrayList<>();
                sns.get().listSubscriptionsByTopicPaginator(b -> b.topicArn(topicArn)).subscriptions().forEach(s ->
                        actual.add(new ReconcilePlan.TopicSubscription(s.subscriptionArn(), s.protocol(), s.endpoint())));
                ReconcilePlan plan = ReconcilePlan.of(actual,
                        registered.getOrDefault(PluginRegistration.orchestratorId(activity, stage), List.of()));
                for (ReconcilePlan.TopicSubscription s : plan.toRegister()) {
                    if (subscribe(topicArn, s.endpoint(), s.subscriptionArn())) {
                        added++;
                    }
                }
                for (PluginRegistration r : plan.toReread()) {
                    // A filter policy can change after subscribing (SetSubscriptionAttributes): the engine predicts
                    // delivery from the recorded one, so reconcile records what SNS holds now.
                    Optional<PluginRegistration.Subscription> now = delivery(r.subscriptionArn());
                    if (now.isPresent() && !now.get().equals(r.subscription())) {
                        registry.register(r.withSubscription(now.get()));
                        LOG.info("plugin's filter policy re-read", Log.ACTIVITY, activity, Log.STAGE, stage.wireName(),
                                Log.PLUGIN, r.pluginName(), "subscriptionArn", r.subscriptionArn(),
                                "filterPolicy", now.get().filterPolicy(), "filterPolicyScope", now.get().scope());
                    }
                }
                for (PluginRegistration r : plan.toRemove()) {
                    registry.remove(activity, stage, r.subscriptionArn());
                    LOG.info("plugin unregistered: its subscription is gone", Log.ACTIVITY, activity, Log.STAGE, stage.wireName(),
                            Log.PLUGIN, r.pluginName(), "subscriptionArn", r.subscriptionArn());
                    Metrics.count(Metrics.PLUGINS_REMOVED, null);
                    removed++;
                }
            }
        }
        return new int[] {added, removed};
    }

    /**
     * The subscription's delivery settings (filter policy and scope) as SNS holds them; empty when the
     * subscription no longer exists.
     */
    Optional<PluginRegistration.Subscription> delivery(String subscriptionArn) {
        try {
            return Optional.of(PluginRegistration.Subscription.of(
                    sns.get().getSubscriptionAttributes(b -> b.subscriptionArn(subscriptionArn)).attributes()));
        } catch (NotFoundException gone) {
            return Optional.empty();
        }
    }

    /** Asks a plugin who it is. A plugin that cannot answer is an error, not a silent skip. */
    PluginInfo initialize(String function) {
        InvokeResponse r = lambda.get().invoke(b -> b.functionName(function)
                .payload(SdkBytes.fromUtf8String("{\"action\":\"initialize\"}")));
        if (r.functionError() != null) {
            Metrics.count(Metrics.PLUGIN_INITIALIZE_FAILURES, null);
            throw new IllegalStateException("plugin " + function + " failed to initialize: " + r.payload().asUtf8String());
        }
        return PluginInfo.fromJson(Json.parse(r.payload().asUtf8String()));
    }
}
