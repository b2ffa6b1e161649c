package dev.orchestrator.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.orchestrator.core.State;
import dev.orchestrator.core.WorkflowRun;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.codebuild.CodeBuildClient;
import software.amazon.awssdk.services.codebuild.model.ArtifactsType;
import software.amazon.awssdk.services.codebuild.model.ComputeType;
import software.amazon.awssdk.services.codebuild.model.EnvironmentType;
import software.amazon.awssdk.services.codebuild.model.SourceType;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * The tenant lifecycle on the emulator: events are put on the buses with PutEvents and reach the
 * router through the template's rules; builds start in the emulator's CodeBuild; the tenant's
 * workflow runs on the engine.
 */
class TenantLifecycleTest {

    static OrchestratorFixture stack;
    static OrchestratorFixture.Tap tenantEvents;
    static CodeBuildClient codeBuild;
    static final String SOURCE = "saas.control-plane";

    @BeforeAll
    static void deploy() {
        stack = OrchestratorFixture.deploy("tenants", List.of("Onboard", "Configure"));
        tenantEvents = stack.tap("tenant-events", "{\"source\":[\"orchestrator.tenant\"]}");
        codeBuild = stack.emulator.client(CodeBuildClient.builder());
        for (String project : List.of("tenant-premium-provision", "tenant-premium-deprovision", "tenant-dup-provision")) {
            codeBuild.createProject(b -> b.name(project)
                    .source(s -> s.type(SourceType.S3).location("tenant-builds/provision.zip").buildspec("version: 0.2\nphases:\n  build:\n    commands: [./provision.sh]\n"))
                    .artifacts(a -> a.type(ArtifactsType.NO_ARTIFACTS))
                    .environment(e -> e.type(EnvironmentType.LINUX_CONTAINER).image("aws/codebuild/standard:7.0").computeType(ComputeType.BUILD_GENERAL1_SMALL))
                    .serviceRole("arn:aws:iam::123456789012:role/tenant-builds"));
        }
        putTier(Map.of("tier", s("premium"), "jobName", s("tenant-premium-provision"),
                "deprovisioningJobName", s("tenant-premium-deprovision"), "workflow", s("tenant-onboarding"),
                "activities", AttributeValue.fromL(List.of(s("Onboard"), s("Configure"))),
                "pluginRegisterTimeout", AttributeValue.fromN("1"),
                "REGION", s("us-east-1"), "SIZE", s("large"),
                "DB_PASSWORD", AttributeValue.fromM(Map.of("parameterStore", s("/tiers/premium/db")))));
        putTier(Map.of("tier", s("dup"), "jobName", s("tenant-dup-provision"), "workflow", s("dup-onboarding"),
                "activities", AttributeValue.fromL(List.of(s("Onboard"))), "pluginRegisterTimeout", AttributeValue.fromN("1")));
        putTier(Map.of("tier", s("nojob"), "SIZE", s("small")));
    }

    @AfterAll
    static void stop() {
        if (stack != null) {
            stack.close();
        }
    }

    static AttributeValue s(String v) {
        return AttributeValue.fromS(v);
    }

    static void putTier(Map<String, AttributeValue> item) {
        stack.dynamo.putItem(b -> b.tableName(stack.stack.export("tenants-tier-name")).item(item));
    }

    static String provisioning(String tenant, String tier, String builderType) {
        return "{\"tenantId\":\"" + tenant + "\",\"tier\":\"" + tier + "\",\"builder\":{\"type\":\"" + builderType + "\","
                + "\"overrides\":{\"REGION\":\"eu-west-1\",\"API_TOKEN\":{\"secretsManager\":\"tenants/" + tenant + "/api\"}}}}";
    }

    static List<Map<String, AttributeValue>> jobs(String tenant) {
        return stack.dynamo.query(b -> b.tableName(stack.stack.export("tenants-tenant-jobs-name"))
                .keyConditionExpression("tenantId = :t").expressionAttributeValues(Map.of(":t", s(tenant)))
                .consistentRead(true)).items();
    }

    static Map<String, AttributeValue> awaitBuildJob(String tenant) {
        stack.awaitCondition(Duration.ofSeconds(30), () -> jobs(tenant).stream().anyMatch(j -> j.get("jobId").s().startsWith("PROVISIONING#")));
        return jobs(tenant).stream().filter(j -> j.get("jobId").s().startsWith("PROVISIONING#")).findFirst().orElseThrow();
    }

