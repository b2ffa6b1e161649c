package dev.orchestrator.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.orchestrator.core.Json;
import dev.orchestrator.core.PluginRegistration;
import dev.orchestrator.core.Stage;
import dev.orchestrator.testkit.FunctionSpec;
import dev.orchestrator.testkit.SamStack;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.sns.SnsClient;

/**
 * Plugin registration on the emulator: the example plugin stacks are deployed from their templates;
 * the registrar finds them through the topics' real subscriptions and asks each plugin for its info
 * with a Lambda Invoke over HTTP; CloudTrail events arrive through the template's rules.
 */
class RegistrarTest {

    static OrchestratorFixture stack;
    static SamStack welcome;

    @BeforeAll
    static void deploy() {
        stack = OrchestratorFixture.deploy("reg", List.of("Setup", "Configure", "Handover"));
        stack.deployPlugin("capacity-pair", Map.of());
        stack.deployPlugin("premium-support", Map.of());
        welcome = stack.deployPlugin("welcome-email", Map.of());
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    static Optional<PluginRegistration> registration(String activity, Stage stage, String plugin) {
        return stack.registry.plugins(activity, stage).stream().filter(r -> r.pluginName().equals(plugin)).findFirst();
    }

    static String cloudTrail(String source, String eventName, String requestParameters, String responseElements) {
        return "{\"eventSource\":\"" + source.substring(4) + ".amazonaws.com\",\"eventName\":\"" + eventName
                + "\",\"requestParameters\":" + requestParameters + ",\"responseElements\":" + responseElements + "}";
    }

    @Test
    void reconcileRegistersTheExamplesThenCloudTrailEventsKeepTheRegistryCurrent() {
        var first = Json.parse(stack.runtime.invoke("RegistrarFunction", "{\"action\":\"reconcile\"}"));
        assertThat(first.path("registered").asInt()).isEqualTo(4);
        PluginRegistration reserve = registration("Setup", Stage.PRE, "reserve-capacity").orElseThrow();
        assertThat(reserve.mandatory()).isTrue();
        assertThat(reserve.order()).isEqualTo(1);
        assertThat(registration("Setup", Stage.POST, "publish-endpoints").orElseThrow().mandatory()).isFalse();
        PluginRegistration premium = registration("Configure", Stage.PARALLEL, "premium-support").orElseThrow();
        assertThat(Json.parse(premium.subscription().filterPolicy())).as("the subscription's filter policy, as SNS holds it")
                .isEqualTo(Json.parse("{\"tier\":[\"premium\"]}"));
        assertThat(Json.parse(reserve.subscription().filterPolicy())).isEqualTo(Json.parse("{\"plugin\":[\"reserve-capacity\"]}"));
        FunctionSpec fn = welcome.function("WelcomeEmailFunction");
        PluginRegistration w = registration("Handover", Stage.PARALLEL, "welcome-email").orElseThrow();
        assertThat(w.functionName()).isEqualTo(fn.functionName());
        assertThat(w.subscription()).as("no filter policy: it receives every message")
                .isEqualTo(PluginRegistration.Subscription.everything());
        assertThat(w.description()).isEqualTo("Sends the tenant's administrators a welcome email");
        var again = Json.parse(stack.runtime.invoke("RegistrarFunction", "{\"action\":\"reconcile\"}"));
        assertThat(again.path("registered").asInt()).as("reconcile is idempotent").isZero();
        assertThat(again.path("removed").asInt()).isZero();

        // A filter policy changed after subscribing: reconcile records the new one (the engine predicts delivery by it).
        SnsClient snsClient = stack.emulator.client(SnsClient.builder());
        snsClient.setSubscriptionAttributes(b -> b.subscriptionArn(premium.subscriptionArn()).attributeName("FilterPolicy")
                .attributeValue("{\"tier\":[\"premium\",\"gold\"]}"));
        var reread = Json.parse(stack.runtime.invoke("RegistrarFunction", "{\"action\":\"reconcile\"}"));
        assertThat(reread.path("registered").asInt()).isZero();
        assertThat(Json.parse(registration("Configure", Stage.PARALLEL, "premium-support").orElseThrow().subscription().filterPolicy()))
                .isEqualTo(Json.parse("{\"tier\":[\"premium\",\"gold\"]}"));

        // Unsubscribe: the subscription goes, and CloudTrail's event removes the registration.
        SnsClient sns = stack.emulator.client(SnsClient.builder());
        sns.unsubscribe(b -> b.subscriptionArn(w.subscriptionArn()));
        stack.putEventOn("default", "aws.sns", "AWS API Call via CloudTrail", cloudTrail("aws.sns", "Unsubscribe",
                "{\"subscriptionArn\":\"" + w.subscriptionArn() + "\"}", "null"));
        stack.awaitCondition(Duration.ofSeconds(120), () -> registration("Handover", Stage.PARALLEL, "welcome-email").isEmpty());

        // Subscribe: a new subscription, and CloudTrail's event registers it from the plugin's initialize answer.
        String topic = stack.topicArn("Handover", Stage.PARALLEL);
        String sub = sns.subscribe(b -> b.topicArn(topic).protocol("lambda").endpoint(fn.functionArn())).subscriptionArn();
        stack.putEventOn("default", "aws.sns", "AWS API Call via CloudTrail", cloudTrail("aws.sns", "Subscribe",
                "{\"topicArn\":\"" + topic + "\",\"protocol\":\"lambda\",\"endpoint\":\"" + fn.functionArn() + "\"}",
                "{\"subscriptionArn\":\"" + sub + "\"}"));
        stack.awaitCondition(Duration.ofSeconds(120), () -> registration("Handover", Stage.PARALLEL, "welcome-email")
                .map(r -> r.subscriptionArn().equals(sub)).orElse(false));

        // UpdateFunctionCode: the registration is refreshed from initialize (a stale order is corrected).
        PluginRegistration current = registration("Handover", Stage.PARALLEL, "welcome-email").orElseThrow();
        stack.registry.register(new PluginRegistration(current.activity(), current.stage(), current.subscriptionArn(),
                current.functionName(), current.pluginName(), current.mandatory(), 999, current.alwaysRun(),
                current.idempotent(), current.description(), current.fifoKey(), current.pluginRegisterTimeout()));
        stack.putEventOn("default", "aws.lambda", "AWS API Call via CloudTrail", cloudTrail("aws.lambda",
                "UpdateFunctionCode20150331v2", "{\"functionName\":\"" + fn.functionArn() + "\"}", "null"));
        stack.awaitCondition(Duration.ofSeconds(120), () -> registration("Handover", Stage.PARALLEL, "welcome-email")
                .map(r -> r.order() == 10).orElse(false));
    }
}
