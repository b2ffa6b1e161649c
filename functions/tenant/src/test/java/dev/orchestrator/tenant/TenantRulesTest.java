package dev.orchestrator.tenant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.orchestrator.core.Json;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TenantRulesTest {

    static final Set<String> SOURCES = Set.of("saas.control-plane");

    @Test
    void unknownTypesAndSourcesAreRefusedByName() {
        TenantEvent unknown = new TenantEvent("1", "saas.control-plane", "TENANT_PAUSE", Json.object());
        assertThatThrownBy(() -> TenantRoutes.route(unknown, SOURCES)).hasMessageContaining("unknown detail-type 'TENANT_PAUSE'");
        TenantEvent stranger = new TenantEvent("1", "evil.corp", "TENANT_PROVISIONING", Json.object());
        assertThatThrownBy(() -> TenantRoutes.route(stranger, SOURCES)).hasMessageContaining("source 'evil.corp' is not accepted")
                .hasMessageContaining("saas.control-plane");
        TenantEvent fakeBuild = new TenantEvent("1", "saas.control-plane", "CodeBuild Build State Change", Json.object());
        assertThatThrownBy(() -> TenantRoutes.route(fakeBuild, SOURCES)).hasMessageContaining("aws.codebuild");
    }

    @Test
    void provisioningDetailsAreValidatedFieldByField() {
        assertThatThrownBy(() -> ProvisioningRequest.parse(Json.parse("{\"tier\":\"basic\",\"builder\":{\"type\":\"CODE_BUILD\"}}")))
                .hasMessageContaining("detail.tenantId is required");
        assertThatThrownBy(() -> ProvisioningRequest.parse(Json.parse("{\"tenantId\":\"a\",\"builder\":{\"type\":\"CODE_BUILD\"}}")))
                .hasMessageContaining("detail.tier (or planTier) is required");
        assertThatThrownBy(() -> ProvisioningRequest.parse(Json.parse("{\"tenantId\":\"a\",\"tier\":\"basic\",\"builder\":{\"type\":\"JENKINS\"}}")))
                .hasMessageContaining("detail.builder.type 'JENKINS' is not supported");
        assertThatThrownBy(() -> ProvisioningRequest.parse(Json.parse("{\"tenantId\":\"a b\",\"tier\":\"basic\"}")))
                .hasMessageContaining("detail.tenantId must be").hasMessageContaining("detail.builder is required");
        ProvisioningRequest ok = ProvisioningRequest.parse(Json.parse("{\"tenantId\":\"a\",\"planTier\":\"basic\",\"builder\":{\"type\":\"CODE_BUILD\",\"overrides\":{\"X\":\"1\"}}}"));
        assertThat(ok.tier()).isEqualTo("basic");
        assertThat(ok.overrides()).containsKey("X");
    }

    @Test
    void theEventOverridesWinAndSecretsStayReferences() {
        Map<String, JsonNode> tier = new LinkedHashMap<>();
        tier.put("tier", Json.parse("\"premium\""));
        tier.put("jobName", Json.parse("\"tenant-premium\""));
        tier.put("workflow", Json.parse("\"onboarding\""));
        tier.put("REGION", Json.parse("\"us-east-1\""));
        tier.put("SIZE", Json.parse("\"large\""));
        tier.put("DB_PASSWORD", Json.parse("{\"parameterStore\":\"/tiers/premium/db\"}"));
        Map<String, JsonNode> event = Map.of("REGION", Json.parse("\"eu-west-1\""), "API_TOKEN", Json.parse("{\"secretsManager\":\"acme/api\"}"));
        List<BuildEnvironment.Variable> env = BuildEnvironment.merge(tier, event, "acme", "premium");
        assertThat(env).containsExactlyInAnyOrder(
                new BuildEnvironment.Variable("REGION", "eu-west-1", "PLAINTEXT"),
                new BuildEnvironment.Variable("SIZE", "large", "PLAINTEXT"),
                new BuildEnvironment.Variable("DB_PASSWORD", "/tiers/premium/db", "PARAMETER_STORE"),
                new BuildEnvironment.Variable("API_TOKEN", "acme/api", "SECRETS_MANAGER"),
                new BuildEnvironment.Variable("TENANT_ID", "acme", "PLAINTEXT"),
                new BuildEnvironment.Variable("TIER", "premium", "PLAINTEXT"));
        assertThatThrownBy(() -> BuildEnvironment.merge(tier, Map.of("DB_PASSWORD", Json.parse("\"hunter2\"")), "acme", "premium"))
                .hasMessageContaining("DB_PASSWORD looks like a secret");
    }

    @Test
    void aFailedBuildsCauseComesFromItsFailedPhases() {
        BuildOutcome failed = BuildOutcome.parse(Json.parse("{\"build-status\":\"FAILED\",\"build-id\":\"b1\",\"project-name\":\"p\","
                + "\"additional-information\":{\"phases\":[{\"phase-type\":\"INSTALL\",\"phase-status\":\"SUCCEEDED\"},"
                + "{\"phase-type\":\"BUILD\",\"phase-status\":\"FAILED\",\"phase-context\":[\"COMMAND_EXECUTION_ERROR: exit status 1\"]}]}}"));
        assertThat(failed.succeeded()).isFalse();
        assertThat(failed.ended()).isTrue();
        assertThat(failed.cause()).isEqualTo("BUILD FAILED: COMMAND_EXECUTION_ERROR: exit status 1");
        assertThat(BuildOutcome.parse(Json.parse("{\"build-status\":\"SUCCEEDED\",\"build-id\":"
                + "\"arn:aws:codebuild:us-east-1:123456789012:build/tenant-x:0b1c\"}")).buildId()).isEqualTo("tenant-x:0b1c");
        BuildOutcome stopped = BuildOutcome.parse(Json.parse("{\"build-status\":\"STOPPED\",\"build-id\":\"b2\"}"));
        assertThat(stopped.cause()).isEqualTo("build STOPPED");
        assertThat(BuildOutcome.parse(Json.parse("{\"build-status\":\"IN_PROGRESS\",\"build-id\":\"b3\"}")).ended()).isFalse();
    }

    @Test
    void theSameEventPutTwiceHasOneKey() {
        TenantEvent a = TenantEvent.parse(Json.parse("{\"id\":\"1\",\"source\":\"s\",\"detail-type\":\"T\",\"detail\":{\"a\":1,\"b\":{\"x\":1,\"y\":2}}}"));
        TenantEvent b = TenantEvent.parse(Json.parse("{\"id\":\"2\",\"source\":\"s\",\"detail-type\":\"T\",\"detail\":{\"b\":{\"y\":2,\"x\":1},\"a\":1}}"));
        TenantEvent c = TenantEvent.parse(Json.parse("{\"id\":\"3\",\"source\":\"s\",\"detail-type\":\"T\",\"detail\":{\"a\":2}}"));
        assertThat(a.idempotencyKey()).isEqualTo(b.idempotencyKey()).isNotEqualTo(c.idempotencyKey());
        TenantEvent keyed = TenantEvent.parse(Json.parse("{\"id\":\"4\",\"source\":\"s\",\"detail-type\":\"T\",\"detail\":{\"eventId\":\"req-9\"}}"));
        assertThat(keyed.idempotencyKey()).isEqualTo("T#req-9");
    }
}
