package dev.orchestrator.local;

import com.fasterxml.jackson.databind.JsonNode;
import dev.orchestrator.core.Json;
import dev.orchestrator.core.StackExports;
import dev.orchestrator.core.StatusStore;
import dev.orchestrator.core.WorkflowRun;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.services.codebuild.CodeBuildClient;
import software.amazon.awssdk.services.codebuild.model.ArtifactsType;
import software.amazon.awssdk.services.codebuild.model.ComputeType;
import software.amazon.awssdk.services.codebuild.model.EnvironmentType;
import software.amazon.awssdk.services.codebuild.model.SourceType;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;

/**
 * The demo: a premium tenant is provisioned (a CodeBuild build of its tier's project), then deployed
 * through the tenant-onboarding workflow whose steps are the example plugins.
 */
final class TenantDemo {

    static final String PROJECT = "tenant-premium-provision";
    static final String WORKFLOW = "tenant-onboarding";

    private final LocalStack stack;
    private final Progress progress;
    private final DynamoDbClient dynamo;

    TenantDemo(LocalStack stack, Progress progress) {
        this.stack = stack;
        this.progress = progress;
        this.dynamo = stack.emulator.client(DynamoDbClient.builder());
    }

    /** The tier item and CodeBuild project an operator would have set up before onboarding tenants. */
    void seed() {
        dynamo.putItem(b -> b.tableName(stack.export(StackExports.TIER_TABLE)).item(Map.of(
                "tier", s("premium"), "jobName", s(PROJECT), "workflow", s(WORKFLOW),
                "pluginRegisterTimeout", AttributeValue.fromN("3"),
                "REGION", s("us-east-1"), "SIZE", s("large"),
                "DB_PASSWORD", AttributeValue.fromM(Map.of("parameterStore", s("/tiers/premium/db-password"))))));
        stack.emulator.client(CodeBuildClient.builder()).createProject(b -> b.name(PROJECT)
                .source(src -> src.type(SourceType.S3).location("tenant-builds/provision.zip"))
                .artifacts(a -> a.type(ArtifactsType.NO_ARTIFACTS))
                .environment(e -> e.type(EnvironmentType.LINUX_CONTAINER).image("aws/codebuild/standard:7.0")
                        .computeType(ComputeType.BUILD_GENERAL1_SMALL))
                .serviceRole("arn:aws:iam::123456789012:role/tenant-builds"));
        progress.step("seeded tier 'premium' (project " + PROJECT + ", workflow " + WORKFLOW + ")");
    }

    int run(Path root) {
        seed();
        JsonNode event = Json.parse(LocalRunner.read(root.resolve("events/tenant-provisioning.json")));
        String tenant = event.path("detail").path("tenantId").asText();
        LocalRunner.send(stack, event, progress);

        Map<String, AttributeValue> job = awaitJob(tenant, Duration.ofSeconds(30)).orElse(null);
        if (job == null) {
            progress.raw("No build was started for " + tenant + ". Failed deliveries: " + stack.runtime.failedDeliveries());
            return 1;
        }
        String buildId = job.get("buildId").s();
        progress.step("CodeBuild build " + buildId + " started with " + job.get("environment").l().size() + " environment overrides");
        // The emulator's CodeBuild runs nothing: report the outcome the way CodeBuild does, on the default bus.
        String detail = "{\"build-status\":\"SUCCEEDED\",\"project-name\":\"" + PROJECT + "\",\"build-id\":"
                + "\"arn:aws:codebuild:us-east-1:123456789012:build/" + buildId + "\",\"additional-information\":"
                + "{\"build-complete\":true,\"phases\":[{\"phase-type\":\"BUILD\",\"phase-status\":\"SUCCEEDED\"}]}}";
        stack.emulator.client(EventBridgeClient.builder()).putEvents(b -> b.entries(e -> e.eventBusName("default")
                .source("aws.codebuild").detailType("CodeBuild Build State Change").detail(detail)));
        progress.step("CodeBuild reported SUCCEEDED (Build State Change on the default bus)");

        StatusStore store = new StatusStore(dynamo, stack.export(StackExports.STATUS_TABLE));
        Optional<WorkflowRun> run = new RunWatcher(store, progress).follow(tenant, WORKFLOW, Duration.ofSeconds(90));
        String state = awaitTenantState(tenant, Duration.ofSeconds(20));
        progress.raw("");
        run.ifPresent(r -> progress.raw(StatusTree.render(r)));
        progress.raw("");
        progress.raw("tenant " + tenant + ": " + state);
        boolean deployed = state.startsWith("DEPLOYED");
        progress.raw((deployed ? "Tenant deployed" : "Tenant NOT deployed") + " in " + progress.elapsedMillis() / 1000.0 + " s.");
        return deployed ? 0 : 1;
    }

    private Optional<Map<String, AttributeValue>> awaitJob(String tenant, Duration timeout) {
        long deadline = System.currentTimeMillis() + timeout.toMillis();
        while (System.currentTimeMillis() < deadline) {
            for (Map<String, AttributeValue> j : jobs(tenant)) {
                if (j.get("jobId").s().startsWith("PROVISIONING#")) {
                    return Optional.of(j);
                }
            }
            RunWatcher.sleep(200);
        }
        return Optional.empty();
    }

    private String awaitTenantState(String tenant, Duration timeout) {
        long deadline = System.currentTimeMillis() + timeout.toMillis();
        String state = "unknown";
        while (System.currentTimeMillis() < deadline) {
            for (Map<String, AttributeValue> j : jobs(tenant)) {
                if (j.get("jobId").s().equals("TENANT")) {
                    state = j.get("status").s() + (j.containsKey("cause") && j.get("cause").s() != null ? " (" + j.get("cause").s() + ")" : "");
                }
            }
            if (state.startsWith("DEPLOYED") || state.endsWith("FAILED") || state.contains("FAILED (")) {
                return state;
            }
            RunWatcher.sleep(200);
        }
        return state;
    }

    private List<Map<String, AttributeValue>> jobs(String tenant) {
        return dynamo.query(b -> b.tableName(stack.export(StackExports.TENANT_JOBS_TABLE)).keyConditionExpression("tenantId = :t")
                .expressionAttributeValues(Map.of(":t", s(tenant))).consistentRead(true)).items();
    }

    private static AttributeValue s(String v) {
        return AttributeValue.fromS(v);
    }
}
