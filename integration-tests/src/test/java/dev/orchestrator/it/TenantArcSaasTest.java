package dev.orchestrator.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.orchestrator.core.Json;
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
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.ssm.SsmClient;
import software.amazon.awssdk.services.ssm.model.ParameterType;

/**
 * arc-saas's tenant events, as its tenant-management service and connectors publish them, through
 * the stack deployed with arc-saas's sources accepted (a non-default TenantEventSources): each shape
 * starts a build with the expected overrides, its secret reaches CodeBuild only as a Parameter Store
 * reference to a SecureString, and the tenant reaches DEPLOYED through its workflow.
 */
class TenantArcSaasTest {

    static final String SOURCES = "ARC-SAAS,CONTROL-PLANE,TenantManagementService,saas.tenant.provisioning.success.handler";
    static final String PROJECT = "tenant-arc-premium";
    /** The stack's TenantWorkflowName (default tenant-onboarding): the tier item names no workflow, so deployments run this one. */
    static final String WORKFLOW = "acme-onboarding";
    static OrchestratorFixture stack;
    static OrchestratorFixture.Tap tenantEvents;
    static CodeBuildClient codeBuild;
    static SsmClient ssm;
    static final TenantTestSupport.LogCapture LOGS = new TenantTestSupport.LogCapture();

    @BeforeAll
    static void deploy() {
        LOGS.install();
        stack = OrchestratorFixture.deploy("arcsaas", List.of("Onboard"), Map.of("TenantEventSources", SOURCES,
                "TenantWorkflowName", WORKFLOW));
        tenantEvents = stack.tap("tenant-events", "{\"source\":[\"orchestrator.tenant\"]}");
        codeBuild = stack.emulator.client(CodeBuildClient.builder());
        ssm = stack.emulator.client(SsmClient.builder());
        codeBuild.createProject(b -> b.name(PROJECT)
                .source(s -> s.type(SourceType.S3).location("tenant-builds/provision.zip").buildspec("version: 0.2\nphases:\n  build:\n    commands: [./provision.sh]\n"))
                .artifacts(a -> a.type(ArtifactsType.NO_ARTIFACTS))
                .environment(e -> e.type(EnvironmentType.LINUX_CONTAINER).image("aws/codebuild/standard:7.0").computeType(ComputeType.BUILD_GENERAL1_SMALL))
                .serviceRole("arn:aws:iam::123456789012:role/tenant-builds"));
        // A tier item as arc-saas keeps it: hash key tier, jobName, and build variables, numbers included.
        stack.dynamo.putItem(b -> b.tableName(stack.stack.export("arcsaas-tier-name")).item(Map.of(
                "tier", s("PREMIUM"), "jobName", s(PROJECT),
                "DB_INSTANCE_COUNT", AttributeValue.fromN("2"), "MAX_USERS", AttributeValue.fromN("500"),
                "ACCESS_TOKEN_EXPIRATION", AttributeValue.fromN("3600"), "SSO", AttributeValue.fromBool(true),
                "activities", AttributeValue.fromL(List.of(s("Onboard"))), "pluginRegisterTimeout", AttributeValue.fromN("1"))));
    }

    @AfterAll
    static void stop() {
        LOGS.uninstall();
        if (stack != null) {
            stack.close();
        }
    }

    static AttributeValue s(String v) {
        return AttributeValue.fromS(v);
    }

    static ObjectNode tenant(String id, String key) {
        ObjectNode t = Json.object();
        t.put("id", id);
        t.put("key", key);
        t.put("name", key + " corp");
        t.putArray("contacts").addObject().put("email", "admin@" + key + ".example").put("isPrimary", true);
        t.putObject("address").put("city", "Springfield").put("country", "US");
        return t;
    }

    /** arc-saas's provisioning payload: tenant, planConfig, builderConfig (secret plain, numbers as numbers). */
    static ObjectNode payload(String id, String key, String secret) {
        ObjectNode d = Json.object();
        ObjectNode tenant = tenant(id, key);
        d.set("tenant", tenant);
        d.putObject("planConfig").put("tier", "PREMIUM").put("size", "LARGE").putObject("sizeConfig").put("maxUsers", 500);
        ObjectNode env = d.putObject("builderConfig").put("type", "CODE_BUILD").putObject("config").putObject("environmentOverride");
        env.put("tenant", Json.write(tenant));
        env.put("secret", secret);
        env.put("context", "{\"contactId\":\"c-" + key + "\"}");
        env.put("MAX_USERS", 750);
        env.put("ACCESS_TOKEN_EXPIRATION", 7200);
        return d;
    }

