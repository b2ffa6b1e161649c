package dev.orchestrator.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.orchestrator.core.Json;
import dev.orchestrator.core.State;
import dev.orchestrator.core.Stage;
import dev.orchestrator.obs.Metrics;
import dev.orchestrator.plugin.PluginInfo;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
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
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.ParameterType;

/**
 * The router as the application plane of the AWS SaaS Builder Toolkit (sbt-aws): its control plane's
 * requests, shaped as its tenant-registrations function builds them, put on the stack's bus with its
 * source and detail-types; the answers read back in its shapes ({@code {tenantRegistrationId,
 * jobOutput}}) from the bus. The stack is deployed with non-default sbt-aws parameters: a second
 * accepted control-plane source, a second registration variable, another detail-type prefix (requests and answers)
 * and another source for the answers.
 */
class TenantSbtAwsTest {

    static final String CONTROL_PLANE = "sbt.control.plane";
    static final String OTHER_CONTROL_PLANE = "acme.control.plane";
    /** The deployed SbtAwsDetailTypePrefix (default sbt_aws_), as an sbt-aws EventManager given another prefix sends. */
    static final String PREFIX = "acme_sbt_";
    /** The deployed SbtAwsApplicationPlaneSource (default sbt.application.plane): the answers' source. */
    static final String APPLICATION_PLANE = "acme.application.plane";
    static final String DEFAULT_APPLICATION_PLANE = "sbt.application.plane";
    /** The route (log field, TenantRouterHandler.with) of an onboarding request: the default detail-type, whatever the prefix. */
    static final String ROUTE_ONBOARDING = "sbt_aws_onboardingRequest";
    static final String PROVISION = "tenant-sbt-provision";
    static final String DEPROVISION = "tenant-sbt-deprovision";
    static OrchestratorFixture stack;
    static OrchestratorFixture.Tap answers;
    static OrchestratorFixture.Tap defaultSourceAnswers;
    static CodeBuildClient codeBuild;
    static SsmClient ssm;
    static final List<TestPlugin.Started> JOURNAL = new CopyOnWriteArrayList<>();
    static final List<String> METRICS = new CopyOnWriteArrayList<>();
    static final TenantTestSupport.LogCapture LOGS = new TenantTestSupport.LogCapture();

    @BeforeAll
    static void deploy() {
        LOGS.install();
        Metrics.sink(METRICS::add);
        stack = OrchestratorFixture.deploy("sbtaws", List.of("Onboard", "Risky", "Activate", "Deactivate"), Map.of(
                "SbtAwsEventSources", CONTROL_PLANE + "," + OTHER_CONTROL_PLANE,
                "SbtAwsRegistrationVariables", "registrationStatus,portalUrl",
                "SbtAwsDetailTypePrefix", PREFIX, "SbtAwsApplicationPlaneSource", APPLICATION_PLANE));
        answers = stack.tap("sbt-answers", "{\"source\":[\"" + APPLICATION_PLANE + "\"]}");
        defaultSourceAnswers = stack.tap("sbt-default-answers", "{\"source\":[\"" + DEFAULT_APPLICATION_PLANE + "\"]}");
        codeBuild = stack.emulator.client(CodeBuildClient.builder());
        ssm = stack.emulator.client(SsmClient.builder());
        for (String project : List.of(PROVISION, DEPROVISION)) {
            codeBuild.createProject(b -> b.name(project)
                    .source(s -> s.type(SourceType.S3).location("tenant-builds/job.zip").buildspec("version: 0.2\nphases:\n  build:\n    commands: [./job.sh]\n"))
                    .artifacts(a -> a.type(ArtifactsType.NO_ARTIFACTS))
                    .environment(e -> e.type(EnvironmentType.LINUX_CONTAINER).image("aws/codebuild/standard:7.0").computeType(ComputeType.BUILD_GENERAL1_SMALL))
                    .serviceRole("arn:aws:iam::123456789012:role/tenant-builds"));
        }
        String tiers = stack.stack.export("sbtaws-tier-name");
        stack.dynamo.putItem(b -> b.tableName(tiers).item(Map.of("tier", s("basic"), "jobName", s(PROVISION),
                "deprovisioningJobName", s(DEPROVISION), "LOG_LEVEL", s("info"),
                "activities", list("Onboard"), "pluginRegisterTimeout", AttributeValue.fromN("1"),
                "activateActivities", list("Activate"), "deactivateActivities", list("Deactivate"))));
        stack.dynamo.putItem(b -> b.tableName(tiers).item(Map.of("tier", s("fragile"), "jobName", s(PROVISION),
                "activities", list("Risky"), "pluginRegisterTimeout", AttributeValue.fromN("1"))));
        stack.register("Onboard", Stage.PARALLEL, plugin("create-tenant-db"));
        stack.register("Risky", Stage.PARALLEL, plugin("flaky-dns")).failing(true);
        stack.register("Activate", Stage.PARALLEL, plugin("enable-logins"));
        stack.register("Deactivate", Stage.PARALLEL, plugin("suspend-logins"));
    }

