package dev.orchestrator.core;

import dev.orchestrator.plugin.PluginInfo;

/**
 * A row of the plugin table: one plugin subscribed to one stage of one activity.
 * Key: {@code orchestratorId} = {@code <activity>|<stage>} + {@code subscriptionArn}.
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
                                 Integer timeout) {

    public PluginRegistration(String activity, Stage stage, String subscriptionArn, String functionName, String pluginName,
                              boolean mandatory, int order, boolean alwaysRun, boolean idempotent, String description,
                              String fifoKey, Integer pluginRegisterTimeout) {
        this(activity, stage, subscriptionArn, functionName, pluginName, mandatory, order, alwaysRun, idempotent,
                description, fifoKey, pluginRegisterTimeout, null);
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
