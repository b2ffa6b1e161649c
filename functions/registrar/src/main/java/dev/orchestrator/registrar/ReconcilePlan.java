package dev.orchestrator.registrar;

import dev.orchestrator.core.PluginRegistration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * For one topic: which Lambda subscriptions to register (new ones, and ones registered before the registrar
 * recorded filter policies), which registrations to drop, which to re-read the filter policy of, and which to
 * check the principals of again (live Lambda subscriptions the registrar registered: a role's tag or a function's
 * role can change without an event). Pure.
 */
public record ReconcilePlan(List<TopicSubscription> toRegister, List<PluginRegistration> toRemove,
                            List<PluginRegistration> toReread, List<PluginRegistration> toVerify) {

    /** A subscription as ListSubscriptionsByTopic lists it. */
    public record TopicSubscription(String subscriptionArn, String protocol, String endpoint) {
    }

    public static ReconcilePlan of(List<TopicSubscription> actual, List<PluginRegistration> registered) {
        Set<String> known = registered.stream().filter(r -> r.subscription() != null)
                .map(PluginRegistration::subscriptionArn).collect(Collectors.toSet());
        Map<String, TopicSubscription> live = actual.stream()
                .collect(Collectors.toMap(TopicSubscription::subscriptionArn, Function.identity(), (a, b) -> a));
        return new ReconcilePlan(
                actual.stream().filter(s -> "lambda".equals(s.protocol()) && !known.contains(s.subscriptionArn())).toList(),
                registered.stream().filter(r -> !live.containsKey(r.subscriptionArn())).toList(),
                registered.stream().filter(r -> r.subscription() != null && live.containsKey(r.subscriptionArn())).toList(),
                // Only Lambda subscriptions: the registrar registers nothing else (rows for other protocols are written by hand).
                registered.stream().filter(r -> r.subscription() != null && live.containsKey(r.subscriptionArn())
                        && "lambda".equals(live.get(r.subscriptionArn()).protocol())).toList());
    }
}