    @AfterAll
    static void stop() {
        LOGS.uninstall();
        Metrics.sink(null);
        if (stack != null) {
            stack.close();
        }
    }

    static TestPlugin plugin(String name) {
        return new TestPlugin(stack.pluginEnv(), PluginInfo.builder(name).mandatory(true).build(), JOURNAL);
    }

    static AttributeValue s(String v) {
        return AttributeValue.fromS(v);
    }

    static AttributeValue list(String... values) {
        return AttributeValue.fromL(java.util.Arrays.stream(values).map(AttributeValue::fromS).toList());
    }

    /**
     * An onboardingRequest detail exactly as sbt-aws's tenant-registrations function builds it:
     * tenantRegistrationData | tenantData (with tenantRegistrationId) | {tenantId}.
     */
    static ObjectNode onboarding(String tenantId, String registrationId, String tier, String apiToken) {
        ObjectNode d = Json.object();
        d.put("registrationStatus", "In progress");
        d.put("tenantName", tenantId + " corp");
        d.put("email", "ops@" + tenantId + ".example");
        d.put("tier", tier);
        d.put("apiToken", apiToken);
        d.putArray("prices").addObject().put("id", "price-" + tier).put("metricName", "requests");
        d.put("tenantRegistrationId", registrationId);
        d.put("tenantId", tenantId);
        return d;
    }

    static Predicate<JsonNode> answer(String detailType, String registrationId) {
        return e -> e.path("detail-type").asText().equals(detailType)
                && e.path("detail").path("tenantRegistrationId").asText().equals(registrationId);
    }

    static Map<String, AttributeValue> awaitJob(String tenant, String prefix, int count) {
        stack.awaitCondition(Duration.ofSeconds(30), () -> jobs(tenant, prefix).size() >= count);
        return jobs(tenant, prefix).get(count - 1);
    }

    static List<Map<String, AttributeValue>> jobs(String tenant, String prefix) {
        List<Map<String, AttributeValue>> out = new ArrayList<>(stack.tenantJobs(tenant).stream()
                .filter(j -> j.get("jobId").s().startsWith(prefix)).toList());
        out.sort(java.util.Comparator.comparing(j -> Long.parseLong(j.get("updatedAt").n())));
        return out;
    }

    static List<String> environment(Map<String, AttributeValue> job) {
        List<String> env = new ArrayList<>();
        job.get("environment").l().forEach(v -> env.add(v.m().get("name").s() + "=" + v.m().get("value").s() + "/" + v.m().get("type").s()));
        return env;
    }

    static int builds(String project) {
        return codeBuild.listBuildsForProject(b -> b.projectName(project)).ids().size();
    }

