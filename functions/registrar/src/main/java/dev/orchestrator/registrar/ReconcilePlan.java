package dev.orchestrator.registrar;

import dev.orchestrator.core.PluginRegistration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * For one topic: which Lambda subscriptions to register (new ones, and ones registered before the registrar
 * recorded filter policies), which registrations to drop, and which to re-read the filter policy of. Pure.
 */
public record ReconcilePlan(List<TopicSubscription> toRegister, List<PluginRegistration> toRemove,
                            List<PluginRegistration> toReread) {

    /** A subscription as ListSubscriptionsByTopic lists it. */
    public record TopicSubscription(String subscriptionArn, String protocol, String endpoint) {
    }

    public static ReconcilePlan of(List<TopicSubscription> actual, List<PluginRegistration> registered) {
        Set<String> known = registered.stream().filter(r -> r.subscription() != null)
                .map(PluginRegistration::subscriptionArn).collect(Collectors.toSet());
        Set<String> live = actual.stream().map(TopicSubscription::subscriptionArn).collect(Collectors.toSet());
        return new ReconcilePlan(
                actual.stream().filter(s -> "lambda".equals(s.protocol()) && !known.contains(s.subscriptionArn())).toList(),
                registered.stream().filter(r -> !live.contains(r.subscriptionArn())).toList(),
                registered.stream().filter(r -> r.subscription() != null && live.contains(r.subscriptionArn())).toList());
    }
}
