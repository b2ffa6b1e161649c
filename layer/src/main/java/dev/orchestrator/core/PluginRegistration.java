package dev.orchestrator.core;

import dev.orchestrator.plugin.PluginInfo;

/**
 * A row of the plugin table: one plugin subscribed to one stage of one activity.
 * Key: {@code orchestratorId} = {@code <activity>|<stage>} + {@code subscriptionArn}.
 * {@code subscription} is what SNS decides delivery by (the subscription's filter policy and its scope), as
 * the registrar read it; {@code null} when it was never read (a row written before the registrar recorded
 * it, or by hand): the engine then cannot predict whether the plugin receives a stage message.
 * {@code identity} is who the plugin is to IAM, as the registrar checked it ({@code null}: never checked, a
 * row written before the registrar checked principals, or by hand; such a row is trusted as before).
 */
public record PluginRegistration(String activity,
                                 Stage stage,
                                 String subscriptionArn,
                                 String functionName,
                                 String pluginName,
                                 boolean mandatory,
                                 int order,
                                 boolean alwaysRun,
                                 boolean idempotent,
                                 String description,
                                 String fifoKey,
                                 Integer pluginRegisterTimeout,
                                 Integer timeout,
                                 Subscription subscription,
                                 Identity identity) {

    /**
     * The IAM principals the plugin's code runs as, and whether the registrar trusts them to be the plugin.
     * {@code principals}: the execution role ARNs of the subscribed function and, for a queue bridge, of the
     * functions consuming its queue (docs/security.md). {@code refused}: {@code null} when every role carries
     * the tag {@code orchestrator-plugin} equal to the plugin's name; otherwise why not. A refused registration
     * stays in the table (so {@code orchestrator plugins} shows it and why) but the engine never lists it.
     */
    public record Identity(java.util.List<String> principals, String refused) {
        public Identity {
            principals = java.util.List.copyOf(principals);
        }

        public boolean trusted() {
            return refused == null;
        }
    }

    /** Not refused: the engine lists it in rosters (a registration never checked counts as trusted). */
    public boolean trusted() {
        return identity == null || identity.trusted();
    }

    public PluginRegistration(String activity, Stage stage, String subscriptionArn, String functionName, String pluginName,
                              boolean mandatory, int order, boolean alwaysRun, boolean idempotent, String description,
                              String fifoKey, Integer pluginRegisterTimeout, Integer timeout, Subscription subscription) {
        this(activity, stage, subscriptionArn, functionName, pluginName, mandatory, order, alwaysRun, idempotent,
                description, fifoKey, pluginRegisterTimeout, timeout, subscription, null);
    }

    /** The same registration with its principals as the registrar checked them. */
    public PluginRegistration withIdentity(Identity i) {
        return new PluginRegistration(activity, stage, subscriptionArn, functionName, pluginName, mandatory, order, alwaysRun,
                idempotent, description, fifoKey, pluginRegisterTimeout, timeout, subscription, i);
    }

    /**
     * The subscription's delivery settings: {@code filterPolicy} is its {@code FilterPolicy} attribute
     * ({@code null}: none, it receives every message), {@code scope} its {@code FilterPolicyScope}
     * ({@code null}: SNS's default, {@code MessageAttributes}).
     */
    public record Subscription(String filterPolicy, String scope) {
        /** A subscription without a filter policy: SNS delivers it every message. */
        public static Subscription everything() {
            return new Subscription(null, null);
        }

        /** From the attributes GetSubscriptionAttributes returns; a blank policy is no policy. */
        public static Subscription of(java.util.Map<String, String> attributes) {
            String policy = attributes.get("FilterPolicy");
            String scope = attributes.get("FilterPolicyScope");
            return new Subscription(policy == null || policy.isBlank() ? null : policy,
                    scope == null || scope.isBlank() ? null : scope);
        }
    }

    public PluginRegistration(String activity, Stage stage, String subscriptionArn, String functionName, String pluginName,
                              boolean mandatory, int order, boolean alwaysRun, boolean idempotent, String description,
                              String fifoKey, Integer pluginRegisterTimeout, Integer timeout) {
        this(activity, stage, subscriptionArn, functionName, pluginName, mandatory, order, alwaysRun, idempotent,
                description, fifoKey, pluginRegisterTimeout, timeout, null);
    }

    /** The same registration with the subscription's delivery settings as read from SNS. */
    public PluginRegistration withSubscription(Subscription s) {
        return new PluginRegistration(activity, stage, subscriptionArn, functionName, pluginName, mandatory, order, alwaysRun,
                idempotent, description, fifoKey, pluginRegisterTimeout, timeout, s, identity);
    }

    public PluginRegistration(String activity, Stage stage, String subscriptionArn, String functionName, String pluginName,
                              boolean mandatory, int order, boolean alwaysRun, boolean idempotent, String description,
                              String fifoKey, Integer pluginRegisterTimeout) {
        this(activity, stage, subscriptionArn, functionName, pluginName, mandatory, order, alwaysRun, idempotent,
                description, fifoKey, pluginRegisterTimeout, null, null);
    }

    public String orchestratorId() {
        return orchestratorId(activity, stage);
    }

    public static String orchestratorId(String activity, Stage stage) {
        return activity + "|" + stage.wireName();
    }

    /** Registration of a plugin from what it answered to {@code initialize}. */
    public static PluginRegistration of(String activity, Stage stage, String subscriptionArn, String functionName,
                                        PluginInfo info) {
        return new PluginRegistration(activity, stage, subscriptionArn, functionName, info.pluginName(),
                info.isMandatory(activity), info.order() == null ? PluginInfo.DEFAULT_ORDER : info.order(),
                info.alwaysRun(), info.idempotent(), info.description(), info.fifoKey(),
                info.pluginRegisterTimeout(), info.timeout(activity));
    }
}