    /** CodeBuild's state change for a finished build, with the variables its buildspec exports. */
    static void buildEnded(String buildId, String project, String status, String failedContext, Map<String, String> exported) {
        StringBuilder vars = new StringBuilder();
        exported.forEach((k, v) -> vars.append(vars.length() == 0 ? "" : ",").append("{\"name\":\"").append(k).append("\",\"value\":\"").append(v).append("\"}"));
        String phases = failedContext == null ? "[{\"phase-type\":\"BUILD\",\"phase-status\":\"SUCCEEDED\"}]"
                : "[{\"phase-type\":\"INSTALL\",\"phase-status\":\"SUCCEEDED\"},{\"phase-type\":\"BUILD\",\"phase-status\":\"FAILED\","
                + "\"phase-context\":[\"" + failedContext + "\"]}]";
        stack.putEventOn("default", "aws.codebuild", "CodeBuild Build State Change", "{\"build-status\":\"" + status
                + "\",\"project-name\":\"" + project + "\",\"build-id\":\"arn:aws:codebuild:us-east-1:123456789012:build/" + buildId
                + "\",\"additional-information\":{\"phases\":" + phases + ",\"exported-environment-variables\":[" + vars + "]}}");
    }

    @Test
    void aTenantsWholeLifeThroughSbtAwsRequestsEndsInEachSuccessAnswer() {
        String tenant = "5d0c0d2e-0000-4000-8000-000000000001";
        String registration = "reg-0001";
        ObjectNode request = onboarding(tenant, registration, "basic", "tok-secret-1");
        // A request under sbt-aws's default prefix, for another tenant: not this stack's prefix, so nothing serves it.
        String unserved = "5d0c0d2e-0000-4000-8000-0000000000ff";
        stack.putEvent(CONTROL_PLANE, "sbt_aws_onboardingRequest", Json.write(onboarding(unserved, "reg-00ff", "basic", "tok-unserved")));
        stack.putEvent(CONTROL_PLANE, PREFIX + "onboardingRequest", Json.write(request));

        // The build gets every detail field under its own name (sbt-aws scripts read $tenantId, $tier),
        // the tier's variables, and the token only as a reference to a SecureString.
        Map<String, AttributeValue> build = awaitJob(tenant, "PROVISIONING#", 1);
        assertThat(build.get("project").s()).isEqualTo(PROVISION);
        String parameter = "/dev/orchestrator/sbtaws/tenants/" + tenant + "/apiToken";
        assertThat(environment(build)).contains("tenantId=" + tenant + "/PLAINTEXT", "tier=basic/PLAINTEXT",
                "tenantRegistrationId=" + registration + "/PLAINTEXT", "tenantName=" + tenant + " corp/PLAINTEXT",
                "registrationStatus=In progress/PLAINTEXT", "LOG_LEVEL=info/PLAINTEXT",
                "prices=[{\"id\":\"price-basic\",\"metricName\":\"requests\"}]/PLAINTEXT",
                "apiToken=" + parameter + "/PARAMETER_STORE", "TENANT_ID=" + tenant + "/PLAINTEXT");
        assertThat(environment(build)).noneMatch(v -> v.contains("tok-secret-1"));
        var stored = ssm.getParameter(b -> b.name(parameter).withDecryption(true)).parameter();
        assertThat(stored.type()).isEqualTo(ParameterType.SECURE_STRING);
        assertThat(stored.value()).isEqualTo("tok-secret-1");

        // The build succeeds: the onboarding workflow runs its plugins, then sbt-aws hears provisionSuccess.
        buildEnded(build.get("buildId").s(), PROVISION, "SUCCEEDED", null, Map.of("tenantS3Bucket", "bucket-0001",
                "registrationStatus", "created", "portalUrl", "https://0001.example.com", "DB_PASSWORD", "exported-secret"));
        JsonNode provisioned = answers.await(answer(PREFIX + "provisionSuccess", registration), Duration.ofSeconds(60));
        assertThat(provisioned.path("source").asText()).isEqualTo(APPLICATION_PLANE);
        // Compared as JSON (members in any order): the build's exported variables come from a Map.of, whose order
        // changes from one JVM to the next.
        assertThat(provisioned.path("detail")).as(Json.write(provisioned.path("detail"))).isEqualTo(Json.parse(
                "{\"tenantRegistrationId\":\"" + registration + "\",\"jobOutput\":{"
                + "\"tenantData\":{\"tenantS3Bucket\":\"bucket-0001\"},"
                + "\"tenantRegistrationData\":{\"registrationStatus\":\"created\",\"portalUrl\":\"https://0001.example.com\"}}}"));
        assertThat(stack.run(tenant, "tenant-onboarding").orElseThrow().status()).isEqualTo(State.COMPLETE);
        assertThat(JOURNAL).anyMatch(s -> s.plugin().equals("create-tenant-db") && s.uid().equals(tenant));

        // The identical request again (EventBridge's at-least-once, or a control plane re-sending): nothing starts.
        int before = builds(PROVISION);
        stack.putEvent(CONTROL_PLANE, PREFIX + "onboardingRequest", Json.write(request));
        LOGS.await(stack, l -> l.path("message").asText().equals("duplicate event ignored: handled already")
                && l.path("route").asText().equals(ROUTE_ONBOARDING) && l.path("tenantId").asText().equals(tenant), Duration.ofSeconds(30));
        assertThat(METRICS).anyMatch(m -> m.contains("\"TenantDuplicateEvents\""));
        assertThat(builds(PROVISION)).isEqualTo(before);
        assertThat(jobs(tenant, "PROVISIONING#")).hasSize(1);

        // Deactivate (from the second accepted control-plane source) and activate: workflows of their own, with plugins.
        ObjectNode lifecycle = Json.object().put("tenantId", tenant).put("tenantRegistrationId", registration).put("tier", "basic");
        stack.putEvent(OTHER_CONTROL_PLANE, PREFIX + "deactivateRequest", Json.write(lifecycle));
        JsonNode deactivated = answers.await(answer(PREFIX + "deactivateSuccess", registration), Duration.ofSeconds(60));
        assertThat(deactivated.path("detail").path("jobOutput").isObject()).isTrue();
        assertThat(JOURNAL).anyMatch(s -> s.plugin().equals("suspend-logins") && s.uid().startsWith(tenant + ".deactivate."));
        stack.putEvent(CONTROL_PLANE, PREFIX + "activateRequest", Json.write(lifecycle));
        answers.await(answer(PREFIX + "activateSuccess", registration), Duration.ofSeconds(60));
        assertThat(JOURNAL).anyMatch(s -> s.plugin().equals("enable-logins") && s.uid().startsWith(tenant + ".activate."));
        stack.awaitCondition(Duration.ofSeconds(10), () -> tenantState(tenant).equals("ACTIVE"));

        // Offboarding: the detail is the tenant item merged with the registration item, as sbt-aws sends it.
        ObjectNode offboarding = Json.object();
        offboarding.put("tenantId", tenant).put("tenantName", tenant + " corp").put("email", "ops@example.com").put("tier", "basic")
                .put("tenantRegistrationId", registration).put("sbtaws_active", false).put("registrationStatus", "created")
                .put("tenantS3Bucket", "bucket-0001");
        stack.putEvent(CONTROL_PLANE, PREFIX + "offboardingRequest", Json.write(offboarding));
        Map<String, AttributeValue> teardown = awaitJob(tenant, "DEPROVISIONING#", 1);
        assertThat(teardown.get("project").s()).isEqualTo(DEPROVISION);
        assertThat(environment(teardown)).contains("tenantS3Bucket=bucket-0001/PLAINTEXT", "sbtaws_active=false/PLAINTEXT");
        buildEnded(teardown.get("buildId").s(), DEPROVISION, "SUCCEEDED", null, Map.of("registrationStatus", "deleted"));
        JsonNode deprovisioned = answers.await(answer(PREFIX + "deprovisionSuccess", registration), Duration.ofSeconds(60));
        assertThat(deprovisioned.path("detail").path("jobOutput").path("tenantRegistrationData").path("registrationStatus").asText())
                .isEqualTo("deleted");

        assertThat(LOGS.raw).as("log lines").noneMatch(l -> l.contains("tok-secret-1") || l.contains("exported-secret"));
        assertThat(answers.seen()).noneMatch(e -> Json.write(e).contains("exported-secret") || Json.write(e).contains("tok-secret-1"));

        // The whole life later: the default-prefix request started nothing and was answered nowhere; no answer
        // went out under sbt-aws's default source or detail-types.
        assertThat(stack.tenantJobs(unserved)).as("jobs of the tenant asked for under the default prefix").isEmpty();
        assertThat(answers.seen()).noneMatch(e -> e.path("detail").path("tenantRegistrationId").asText().equals("reg-00ff"))
                .allMatch(e -> e.path("detail-type").asText().startsWith(PREFIX));
        assertThat(defaultSourceAnswers.seen()).as("events from " + DEFAULT_APPLICATION_PLANE).isEmpty();
    }

