package dev.orchestrator.registrar;

import static org.assertj.core.api.Assertions.assertThat;

import dev.orchestrator.core.PluginRegistration;
import dev.orchestrator.core.Stage;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Reconcile's plan for one topic, pure. */
class ReconcilePlanTest {

    static PluginRegistration reg(String arn, PluginRegistration.Subscription s) {
        return new PluginRegistration("A", Stage.PARALLEL, arn, "fn", "p-" + arn, false, 1, false, true, null, null, null, null, s);
    }

    static ReconcilePlan.TopicSubscription lambda(String arn) {
        return new ReconcilePlan.TopicSubscription(arn, "lambda", "arn:aws:lambda:us-east-1:1:function:f-" + arn);
    }

    @Test
    void newAndPolicyUnknownSubscriptionsAreRegisteredKnownOnesHaveTheirPolicyReReadGoneOnesRemoved() {
        PluginRegistration known = reg("known", new PluginRegistration.Subscription("{\"tier\":[\"premium\"]}", null));
        PluginRegistration unread = reg("unread", null); // registered before the registrar recorded filter policies
        PluginRegistration gone = reg("gone", PluginRegistration.Subscription.everything());
        ReconcilePlan plan = ReconcilePlan.of(List.of(lambda("known"), lambda("unread"), lambda("new"),
                new ReconcilePlan.TopicSubscription("queue", "sqs", "arn:aws:sqs:us-east-1:1:q")), List.of(known, unread, gone));
        assertThat(plan.toRegister()).extracting(ReconcilePlan.TopicSubscription::subscriptionArn).containsExactly("unread", "new");
        assertThat(plan.toReread()).containsExactly(known);
        assertThat(plan.toRemove()).containsExactly(gone);
        assertThat(plan.toVerify()).as("live Lambda subscriptions already registered: their principals are checked again")
                .containsExactly(known);
    }

    @Test
    void aRowForAnotherProtocolIsNeverVerifiedTheRegistrarDidNotRegisterIt() {
        PluginRegistration byHand = reg("queue", PluginRegistration.Subscription.everything());
        ReconcilePlan plan = ReconcilePlan.of(List.of(new ReconcilePlan.TopicSubscription("queue", "sqs", "arn:aws:sqs:us-east-1:1:q")),
                List.of(byHand));
        assertThat(plan.toRegister()).isEmpty();
        assertThat(plan.toRemove()).isEmpty();
        assertThat(plan.toReread()).containsExactly(byHand);
        assertThat(plan.toVerify()).isEmpty();
    }

    @Test
    void subscriptionSettingsComeFromGetSubscriptionAttributes() {
        assertThat(PluginRegistration.Subscription.of(java.util.Map.of("FilterPolicy", "{\"a\":[\"b\"]}",
                "FilterPolicyScope", "MessageBody"))).isEqualTo(new PluginRegistration.Subscription("{\"a\":[\"b\"]}", "MessageBody"));
        assertThat(PluginRegistration.Subscription.of(java.util.Map.of("FilterPolicy", " ")))
                .as("a blank policy is no policy").isEqualTo(PluginRegistration.Subscription.everything());
    }
}