    static int builds(String project) {
        return codeBuild.listBuildsForProject(b -> b.projectName(project)).ids().size();
    }

    static String stateChange(String buildId, String project, String status, String failedPhaseContext) {
        String phases = failedPhaseContext == null
                ? "[{\"phase-type\":\"BUILD\",\"phase-status\":\"SUCCEEDED\"}]"
                : "[{\"phase-type\":\"INSTALL\",\"phase-status\":\"SUCCEEDED\"},{\"phase-type\":\"BUILD\",\"phase-status\":\"FAILED\","
                + "\"phase-context\":[\"" + failedPhaseContext + "\"]}]";
        return "{\"build-status\":\"" + status + "\",\"project-name\":\"" + project + "\",\"build-id\":"
                + "\"arn:aws:codebuild:us-east-1:123456789012:build/" + buildId + "\",\"additional-information\":{\"phases\":" + phases + "}}";
    }

    static Predicate<JsonNode> event(String detailType, String tenant) {
        return e -> e.path("detail-type").asText().equals(detailType) && e.path("detail").path("tenantId").asText().equals(tenant);
    }

    static String tenantState(String tenant) {
        return jobs(tenant).stream().filter(j -> j.get("jobId").s().equals("TENANT")).map(j -> j.get("status").s()).findFirst().orElse("none");
    }

    @Test
    void premiumTenantIsProvisionedBuiltDeployedAndItsWorkflowCompletes() {
        int before = builds("tenant-premium-provision");
        stack.putEvent(SOURCE, "TENANT_PROVISIONING", provisioning("acme", "premium", "CODE_BUILD"));
        Map<String, AttributeValue> job = awaitBuildJob("acme");
        assertThat(builds("tenant-premium-provision")).isEqualTo(before + 1);
        assertThat(job.get("project").s()).isEqualTo("tenant-premium-provision");
        String buildId = job.get("buildId").s();
        assertThat(codeBuild.batchGetBuilds(b -> b.ids(buildId)).builds()).hasSize(1);
        List<String> env = new ArrayList<>();
        job.get("environment").l().forEach(v -> env.add(v.m().get("name").s() + "=" + v.m().get("value").s() + "/" + v.m().get("type").s()));
        assertThat(env).containsExactlyInAnyOrder(
                "REGION=eu-west-1/PLAINTEXT",            // the event wins over the tier
                "SIZE=large/PLAINTEXT",                  // from the tier item
                "DB_PASSWORD=/tiers/premium/db/PARAMETER_STORE",
                "API_TOKEN=tenants/acme/api/SECRETS_MANAGER",
                "TENANT_ID=acme/PLAINTEXT", "TIER=premium/PLAINTEXT");

        stack.putEventOn("default", "aws.codebuild", "CodeBuild Build State Change",
                stateChange(buildId, "tenant-premium-provision", "SUCCEEDED", null));
        JsonNode provisioned = tenantEvents.await(event("TENANT_PROVISIONING_SUCCESS", "acme"), Duration.ofSeconds(30));
        assertThat(provisioned.path("detail").path("buildId").asText()).isEqualTo(buildId);
        tenantEvents.await(event("TENANT_DEPLOYMENT", "acme"), Duration.ofSeconds(30));
        JsonNode deployed = tenantEvents.await(event("TENANT_DEPLOYMENT_SUCCESS", "acme"), Duration.ofSeconds(60));
        assertThat(deployed.path("detail").path("status").asText()).isEqualTo("Complete");

        WorkflowRun run = stack.run("acme", "tenant-onboarding").orElseThrow();
        assertThat(run.status()).isEqualTo(State.COMPLETE);
        assertThat(run.activityOrder()).containsExactly("Onboard", "Configure");
        assertThat(run.metadata().get("tenantId").asText()).isEqualTo("acme");
        stack.awaitCondition(Duration.ofSeconds(10), () -> tenantState("acme").equals("DEPLOYED"));
    }

