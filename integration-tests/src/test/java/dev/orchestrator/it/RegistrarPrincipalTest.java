package dev.orchestrator.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.orchestrator.cli.Orchestrator;
import dev.orchestrator.core.Json;
import dev.orchestrator.core.PluginRegistration;
import dev.orchestrator.core.Stage;
import dev.orchestrator.testkit.SamStack;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.iam.IamClient;
import software.amazon.awssdk.services.lambda.LambdaClient;
import software.amazon.awssdk.services.sns.SnsClient;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;

/**
 * Issue 28, item 2, on the emulator: the registrar records which IAM principal each plugin is (the execution role of
 * its function, and of its queue's consumer for a queue bridge), read with the real GetFunctionConfiguration,
 * ListEventSourceMappings and ListRoleTags over HTTP; a plugin whose role is not tagged {@code orchestrator-plugin=<its
 * name>} is recorded refused, with the reason, left out of what the engine lists, shown by {@code orchestrator plugins}
 * and logged in one WARN line; tagging the role and reconciling trusts it again.
 */
class RegistrarPrincipalTest {

    static final TenantTestSupport.LogCapture LOGS = new TenantTestSupport.LogCapture();
    static OrchestratorFixture stack;
    static SamStack welcome;
    static SamStack dns;
    static IamClient iam;
    static LambdaClient lambda;

    @BeforeAll
    static void deploy() {
        LOGS.install();
        stack = OrchestratorFixture.deploy("prin", List.of("Configure", "Handover"));
        welcome = stack.deployPlugin("welcome-email", Map.of());
        dns = stack.deployPlugin("provision-dns", Map.of());
        iam = stack.emulator.client(IamClient.builder());
        lambda = stack.emulator.client(LambdaClient.builder());
        // The worker's SQS event source mapping, as CloudFormation makes it from the template (the testkit leaves it out
        // and polls the queue in-process). Disabled: moto cannot run Lambda code, the in-process poller delivers.
        SqsClient sqs = stack.emulator.client(SqsClient.builder());
        String url = sqs.getQueueUrl(b -> b.queueName(queueName(dns.physicalId("DnsQueue")))).queueUrl();
        String queueArn = sqs.getQueueAttributes(b -> b.queueUrl(url).attributeNames(QueueAttributeName.QUEUE_ARN))
                .attributes().get(QueueAttributeName.QUEUE_ARN);
        lambda.createEventSourceMapping(b -> b.eventSourceArn(queueArn).functionName(dns.function("WorkerFunction").functionName())
                .batchSize(5).enabled(false));
    }

    @AfterAll
    static void stop() {
        LOGS.uninstall();
        if (stack != null) {
            stack.close();
        }
    }

    static String queueName(String physicalId) {
        return physicalId.startsWith("http") ? physicalId.substring(physicalId.lastIndexOf('/') + 1) : physicalId;
    }

    static String role(SamStack s, String function) {
        return lambda.getFunctionConfiguration(b -> b.functionName(s.function(function).functionName())).role();
    }

    static String roleName(String arn) {
        return arn.substring(arn.lastIndexOf('/') + 1);
    }

    /** Every registration of the stage, refused ones included (the registrar's and the CLI's view). */
    static Optional<PluginRegistration> row(String activity, Stage stage, String plugin) {
        return stack.registry.all().stream().filter(r -> r.activity().equals(activity) && r.stage() == stage
                && r.pluginName().equals(plugin)).findFirst();
    }

    /** What the engine lists for a stage. */
    static List<String> listed(String activity, Stage stage) {
        return stack.registry.plugins(activity, stage).stream().map(PluginRegistration::pluginName).toList();
    }

    static JsonNode reconcile() {
        return Json.parse(stack.runtime.invoke("RegistrarFunction", "{\"action\":\"reconcile\"}"));
    }

    static List<JsonNode> refusals(String plugin) {
        return LOGS.lines.stream()
                .filter(l -> l.path("message").asText().equals("plugin registration refused: a role it runs as is not tagged with its name"))
                .filter(l -> l.path("plugin").asText().equals(plugin)).toList();
    }

