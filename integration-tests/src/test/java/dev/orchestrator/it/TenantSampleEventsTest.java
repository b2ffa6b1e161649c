package dev.orchestrator.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.orchestrator.core.Json;
import dev.orchestrator.tenant.BuildEnvironment;
import dev.orchestrator.tenant.ProvisioningRequest;
import dev.orchestrator.tenant.SbtAws;
import dev.orchestrator.tenant.TenantEvent;
import dev.orchestrator.tenant.TenantRoutes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The sample events in events/ are valid and reach the handler their detail-type names. */
class TenantSampleEventsTest {

    static final Set<String> SOURCES = Set.of("saas.control-plane");

    static TenantEvent sample(String file) throws Exception {
        return TenantEvent.parse(Json.parse(Files.readString(Path.of("../events", file))));
    }

    @Test
    void everySampleEventRoutesToItsHandler() throws Exception {
        assertThat(TenantRoutes.route(sample("tenant-provisioning.json"), SOURCES)).isEqualTo("TENANT_PROVISIONING");
        assertThat(TenantRoutes.route(sample("tenant-deprovisioning.json"), SOURCES)).isEqualTo("TENANT_DEPROVISIONING");
        for (String f : List.of("tenant-provisioning-success.json", "tenant-provisioning-failure.json", "tenant-deployment.json",
                "tenant-deployment-success.json", "tenant-deployment-failure.json", "tenant-deprovisioning-success.json",
                "tenant-deprovisioning-failure.json")) {
            TenantEvent e = sample(f);
            assertThat(TenantRoutes.route(e, SOURCES)).as(f).isEqualTo(e.detailType());
        }
        assertThat(TenantRoutes.route(sample("codebuild-build-state-change.json"), SOURCES)).isEqualTo(TenantRoutes.BUILD_OUTCOME);
        assertThat(TenantRoutes.route(sample("workflow-completed.json"), SOURCES)).isEqualTo(TenantRoutes.WORKFLOW_OUTCOME);
    }

    /** The sources README's "Migrating from arc-saas" tells users to accept. */
    static final Set<String> ARC_SAAS_SOURCES = Set.of("ARC-SAAS", "CONTROL-PLANE", "TenantManagementService",
            "saas.tenant.provisioning.success.handler");

    @Test
    void arcSaasSamplesRouteAndParseWithTheirOwnFieldNames() throws Exception {
        for (String f : List.of("arc-saas-tenant-provisioning-connector.json", "arc-saas-tenant-provisioning-direct.json")) {
            TenantEvent e = sample(f);
            assertThat(TenantRoutes.route(e, ARC_SAAS_SOURCES)).as(f).isEqualTo("TENANT_PROVISIONING");
            ProvisioningRequest req = ProvisioningRequest.parse(e.detail());
            assertThat(req.tenantId()).as(f).isEqualTo("0a9f1c6e-6d4b-4b2c-9d7e-3f1a2b4c5d6e");
            assertThat(req.tier()).as(f).isEqualTo("PREMIUM");
            assertThat(req.overrides()).as(f).containsKeys("tenant", "secret", "context", "MAX_USERS", "ACCESS_TOKEN_EXPIRATION");
            BuildEnvironment.Plan plan = BuildEnvironment.plan(Map.of(), req.overrides(), req.tenantId(), req.tier(), "/dev/orchestrator/o/tenants");
            assertThat(plan.secrets()).as(f).extracting(BuildEnvironment.Secret::name).containsExactly("secret");
            assertThat(plan.variables()).as(f).contains(new BuildEnvironment.Variable("ACCESS_TOKEN_EXPIRATION", "3600", "PLAINTEXT"),
                    new BuildEnvironment.Variable("MAX_USERS", "500", "PLAINTEXT"));
        }
        assertThat(sample("arc-saas-tenant-provisioning-connector.json").detailType()).isEqualTo("TENANT_PROVISIONING");
        TenantEvent deployment = sample("arc-saas-tenant-deployment.json");
        assertThat(TenantRoutes.route(deployment, ARC_SAAS_SOURCES)).isEqualTo("TENANT_DEPLOYMENT");
        assertThat(deployment.tenantIdHint()).isNull(); // tenant is a JSON string there: the handler reads it
    }

    @Test
    void sbtAwsSamplesRouteToTheirRequestsAndTheAnswersHaveItsShape() throws Exception {
        SbtAws sbt = SbtAws.defaults();
        for (SbtAws.Request r : SbtAws.Request.values()) {
            String file = "sbt-aws-" + r.eventName.replace("Request", "") + "-request.json";
            TenantEvent e = TenantEvent.parse(Json.parse(Files.readString(Path.of("../events", file))), t -> sbt.request(t).isPresent());
            assertThat(TenantRoutes.route(e, SOURCES, sbt)).as(file).isEqualTo(r.route());
            assertThat(SbtAws.registrationId(e.detail())).as(file).isEqualTo("9b2c4e0f-3a1d-4c5e-8f6a-7b8c9d0e1f2a");
        }
        SbtAws.BuildRequest onboarding = SbtAws.buildRequest(sample("sbt-aws-onboarding-request.json").detail(), null);
        assertThat(onboarding.request().tier()).isEqualTo("premium");
        assertThat(onboarding.skipped()).isEmpty();
        JsonNode success = Json.parse(Files.readString(Path.of("../events", "sbt-aws-provision-success.json")));
        assertThat(success.path("detail-type").asText()).isEqualTo(sbt.answerType(SbtAws.Request.ONBOARDING, true));
        assertThat(success.path("source").asText()).isEqualTo(sbt.applicationSource());
        JsonNode output = SbtAws.answer("x", sbt.successOutput(Map.of()));
        assertThat(fieldNames(success.path("detail"))).isEqualTo(fieldNames(output));
        assertThat(fieldNames(success.path("detail").path("jobOutput"))).isEqualTo(fieldNames(output.path("jobOutput")));
        JsonNode failure = Json.parse(Files.readString(Path.of("../events", "sbt-aws-provision-failure.json")));
        assertThat(failure.path("detail-type").asText()).isEqualTo(sbt.answerType(SbtAws.Request.ONBOARDING, false));
        assertThat(failure.path("detail").path("jobOutput").path("tenantStatus").asText()).isEqualTo(SbtAws.Request.ONBOARDING.failureStatus);
    }

    static List<String> fieldNames(JsonNode n) {
        List<String> out = new java.util.ArrayList<>();
        n.fieldNames().forEachRemaining(out::add);
        return out;
    }
}