    /** The message-bus connector's detail: {type, data}. */
    static ObjectNode wrapped(String type, ObjectNode data) {
        ObjectNode d = Json.object();
        d.put("type", type);
        d.set("data", data);
        return d;
    }

    static String bus() {
        return stack.stack.export("arcsaas-event-bus");
    }

    static List<Map<String, AttributeValue>> jobs(String tenant) {
        return stack.tenantJobs(tenant);
    }

    static Map<String, AttributeValue> awaitBuildJob(String tenant) {
        return stack.awaitProvisioningJob(tenant);
    }

    static String tenantState(String tenant) {
        return jobs(tenant).stream().filter(j -> j.get("jobId").s().equals("TENANT")).map(j -> j.get("status").s()).findFirst().orElse("none");
    }

    static List<String> environment(Map<String, AttributeValue> job) {
        List<String> env = new ArrayList<>();
        job.get("environment").l().forEach(v -> env.add(v.m().get("name").s() + "=" + v.m().get("value").s() + "/" + v.m().get("type").s()));
        return env;
    }

    static Predicate<JsonNode> event(String detailType, String tenant) {
        return e -> e.path("detail-type").asText().equals(detailType) && e.path("detail").path("tenantId").asText().equals(tenant);
    }

    /** CodeBuild's state change for a finished build, with the variables its buildspec exports. */
    static void buildSucceeded(String buildId, String apiEndpoint) {
        stack.putEventOn("default", "aws.codebuild", "CodeBuild Build State Change", "{\"build-status\":\"SUCCEEDED\",\"project-name\":\""
                + PROJECT + "\",\"build-id\":\"arn:aws:codebuild:us-east-1:123456789012:build/" + buildId + "\",\"additional-information\":"
                + "{\"phases\":[{\"phase-type\":\"BUILD\",\"phase-status\":\"SUCCEEDED\"}],\"exported-environment-variables\":["
                + "{\"name\":\"API_ENDPOINT\",\"value\":\"" + apiEndpoint + "\"},{\"name\":\"secret\",\"value\":\"exported-secret\"}]}}");
    }

    /** Asserts what the build was given and that the secret is a SecureString only CodeBuild resolves. */
    static void assertBuildGot(String tenantId, String secret) {
        Map<String, AttributeValue> job = awaitBuildJob(tenantId);
        assertThat(job.get("project").s()).isEqualTo(PROJECT);
        String parameter = "/dev/orchestrator/arcsaas/tenants/" + tenantId + "/secret";
        assertThat(environment(job)).contains(
                "DB_INSTANCE_COUNT=2/PLAINTEXT", "SSO=true/PLAINTEXT",               // tier item, numbers and booleans as strings
                "MAX_USERS=750/PLAINTEXT", "ACCESS_TOKEN_EXPIRATION=7200/PLAINTEXT", // the event wins; not a secret
                "secret=" + parameter + "/PARAMETER_STORE",
                "TENANT_ID=" + tenantId + "/PLAINTEXT", "TIER=PREMIUM/PLAINTEXT");
        assertThat(environment(job)).anyMatch(v -> v.startsWith("tenant={") && v.endsWith("/PLAINTEXT"));
        assertThat(environment(job)).noneMatch(v -> v.contains(secret));
        var stored = ssm.getParameter(b -> b.name(parameter).withDecryption(true)).parameter();
        assertThat(stored.type()).isEqualTo(ParameterType.SECURE_STRING);
        assertThat(stored.value()).isEqualTo(secret);
        assertThat(codeBuild.batchGetBuilds(b -> b.ids(job.get("buildId").s())).builds()).hasSize(1);
    }

    /** From the build's success to DEPLOYED through the tenant's workflow, with arc-saas's fields on the way. */
    static void assertDeploys(String tenantId, String key) {
        String buildId = awaitBuildJob(tenantId).get("buildId").s();
        buildSucceeded(buildId, "https://" + key + ".example.com/api");
        JsonNode success = tenantEvents.await(event("TENANT_PROVISIONING_SUCCESS", tenantId), Duration.ofSeconds(120));
        assertThat(Json.parse(success.path("detail").path("tenant").asText()).path("key").asText()).isEqualTo(key);
        assertThat(success.path("detail").path("API_ENDPOINT").asText()).isEqualTo("https://" + key + ".example.com/api");
        assertThat(success.path("detail").has("secret")).as("secrets never travel in events").isFalse();
        assertThat(success.path("detail").path("redacted").toString()).contains("secret");
        JsonNode deployed = tenantEvents.await(event("TENANT_DEPLOYMENT_SUCCESS", tenantId), Duration.ofSeconds(120));
        assertThat(deployed.path("detail").path("API_ENDPOINT").asText()).isEqualTo("https://" + key + ".example.com/api");
        assertThat(deployed.path("detail").path("tenant").asText()).contains("\"key\":\"" + key + "\"");
        assertThat(deployed.path("detail").path("workflow").asText()).isEqualTo(WORKFLOW);
        stack.awaitCondition(Duration.ofSeconds(120), () -> tenantState(tenantId).equals("DEPLOYED"));
        assertDeployedBy(tenantId);
    }