    static String cliPlugins() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Orchestrator.run(new String[] {"--stack", "prin", "--endpoint-url", stack.emulator.endpoint().toString(),
                "--lambda-endpoint-url", stack.runtime.lambdaEndpoint(), "plugins"}, stack.emulator.clientEnvironment(),
                ZoneOffset.UTC, new PrintWriter(out), new PrintWriter(err));
        assertThat(code).as(err.toString()).isZero();
        return out.toString();
    }

    @Test
    void taggedPluginsRegisterWithTheirPrincipalsAMisTaggedOneIsRefusedVisiblyAndLoggedUntilItsRoleIsTagged() {
        String welcomeRole = role(welcome, "WelcomeEmailFunction");
        String bridgeRole = role(dns, "BridgeFunction");
        String workerRole = role(dns, "WorkerFunction");
        assertThat(List.of(welcomeRole, bridgeRole, workerRole)).doesNotHaveDuplicates();

        // 1. The examples' roles carry their tags (SAM gives a function's Tags to the role it creates): both register.
        JsonNode first = reconcile();
        assertThat(first.path("registered").asInt()).isEqualTo(2);
        assertThat(first.path("refused").asInt()).isZero();
        PluginRegistration w = row("Handover", Stage.PARALLEL, "welcome-email").orElseThrow();
        assertThat(w.identity().principals()).as("the subscribed function's execution role").containsExactly(welcomeRole);
        assertThat(w.identity().refused()).isNull();
        PluginRegistration d = row("Configure", Stage.PARALLEL, "provision-dns").orElseThrow();
        assertThat(d.identity().principals()).as("a queue bridge: the bridge's role, then its queue consumer's")
                .containsExactly(bridgeRole, workerRole);
        assertThat(listed("Configure", Stage.PARALLEL)).containsExactly("provision-dns");
        assertThat(refusals("provision-dns")).isEmpty();

        // 2. The worker's role is re-tagged with another plugin's name (it would write welcome-email's items): the next
        //    reconcile refuses provision-dns, the engine stops listing it, the CLI and the log say why and what to do.
        iam.tagRole(b -> b.roleName(roleName(workerRole)).tags(t -> t.key("orchestrator-plugin").value("welcome-email")));
        JsonNode second = reconcile();
        assertThat(second.path("refused").asInt()).isEqualTo(1);
        assertThat(second.path("registered").asInt()).isZero();
        PluginRegistration refused = row("Configure", Stage.PARALLEL, "provision-dns").orElseThrow();
        assertThat(refused.trusted()).isFalse();
        assertThat(refused.identity().principals()).containsExactly(bridgeRole, workerRole);
        assertThat(refused.identity().refused()).startsWith("role " + workerRole + " (function ")
                .contains(dns.function("WorkerFunction").functionName() + ", consumer of queue arn:aws:sqs:")
                .contains(") is tagged orchestrator-plugin=welcome-email, not provision-dns: tag the role"
                        + " orchestrator-plugin=provision-dns, then reconcile");
        assertThat(listed("Configure", Stage.PARALLEL)).as("the engine no longer expects it").isEmpty();
        assertThat(listed("Handover", Stage.PARALLEL)).containsExactly("welcome-email");
        List<JsonNode> logged = refusals("provision-dns");
        assertThat(logged).hasSize(1);
        JsonNode line = logged.get(0);
        assertThat(line.path("level").asText()).isEqualTo("WARN");
        assertThat(line.path("function").asText()).isEqualTo(dns.function("BridgeFunction").functionName());
        assertThat(line.path("principalFunction").asText()).endsWith(":function:" + dns.function("WorkerFunction").functionName());
        assertThat(line.path("role").asText()).isEqualTo(workerRole);
        assertThat(line.path("tagFound").asText()).isEqualTo("welcome-email");
        assertThat(line.path("activity").asText()).isEqualTo("Configure");
        assertThat(line.path("stage").asText()).isEqualTo("parallel");
        assertThat(line.path("action").asText()).startsWith("tag the role orchestrator-plugin=provision-dns");
        String cli = cliPlugins();
        assertThat(cli).containsPattern("Configure\\s+parallel\\s+5\\s+provision-dns \\(refused\\)\\s+yes")
                .contains("refused provision-dns on Configure/parallel: role " + workerRole);
        assertThat(reconcile().path("refused").asInt()).as("unchanged: nothing new to refuse").isZero();

        // 3. A new subscription (CloudTrail Subscribe) whose role has no tag at all: refused at once, with the reason.
        iam.untagRole(b -> b.roleName(roleName(welcomeRole)).tagKeys("orchestrator-plugin"));
        SnsClient sns = stack.emulator.client(SnsClient.builder());
        String topic = stack.topicArn("Handover", Stage.PARALLEL);
        String fnArn = welcome.function("WelcomeEmailFunction").functionArn();
        sns.unsubscribe(b -> b.subscriptionArn(w.subscriptionArn()));
        stack.runtime.invoke("RegistrarFunction", "{\"detail-type\":\"AWS API Call via CloudTrail\",\"source\":\"aws.sns\",\"detail\":"
                + RegistrarTest.cloudTrail("aws.sns", "Unsubscribe", "{\"subscriptionArn\":\"" + w.subscriptionArn() + "\"}", "null") + "}");
        String sub = sns.subscribe(b -> b.topicArn(topic).protocol("lambda").endpoint(fnArn)).subscriptionArn();
        JsonNode subscribed = Json.parse(stack.runtime.invoke("RegistrarFunction", "{\"detail-type\":\"AWS API Call via CloudTrail\","
                + "\"source\":\"aws.sns\",\"detail\":" + RegistrarTest.cloudTrail("aws.sns", "Subscribe",
                        "{\"topicArn\":\"" + topic + "\",\"protocol\":\"lambda\",\"endpoint\":\"" + fnArn + "\"}",
                        "{\"subscriptionArn\":\"" + sub + "\"}") + "}"));
        assertThat(subscribed.path("registered").asBoolean()).isFalse();
        assertThat(subscribed.path("refused").asBoolean()).isTrue();
        PluginRegistration untagged = row("Handover", Stage.PARALLEL, "welcome-email").orElseThrow();
        assertThat(untagged.subscriptionArn()).isEqualTo(sub);
        assertThat(untagged.identity().principals()).containsExactly(welcomeRole);
        assertThat(untagged.identity().refused()).isEqualTo("role " + welcomeRole + " (subscribed function " + fnArn
                + ") has no tag orchestrator-plugin: tag the role orchestrator-plugin=welcome-email, then reconcile");
        assertThat(listed("Handover", Stage.PARALLEL)).isEmpty();
        assertThat(refusals("welcome-email")).singleElement().satisfies(l -> {
            assertThat(l.path("tagFound").asText()).isEqualTo("(none)");
            assertThat(l.path("role").asText()).isEqualTo(welcomeRole);
        });

        // 4. The roles are tagged as they should be: reconcile trusts both again, and the engine lists them.
        iam.tagRole(b -> b.roleName(roleName(workerRole)).tags(t -> t.key("orchestrator-plugin").value("provision-dns")));
        iam.tagRole(b -> b.roleName(roleName(welcomeRole)).tags(t -> t.key("orchestrator-plugin").value("welcome-email")));
        JsonNode fixed = reconcile();
        assertThat(fixed.path("registered").asInt()).isEqualTo(2);
        assertThat(fixed.path("refused").asInt()).isZero();
        assertThat(listed("Configure", Stage.PARALLEL)).containsExactly("provision-dns");
        assertThat(listed("Handover", Stage.PARALLEL)).containsExactly("welcome-email");
        assertThat(row("Configure", Stage.PARALLEL, "provision-dns").orElseThrow().identity())
                .isEqualTo(new PluginRegistration.Identity(List.of(bridgeRole, workerRole), null));
        assertThat(cliPlugins()).doesNotContain("refused");
    }
}
