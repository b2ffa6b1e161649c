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
    void theEventOverridesWinReferencesStayAndPlainSecretsBecomeParameterStoreReferences() {
        Map<String, JsonNode> tier = new LinkedHashMap<>();
        tier.put("tier", Json.parse("\"premium\""));
        tier.put("jobName", Json.parse("\"tenant-premium\""));
        tier.put("workflow", Json.parse("\"onboarding\""));
        tier.put("REGION", Json.parse("\"us-east-1\""));
        tier.put("SIZE", Json.parse("\"large\""));
        tier.put("MAX_USERS", Json.parse("250"));
        tier.put("HA", Json.parse("true"));
        tier.put("ACCESS_TOKEN_EXPIRATION", Json.parse("3600"));
        tier.put("DB_PASSWORD", Json.parse("{\"parameterStore\":\"/tiers/premium/db\"}"));
        Map<String, JsonNode> event = new LinkedHashMap<>();
        event.put("REGION", Json.parse("\"eu-west-1\""));
        event.put("API_TOKEN", Json.parse("{\"secretsManager\":\"acme/api\"}"));
        event.put("secret", Json.parse("\"s3cr3t-value\""));
        BuildEnvironment.Plan plan = BuildEnvironment.plan(tier, event, "acme", "premium", "/dev/orchestrator/o/tenants");
        assertThat(plan.variables()).containsExactlyInAnyOrder(
                new BuildEnvironment.Variable("REGION", "eu-west-1", "PLAINTEXT"),
                new BuildEnvironment.Variable("SIZE", "large", "PLAINTEXT"),
                new BuildEnvironment.Variable("MAX_USERS", "250", "PLAINTEXT"),
                new BuildEnvironment.Variable("HA", "true", "PLAINTEXT"),
                new BuildEnvironment.Variable("ACCESS_TOKEN_EXPIRATION", "3600", "PLAINTEXT"),
                new BuildEnvironment.Variable("DB_PASSWORD", "/tiers/premium/db", "PARAMETER_STORE"),
                new BuildEnvironment.Variable("API_TOKEN", "acme/api", "SECRETS_MANAGER"),
                new BuildEnvironment.Variable("secret", "/dev/orchestrator/o/tenants/acme/secret", "PARAMETER_STORE"),
                new BuildEnvironment.Variable("TENANT_ID", "acme", "PLAINTEXT"),
                new BuildEnvironment.Variable("TIER", "premium", "PLAINTEXT"));
        assertThat(plan.secrets()).containsExactly(new BuildEnvironment.Secret("secret", "/dev/orchestrator/o/tenants/acme/secret", "s3cr3t-value"));
        assertThat(plan.secrets().get(0).toString()).doesNotContain("s3cr3t-value");
        assertThatThrownBy(() -> BuildEnvironment.plan(tier, Map.of("NESTED", Json.parse("[1]")), "acme", "premium", "/p"))
                .hasMessageContaining("NESTED must be a string, number or boolean");
    }

    @Test
    void secretNamesAreJudgedByTheirLastWords() {
        for (String secret : List.of("secret", "SECRET", "DB_PASSWORD", "GITHUB_TOKEN", "clientSecret", "PRIVATE_KEY", "API_KEY",
                "AWS_SECRET_ACCESS_KEY", "db-password", "refresh.token", "SMTP_CREDENTIALS")) {
            assertThat(BuildEnvironment.looksSecret(secret)).as(secret).isTrue();
        }
        for (String plain : List.of("ACCESS_TOKEN_EXPIRATION", "TOKEN_URL", "PASSWORD_MIN_LENGTH", "SECRET_ARN", "tenant", "context",
                "KEY", "PUBLIC_KEY", "AWS_ACCESS_KEY_ID", "accessTokenExpiration", "TOKENIZER")) {
            assertThat(BuildEnvironment.looksSecret(plain)).as(plain).isFalse();
        }
        assertThat(BuildEnvironment.looksLikePrivateKey("-----BEGIN RSA PRIVATE KEY-----\nMIIE...")).isTrue();
    }

    @Test
    void aTenantGivenAsAStringThatIsNotJsonIsRefusedAsSuch() {
        TenantEvent asString = TenantEvent.parse(Json.parse("{\"id\":\"5\",\"source\":\"ARC-SAAS\",\"detail-type\":\"TENANT_DEPLOYED\","
                + "\"detail\":{\"tenant\":\"{\\\"id\\\":\\\"t-1\\\"}\"}}"));
        assertThat(DefaultHandlers.tenantId(asString)).isEqualTo("t-1");
        TenantEvent broken = TenantEvent.parse(Json.parse("{\"id\":\"6\",\"source\":\"ARC-SAAS\",\"detail-type\":\"TENANT_DEPLOYED\","
                + "\"detail\":{\"tenant\":\"{id: t-1\"}}"));
        assertThatThrownBy(() -> DefaultHandlers.tenantId(broken)).isInstanceOf(InvalidTenantEventException.class)
                .hasMessageStartingWith("detail.tenant is a string but not JSON: ");
    }

    @Test
    void arcSaasShapesAreReadWithTheirOwnFieldNames() {
        TenantEvent connector = TenantEvent.parse(Json.parse("{\"id\":\"1\",\"source\":\"CONTROL-PLANE\",\"detail\":{\"type\":\"TENANT_PROVISIONING\","
                + "\"data\":{\"tenant\":{\"id\":\"t-9\",\"key\":\"acme\"},\"planConfig\":{\"tier\":\"PREMIUM\",\"size\":3},"
                + "\"builderConfig\":{\"type\":\"CODE_BUILD\",\"config\":{\"environmentOverride\":{\"secret\":\"x\",\"USERS\":5}}}}}}"));
        assertThat(connector.detailType()).isEqualTo("TENANT_PROVISIONING");
        assertThat(TenantRoutes.route(connector, Set.of("CONTROL-PLANE"))).isEqualTo("TENANT_PROVISIONING");
        ProvisioningRequest req = ProvisioningRequest.parse(connector.detail());
        assertThat(req.tenantId()).isEqualTo("t-9");
        assertThat(req.tier()).isEqualTo("PREMIUM");
        assertThat(req.overrides()).containsOnlyKeys("secret", "USERS");
        assertThat(req.tenant().path("key").asText()).isEqualTo("acme");
        // a generic detail-type defers to detail.type; a known one must agree with it
        TenantEvent generic = TenantEvent.parse(Json.parse("{\"id\":\"2\",\"source\":\"ARC-SAAS\",\"detail-type\":\"event\","
                + "\"detail\":{\"type\":\"TENANT_DEPROVISIONING\",\"data\":{}}}"));
        assertThat(generic.detailType()).isEqualTo("TENANT_DEPROVISIONING");
        assertThatThrownBy(() -> TenantEvent.parse(Json.parse("{\"id\":\"3\",\"source\":\"ARC-SAAS\",\"detail-type\":\"TENANT_PROVISIONING\","
                + "\"detail\":{\"type\":\"TENANT_DEPROVISIONING\",\"data\":{}}}"))).hasMessageContaining("disagree");
        assertThatThrownBy(() -> TenantEvent.parse(Json.parse("{\"id\":\"4\",\"source\":\"ARC-SAAS\",\"detail\":{\"data\":{}}}")))
                .hasMessageContaining("neither 'detail-type' nor 'detail.type'");
        ProvisioningRequest byKey = ProvisioningRequest.parse(Json.parse("{\"tenant\":{\"key\":\"acme\"},\"planConfig\":{\"tier\":\"BASIC\"},"
                + "\"builderConfig\":{\"type\":\"CODE_BUILD\"}}"));
        assertThat(byKey.tenantId()).isEqualTo("acme");
        assertThatThrownBy(() -> ProvisioningRequest.parse(Json.parse("{\"tenant\":{\"name\":\"x\"},\"planConfig\":{},"
                + "\"builderConfig\":{\"type\":\"JENKINS\"}}")))
                .hasMessageContaining("detail.tenant.id (or tenant.key) is required")
                .hasMessageContaining("detail.planConfig.tier is required")
                .hasMessageContaining("detail.builderConfig.type 'JENKINS' is not supported");
    }

    @Test
    void onlyNonSecretBuildOutputsTravelInEvents() {
        BuildOutcome ok = BuildOutcome.parse(Json.parse("{\"build-status\":\"SUCCEEDED\",\"build-id\":\"b1\",\"additional-information\":"
                + "{\"exported-environment-variables\":[{\"name\":\"API_ENDPOINT\",\"value\":\"https://acme\"},{\"name\":\"secret\",\"value\":\"x\"}]}}"));
        assertThat(ok.exported()).containsOnlyKeys("API_ENDPOINT", "secret");
        assertThat(DefaultHandlers.safeOutputs(ok.exported())).containsOnlyKeys("API_ENDPOINT");
        assertThat(DefaultHandlers.redacted(ok.exported())).containsExactly("secret");
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