    /** The tenant's deployment ran the stack's TenantWorkflowName, to completion, and no run of the default name exists. */
    static void assertDeployedBy(String tenantId) {
        WorkflowRun run = stack.run(tenantId, WORKFLOW).orElseThrow(() -> new AssertionError("no " + WORKFLOW + " run of " + tenantId));
        assertThat(run.status()).isEqualTo(State.COMPLETE);
        assertThat(run.metadata().get("tenantId").asText()).isEqualTo(tenantId);
        assertThat(stack.run(tenantId, "tenant-onboarding")).as("a run of the default workflow name").isEmpty();
    }

    static String eventJson(String source, String detailType, JsonNode detail) {
        ObjectNode e = Json.object();
        e.put("version", "0");
        e.put("id", java.util.UUID.randomUUID().toString());
        if (detailType != null) {
            e.put("detail-type", detailType);
        }
        e.put("source", source);
        e.set("detail", detail);
        return Json.write(e);
    }

    @Test
    void everyArcSaasShapeProvisionsAndDeploysWithItsSecretOnlyInParameterStore() {
        // Connector shape with detail-type, on the bus.
        stack.putEvent("ARC-SAAS", "TENANT_PROVISIONING", Json.write(wrapped("TENANT_PROVISIONING", payload("t-conn-dt", "conndt", "s1-conn-dt"))));
        // Direct shape (TenantManagementService's own publisher), on the bus.
        ObjectNode direct = payload("t-direct", "direct", "s2-direct");
        direct.putObject("appConfig").put("preferredSubdomain", "direct");
        stack.putEvent("TenantManagementService", "TENANT_PROVISIONING", Json.write(direct));
        // The connector's default source, with a detail-type that names no tenant event: routed by detail.type.
        stack.putEvent("CONTROL-PLANE", "ARC-SAAS event", Json.write(wrapped("TENANT_PROVISIONING", payload("t-default-src", "defsrc", "s3-default"))));
        // Connector shape without detail-type: EventBridge refuses such an entry (PutEvents needs
        // Source, DetailType and Detail), so it reaches the router only by another path; invoked directly here.
        var refused = stack.emulator.client(EventBridgeClient.builder()).putEvents(b -> b.entries(e -> e.eventBusName(bus())
                .source("ARC-SAAS").detail(Json.write(wrapped("TENANT_PROVISIONING", payload("t-none", "none", "x"))))));
        assertThat(refused.failedEntryCount()).isEqualTo(1);
        String answer = stack.runtime.invoke("TenantRouterFunction",
                eventJson("ARC-SAAS", null, wrapped("TENANT_PROVISIONING", payload("t-conn-nodt", "connnodt", "s4-conn-nodt"))));
        assertThat(answer).contains("handled");

        assertBuildGot("t-conn-dt", "s1-conn-dt");
        assertBuildGot("t-direct", "s2-direct");
        assertBuildGot("t-default-src", "s3-default");
        assertBuildGot("t-conn-nodt", "s4-conn-nodt");
        assertDeploys("t-conn-dt", "conndt");
        assertDeploys("t-direct", "direct");
        assertDeploys("t-default-src", "defsrc");
        assertDeploys("t-conn-nodt", "connnodt");

        // One decision line per step, with the tenant as correlation key; no secret in any line.
        assertThat(LOGS.lines).anyMatch(TenantTestSupport.LogCapture.message("build started", "tenantId", "t-direct"));
        assertThat(LOGS.lines).anyMatch(l -> l.path("message").asText().equals("secret stored") && l.path("tenantId").asText().equals("t-direct")
                && l.path("parameter").asText().equals("/dev/orchestrator/arcsaas/tenants/t-direct/secret"));
        for (String secret : List.of("s1-conn-dt", "s2-direct", "s3-default", "s4-conn-nodt", "exported-secret")) {
            assertThat(LOGS.raw).as("log lines").noneMatch(l -> l.contains(secret));
        }
    }