    @Test
    void aFailedBuildReportsItsCauseAndDeploysNothing() {
        stack.putEvent(SOURCE, "TENANT_PROVISIONING", provisioning("globex", "premium", "CODE_BUILD"));
        String buildId = awaitBuildJob("globex").get("buildId").s();
        stack.putEventOn("default", "aws.codebuild", "CodeBuild Build State Change",
                stateChange(buildId, "tenant-premium-provision", "FAILED", "COMMAND_EXECUTION_ERROR: ./provision.sh exit status 1"));
        JsonNode failure = tenantEvents.await(event("TENANT_PROVISIONING_FAILURE", "globex"), Duration.ofSeconds(30));
        assertThat(failure.path("detail").path("cause").asText()).isEqualTo("BUILD FAILED: COMMAND_EXECUTION_ERROR: ./provision.sh exit status 1");
        assertThat(failure.path("detail").path("buildId").asText()).isEqualTo(buildId);
        stack.awaitCondition(Duration.ofSeconds(10), () -> tenantState("globex").equals("PROVISIONING_FAILED"));
        assertThat(tenantEvents.seen()).noneMatch(event("TENANT_DEPLOYMENT", "globex"));
        assertThat(stack.run("globex", "tenant-onboarding")).isEmpty();
    }

    @Test
    void theSameProvisioningEventTwiceStartsOneBuild() {
        String detail = provisioning("initech", "dup", "CODE_BUILD");
        stack.putEvent(SOURCE, "TENANT_PROVISIONING", detail);
        awaitBuildJob("initech");
        stack.putEvent(SOURCE, "TENANT_PROVISIONING", detail);
        // The second copy is delivered and recognised; give it the time the first one needed, and more.
        try {
            Thread.sleep(4000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        assertThat(builds("tenant-dup-provision")).isEqualTo(1);
        assertThat(jobs("initech").stream().filter(j -> j.get("jobId").s().startsWith("PROVISIONING#"))).hasSize(1);
    }

    @Test
    void badEventsAreRefusedClearlyDeadLetteredAndStartNoBuild() {
        int premiumBuilds = builds("tenant-premium-provision");
        stack.putEvent(SOURCE, "TENANT_PROVISIONING", provisioning("t-unknown-tier", "platinum", "CODE_BUILD"));
        stack.putEvent(SOURCE, "TENANT_PROVISIONING", provisioning("t-no-job", "nojob", "CODE_BUILD"));
        stack.putEvent(SOURCE, "TENANT_PROVISIONING", provisioning("t-jenkins", "premium", "JENKINS"));
        stack.putEvent(SOURCE, "TENANT_PROVISIONING", "{\"tier\":\"premium\",\"builder\":{\"type\":\"CODE_BUILD\"},\"note\":\"malformed\"}");
        stack.putEvent(SOURCE, "TENANT_PAUSE", "{\"tenantId\":\"t-pause\"}");
        stack.putEvent("evil.corp", "TENANT_PROVISIONING", provisioning("t-evil", "premium", "CODE_BUILD"));

        List<JsonNode> dead = new ArrayList<>();
        long deadline = System.currentTimeMillis() + 60_000;
        while (dead.size() < 6 && System.currentTimeMillis() < deadline) {
            // Destination records of Lambda's failed async invocations: the event is the request payload.
            stack.drain("TenantDeadLetterQueue", Duration.ofSeconds(2)).forEach(r -> dead.add(r.path("requestPayload")));
        }
        assertThat(dead).hasSize(6);
        assertThat(dead).anyMatch(e -> e.path("detail").path("tenantId").asText().equals("t-unknown-tier"));
        assertThat(dead).anyMatch(e -> e.path("detail").path("tenantId").asText().equals("t-no-job"));
        assertThat(dead).anyMatch(e -> e.path("detail").path("tenantId").asText().equals("t-jenkins"));
        assertThat(dead).anyMatch(e -> e.path("detail").path("note").asText().equals("malformed"));
        assertThat(dead).anyMatch(e -> e.path("detail-type").asText().equals("TENANT_PAUSE"));
        assertThat(dead).anyMatch(e -> e.path("source").asText().equals("evil.corp"));
        assertThat(builds("tenant-premium-provision")).isEqualTo(premiumBuilds);
        for (String t : List.of("t-unknown-tier", "t-no-job", "t-jenkins", "t-evil")) {
            assertThat(jobs(t)).as("nothing recorded for " + t).isEmpty();
        }
    }
}
