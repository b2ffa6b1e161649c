package dev.orchestrator.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.amazonaws.services.lambda.runtime.ClientContext;
import com.amazonaws.services.lambda.runtime.CognitoIdentity;
import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.LambdaLogger;
import com.fasterxml.jackson.databind.JsonNode;
import dev.orchestrator.core.State;
import dev.orchestrator.core.WorkflowRun;
import dev.orchestrator.tenant.TenantRouterHandler;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
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
    static final TenantTestSupport.LogCapture LOGS = new TenantTestSupport.LogCapture();
    static final List<String> METRICS = new java.util.concurrent.CopyOnWriteArrayList<>();

    @BeforeAll
    static void deploy() {
        stack = OrchestratorFixture.deploy("tenants", List.of("Onboard", "Configure"));
        tenantEvents = stack.tap("tenant-events", "{\"source\":[\"orchestrator.tenant\"]}");
        codeBuild = stack.emulator.client(CodeBuildClient.builder());
        LOGS.install();
        dev.orchestrator.obs.Metrics.sink(line -> {
            METRICS.add(line);
            System.out.println(line);
        });
        for (String project : List.of("tenant-premium-provision", "tenant-premium-deprovision", "tenant-dup-provision", "tenant-lease-provision",
                "tenant-crashdup-provision")) {
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
        putTier(Map.of("tier", s("crashdup"), "jobName", s("tenant-crashdup-provision"), "workflow", s("crashdup-onboarding"),
                "activities", AttributeValue.fromL(List.of(s("Onboard"))), "pluginRegisterTimeout", AttributeValue.fromN("1")));
        putTier(Map.of("tier", s("lease"), "jobName", s("tenant-lease-provision"), "workflow", s("lease-onboarding"),
                "activities", AttributeValue.fromL(List.of(s("Onboard"))), "pluginRegisterTimeout", AttributeValue.fromN("1")));
    }

    @AfterAll
    static void stop() {
        LOGS.uninstall();
        dev.orchestrator.obs.Metrics.sink(null);
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
                + "\"overrides\":{\"REGION\":\"eu-west-1\",\"ACCESS_TOKEN_EXPIRATION\":3600,\"API_TOKEN\":{\"secretsManager\":\"tenants/" + tenant + "/api\"}}}}";
    }

    static List<Map<String, AttributeValue>> jobs(String tenant) {
        return stack.tenantJobs(tenant);
    }

    static Map<String, AttributeValue> awaitBuildJob(String tenant) {
        return stack.awaitProvisioningJob(tenant);
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
                "ACCESS_TOKEN_EXPIRATION=3600/PLAINTEXT", // a number of seconds, not a secret
                "SIZE=large/PLAINTEXT",                  // from the tier item
                "DB_PASSWORD=/tiers/premium/db/PARAMETER_STORE",
                "API_TOKEN=tenants/acme/api/SECRETS_MANAGER",
                "TENANT_ID=acme/PLAINTEXT", "TIER=premium/PLAINTEXT");

        stack.putEventOn("default", "aws.codebuild", "CodeBuild Build State Change",
                stateChange(buildId, "tenant-premium-provision", "SUCCEEDED", null));
        JsonNode provisioned = tenantEvents.await(event("TENANT_PROVISIONING_SUCCESS", "acme"), Duration.ofSeconds(120));
        assertThat(provisioned.path("detail").path("buildId").asText()).isEqualTo(buildId);
        tenantEvents.await(event("TENANT_DEPLOYMENT", "acme"), Duration.ofSeconds(120));
        JsonNode deployed = tenantEvents.await(event("TENANT_DEPLOYMENT_SUCCESS", "acme"), Duration.ofSeconds(120));
        assertThat(deployed.path("detail").path("status").asText()).isEqualTo("Complete");

        WorkflowRun run = stack.run("acme", "tenant-onboarding").orElseThrow();
        assertThat(run.status()).isEqualTo(State.COMPLETE);
        assertThat(run.activityOrder()).containsExactly("Onboard", "Configure");
        assertThat(run.metadata().get("tenantId").asText()).isEqualTo("acme");
        stack.awaitCondition(Duration.ofSeconds(120), () -> tenantState("acme").equals("DEPLOYED"));
    }

    @Test
    void aFailedBuildReportsItsCauseAndDeploysNothing() {
        stack.putEvent(SOURCE, "TENANT_PROVISIONING", provisioning("globex", "premium", "CODE_BUILD"));
        String buildId = awaitBuildJob("globex").get("buildId").s();
        stack.putEventOn("default", "aws.codebuild", "CodeBuild Build State Change",
                stateChange(buildId, "tenant-premium-provision", "FAILED", "COMMAND_EXECUTION_ERROR: ./provision.sh exit status 1"));
        JsonNode failure = tenantEvents.await(event("TENANT_PROVISIONING_FAILURE", "globex"), Duration.ofSeconds(120));
        assertThat(failure.path("detail").path("cause").asText()).isEqualTo("BUILD FAILED: COMMAND_EXECUTION_ERROR: ./provision.sh exit status 1");
        assertThat(failure.path("detail").path("buildId").asText()).isEqualTo(buildId);
        stack.awaitCondition(Duration.ofSeconds(120), () -> tenantState("globex").equals("PROVISIONING_FAILED"));
        assertThat(tenantEvents.seen()).noneMatch(event("TENANT_DEPLOYMENT", "globex"));
        assertThat(stack.run("globex", "tenant-onboarding")).isEmpty();
        assertThat(LOGS.lines).anyMatch(TenantTestSupport.LogCapture.message(
                "build failed; an identical event re-sent will start a new build", "tenantId", "globex"));

        // The producer re-sends the identical event after the failure: it is a retry, not a duplicate.
        int before = builds("tenant-premium-provision");
        stack.putEvent(SOURCE, "TENANT_PROVISIONING", provisioning("globex", "premium", "CODE_BUILD"));
        stack.awaitCondition(Duration.ofSeconds(120), () -> jobs("globex").stream().filter(j -> j.get("jobId").s().startsWith("PROVISIONING#")).count() == 2);
        assertThat(builds("tenant-premium-provision")).isEqualTo(before + 1);
        assertThat(tenantState("globex")).isEqualTo("PROVISIONING");
    }

    @Test
    void theSameProvisioningEventTwiceStartsOneBuild() {
        String detail = provisioning("initech", "dup", "CODE_BUILD");
        stack.putEvent(SOURCE, "TENANT_PROVISIONING", detail);
        awaitBuildJob("initech");
        stack.putEvent(SOURCE, "TENANT_PROVISIONING", detail);
        // The second copy is delivered and recognised as a duplicate: a log line and a metric, no failure.
        LOGS.await(stack, TenantTestSupport.LogCapture.message("duplicate event ignored: handled already", "eventKey",
                keyOf("TENANT_PROVISIONING", detail)), Duration.ofSeconds(120));
        assertThat(builds("tenant-dup-provision")).isEqualTo(1);
        assertThat(jobs("initech").stream().filter(j -> j.get("jobId").s().startsWith("PROVISIONING#"))).hasSize(1);
    }

    static String keyOf(String detailType, String detail) {
        return dev.orchestrator.tenant.TenantEvent.parse(dev.orchestrator.core.Json.parse("{\"id\":\"any\",\"source\":\"" + SOURCE
                + "\",\"detail-type\":\"" + detailType + "\",\"detail\":" + detail + "}")).idempotencyKey();
    }

    static long logLines(String message, String eventKey) {
        return LOGS.lines.stream().filter(TenantTestSupport.LogCapture.message(message, "eventKey", eventKey)).count();
    }

    @Test
    void threeCopiesOfAnEventAtOnceAreOneHandlingAndTwoCountedDuplicatesNotFailures() throws Exception {
        // Three router invocations receive the same event at the same moment (the handler is slow
        // enough that the two losers find the winner's claim live): the race is certain, not hoped for.
        Map<String, String> env = new LinkedHashMap<>(stack.stack.function("TenantRouterFunction").environment());
        env.putAll(stack.emulator.clientEnvironment());
        java.util.concurrent.atomic.AtomicInteger handled = new java.util.concurrent.atomic.AtomicInteger();
        TenantRouterHandler router = new TenantRouterHandler(env).with("TENANT_PROVISIONING", e -> {
            handled.incrementAndGet();
            try {
                Thread.sleep(1500);
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
            }
        });
        String detail = provisioning("wayne", "dup", "CODE_BUILD");
        String key = keyOf("TENANT_PROVISIONING", detail);
        String event = "{\"id\":\"race\",\"source\":\"" + SOURCE + "\",\"detail-type\":\"TENANT_PROVISIONING\",\"detail\":" + detail + "}";
        long duplicatesBefore = METRICS.stream().filter(l -> l.contains("\"TenantDuplicateEvents\"")).count();
        var start = new java.util.concurrent.CountDownLatch(1);
        var pool = java.util.concurrent.Executors.newFixedThreadPool(3);
        List<java.util.concurrent.Future<String>> answers = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            answers.add(pool.submit(() -> {
                start.await();
                var out = new ByteArrayOutputStream();
                router.handleRequest(new ByteArrayInputStream(event.getBytes(StandardCharsets.UTF_8)), out, new FixedContext(60_000));
                return out.toString(StandardCharsets.UTF_8);
            }));
        }
        start.countDown();
        List<String> results = new ArrayList<>();
        for (var a : answers) {
            results.add(a.get(120, java.util.concurrent.TimeUnit.SECONDS)); // a Lambda failure would throw here
        }
        pool.shutdown();
        assertThat(handled.get()).isEqualTo(1);
        assertThat(results).filteredOn(r -> r.contains("\"duplicate\":true")).hasSize(2);
        assertThat(results).filteredOn(r -> r.contains("\"handled\":true")).hasSize(1);
        assertThat(logLines("duplicate event: another invocation is handling it; waiting for it to finish or its claim to expire", key))
                .isEqualTo(2);
        assertThat(logLines("duplicate event ignored: handled already", key)).isEqualTo(2);
        assertThat(METRICS.stream().filter(l -> l.contains("\"TenantDuplicateEvents\"")).count() - duplicatesBefore).isEqualTo(2);
        assertThat(logLines("event still held by another invocation; failing so Lambda retries it after the claim expires", key)).isZero();
    }

    @Test
    void aCopyArrivingWhileTheWinnerDiedHoldingTheClaimIsHandledOnceTheClaimExpires() throws Exception {
        Map<String, String> env = new LinkedHashMap<>(stack.stack.function("TenantRouterFunction").environment());
        env.putAll(stack.emulator.clientEnvironment());
        TenantRouterHandler dying = new TenantRouterHandler(env).with("TENANT_PROVISIONING", e -> {
            throw new OutOfMemoryError("simulated: the invocation dies after its claim");
        });
        String detail = provisioning("stark", "crashdup", "CODE_BUILD");
        String key = keyOf("TENANT_PROVISIONING", detail);
        String event = "{\"id\":\"crash-2\",\"source\":\"" + SOURCE + "\",\"detail-type\":\"TENANT_PROVISIONING\",\"detail\":" + detail + "}";
        assertThatThrownBy(() -> dying.handleRequest(new ByteArrayInputStream(event.getBytes(StandardCharsets.UTF_8)),
                new ByteArrayOutputStream(), new FixedContext(3_000))).isInstanceOf(OutOfMemoryError.class);
        // A copy arrives through the bus while the dead invocation's claim still stands.
        stack.putEvent(SOURCE, "TENANT_PROVISIONING", detail);
        assertThat(awaitBuildJob("stark").get("project").s()).isEqualTo("tenant-crashdup-provision");
        assertThat(builds("tenant-crashdup-provision")).isEqualTo(1);
        LOGS.await(stack, TenantTestSupport.LogCapture.message(
                "the other invocation's claim expired before it finished; handling the event here", "eventKey", key), Duration.ofSeconds(120));
        assertThat(logLines("event still held by another invocation; failing so Lambda retries it after the claim expires", key)).isZero();
    }

    @Test
    void aRunThatIsNotATenantDeploymentLeavesTenantStateAlone() {
        // A run that names no tenant: its outcome does not even reach the router (the rule asks for
        // metadata.tenantId). It ends first, so its event would be delivered before the next two.
        stack.start("{\"uid\":\"plain-9\",\"workflow\":\"fulfilment\",\"activities\":[\"Onboard\"],"
                + "\"metadata\":{\"tier\":\"premium\"},\"pluginRegisterTimeout\":1}");
        assertThat(stack.awaitEnd("plain-9", "fulfilment", Duration.ofSeconds(120)).status()).isEqualTo(State.COMPLETE);
        // Runs someone else started, carrying tenantId in their metadata: one for a tenant never
        // provisioned, one whose uid even equals a tenant id but which the router did not start.
        stack.start("{\"uid\":\"order-77\",\"workflow\":\"fulfilment\",\"activities\":[\"Onboard\"],"
                + "\"metadata\":{\"tenantId\":\"umbrella\",\"tier\":\"premium\"},\"pluginRegisterTimeout\":1}");
        stack.start("{\"uid\":\"umbrella\",\"workflow\":\"fulfilment\",\"activities\":[\"Onboard\"],"
                + "\"metadata\":{\"tenantId\":\"umbrella\"},\"pluginRegisterTimeout\":1}");
        assertThat(stack.awaitEnd("order-77", "fulfilment", Duration.ofSeconds(120)).status()).isEqualTo(State.COMPLETE);
        assertThat(stack.awaitEnd("umbrella", "fulfilment", Duration.ofSeconds(120)).status()).isEqualTo(State.COMPLETE);
        // The router saw both outcomes and said why it left them alone.
        LOGS.await(stack, TenantTestSupport.LogCapture.message("workflow outcome ignored: not a tenant deployment run", "uid", "order-77"),
                Duration.ofSeconds(120));
        LOGS.await(stack, TenantTestSupport.LogCapture.message("workflow outcome ignored: not a tenant deployment run", "uid", "umbrella"),
                Duration.ofSeconds(120));
        assertThat(LOGS.lines).as("router lines about plain-9")
                .noneMatch(TenantTestSupport.LogCapture.message("workflow outcome ignored: not a tenant deployment run", "uid", "plain-9"));
        assertThat(tenantState("umbrella")).isEqualTo("none");
        assertThat(jobs("umbrella")).isEmpty();
        assertThat(tenantEvents.seen()).noneMatch(e -> e.path("detail").path("tenantId").asText().equals("umbrella"));
    }

    @Test
    void aClaimLeftByACrashedInvocationExpiresWithTheInvocationNotInSevenDays() throws Exception {
        // The router dies between claiming the event and releasing it (an OOM, a timeout).
        Map<String, String> env = new LinkedHashMap<>(stack.stack.function("TenantRouterFunction").environment());
        env.putAll(stack.emulator.clientEnvironment());
        TenantRouterHandler dying = new TenantRouterHandler(env).with("TENANT_PROVISIONING", e -> {
            throw new OutOfMemoryError("simulated: the invocation dies after its claim");
        });
        String detail = provisioning("hooli", "lease", "CODE_BUILD");
        String event = "{\"id\":\"crash-1\",\"source\":\"" + SOURCE + "\",\"detail-type\":\"TENANT_PROVISIONING\",\"detail\":" + detail + "}";
        long before = System.currentTimeMillis();
        assertThatThrownBy(() -> dying.handleRequest(new ByteArrayInputStream(event.getBytes(StandardCharsets.UTF_8)),
                new ByteArrayOutputStream(), new FixedContext(2_000))).isInstanceOf(OutOfMemoryError.class);
        String processed = stack.stack.physicalId("ProcessedEventsTable");
        String key = dev.orchestrator.tenant.TenantEvent.parse(dev.orchestrator.core.Json.parse(event)).idempotencyKey();
        List<Map<String, AttributeValue>> claims = List.of(stack.dynamo.getItem(b -> b.tableName(processed).consistentRead(true)
                .key(Map.of("eventKey", s(key)))).item());
        assertThat(claims.get(0).get("status").s()).isEqualTo("in-progress");
        long expiresAt = Long.parseLong(claims.get(0).get("expiresAt").n());
        assertThat(expiresAt * 1000 - before).as("the claim lives as long as the invocation could, not 7 days").isBetween(2_000L, 5_000L);

        // Once that time has passed, the same event (put again by the producer) is handled.
        stack.awaitCondition(Duration.ofSeconds(120), () -> System.currentTimeMillis() > expiresAt * 1000 + 100);
        stack.putEvent(SOURCE, "TENANT_PROVISIONING", detail);
        assertThat(awaitBuildJob("hooli").get("project").s()).isEqualTo("tenant-lease-provision");
        assertThat(builds("tenant-lease-provision")).isEqualTo(1);
        // Completed, the key is kept for days so a re-delivery is still recognised.
        stack.awaitCondition(Duration.ofSeconds(120), () -> stack.dynamo.getItem(b -> b.tableName(processed).consistentRead(true)
                .key(Map.of("eventKey", claims.get(0).get("eventKey")))).item().get("status").s().equals("done"));
        long doneExpiry = Long.parseLong(stack.dynamo.getItem(b -> b.tableName(processed).consistentRead(true)
                .key(Map.of("eventKey", claims.get(0).get("eventKey")))).item().get("expiresAt").n());
        assertThat(doneExpiry - System.currentTimeMillis() / 1000).isGreaterThan(6 * 24 * 3600L);
    }

    /** A Lambda context with a fixed remaining time. */
    record FixedContext(int remainingMillis) implements Context {
        public String getAwsRequestId() { return "fixed"; }
        public String getLogGroupName() { return "/aws/lambda/tenant"; }
        public String getLogStreamName() { return "fixed"; }
        public String getFunctionName() { return "tenant"; }
        public String getFunctionVersion() { return "$LATEST"; }
        public String getInvokedFunctionArn() { return "arn:aws:lambda:us-east-1:123456789012:function:tenant"; }
        public CognitoIdentity getIdentity() { return null; }
        public ClientContext getClientContext() { return null; }
        public int getRemainingTimeInMillis() { return remainingMillis; }
        public int getMemoryLimitInMB() { return 1024; }
        public LambdaLogger getLogger() { return null; }
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

        List<JsonNode> dead = TenantTestSupport.deadLetters(stack, 6, Duration.ofSeconds(120));
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