    @Test
    void arcSaasOwnDeploymentEventDeploysTheTenantItProvisioned() {
        stack.putEvent("TenantManagementService", "TENANT_PROVISIONING", Json.write(payload("t-own-deploy", "owndeploy", "s5-own")));
        awaitBuildJob("t-own-deploy");
        // arc-saas's success handler announces the deployment itself: outputs flat, tenant as a JSON string, no tier.
        ObjectNode flat = Json.object();
        flat.put("tenant", Json.write(tenant("t-own-deploy", "owndeploy")));
        flat.put("secret", "s5-own");
        flat.put("context", "{}");
        flat.put("API_ENDPOINT", "https://owndeploy.example.com/api");
        stack.putEvent("saas.tenant.provisioning.success.handler", "TENANT_DEPLOYMENT", Json.write(flat));
        JsonNode deployed = tenantEvents.await(event("TENANT_DEPLOYMENT_SUCCESS", "t-own-deploy"), Duration.ofSeconds(120));
        assertThat(deployed.path("detail").path("tier").asText()).isEqualTo("PREMIUM");
        assertThat(deployed.path("detail").path("API_ENDPOINT").asText()).isEqualTo("https://owndeploy.example.com/api");
        assertThat(deployed.path("detail").has("secret")).isFalse();
        assertThat(deployed.path("detail").path("workflow").asText()).isEqualTo(WORKFLOW);
        stack.awaitCondition(Duration.ofSeconds(120), () -> tenantState("t-own-deploy").equals("DEPLOYED"));
        assertDeployedBy("t-own-deploy");
        assertThat(LOGS.raw).noneMatch(l -> l.contains("s5-own"));
    }

    @Test
    void badVariantsOfEveryShapeAreDeadLetteredWithAnErrorNamingTheField() {
        // without detail-type (direct invoke): the caller gets the error
        ObjectNode noId = payload("x", "noid", "s-bad-1");
        ((ObjectNode) noId.get("tenant")).remove("id");
        ((ObjectNode) noId.get("tenant")).remove("key");
        assertThatThrownBy(() -> stack.runtime.invoke("TenantRouterFunction", eventJson("ARC-SAAS", null, wrapped("TENANT_PROVISIONING", noId))))
                .hasMessageContaining("detail.tenant.id (or tenant.key) is required");
        // connector shape with detail-type: no tier
        ObjectNode noTier = payload("t-bad-tier", "badtier", "s-bad-2");
        ((ObjectNode) noTier.get("planConfig")).remove("tier");
        stack.putEvent("ARC-SAAS", "TENANT_PROVISIONING", Json.write(wrapped("TENANT_PROVISIONING", noTier)));
        // direct shape: a builder we do not run
        ObjectNode jenkins = payload("t-bad-jenkins", "badjenkins", "s-bad-3");
        ((ObjectNode) jenkins.get("builderConfig")).put("type", "JENKINS");
        stack.putEvent("TenantManagementService", "TENANT_PROVISIONING", Json.write(jenkins));
        // default connector source: data is not an object
        ObjectNode badData = Json.object().put("type", "TENANT_PROVISIONING").put("data", "not an object");
        stack.putEvent("CONTROL-PLANE", "ARC-SAAS event", Json.write(badData));

        List<JsonNode> dead = TenantTestSupport.deadLetters(stack, 3, Duration.ofSeconds(120));
        assertThat(dead).hasSize(3);
        assertThat(dead).anyMatch(e -> e.path("detail").path("data").path("tenant").path("id").asText().equals("t-bad-tier"));
        assertThat(dead).anyMatch(e -> e.path("detail").path("tenant").path("id").asText().equals("t-bad-jenkins"));
        assertThat(dead).anyMatch(e -> e.path("detail").path("data").asText().equals("not an object"));
        for (String reason : List.of("detail.planConfig.tier is required", "detail.builderConfig.type 'JENKINS' is not supported",
                "detail.data must be a JSON object")) {
            assertThat(LOGS.lines).as(reason).anyMatch(l -> l.path("message").asText().equals("message refused")
                    && l.path("reason").asText().contains(reason));
        }
        for (String t : List.of("t-bad-tier", "t-bad-jenkins")) {
            assertThat(jobs(t)).as("nothing recorded for " + t).isEmpty();
        }
        assertThat(LOGS.raw).noneMatch(l -> l.contains("s-bad-"));
    }
}
