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
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.iam.IamClient;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.lambda.model.EventSourceMappingConfiguration;
import software.amazon.awssdk.services.lambda.model.GetFunctionConfigurationResponse;
import software.amazon.awssdk.services.lambda.model.InvokeResponse;
import software.amazon.awssdk.services.sns.SnsClient;
import software.amazon.awssdk.services.sns.model.NotFoundException;

/**
 * Keeps the plugin table in step with who subscribes to the stack's stage topics: registers a Lambda
 * that subscribed (asking it for its info with an {@code initialize} invoke), drops one that
 * unsubscribed, refreshes one whose code changed, and reconciles all topics on a schedule or on
 * demand, so registration works even where the CloudTrail events never arrive. Each registration records
 * the IAM roles the plugin runs as, and is refused (kept, marked, never listed by the engine) when a role's
 * tag {@code orchestrator-plugin} is not the plugin's name (docs/security.md).
 */
public final class RegistrarHandler implements RequestStreamHandler {

    private static final Log LOG = Log.of(RegistrarHandler.class);

    private final PluginRegistry registry;
    private final Supplier<SnsClient> sns;
    private final Supplier<LambdaClient> lambda;
    /** Lambda's control plane (GetFunctionConfiguration, ListEventSourceMappings): never the local invoke endpoint. */
    private final Supplier<LambdaClient> lambdaApi;
    private final Supplier<IamClient> iam;
    private final String topicArnPrefix;
    private final List<String> activities;

    public RegistrarHandler() {
        this(System.getenv());
    }

    private final Trace.Config trace;

