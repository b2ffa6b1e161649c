package dev.orchestrator.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.orchestrator.core.Stage;
import dev.orchestrator.testkit.FunctionSpec;
import dev.orchestrator.testkit.SamStack;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.sns.SnsClient;
import software.amazon.awssdk.services.sns.model.MessageAttributeValue;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * Every asynchronous entry point (EventBridge rules, the schedule, SNS subscriptions of the example
 * plugins) on AWS's model: EventBridge and SNS hand the event to Lambda and are done; a function
 * error is retried by Lambda and then lands, as a destination record, in the function's on-failure
 * queue. The stack runs with {@code AsyncRetryAttempts=1} (default 2), the plugins with their 2.
 */
class AsyncFailureTest {

    static OrchestratorFixture stack;
    static final Map<String, SamStack> plugins = new LinkedHashMap<>();

    @BeforeAll
    static void deploy() {
        stack = OrchestratorFixture.deploy("async", List.of("Setup", "Configure", "Handover"), Map.of("AsyncRetryAttempts", "1"));
        for (String p : List.of("capacity-pair", "premium-support", "welcome-email", "provision-dns")) {
            plugins.put(p, stack.deployPlugin(p, Map.of()));
        }
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void theTemplatesAsyncSettingsAreWhatLambdaApplies() {
        FunctionSpec start = stack.stack.function("StartWorkflowFunction");
        assertThat(start.async().maximumRetryAttempts()).isEqualTo(1);
        assertThat(start.async().onFailureArn()).isEqualTo(queueArn(stack.stack, "StartDeadLetterQueue"));
        assertThat(stack.stack.function("TenantRouterFunction").async().onFailureArn()).isEqualTo(queueArn(stack.stack, "TenantDeadLetterQueue"));
        assertThat(stack.stack.function("RegistrarFunction").async().onFailureArn()).isEqualTo(queueArn(stack.stack, "RegistrarDeadLetterQueue"));
        SamStack dns = plugins.get("provision-dns");
        assertThat(dns.function("BridgeFunction").async().maximumRetryAttempts()).isEqualTo(2);
        assertThat(dns.function("BridgeFunction").async().onFailureArn()).isEqualTo(queueArn(dns, "FailedInvocationsQueue"));
        assertThat(dns.function("WorkerFunction").async()).as("the queue worker is not invoked asynchronously")
                .isEqualTo(FunctionSpec.Async.DEFAULT);
    }

    @Test
    void aFunctionErrorOnEveryAsyncEntryPointEndsInItsOnFailureDestinationAfterLambdasRetries() {
        // Functions fail the way a missing dependency makes them fail on AWS: the tables they write are gone.
        DynamoDbClient dynamo = stack.dynamo;
        dynamo.deleteTable(b -> b.tableName(stack.stack.physicalId("ProcessedEventsTable")));
        dynamo.deleteTable(b -> b.tableName(stack.stack.physicalId("PluginTable")));

        // StartWorkflowFunction: its rule; the event itself is bad.
        stack.putEvent("my.app", "Start Workflow", "{\"workflow\":\"async-no-uid\",\"activities\":[\"Setup\"]}");
        // TenantRouterFunction: its three rules.
        stack.putEvent("saas.control-plane", "TENANT_PROVISIONING",
                "{\"tenantId\":\"t-async\",\"tier\":\"basic\",\"builder\":{\"type\":\"CODE_BUILD\"}}");
        stack.putEventOn("default", "aws.codebuild", "CodeBuild Build State Change",
                "{\"build-id\":\"arn:aws:codebuild:us-east-1:123456789012:build/tenant-x:async\",\"build-status\":\"SUCCEEDED\"}");
        // (the outcome of a run that names a tenant: the rule delivers no other)
        stack.putEvent("orchestrator", "Workflow Completed",
                "{\"uid\":\"async-run\",\"workflow\":\"w\",\"status\":\"Complete\",\"metadata\":{\"tenantId\":\"t-async\"}}");
        // RegistrarFunction: its two CloudTrail rules and its schedule.
        FunctionSpec welcome = plugins.get("welcome-email").function("WelcomeEmailFunction");
        String topic = stack.topicArn("Handover", Stage.PARALLEL);
        // A subscription that exists (the registrar reads its filter policy before it registers; for one that is gone
        // it logs and registers nothing), so the registrar gets as far as the missing plugin table.
        String subscription = stack.runtime.subscribe(topic, null, (in, out, context) -> { }, false);
        stack.putEventOn("default", "aws.sns", "AWS API Call via CloudTrail", RegistrarTest.cloudTrail("aws.sns", "Subscribe",
                "{\"topicArn\":\"" + topic + "\",\"protocol\":\"lambda\",\"endpoint\":\"" + welcome.functionArn() + "\"}",
                "{\"subscriptionArn\":\"" + subscription + "\"}"));
        stack.putEventOn("default", "aws.lambda", "AWS API Call via CloudTrail", RegistrarTest.cloudTrail("aws.lambda",
                "UpdateFunctionCode20150331v2", "{\"functionName\":\"" + welcome.functionArn() + "\"}", "null"));
        stack.runtime.invokeAsync("RegistrarFunction",
                "{\"source\":\"aws.events\",\"detail-type\":\"Scheduled Event\",\"detail\":{},\"id\":\"async-schedule\"}");
        // Every example plugin: a message that is no stage message, matching its subscription's filter.
        publish(Stage.PRE, "Setup", Map.of("plugin", "reserve-capacity"), "async-pre");
        publish(Stage.POST, "Setup", Map.of("plugin", "publish-endpoints"), "async-post");
        publish(Stage.PARALLEL, "Configure", Map.of("tier", "premium"), "async-configure");
        publish(Stage.PARALLEL, "Handover", Map.of(), "async-handover");

        Map<String, List<JsonNode>> records = new LinkedHashMap<>();
        Map<String, Integer> expected = new LinkedHashMap<>();
        expected.put("StartDeadLetterQueue", 1);
        expected.put("TenantDeadLetterQueue", 3);
        expected.put("RegistrarDeadLetterQueue", 3);
        expected.put("capacity-pair", 2);
        expected.put("premium-support", 1);
        expected.put("welcome-email", 1);
        expected.put("provision-dns", 1);
        long deadline = System.currentTimeMillis() + OrchestratorFixture.CEILING.toMillis();
        while (System.currentTimeMillis() < deadline && !expected.entrySet().stream()
                .allMatch(e -> records.getOrDefault(e.getKey(), List.of()).size() >= e.getValue())) {
            for (String q : List.of("StartDeadLetterQueue", "TenantDeadLetterQueue", "RegistrarDeadLetterQueue")) {
                records.computeIfAbsent(q, k -> new ArrayList<>()).addAll(stack.drain(q, Duration.ofSeconds(1)));
            }
            plugins.forEach((name, p) -> records.computeIfAbsent(name, k -> new ArrayList<>())
                    .addAll(stack.drainUrl(queueUrl(p, "FailedInvocationsQueue"), Duration.ofSeconds(1))));
        }
        expected.forEach((q, n) -> assertThat(records.get(q)).as("records in %s: %s", q, records.get(q)).hasSize(n));

        JsonNode start = records.get("StartDeadLetterQueue").get(0);
        assertRecord(start, stack.stack.function("StartWorkflowFunction"), 2);
        assertThat(start.path("requestPayload").path("detail").path("workflow").asText()).isEqualTo("async-no-uid");
        assertThat(start.path("responsePayload").path("errorMessage").asText()).contains("uid is required");

        FunctionSpec router = stack.stack.function("TenantRouterFunction");
        records.get("TenantDeadLetterQueue").forEach(r -> assertRecord(r, router, 2));
        assertThat(records.get("TenantDeadLetterQueue")).extracting(r -> r.path("requestPayload").path("detail-type").asText())
                .containsExactlyInAnyOrder("TENANT_PROVISIONING", "CodeBuild Build State Change", "Workflow Completed");

        FunctionSpec registrar = stack.stack.function("RegistrarFunction");
        records.get("RegistrarDeadLetterQueue").forEach(r -> assertRecord(r, registrar, 2));
        assertThat(records.get("RegistrarDeadLetterQueue")).extracting(r -> r.path("requestPayload").path("detail-type").asText())
                .containsExactlyInAnyOrder("AWS API Call via CloudTrail", "AWS API Call via CloudTrail", "Scheduled Event");

        assertPluginRecords(records.get("capacity-pair"), plugins.get("capacity-pair"), "async-pre", "async-post");
        assertPluginRecords(records.get("premium-support"), plugins.get("premium-support"), "async-configure");
        assertPluginRecords(records.get("welcome-email"), plugins.get("welcome-email"), "async-handover");
        assertPluginRecords(records.get("provision-dns"), plugins.get("provision-dns"), "async-configure");

        // Nothing was delivered to a rule's dead-letter queue as a raw event (EventBridge delivered
        // everything), and nothing was discarded.
        assertThat(stack.runtime.failedDeliveries()).isEmpty();
    }

    static void assertPluginRecords(List<JsonNode> records, SamStack plugin, String... markers) {
        List<String> messages = new ArrayList<>();
        for (JsonNode r : records) {
            FunctionSpec fn = plugin.functions().values().stream()
                    .filter(f -> r.path("requestContext").path("functionArn").asText().startsWith(f.functionArn() + ":"))
                    .findFirst().orElseThrow(() -> new AssertionError("record of an unknown function: " + r));
            assertRecord(r, fn, 3);
            messages.add(r.path("requestPayload").path("Records").get(0).path("Sns").path("Message").asText());
        }
        assertThat(messages).containsExactlyInAnyOrder(java.util.Arrays.stream(markers).map(m -> "not a stage message: " + m).toArray(String[]::new));
    }

    /** A destination record as Lambda writes it after the retries ran out. */
    static void assertRecord(JsonNode r, FunctionSpec fn, int invocations) {
        assertThat(r.path("requestContext").path("condition").asText()).isEqualTo("RetriesExhausted");
        assertThat(r.path("requestContext").path("functionArn").asText()).isEqualTo(fn.functionArn() + ":$LATEST");
        assertThat(r.path("requestContext").path("approximateInvokeCount").asInt()).as("invocations of %s", fn.logicalId())
                .isEqualTo(invocations);
        assertThat(r.path("responseContext").path("functionError").asText()).isEqualTo("Unhandled");
        assertThat(r.path("responsePayload").path("errorMessage").asText()).isNotBlank();
        assertThat(r.path("requestPayload").isObject()).isTrue();
    }

    static void publish(Stage stage, String activity, Map<String, String> attributes, String marker) {
        Map<String, MessageAttributeValue> attrs = new LinkedHashMap<>();
        attributes.forEach((k, v) -> attrs.put(k, MessageAttributeValue.builder().dataType("String").stringValue(v).build()));
        stack.emulator.client(SnsClient.builder()).publish(b -> b.topicArn(stack.topicArn(activity, stage))
                .message("not a stage message: " + marker).messageAttributes(attrs));
    }

    static String queueUrl(SamStack s, String logicalId) {
        String id = s.physicalId(logicalId);
        return id.startsWith("http") ? id : stack.emulator.client(SqsClient.builder())
                .getQueueUrl(b -> b.queueName(id.substring(id.lastIndexOf(':') + 1))).queueUrl();
    }

    static String queueArn(SamStack s, String logicalId) {
        return stack.emulator.client(SqsClient.builder()).getQueueAttributes(b -> b.queueUrl(queueUrl(s, logicalId))
                .attributeNames(software.amazon.awssdk.services.sqs.model.QueueAttributeName.QUEUE_ARN)).attributes()
                .get(software.amazon.awssdk.services.sqs.model.QueueAttributeName.QUEUE_ARN);
    }
}