    @Test
    void aFailedBuildIsAnsweredWithItsCauseAndTheRequestReSentIsARetry() {
        String tenant = "5d0c0d2e-0000-4000-8000-000000000002";
        String registration = "reg-0002";
        String request = Json.write(onboarding(tenant, registration, "basic", "tok-secret-2"));
        stack.putEvent(CONTROL_PLANE, PREFIX + "onboardingRequest", request);
        String buildId = awaitJob(tenant, "PROVISIONING#", 1).get("buildId").s();
        buildEnded(buildId, PROVISION, "FAILED", "COMMAND_EXECUTION_ERROR: Error while executing command: ./job.sh. Reason: exit status 3", Map.of());

        JsonNode failure = answers.await(answer(PREFIX + "provisionFailure", registration), Duration.ofSeconds(30));
        JsonNode out = failure.path("detail").path("jobOutput");
        assertThat(out.path("tenantStatus").asText()).isEqualTo("Failed to provision tenant.");
        assertThat(out.path("cause").asText()).isEqualTo("build " + buildId
                + " FAILED: BUILD FAILED: COMMAND_EXECUTION_ERROR: Error while executing command: ./job.sh. Reason: exit status 3");
        assertThat(out.path("buildId").asText()).isEqualTo(buildId);
        assertThat(out.path("phase").asText()).isEqualTo("BUILD");
        assertThat(out.path("tenantRegistrationData").path("failureCause").asText()).startsWith("Failed to provision tenant: build " + buildId);
        assertThat(stack.run(tenant, "tenant-onboarding")).isEmpty();

        // The control plane re-sends the same request: a retry, a new build.
        stack.putEvent(CONTROL_PLANE, PREFIX + "onboardingRequest", request);
        String retry = awaitJob(tenant, "PROVISIONING#", 2).get("buildId").s();
        assertThat(retry).isNotEqualTo(buildId);
        assertThat(LOGS.raw).noneMatch(l -> l.contains("tok-secret-2"));
    }