    public RegistrarHandler(Map<String, String> environment) {
        Env env = new Env(environment);
        Log.configure(environment);
        Metrics.configure(environment);
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
        this.lambdaApi = AwsClients.memoize(() -> aws.configure(LambdaClient.builder()).build());
        this.iam = AwsClients.memoize(() -> aws.configure(IamClient.builder()).build());
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
                Outcome o = subscribe(s.topicArn(), s.endpoint(), s.subscriptionArn());
                result.put("registered", o == Outcome.REGISTERED);
                result.put("refused", o == Outcome.REFUSED);
            } else if (command instanceof Command.Unsubscribe u) {
                result.put("removed", unsubscribe(u.subscriptionArn()));
            } else if (command instanceof Command.CodeUpdated c) {
                result.put("refreshed", refresh(c.functionName()));
            } else {
                int[] counts = reconcile();
                result.put("registered", counts[0]);
                result.put("removed", counts[1]);
                result.put("refused", counts[2]);
                LOG.info("reconcile done", "registered", counts[0], "removed", counts[1], "refused", counts[2]);
            }
        } catch (RuntimeException e) {
            LOG.error("registrar request failed; Lambda retries it, then it goes to RegistrarDeadLetterQueue", e,
                    "cause", String.valueOf(e), "action", "fix the cause named here, then invoke the registrar with "
                            + "{\"action\":\"reconcile\"} (or wait for the hourly reconcile)");
            throw e;
        } finally {
            Metrics.flush();
            Log.clear();
            Trace.end();
        }
        output.write(Json.write(result).getBytes(StandardCharsets.UTF_8));
    }

    /** What became of a subscription. */
    enum Outcome { REGISTERED, REFUSED, IGNORED }

    /**
     * Registers a Lambda subscription to one of our stage topics; other topics and protocols are not ours. A plugin
     * whose roles are not tagged with its name is recorded refused (the engine does not list it) and logged.
     */
    Outcome subscribe(String topicArn, String endpoint, String subscriptionArn) {
        var topic = Topics.parse(topicArnPrefix, topicArn);
        if (topic.isEmpty() || !endpoint.contains(":lambda:")) {
            LOG.info("subscription ignored: not a Lambda on one of this stack's stage topics", "topicArn", topicArn,
                    "endpoint", endpoint);
            return Outcome.IGNORED;
        }
        Log.put(Log.ACTIVITY, topic.get().activity());
        Log.put(Log.STAGE, topic.get().stage().wireName());
        try {
            PluginInfo info = initialize(endpoint);
            Log.put(Log.PLUGIN, info.pluginName());
            Optional<PluginRegistration.Subscription> delivery = delivery(subscriptionArn);
            if (delivery.isEmpty()) {
                LOG.info("subscription ignored: it no longer exists", "subscriptionArn", subscriptionArn);
                return Outcome.IGNORED;
            }
            PrincipalCheck.Verdict verdict = identify(endpoint, info.pluginName());
            registry.register(PluginRegistration.of(topic.get().activity(), topic.get().stage(), subscriptionArn,
                    Command.functionName(endpoint), info).withSubscription(delivery.get()).withIdentity(verdict.identity()));
            if (!verdict.trusted()) {
                logRefused(verdict, endpoint, info.pluginName(), subscriptionArn);
                return Outcome.REFUSED;
            }
            LOG.info("plugin registered", "function", Command.functionName(endpoint), "subscriptionArn", subscriptionArn,
                    "principals", String.join(",", verdict.identity().principals()),
                    "filterPolicy", delivery.get().filterPolicy(), "filterPolicyScope", delivery.get().scope());
            Metrics.count(Metrics.PLUGINS_REGISTERED, null);
            return Outcome.REGISTERED;
        } finally {
            Log.put(Log.ACTIVITY, null);
            Log.put(Log.STAGE, null);
            Log.put(Log.PLUGIN, null);
        }
    }

    boolean unsubscribe(String subscriptionArn) {
        var topic = Topics.parse(topicArnPrefix, Command.topicOf(subscriptionArn));
        if (topic.isEmpty()) {
            LOG.info("unsubscribe ignored: not a stage topic of this stack", "subscriptionArn", subscriptionArn);
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
        if (mine.isEmpty()) {
            LOG.info("code update ignored: the function is not a registered plugin", "function", functionName);
        }
        for (PluginRegistration r : mine) {
            PluginInfo info = initialize(functionName);
            // The new code may declare another name: its roles are checked against the name it declares now.
            PrincipalCheck.Verdict verdict = identify(functionName, info.pluginName());
            registry.register(PluginRegistration.of(r.activity(), r.stage(), r.subscriptionArn(), functionName, info)
                    .withSubscription(delivery(r.subscriptionArn()).orElse(r.subscription())).withIdentity(verdict.identity()));
            if (!verdict.trusted()) {
                Log.put(Log.ACTIVITY, r.activity());
                Log.put(Log.STAGE, r.stage().wireName());
                try {
                    logRefused(verdict, functionName, info.pluginName(), r.subscriptionArn());
                } finally {
                    Log.put(Log.ACTIVITY, null);
                    Log.put(Log.STAGE, null);
                }
                continue;
            }
            LOG.info("plugin refreshed after a code update", Log.ACTIVITY, r.activity(), Log.STAGE, r.stage().wireName(),
                    Log.PLUGIN, info.pluginName(), "function", functionName);
        }
        return mine.size();
    }

    /** @return {registered, removed, refused} */
    int[] reconcile() {
        int added = 0;
        int removed = 0;
        int refused = 0;
        int failed = 0;
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
                    Outcome o;
                    try {
                        o = subscribe(topicArn, s.endpoint(), s.subscriptionArn());
                    } catch (RuntimeException e) {
                        // One plugin that cannot be asked must not keep every later topic from being reconciled.
                        failed++;
                        LOG.error("subscription not registered; reconcile goes on with the others", e, Log.ACTIVITY, activity,
                                Log.STAGE, stage.wireName(), "endpoint", s.endpoint(), "subscriptionArn", s.subscriptionArn(),
                                "cause", String.valueOf(e), "action", "check that the subscribed function exists and answers "
                                        + "{\"action\":\"initialize\"}; the next reconcile tries it again");
                        continue;
                    }
                    added += o == Outcome.REGISTERED ? 1 : 0;
                    refused += o == Outcome.REFUSED ? 1 : 0;
                }
                Map<String, PluginRegistration> reread = new java.util.HashMap<>();
                for (PluginRegistration r : plan.toReread()) {
                    // A filter policy can change after subscribing (SetSubscriptionAttributes): the engine predicts
                    // delivery from the recorded one, so reconcile records what SNS holds now.
                    Optional<PluginRegistration.Subscription> now = delivery(r.subscriptionArn());
                    if (now.isPresent() && !now.get().equals(r.subscription())) {
                        PluginRegistration updated = r.withSubscription(now.get());
                        registry.register(updated);
                        reread.put(r.subscriptionArn(), updated);
                        LOG.info("plugin's filter policy re-read", Log.ACTIVITY, activity, Log.STAGE, stage.wireName(),
                                Log.PLUGIN, r.pluginName(), "subscriptionArn", r.subscriptionArn(),
                                "filterPolicy", now.get().filterPolicy(), "filterPolicyScope", now.get().scope());
                    }
                }
                for (PluginRegistration r : plan.toVerify()) {
                    Outcome o = verify(reread.getOrDefault(r.subscriptionArn(), r));
                    added += o == Outcome.REGISTERED ? 1 : 0;
                    refused += o == Outcome.REFUSED ? 1 : 0;
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
        if (failed > 0) {
            // Everything else is reconciled; the invocation still fails, so the errors alarm and the retry see it.
            throw new IllegalStateException("reconcile could not register " + failed + " subscription(s) (registered " + added
                    + ", removed " + removed + ", refused " + refused + "); see the error lines for each");
        }
        return new int[] {added, removed, refused};
    }

    /**
     * Checks again the principals of a registration the registrar made (a role's tag, or a function's role, can change
     * with no event): records the roles when they changed, refuses one that is no longer the plugin, and trusts again one
     * whose role was tagged since. IGNORED when nothing changed.
     */
    Outcome verify(PluginRegistration r) {
        PrincipalCheck.Verdict verdict = identify(r.functionName(), r.pluginName());
        if (verdict.identity().equals(r.identity())) {
            return Outcome.IGNORED;
        }
        registry.register(r.withIdentity(verdict.identity()));
        Log.put(Log.ACTIVITY, r.activity());
        Log.put(Log.STAGE, r.stage().wireName());
        try {
            if (!verdict.trusted()) {
                logRefused(verdict, r.functionName(), r.pluginName(), r.subscriptionArn());
                return Outcome.REFUSED;
            }
            LOG.info(r.trusted() ? "plugin's principals recorded" : "plugin registered: its roles are now tagged with its name",
                    Log.PLUGIN, r.pluginName(), "function", r.functionName(), "subscriptionArn", r.subscriptionArn(),
                    "principals", String.join(",", verdict.identity().principals()));
            if (r.trusted()) {
                return Outcome.IGNORED;
            }
            Metrics.count(Metrics.PLUGINS_REGISTERED, null);
            return Outcome.REGISTERED;
        } finally {
            Log.put(Log.ACTIVITY, null);
            Log.put(Log.STAGE, null);
        }
    }

    /**
     * The IAM principals a plugin's code runs as, read from Lambda and IAM, and the decision on them: the subscribed
     * function's execution role and, when the function is a queue bridge (it has {@code PLUGIN_QUEUE_URL}), the roles
     * of the functions its queue's event source mappings invoke.
     */
    PrincipalCheck.Verdict identify(String function, String pluginName) {
        List<PrincipalCheck.Principal> principals = new ArrayList<>();
        GetFunctionConfigurationResponse conf = principal(function, PrincipalCheck.SUBSCRIBED, principals);
        String queueUrl = conf == null || conf.environment() == null || conf.environment().variables() == null ? null
                : conf.environment().variables().get(PrincipalCheck.BRIDGE_QUEUE_VARIABLE);
        if (queueUrl != null && !queueUrl.isBlank()) {
            String queueArn = PrincipalCheck.queueArn(queueUrl, conf.functionArn());
            String part = "consumer of queue " + queueArn;
            List<String> consumers = new ArrayList<>();
            try {
                lambdaApi.get().listEventSourceMappingsPaginator(b -> b.eventSourceArn(queueArn)).eventSourceMappings()
                        .stream().map(EventSourceMappingConfiguration::functionArn).distinct().forEach(consumers::add);
            } catch (AwsServiceException e) {
                principals.add(PrincipalCheck.Principal.unreadable(queueArn, null, "queue", "cannot list its event source mappings ("
                        + e.awsErrorDetails().errorCode() + ": " + e.awsErrorDetails().errorMessage() + ")"));
            }
            if (consumers.isEmpty()) {
                // Consumed by something Lambda does not map (or not yet): only the bridge can be checked; IAM still
                // confines whatever consumes it to its own role's tag.
                LOG.warn("queue bridge's queue has no Lambda consumer: only the bridge's role is checked", Log.PLUGIN, pluginName,
                        "function", function, "queueArn", queueArn);
            }
            for (String consumer : consumers) {
                principal(consumer, part, principals);
            }
        }
        return PrincipalCheck.decide(pluginName, principals);
    }

    /** Reads one function's role and the role's tags into {@code into}; returns its configuration, null when unreadable. */
    private GetFunctionConfigurationResponse principal(String function, String part, List<PrincipalCheck.Principal> into) {
        GetFunctionConfigurationResponse conf;
        try {
            conf = lambdaApi.get().getFunctionConfiguration(b -> b.functionName(function));
        } catch (AwsServiceException e) {
            into.add(PrincipalCheck.Principal.unreadable(function, null, part, "cannot read its configuration ("
                    + e.awsErrorDetails().errorCode() + ": " + e.awsErrorDetails().errorMessage()
                    + "); the registrar reads only functions tagged OrchestratorStack=<this stack>"));
            return null;
        }
        String role = conf.role();
        try {
            Map<String, String> tags = new java.util.LinkedHashMap<>();
            iam.get().listRoleTagsPaginator(b -> b.roleName(PrincipalCheck.roleName(role))).tags()
                    .forEach(t -> tags.put(t.key(), t.value()));
            into.add(PrincipalCheck.Principal.read(function, role, tags, part));
        } catch (AwsServiceException e) {
            into.add(PrincipalCheck.Principal.unreadable(function, role, part, "cannot list the role's tags ("
                    + e.awsErrorDetails().errorCode() + ": " + e.awsErrorDetails().errorMessage() + ")"));
        }
        return conf;
    }

    /** One WARN line per refused registration: the plugin, the function and role that failed, the tag found, what to do. */
    private void logRefused(PrincipalCheck.Verdict verdict, String function, String pluginName, String subscriptionArn) {
        PrincipalCheck.Mismatch first = verdict.mismatches().get(0);
        PrincipalCheck.Principal p = first.principal();
        String tag = p == null ? null : p.tag();
        LOG.warn("plugin registration refused: a role it runs as is not tagged with its name", Log.PLUGIN, pluginName,
                "function", function, "subscriptionArn", subscriptionArn,
                "principalFunction", p == null ? null : p.function(), "role", p == null || p.role() == null ? "(unknown)" : p.role(),
                "tagFound", tag == null ? "(none)" : tag, "reason", verdict.identity().refused(),
                "action", "tag the role " + dev.orchestrator.core.Keys.PLUGIN_TAG + "=" + pluginName
                        + " (aws iam tag-role), then run the registrar's reconcile; until then the engine does not list this plugin"
                        + " and IAM lets its role write only the execution items its own tag names");
        Metrics.count(Metrics.PLUGINS_REFUSED, null);
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
