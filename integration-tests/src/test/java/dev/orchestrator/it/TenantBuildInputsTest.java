package dev.orchestrator.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.orchestrator.core.Json;
import dev.orchestrator.core.Stage;
import dev.orchestrator.core.State;
import dev.orchestrator.core.WorkflowRun;
import dev.orchestrator.plugin.PluginResult;
import java.time.Duration;
import java.util.List;
import java.util.Map;
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
 * Issue 21, item 4 (emulator): a provisioning build's exported variables are the tenant's onboarding run's first
 * inputs. The emulator's CodeBuild runs nothing, so the build's end is the state-change event CodeBuild would put on
 * the default bus (with {@code exported-environment-variables}), as in the other tenant tests; the router, the start
 * function, the engine and the plugins are the real ones.
 */
class TenantBuildInputsTest {

    static OrchestratorFixture stack;
    static CodeBuildClient codeBuild;
    static final TenantTestSupport.LogCapture LOGS = new TenantTestSupport.LogCapture();
    static final String SECRET = "pw-7f3a9c-never-in-a-message";
    static final String SESSION = "sess-91d2e4-never-in-a-message";

    @BeforeAll
    static void deploy() {
        stack = OrchestratorFixture.deploy("tenantin", List.of("Onboard", "Configure"));
        codeBuild = stack.emulator.client(CodeBuildClient.builder());
        LOGS.install();
        codeBuild.createProject(b -> b.name("tenantin-provision")
                .source(s -> s.type(SourceType.S3).location("tenant-builds/provision.zip")
                        .buildspec("version: 0.2\nenv:\n  exported-variables: [DB_HOST, DB_PASSWORD, SESSION_TOKEN]\nphases:\n  build:\n    commands: [./provision.sh]\n"))
                .artifacts(a -> a.type(ArtifactsType.NO_ARTIFACTS))
                .environment(e -> e.type(EnvironmentType.LINUX_CONTAINER).image("aws/codebuild/standard:7.0").computeType(ComputeType.BUILD_GENERAL1_SMALL))
                .serviceRole("arn:aws:iam::123456789012:role/tenant-builds"));
        stack.dynamo.putItem(b -> b.tableName(stack.stack.export("tenantin-tier-name")).item(Map.of(
                "tier", AttributeValue.fromS("gold"), "jobName", AttributeValue.fromS("tenantin-provision"),
                "workflow", AttributeValue.fromS("tenant-onboarding"),
                "activities", AttributeValue.fromL(List.of(AttributeValue.fromS("Onboard"), AttributeValue.fromS("Configure"))),
                "pluginRegisterTimeout", AttributeValue.fromN("1"),
                // A plain secret: the router stores it as a SecureString and the build gets a reference.
                "DB_PASSWORD", AttributeValue.fromS(SECRET))));
    }

    @AfterAll
    static void stop() {
        LOGS.uninstall();
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void theBuildsExportedVariablesReachEveryStageOfTheOnboardingRunSecretsAsReferences() {
        DataBetweenStepsTest.Fn onboard = stack.register("Onboard", Stage.PARALLEL, new DataBetweenStepsTest.Fn(stack.pluginEnv(),
                "create-db", c -> PluginResult.complete(Map.of("dsn", "postgres://" + c.input("Provisioning", "codebuild")
                        .path("variables").path("DB_HOST").asText() + "/acme"))));
        DataBetweenStepsTest.Fn configure = stack.register("Configure", Stage.POST, new DataBetweenStepsTest.Fn(stack.pluginEnv(),
                "configure-app", c -> PluginResult.complete(Map.of("dsn", c.input("Onboard", "create-db").path("dsn").asText(),
                        "password", c.input("Provisioning", "codebuild").path("variables").path("DB_PASSWORD")))));

        stack.putEvent("saas.control-plane", "TENANT_PROVISIONING",
                "{\"tenantId\":\"acme\",\"tier\":\"gold\",\"builder\":{\"type\":\"CODE_BUILD\",\"overrides\":{\"REGION\":\"eu-west-1\"}}}");
        Map<String, AttributeValue> job = stack.awaitProvisioningJob("acme");
        String buildId = job.get("buildId").s();
        String passwordParameter = job.get("environment").l().stream().map(AttributeValue::m)
                .filter(v -> v.get("name").s().equals("DB_PASSWORD")).findFirst().orElseThrow().get("value").s();
        assertThat(passwordParameter).endsWith("/tenants/acme/DB_PASSWORD");

        // CodeBuild's own event when the build ends: what the buildspec exported, secrets resolved to their values.
        stack.putEventOn("default", "aws.codebuild", "CodeBuild Build State Change",
                "{\"build-status\":\"SUCCEEDED\",\"project-name\":\"tenantin-provision\",\"build-id\":"
                        + "\"arn:aws:codebuild:us-east-1:123456789012:build/" + buildId + "\",\"additional-information\":{"
                        + "\"phases\":[{\"phase-type\":\"BUILD\",\"phase-status\":\"SUCCEEDED\"}],"
                        + "\"exported-environment-variables\":[{\"name\":\"DB_HOST\",\"value\":\"db.acme.internal\"},"
                        + "{\"name\":\"DB_PASSWORD\",\"value\":\"" + SECRET + "\"},{\"name\":\"SESSION_TOKEN\",\"value\":\"" + SESSION + "\"}]}}");

        WorkflowRun run = stack.awaitEnd("acme", "tenant-onboarding", Duration.ofSeconds(120));
        assertThat(run.status()).as("run message: %s", run.message()).isEqualTo(State.COMPLETE);

        ObjectNode expected = (ObjectNode) Json.parse("{\"buildId\":\"" + buildId + "\",\"variables\":{\"DB_HOST\":\"db.acme.internal\","
                + "\"DB_PASSWORD\":{\"parameterStore\":\"" + passwordParameter + "\"}},\"redacted\":[\"SESSION_TOKEN\"]}");
        assertThat(onboard.seen).isNotEmpty();
        assertThat(onboard.seen.get(0).input("Provisioning", "codebuild")).isEqualTo(expected);
        // Another activity, another stage: the same input, beside the upstream output.
        assertThat(configure.seen.get(0).input("Provisioning", "codebuild")).isEqualTo(expected);
        assertThat(stack.outcomeEvents("acme").toString()).contains("postgres://db.acme.internal/acme").contains(passwordParameter);
        // No secret value in any stage message the plugins received.
        for (var ctx : List.of(onboard.seen.get(0), configure.seen.get(0))) {
            String message = Json.write(ctx.message().toJson());
            assertThat(message).doesNotContain(SECRET).doesNotContain(SESSION);
        }

        JsonNode line = LOGS.await(stack, TenantTestSupport.LogCapture.message("build variables passed as inputs", "tenantId", "acme"),
                Duration.ofSeconds(120));
        assertThat(line.path("address").asText()).isEqualTo("Provisioning.codebuild");
        assertThat(line.path("variables").asInt()).isEqualTo(1);
        assertThat(line.path("references").asInt()).isEqualTo(1);
        assertThat(line.path("redacted").asText()).isEqualTo("SESSION_TOKEN");
    }
}