    @Test
    void aFailedOnboardingPluginIsAnsweredNamingIt() {
        String tenant = "5d0c0d2e-0000-4000-8000-000000000003";
        String registration = "reg-0003";
        stack.putEvent(CONTROL_PLANE, PREFIX + "onboardingRequest", Json.write(onboarding(tenant, registration, "fragile", "tok-secret-3")));
        String buildId = awaitJob(tenant, "PROVISIONING#", 1).get("buildId").s();
        buildEnded(buildId, PROVISION, "SUCCEEDED", null, Map.of("tenantS3Bucket", "bucket-0003"));

        JsonNode failure = answers.await(answer(PREFIX + "provisionFailure", registration), Duration.ofSeconds(60));
        JsonNode out = failure.path("detail").path("jobOutput");
        assertThat(out.path("workflow").asText()).isEqualTo("tenant-onboarding");
        assertThat(out.path("activity").asText()).isEqualTo("Risky");
        assertThat(out.path("plugin").asText()).isEqualTo("flaky-dns");
        assertThat(out.path("cause").asText()).startsWith("workflow tenant-onboarding ended Error: activity Risky failed:")
                .contains("flaky-dns failed on purpose");
        assertThat(answers.seen()).noneMatch(answer(PREFIX + "provisionSuccess", registration));
    }

    static String tenantState(String tenant) {
        return stack.tenantJobs(tenant).stream().filter(j -> j.get("jobId").s().equals("TENANT")).map(j -> j.get("status").s())
                .findFirst().orElse("none");
    }
}
