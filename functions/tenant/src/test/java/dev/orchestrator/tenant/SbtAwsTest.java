package dev.orchestrator.tenant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.orchestrator.core.Json;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SbtAwsTest {

    /** An onboardingRequest detail as sbt-aws's tenant-registrations function builds it: registration | tenant | tenantId. */
    static final String ONBOARDING = "{\"registrationStatus\":\"In progress\",\"tenantName\":\"acme\",\"email\":\"ops@acme.example\","
            + "\"tier\":\"basic\",\"prices\":[{\"id\":\"p1\"}],\"tenantRegistrationId\":\"reg-1\",\"tenantId\":\"t-1\","
            + "\"apiToken\":\"tok-123\",\"tenant-region\":\"eu\",\"note\":null}";

    static JsonNode raw(String source, String detailType, String detail) {
        return Json.parse("{\"id\":\"e-1\",\"source\":\"" + source + "\",\"detail-type\":\"" + detailType + "\",\"detail\":" + detail + "}");
    }

    @Test
    void requestsAreRecognisedUnderTheDeployedPrefixOnly() {
        SbtAws defaults = SbtAws.defaults();
        assertThat(defaults.request("sbt_aws_onboardingRequest")).contains(SbtAws.Request.ONBOARDING);
        assertThat(defaults.request("sbt_aws_deactivateRequest")).contains(SbtAws.Request.DEACTIVATE);
        assertThat(defaults.request("sbt_aws_billingSuccess")).isEmpty();
        assertThat(defaults.request("sbt_aws_provisionSuccess")).as("our own answers are never requests").isEmpty();
        assertThat(defaults.request("onboardingRequest")).isEmpty();

        SbtAws custom = new SbtAws("acme_", Set.of("acme.control"), "acme.app", Set.of("registrationStatus"));
        assertThat(custom.request("acme_offboardingRequest")).contains(SbtAws.Request.OFFBOARDING);
        assertThat(custom.request("sbt_aws_offboardingRequest")).isEmpty();
        assertThat(custom.answerType(SbtAws.Request.OFFBOARDING, true)).isEqualTo("acme_deprovisionSuccess");
        assertThat(custom.answerType(SbtAws.Request.ACTIVATE, false)).isEqualTo("acme_activateFailure");
        assertThat(defaults.answerType(SbtAws.Request.ONBOARDING, true)).isEqualTo("sbt_aws_provisionSuccess");
        assertThat(defaults.answerType(SbtAws.Request.DEACTIVATE, false)).isEqualTo("sbt_aws_deactivateFailure");
        assertThatThrownBy(() -> new SbtAws(" ", Set.of(), "x", Set.of())).hasMessageContaining("prefix");
    }

    @Test
    void routesByThePrefixAndRefusesOtherSourcesByName() {
        SbtAws custom = new SbtAws("acme_", Set.of("acme.control"), "acme.app", Set.of());
        TenantEvent e = TenantEvent.parse(raw("acme.control", "acme_activateRequest", "{\"tenantId\":\"t\"}"), t -> custom.request(t).isPresent());
        assertThat(TenantRoutes.route(e, Set.of("saas.control-plane"), custom)).isEqualTo("sbt_aws_activateRequest");
        TenantEvent stranger = new TenantEvent("1", "sbt.control.plane", "acme_activateRequest", Json.object());
        assertThatThrownBy(() -> TenantRoutes.route(stranger, Set.of("sbt.control.plane"), custom))
                .hasMessageContaining("source 'sbt.control.plane' is not accepted").hasMessageContaining("acme.control");
        // Not configured: an sbt-aws detail-type is an unknown one.
        TenantEvent plain = new TenantEvent("1", "sbt.control.plane", "sbt_aws_onboardingRequest", Json.object());
        assertThatThrownBy(() -> TenantRoutes.route(plain, Set.of("sbt.control.plane"))).hasMessageContaining("unknown detail-type");
    }

    @Test
    void anSbtDetailIsTakenAsItIsEvenWithTypeAndDataFields() {
        SbtAws sbt = SbtAws.defaults();
        TenantEvent e = TenantEvent.parse(raw("sbt.control.plane", "sbt_aws_onboardingRequest",
                "{\"tenantId\":\"t\",\"type\":\"TENANT_PROVISIONING\",\"data\":{}}"), t -> sbt.request(t).isPresent());
        assertThat(e.detailType()).isEqualTo("sbt_aws_onboardingRequest");
        assertThat(e.detail().path("tenantId").asText()).isEqualTo("t");
    }

    @Test
    void everyDetailFieldBecomesABuildVariableOfTheSameName() {
        SbtAws.BuildRequest b = SbtAws.buildRequest(Json.parse(ONBOARDING), null);
        assertThat(b.registrationId()).isEqualTo("reg-1");
        assertThat(b.request().tenantId()).isEqualTo("t-1");
        assertThat(b.request().tier()).isEqualTo("basic");
        Map<String, String> vars = new LinkedHashMap<>();
        b.request().overrides().forEach((k, v) -> vars.put(k, v.asText()));
        assertThat(vars).containsEntry("tenantName", "acme").containsEntry("tier", "basic").containsEntry("tenantId", "t-1")
                .containsEntry("tenantRegistrationId", "reg-1").containsEntry("registrationStatus", "In progress")
                .containsEntry("prices", "[{\"id\":\"p1\"}]").doesNotContainKey("note");
        assertThat(b.skipped()).containsExactly("tenant-region");
        // The plan then stores the token as a SecureString: it never reaches CodeBuild as PLAINTEXT.
        BuildEnvironment.Plan plan = BuildEnvironment.plan(Map.of(), b.request().overrides(), "t-1", "basic", "/dev/o/s/tenants");
        assertThat(plan.secrets()).extracting(BuildEnvironment.Secret::name).containsExactly("apiToken");
        assertThat(plan.variables()).anyMatch(v -> v.name().equals("apiToken") && v.type().equals("PARAMETER_STORE")
                && v.value().equals("/dev/o/s/tenants/t-1/apiToken"));
    }

    @Test
    void aRequestLackingItsKeysIsRefusedWithEveryFieldNamed() {
        assertThatThrownBy(() -> SbtAws.buildRequest(Json.parse("{\"tenantName\":\"x\"}"), null))
                .hasMessageContaining("detail.tenantRegistrationId is required").hasMessageContaining("detail.tenantId is required")
                .hasMessageContaining("detail.tier is required");
        assertThatThrownBy(() -> SbtAws.buildRequest(Json.parse("{\"tenantRegistrationId\":\"r\",\"tenantId\":\"a b\",\"tier\":3}"), null))
                .hasMessageContaining("detail.tenantId must be").hasMessageContaining("detail.tier must be a non-empty string");
        // An offboarding detail without a tier uses the tier the tenant's provisioning recorded.
        assertThat(SbtAws.buildRequest(Json.parse("{\"tenantRegistrationId\":\"r\",\"tenantId\":\"t\"}"), "gold").request().tier()).isEqualTo("gold");
    }

    @Test
    void successOutputSplitsExportedVariablesAsTheControlPlanePatchesThem() {
        SbtAws sbt = new SbtAws("sbt_aws_", Set.of(), "sbt.application.plane", Set.of("registrationStatus", "portalUrl"));
        Map<String, String> exported = new LinkedHashMap<>();
        exported.put("tenantS3Bucket", "b-1");
        exported.put("registrationStatus", "created");
        exported.put("portalUrl", "https://p");
        JsonNode out = SbtAws.answer("reg-1", sbt.successOutput(exported));
        assertThat(Json.write(out)).isEqualTo("{\"tenantRegistrationId\":\"reg-1\",\"jobOutput\":{\"tenantData\":{\"tenantS3Bucket\":\"b-1\"},"
                + "\"tenantRegistrationData\":{\"registrationStatus\":\"created\",\"portalUrl\":\"https://p\"}}}");
    }

    @Test
    void failuresNameTheBuildAndPhaseOrTheActivityAndPlugin() {
        BuildOutcome outcome = BuildOutcome.parse(Json.parse("{\"build-id\":\"arn:aws:codebuild:us-east-1:1:build/p:42\",\"build-status\":\"FAILED\","
                + "\"additional-information\":{\"phases\":[{\"phase-type\":\"INSTALL\",\"phase-status\":\"SUCCEEDED\"},"
                + "{\"phase-type\":\"BUILD\",\"phase-status\":\"FAILED\",\"phase-context\":[\"COMMAND_EXECUTION_ERROR: exit 1\"]}]}}"));
        assertThat(outcome.failedPhase()).isEqualTo("BUILD");
        JsonNode build = SbtAws.failureOutput(SbtAws.Request.ONBOARDING, SbtAws.buildFailure(outcome));
        assertThat(build.path("tenantStatus").asText()).isEqualTo("Failed to provision tenant.");
        assertThat(build.path("cause").asText()).isEqualTo("build p:42 FAILED: BUILD FAILED: COMMAND_EXECUTION_ERROR: exit 1");
        assertThat(build.path("buildId").asText()).isEqualTo("p:42");
        assertThat(build.path("phase").asText()).isEqualTo("BUILD");
        assertThat(build.path("tenantRegistrationData").path("failureCause").asText())
                .isEqualTo("Failed to provision tenant: build p:42 FAILED: BUILD FAILED: COMMAND_EXECUTION_ERROR: exit 1");

        SbtAws.Failure run = SbtAws.workflowFailure("tenant-onboarding", "Error",
                "activity Onboard failed: parallel plugin create-db: quota exceeded");
        assertThat(run.activity()).isEqualTo("Onboard");
        assertThat(run.plugin()).isEqualTo("create-db");
        assertThat(run.cause()).isEqualTo("workflow tenant-onboarding ended Error: activity Onboard failed: parallel plugin create-db: quota exceeded");
        JsonNode deactivate = SbtAws.failureOutput(SbtAws.Request.DEACTIVATE, run);
        assertThat(deactivate.path("tenantStatus").asText()).isEqualTo("Failed to deactivate tenant.");
        assertThat(deactivate.path("plugin").asText()).isEqualTo("create-db");
        // A message that names no plugin (a cancel, a timeout) is still the cause; nothing invented.
        SbtAws.Failure cancelled = SbtAws.workflowFailure("w", "Error", "cancelled: operator");
        assertThat(cancelled.plugin()).isNull();
        assertThat(cancelled.cause()).isEqualTo("workflow w ended Error: cancelled: operator");
    }
}
