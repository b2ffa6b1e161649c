package dev.orchestrator.tenant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.orchestrator.core.Json;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A provisioning build's exported variables as the onboarding run's start inputs: pure, no AWS. */
class BuildInputsTest {

    static final Map<String, BuildInputs.Reference> GIVEN = Map.of(
            "DB_PASSWORD", new BuildInputs.Reference("PARAMETER_STORE", "/dev/orchestrator/s/tenants/acme/DB_PASSWORD"),
            "API_TOKEN", new BuildInputs.Reference("SECRETS_MANAGER", "tenants/acme/api"),
            "REGION", new BuildInputs.Reference("PLAINTEXT", "eu-west-1"));

    @Test
    void plainVariablesByValueSecretsAsTheReferencesTheBuildWasGivenOthersRedacted() {
        Map<String, String> safe = new LinkedHashMap<>();
        safe.put("DB_HOST", "db.acme.internal");
        safe.put("ACCESS_TOKEN_EXPIRATION", "3600");
        BuildInputs.Decision d = BuildInputs.decide("p:1", safe, List.of("SESSION_TOKEN", "DB_PASSWORD", "API_TOKEN"), GIVEN,
                List.of("Onboard", "Configure"));
        assertThat(Json.write(d.inputs())).isEqualTo("{\"Provisioning\":{\"codebuild\":{\"buildId\":\"p:1\",\"variables\":{"
                + "\"DB_HOST\":\"db.acme.internal\",\"ACCESS_TOKEN_EXPIRATION\":\"3600\","
                + "\"API_TOKEN\":{\"secretsManager\":\"tenants/acme/api\"},"
                + "\"DB_PASSWORD\":{\"parameterStore\":\"/dev/orchestrator/s/tenants/acme/DB_PASSWORD\"}},"
                + "\"redacted\":[\"SESSION_TOKEN\"]}}}");
        assertThat(d.variables()).isEqualTo(2);
        assertThat(d.references()).isEqualTo(2);
        assertThat(d.redacted()).containsExactly("SESSION_TOKEN");
        assertThat(d.bytes()).isEqualTo(Json.write(d.inputs()).length());
    }

    @Test
    void withoutABuildRecordTheVariablesAloneAndNoBuildId() {
        BuildInputs.Decision d = BuildInputs.decide(null, Map.of("DB_HOST", "h"), List.of(), Map.of(), List.of("Onboard"));
        assertThat(Json.write(d.inputs())).isEqualTo("{\"Provisioning\":{\"codebuild\":{\"variables\":{\"DB_HOST\":\"h\"}}}}");
    }

    @Test
    void aWorkflowWithAnActivityOfThatNameRunsWithoutThem() {
        BuildInputs.Decision d = BuildInputs.decide("p:1", Map.of("DB_HOST", "h"), List.of(), Map.of(), List.of("Provisioning", "Onboard"));
        assertThat(d.inputs()).isNull();
        assertThat(d.skipped()).contains("activity named Provisioning");
    }

    @Test
    void variablesOverTheStartInputLimitAreRefusedNamingTheAddress() {
        assertThatThrownBy(() -> BuildInputs.decide("p:1", Map.of("BLOB", "x".repeat(140_000)), List.of(), Map.of(), List.of("Onboard")))
                .isInstanceOf(InvalidTenantEventException.class)
                .hasMessageContaining("inputs.Provisioning.codebuild 1400").hasMessageContaining("at most 131072");
    }
}
