package dev.orchestrator.tenant;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.orchestrator.core.Json;
import dev.orchestrator.obs.Log;
import dev.orchestrator.obs.Metrics;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import software.amazon.awssdk.services.codebuild.CodeBuildClient;
import software.amazon.awssdk.services.codebuild.model.EnvironmentVariable;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * The built-in handler of each tenant event type. The loop: PROVISIONING starts the tier's build ->
 * the build's state change -> PROVISIONING_SUCCESS -> DEPLOYMENT starts the tenant's workflow -> its
 * outcome -> DEPLOYMENT_SUCCESS. Failure events are recorded and emit nothing, so nothing can loop.
 * Outcome events carry, besides our fields, arc-saas's {@code tenant} (a JSON string) and the
 * build's exported variables flat in the detail, as arc-saas's own consumers read them.
 */
public final class DefaultHandlers {

    static final String PROVISIONING = "PROVISIONING";
    static final String DEPROVISIONING = "DEPROVISIONING";
    static final String DEPLOYMENT_JOB = "DEPLOYMENT";
    /** Jobs-table id prefix of an activation / deactivation run the router started: {@code LIFECYCLE#<uid>}. */
    static final String LIFECYCLE_JOB = "LIFECYCLE#";
    /** Build, deployment and tenant records: the sbt-aws registration a request came with (answers go back to it). */
    static final String SBT_REGISTRATION = "sbtRegistrationId";
    static final String SBT_EVENT_KEY = "sbtEventKey";
    /** Detail fields that are ours; anything else flat in a detail is a build output. */
    static final Set<String> OWN_FIELDS = Set.of("tenantId", "tier", "buildId", "cause", "status", "workflow", "tenant",
            "redacted", "eventId", "message", "uid", "metadata");
    private static final Log LOG = Log.of(DefaultHandlers.class);

    private final TenantStore store;
    private final TenantEvents bus;
    private final Supplier<CodeBuildClient> codeBuild;
    private final TenantSecrets secrets;
    private final String secretsPath;
    private final String defaultWorkflow;
    private final List<String> defaultActivities;
    private final SbtAws sbt;

    public DefaultHandlers(TenantStore store, TenantEvents bus, CodeBuildClient codeBuild, TenantSecrets secrets, String secretsPath,
                           String defaultWorkflow, List<String> defaultActivities) {
        this(store, bus, () -> codeBuild, secrets, secretsPath, defaultWorkflow, defaultActivities, SbtAws.defaults());
    }

    public DefaultHandlers(TenantStore store, TenantEvents bus, Supplier<CodeBuildClient> codeBuild, TenantSecrets secrets,
                           String secretsPath, String defaultWorkflow, List<String> defaultActivities) {
        this(store, bus, codeBuild, secrets, secretsPath, defaultWorkflow, defaultActivities, SbtAws.defaults());
    }

    /** The CodeBuild client is asked for on the first build started: most events start none (cold start). */
    public DefaultHandlers(TenantStore store, TenantEvents bus, Supplier<CodeBuildClient> codeBuild, TenantSecrets secrets,
                           String secretsPath, String defaultWorkflow, List<String> defaultActivities, SbtAws sbt) {
        this.sbt = sbt;
        this.store = store;
        this.bus = bus;
        this.codeBuild = codeBuild;
        this.secrets = secrets;
        this.secretsPath = secretsPath;
        this.defaultWorkflow = defaultWorkflow;
        this.defaultActivities = List.copyOf(defaultActivities);
    }

    public Map<String, TenantEventHandler> all() {
        Map<String, TenantEventHandler> h = new LinkedHashMap<>();
        h.put(TenantEventTypes.PROVISIONING, e -> startBuild(e, PROVISIONING));
        h.put(TenantEventTypes.DEPROVISIONING, e -> startBuild(e, DEPROVISIONING));
        h.put(TenantRoutes.BUILD_OUTCOME, this::buildEnded);
        h.put(TenantEventTypes.PROVISIONING_SUCCESS, this::provisioned);
        h.put(TenantEventTypes.PROVISIONING_FAILURE, e -> failed(e, "PROVISIONING_FAILED"));
        h.put(TenantEventTypes.DEPROVISIONING_SUCCESS, e -> recordState(e, "DEPROVISIONED"));
        h.put(TenantEventTypes.DEPROVISIONING_FAILURE, e -> failed(e, "DEPROVISIONING_FAILED"));
        h.put(TenantEventTypes.DEPLOYMENT, this::deploy);
        h.put(TenantRoutes.WORKFLOW_OUTCOME, this::workflowEnded);
        h.put(TenantEventTypes.DEPLOYMENT_SUCCESS, e -> recordState(e, "DEPLOYED"));
        h.put(TenantEventTypes.DEPLOYMENT_FAILURE, e -> failed(e, "DEPLOYMENT_FAILED"));
        h.put(SbtAws.Request.ONBOARDING.route(), e -> sbtBuild(e, PROVISIONING));
        h.put(SbtAws.Request.OFFBOARDING.route(), e -> sbtBuild(e, DEPROVISIONING));
        h.put(SbtAws.Request.ACTIVATE.route(), e -> sbtLifecycle(e, SbtAws.Request.ACTIVATE));
        h.put(SbtAws.Request.DEACTIVATE.route(), e -> sbtLifecycle(e, SbtAws.Request.DEACTIVATE));
        return h;
    }

    void startBuild(TenantEvent e, String kind) {
        startBuild(e, kind, ProvisioningRequest.parse(e.detail()), null);
    }

    /** sbt-aws's onboarding / offboarding request: the same build, answered to its control plane. */
    void sbtBuild(TenantEvent e, String kind) {
        JsonNode tier = e.detail().get("tier");
        String fallbackTier = null;
        if (tier == null || tier.isNull()) {
            // An offboarding detail is the tenant's item, which may lack the tier: the one its provisioning recorded.
            String tenantId = e.detail().path("tenantId").asText(null);
            fallbackTier = tenantId == null || tenantId.isBlank() ? null
                    : store.job(tenantId, TenantStore.TENANT_JOB).map(j -> attr(j, "tier")).orElse(null);
        }
        SbtAws.BuildRequest sbtRequest = SbtAws.buildRequest(e.detail(), fallbackTier);
        Log.put(Log.TENANT_ID, sbtRequest.request().tenantId());
        if (!sbtRequest.skipped().isEmpty()) {
            LOG.warn("detail fields not given to the build: not valid environment variable names", "fields",
                    String.join(",", sbtRequest.skipped()));
        }
        startBuild(e, kind, sbtRequest.request(), sbtRequest.registrationId());
    }

    private void startBuild(TenantEvent e, String kind, ProvisioningRequest req, String sbtRegistrationId) {
        Log.put(Log.TENANT_ID, req.tenantId());
        Map<String, JsonNode> tier = store.tier(req.tier())
                .orElseThrow(() -> new InvalidTenantEventException("unknown tier '" + req.tier() + "': no item in the tier table"));
        String jobField = kind.equals(PROVISIONING) ? "jobName" : "deprovisioningJobName";
        JsonNode job = tier.get(jobField);
        if (job == null || !job.isTextual() || job.asText().isBlank()) {
            throw new InvalidTenantEventException("tier '" + req.tier() + "' has no " + jobField + " (the CodeBuild project to run)");
        }
        BuildEnvironment.Plan plan = BuildEnvironment.plan(tier, req.overrides(), req.tenantId(), req.tier(), secretsPath);
        for (BuildEnvironment.Secret s : plan.secrets()) {
            secrets.store(s);
            LOG.info("secret stored", "variable", s.name(), "parameter", s.parameter());
        }
        List<BuildEnvironment.Variable> env = plan.variables();
        String buildId = codeBuild.get().startBuild(b -> b.projectName(job.asText()).environmentVariablesOverride(
                env.stream().map(v -> EnvironmentVariable.builder().name(v.name()).value(v.value()).type(v.type()).build()).toList()))
                .build().id();
        Map<String, AttributeValue> record = new LinkedHashMap<>();
        record.put("kind", AttributeValue.fromS(kind));
        record.put("tier", AttributeValue.fromS(req.tier()));
        record.put("project", AttributeValue.fromS(job.asText()));
        record.put("buildId", AttributeValue.fromS(buildId));
        record.put("status", AttributeValue.fromS("IN_PROGRESS"));
        record.put("eventId", AttributeValue.fromS(e.id()));
        record.put("eventKey", AttributeValue.fromS(e.idempotencyKey()));
        if (req.tenant() != null) {
            record.put("tenant", AttributeValue.fromS(Json.write(req.tenant())));
        }
        if (sbtRegistrationId != null) {
            record.put(SBT_REGISTRATION, AttributeValue.fromS(sbtRegistrationId));
        }
        // What the build was given, for audit; secrets appear as their parameter names only.
        record.put("environment", AttributeValue.fromL(env.stream().map(v -> AttributeValue.fromM(Map.of(
                "name", AttributeValue.fromS(v.name()), "type", AttributeValue.fromS(v.type()),
                "value", AttributeValue.fromS(v.value())))).toList()));
        store.putJob(req.tenantId(), kind + "#" + buildId, record);
        Map<String, AttributeValue> state = new LinkedHashMap<>(Map.of("status", AttributeValue.fromS(kind),
                "cause", AttributeValue.fromNul(true), "tier", AttributeValue.fromS(req.tier())));
        if (kind.equals(PROVISIONING) || sbtRegistrationId != null) {
            // Which registration the tenant's deployment answers to (none for our own and arc-saas's events).
            state.put(SBT_REGISTRATION, sbtRegistrationId == null ? AttributeValue.fromNul(true) : AttributeValue.fromS(sbtRegistrationId));
            // The request's key: forgotten when its onboarding workflow fails, so the request re-sent is a retry.
            state.put(SBT_EVENT_KEY, sbtRegistrationId == null ? AttributeValue.fromNul(true) : AttributeValue.fromS(e.idempotencyKey()));
        }
        store.updateJob(req.tenantId(), TenantStore.TENANT_JOB, state);
        LOG.info("build started", "kind", kind, "tier", req.tier(), "project", job.asText(), "buildId", buildId,
                "secrets", plan.secrets().size());
        Metrics.count(Metrics.TENANT_BUILDS_STARTED, null);
    }

    void buildEnded(TenantEvent e) {
        BuildOutcome outcome = BuildOutcome.parse(e.detail());
        var job = store.jobByBuild(outcome.buildId());
        if (job.isEmpty()) {
            LOG.info("build outcome ignored: not a tenant build", "buildId", outcome.buildId());
            return;
        }
        if (!outcome.ended()) {
            LOG.info("build state change ignored: the build has not ended", "buildId", outcome.buildId(), "status", outcome.status());
            return;
        }
        String tenantId = job.get().get("tenantId").s();
        Log.put(Log.TENANT_ID, tenantId);
        String kind = job.get().get("kind").s();
        Map<String, AttributeValue> update = new LinkedHashMap<>();
        update.put("status", AttributeValue.fromS(outcome.status()));
        if (outcome.cause() != null) {
            update.put("cause", AttributeValue.fromS(outcome.cause()));
        }
        Map<String, String> outputs = safeOutputs(outcome.exported());
        Map<String, AttributeValue> outs = new LinkedHashMap<>();
        outputs.forEach((k, v) -> outs.put(k, AttributeValue.fromS(v)));
        update.put("outputs", AttributeValue.fromM(outs));
        // Names only: the onboarding run gets these as the references the build was given, or listed as redacted.
        update.put("redacted", AttributeValue.fromL(redacted(outcome.exported()).stream().map(AttributeValue::fromS).toList()));
        store.updateJob(tenantId, job.get().get("jobId").s(), update);
        ObjectNode detail = Json.object();
        detail.put("tenantId", tenantId);
        detail.put("tier", job.get().get("tier").s());
        detail.put("buildId", outcome.buildId());
        if (!outcome.succeeded()) {
            detail.put("cause", outcome.cause());
        }
        addArcSaasFields(detail, attr(job.get(), "tenant"), outputs, redacted(outcome.exported()));
        boolean provisioning = kind.equals(PROVISIONING);
        if (!outcome.succeeded()) {
            Metrics.count(Metrics.TENANT_BUILDS_FAILED, null);
            // An identical event re-sent after a failed build is a retry, not a duplicate: forget its key.
            AttributeValue key = job.get().get("eventKey");
            if (key != null && key.s() != null) {
                store.release(key.s());
            }
            LOG.warn("build failed; an identical event re-sent will start a new build", "kind", kind, "buildId", outcome.buildId(),
                    "cause", outcome.cause());
        } else {
            LOG.info("build succeeded", "kind", kind, "buildId", outcome.buildId(), "outputs", outputs.size());
        }
        String registration = attr(job.get(), SBT_REGISTRATION);
        if (registration != null) {
            SbtAws.Request request = provisioning ? SbtAws.Request.ONBOARDING : SbtAws.Request.OFFBOARDING;
            if (!outcome.succeeded()) {
                answerSbt(request, registration, false, SbtAws.failureOutput(request, SbtAws.buildFailure(outcome)));
            } else if (!provisioning) {
                answerSbt(request, registration, true, sbt.successOutput(outputs));
            }
            // A provisioning build that succeeded is answered when the tenant's onboarding workflow ends.
        }
        bus.put(outcome.succeeded()
                ? (provisioning ? TenantEventTypes.PROVISIONING_SUCCESS : TenantEventTypes.DEPROVISIONING_SUCCESS)
                : (provisioning ? TenantEventTypes.PROVISIONING_FAILURE : TenantEventTypes.DEPROVISIONING_FAILURE), detail);
    }

    void provisioned(TenantEvent e) {
        String tenantId = tenantId(e);
        store.tenantState(tenantId, "PROVISIONED", null);
        // TENANT_DEPLOYMENT carries what the success carried (tenant, build outputs), as arc-saas's does.
        ObjectNode detail = e.detail().deepCopy();
        detail.remove("cause");
        detail.remove("redacted");
        detail.put("tenantId", tenantId);
        bus.put(TenantEventTypes.DEPLOYMENT, detail);
        LOG.info("tenant provisioned; deployment requested");
    }

    void deploy(TenantEvent e) {
        String tenantId = tenantId(e);
        String tierName = tierOf(e, tenantId);
        Map<String, JsonNode> tier = store.tier(tierName)
                .orElseThrow(() -> new InvalidTenantEventException("unknown tier '" + tierName + "': no item in the tier table"));
        String workflow = tier.containsKey("workflow") ? tier.get("workflow").asText() : defaultWorkflow;
        List<String> activities = new ArrayList<>();
        if (tier.containsKey("activities") && tier.get("activities").isArray()) {
            tier.get("activities").forEach(a -> activities.add(a.asText()));
        } else {
            activities.addAll(defaultActivities);
        }
        ObjectNode start = startRequest(tenantId, workflow, activities, tenantId, tierName, tier);
        buildInputs(e, tenantId, activities, start);
        // The deployment record is written before the run can end: only runs recorded here may change tenant state.
        Map<String, AttributeValue> record = new LinkedHashMap<>();
        record.put("workflow", AttributeValue.fromS(workflow));
        record.put("uid", AttributeValue.fromS(tenantId));
        record.put("tier", AttributeValue.fromS(tierName));
        record.put("status", AttributeValue.fromS("IN_PROGRESS"));
        String tenant = tenantJson(e.detail());
        if (tenant != null) {
            record.put("tenant", AttributeValue.fromS(tenant));
        }
        Map<String, AttributeValue> outs = new LinkedHashMap<>();
        flatOutputs(e.detail()).forEach((k, v) -> outs.put(k, AttributeValue.fromS(v)));
        record.put("outputs", AttributeValue.fromM(outs));
        store.job(tenantId, TenantStore.TENANT_JOB).ifPresent(j -> {
            for (String f : List.of(SBT_REGISTRATION, SBT_EVENT_KEY)) {
                if (attr(j, f) != null) {
                    record.put(f, AttributeValue.fromS(attr(j, f)));
                }
            }
        });
        store.putJob(tenantId, DEPLOYMENT_JOB, record);
        bus.put("Start Workflow", start);
        store.tenantState(tenantId, "DEPLOYING", null);
        LOG.info("tenant workflow started", Log.UID, tenantId, Log.WORKFLOW, workflow, "tier", tierName);
    }

    /**
     * Adds the provisioning build's exported variables to the run's start request as its first inputs
     * ({@link BuildInputs} decides; this reads the build record: which secret-looking names it exported, which
     * references it was given).
     */
    private void buildInputs(TenantEvent e, String tenantId, List<String> activities, ObjectNode start) {
        String buildId = e.detail().path("buildId").isTextual() ? e.detail().get("buildId").asText() : null;
        Optional<Map<String, AttributeValue>> build = buildId == null ? Optional.empty() : store.job(tenantId, PROVISIONING + "#" + buildId);
        List<String> secretLike = new ArrayList<>();
        Map<String, BuildInputs.Reference> given = new LinkedHashMap<>();
        if (build.isPresent()) {
            AttributeValue r = build.get().get("redacted");
            if (r != null && r.hasL()) {
                r.l().forEach(v -> secretLike.add(v.s()));
            }
            AttributeValue env = build.get().get("environment");
            if (env != null && env.hasL()) {
                env.l().forEach(v -> given.put(v.m().get("name").s(), new BuildInputs.Reference(v.m().get("type").s(), v.m().get("value").s())));
            }
        } else {
            // arc-saas's own deployment event: its flat fields are the build's outputs; secret-looking ones are named only.
            e.detail().fields().forEachRemaining(f -> {
                if (!OWN_FIELDS.contains(f.getKey()) && f.getValue().isValueNode() && !f.getValue().isNull()
                        && (BuildEnvironment.looksSecret(f.getKey()) || BuildEnvironment.looksLikePrivateKey(f.getValue().asText()))) {
                    secretLike.add(f.getKey());
                }
            });
        }
        BuildInputs.Decision d = BuildInputs.decide(build.isPresent() ? buildId : null, flatOutputs(e.detail()), secretLike, given,
                activities);
        String address = BuildInputs.SOURCE + "." + BuildInputs.NAME;
        if (d.inputs() == null) {
            LOG.warn("build variables not passed as inputs", "address", address, "cause", d.skipped());
            return;
        }
        start.set("inputs", d.inputs());
        LOG.info("build variables passed as inputs", "address", address, "buildId", String.valueOf(buildId), "variables", d.variables(),
                "references", d.references(), "redacted", String.join(",", d.redacted()), "bytes", d.bytes());
    }

    void workflowEnded(TenantEvent e) {
        String uid = e.detail().path("uid").asText(null);
        String workflow = e.detail().path("workflow").asText(null);
        Optional<Map<String, AttributeValue>> deployment = uid == null ? Optional.empty() : store.job(uid, DEPLOYMENT_JOB);
        // Only the run this router started for the tenant's deployment speaks for the tenant; a run
        // that merely carries tenantId in its metadata changes nothing.
        if (deployment.isEmpty() || !uid.equals(attr(deployment.get(), "uid")) || !String.valueOf(workflow).equals(attr(deployment.get(), "workflow"))) {
            if (lifecycleEnded(e, uid, workflow)) {
                return;
            }
            LOG.info("workflow outcome ignored: not a tenant deployment run", Log.UID, uid, Log.WORKFLOW, workflow);
            return;
        }
        String tenantId = uid;
        Log.put(Log.TENANT_ID, tenantId);
        String status = e.detail().path("status").asText();
        boolean ok = TenantEventTypes.WORKFLOW_COMPLETED.equals(e.detailType());
        store.updateJob(tenantId, DEPLOYMENT_JOB, Map.of("status", AttributeValue.fromS(status)));
        ObjectNode detail = Json.object();
        detail.put("tenantId", tenantId);
        detail.put("tier", attr(deployment.get(), "tier"));
        detail.put("workflow", workflow);
        detail.put("status", status);
        if (!ok) {
            String message = e.detail().path("message").asText("");
            detail.put("cause", "workflow " + workflow + " ended " + status + (message.isBlank() ? "" : ": " + message));
        }
        Map<String, String> outputs = new LinkedHashMap<>();
        AttributeValue outs = deployment.get().get("outputs");
        if (outs != null && outs.hasM()) {
            outs.m().forEach((k, v) -> outputs.put(k, v.s()));
        }
        addArcSaasFields(detail, attr(deployment.get(), "tenant"), outputs, List.of());
        bus.put(ok ? TenantEventTypes.DEPLOYMENT_SUCCESS : TenantEventTypes.DEPLOYMENT_FAILURE, detail);
        String registration = attr(deployment.get(), SBT_REGISTRATION);
        if (registration != null) {
            if (!ok && attr(deployment.get(), SBT_EVENT_KEY) != null) {
                store.release(attr(deployment.get(), SBT_EVENT_KEY)); // the request re-sent is a retry
            }
            // For sbt-aws, provisioning is the build and the onboarding workflow: it succeeded when both did.
            answerSbt(SbtAws.Request.ONBOARDING, registration, ok, ok ? sbt.successOutput(outputs)
                    : SbtAws.failureOutput(SbtAws.Request.ONBOARDING, SbtAws.workflowFailure(workflow, status, e.detail().path("message").asText(null))));
        }
        LOG.info("tenant workflow ended", Log.UID, tenantId, Log.WORKFLOW, workflow, "status", status);
    }

    /**
     * sbt-aws's activate / deactivate request: runs the tier's activation (deactivation) workflow, so
     * plugins can extend it, and answers when it ends. Workflow and activities come from the tier item
     * ({@code activateWorkflow}, {@code activateActivities}, {@code deactivateWorkflow},
     * {@code deactivateActivities}); with no activities there is nothing to run and the answer is a
     * success at once. Each request runs its own run ({@code uid} = tenant id + request + event id), so
     * a tenant can be activated again after a deactivation.
     */
    void sbtLifecycle(TenantEvent e, SbtAws.Request request) {
        String tenantId = tenantId(e);
        Log.put(Log.TENANT_ID, tenantId);
        Optional<Map<String, AttributeValue>> tenantRecord = store.job(tenantId, TenantStore.TENANT_JOB);
        String registration = e.detail().path(SbtAws.REGISTRATION_ID).asText(null);
        if (registration == null || registration.isBlank()) {
            registration = tenantRecord.map(j -> attr(j, SBT_REGISTRATION)).orElseThrow(() -> new InvalidTenantEventException(
                    "detail." + SbtAws.REGISTRATION_ID + " is required (no sbt-aws registration recorded for tenant '" + tenantId + "')"));
        }
        String tierName = e.detail().path("tier").isTextual() ? e.detail().get("tier").asText()
                : tenantRecord.map(j -> attr(j, "tier")).orElse(null);
        Map<String, JsonNode> tier = tierName == null ? Map.of() : store.tier(tierName)
                .orElseThrow(() -> new InvalidTenantEventException("unknown tier '" + tierName + "': no item in the tier table"));
        String verb = request == SbtAws.Request.ACTIVATE ? "activate" : "deactivate";
        List<String> activities = new ArrayList<>();
        JsonNode configured = tier.get(verb + "Activities");
        if (configured != null && configured.isArray()) {
            configured.forEach(a -> activities.add(a.asText()));
        }
        String state = request == SbtAws.Request.ACTIVATE ? "ACTIVE" : "INACTIVE";
        if (activities.isEmpty()) {
            LOG.info("no " + verb + " steps configured for the tier; answered at once", "tier", tierName);
            store.tenantState(tenantId, state, null);
            answerSbt(request, registration, true, sbt.successOutput(Map.of()));
            return;
        }
        String workflow = tier.containsKey(verb + "Workflow") ? tier.get(verb + "Workflow").asText() : "tenant-" + verb;
        String uid = tenantId + "." + verb + "." + e.id();
        ObjectNode start = startRequest(uid, workflow, activities, tenantId, tierName, tier);
        ((ObjectNode) start.get("metadata")).put(SbtAws.REGISTRATION_ID, registration);
        Map<String, AttributeValue> record = new LinkedHashMap<>();
        record.put("kind", AttributeValue.fromS(request.name()));
        record.put("uid", AttributeValue.fromS(uid));
        record.put("workflow", AttributeValue.fromS(workflow));
        record.put("status", AttributeValue.fromS("IN_PROGRESS"));
        record.put(SBT_REGISTRATION, AttributeValue.fromS(registration));
        record.put("eventKey", AttributeValue.fromS(e.idempotencyKey()));
        store.putJob(tenantId, LIFECYCLE_JOB + uid, record);
        bus.put("Start Workflow", start);
        store.tenantState(tenantId, request == SbtAws.Request.ACTIVATE ? "ACTIVATING" : "DEACTIVATING", null);
        LOG.info("tenant " + verb + " workflow started", Log.UID, uid, Log.WORKFLOW, workflow, "tier", tierName);
    }

    /** The end of an activation / deactivation run the router started (recorded under the tenant); false for any other run. */
    private boolean lifecycleEnded(TenantEvent e, String uid, String workflow) {
        String tenantId = e.detail().path("metadata").path("tenantId").asText(null);
        if (uid == null || tenantId == null || tenantId.isBlank()) {
            return false;
        }
        Optional<Map<String, AttributeValue>> job = store.job(tenantId, LIFECYCLE_JOB + uid);
        if (job.isEmpty() || !String.valueOf(workflow).equals(attr(job.get(), "workflow"))) {
            return false;
        }
        Log.put(Log.TENANT_ID, tenantId);
        SbtAws.Request request = SbtAws.Request.valueOf(attr(job.get(), "kind"));
        boolean ok = TenantEventTypes.WORKFLOW_COMPLETED.equals(e.detailType());
        String status = e.detail().path("status").asText();
        store.updateJob(tenantId, LIFECYCLE_JOB + uid, Map.of("status", AttributeValue.fromS(status)));
        String done = request == SbtAws.Request.ACTIVATE ? "ACTIVE" : "INACTIVE";
        SbtAws.Failure failure = ok ? null : SbtAws.workflowFailure(workflow, status, e.detail().path("message").asText(null));
        store.tenantState(tenantId, ok ? done : request.name() + "_FAILED", ok ? null : failure.cause());
        if (!ok && attr(job.get(), "eventKey") != null) {
            store.release(attr(job.get(), "eventKey")); // the request re-sent is a retry
        }
        answerSbt(request, attr(job.get(), SBT_REGISTRATION), ok, ok ? sbt.successOutput(Map.of()) : SbtAws.failureOutput(request, failure));
        LOG.info("tenant " + request.answer + " workflow ended", Log.UID, uid, Log.WORKFLOW, workflow, "status", status);
        return true;
    }

    /** Puts sbt-aws's answer ({@code <prefix><answer>Success|Failure}) with the application plane's source. */
    private void answerSbt(SbtAws.Request request, String registration, boolean success, ObjectNode jobOutput) {
        String type = sbt.answerType(request, success);
        bus.put(sbt.applicationSource(), type, SbtAws.answer(registration, jobOutput));
        if (success) {
            LOG.info("sbt-aws answered", "detailType", type, SbtAws.REGISTRATION_ID, registration);
        } else {
            LOG.warn("sbt-aws answered", "detailType", type, SbtAws.REGISTRATION_ID, registration, "cause", jobOutput.path("cause").asText());
        }
    }

    void recordState(TenantEvent e, String state) {
        store.tenantState(tenantId(e), state, null);
        LOG.info("tenant state recorded", "state", state);
    }

    void failed(TenantEvent e, String state) {
        store.tenantState(tenantId(e), state, e.detail().path("cause").asText("no cause given"));
        LOG.warn("tenant state recorded", "state", state, "cause", e.detail().path("cause").asText("no cause given"));
    }

    /** {@code detail.tenantId}, else arc-saas's {@code tenant} (object or JSON string) {@code id} or {@code key}. */
    static String tenantId(TenantEvent e) {
        JsonNode t = e.detail().get("tenantId");
        if (t != null && t.isTextual() && !t.asText().isBlank()) {
            return t.asText();
        }
        JsonNode tenant = tenantNode(e.detail());
        for (String f : new String[] {"id", "key"}) {
            if (tenant != null && tenant.path(f).isTextual() && !tenant.path(f).asText().isBlank()) {
                return tenant.path(f).asText();
            }
        }
        throw new InvalidTenantEventException("detail.tenantId (or detail.tenant.id) is required");
    }

    private String tierOf(TenantEvent e, String tenantId) {
        for (JsonNode n : new JsonNode[] {e.detail().get("tier"), e.detail().path("planConfig").get("tier")}) {
            if (n != null && n.isTextual() && !n.asText().isBlank()) {
                return n.asText();
            }
        }
        // arc-saas's deployment event has no tier: the one its provisioning recorded.
        return store.job(tenantId, TenantStore.TENANT_JOB).map(j -> attr(j, "tier"))
                .orElseThrow(() -> new InvalidTenantEventException("detail.tier is required (no provisioning recorded for tenant '"
                        + tenantId + "')"));
    }

    static JsonNode tenantNode(JsonNode detail) {
        JsonNode tenant = detail.get("tenant");
        if (tenant != null && tenant.isTextual()) {
            try {
                tenant = Json.parse(tenant.asText());
            } catch (RuntimeException notJson) {
                throw new InvalidTenantEventException("detail.tenant is a string but not JSON: " + notJson.getMessage());
            }
        }
        return tenant != null && tenant.isObject() ? tenant : null;
    }

    static String tenantJson(JsonNode detail) {
        JsonNode tenant = detail.get("tenant");
        if (tenant == null || tenant.isNull()) {
            return null;
        }
        return tenant.isTextual() ? tenant.asText() : Json.write(tenant);
    }

    /** Scalar fields of a detail that are not ours (arc-saas's flat build outputs), secrets left out. */
    static Map<String, String> flatOutputs(JsonNode detail) {
        Map<String, String> out = new LinkedHashMap<>();
        detail.fields().forEachRemaining(f -> {
            if (!OWN_FIELDS.contains(f.getKey()) && f.getValue().isValueNode() && !f.getValue().isNull()) {
                out.put(f.getKey(), f.getValue().asText());
            }
        });
        return safeOutputs(out);
    }

    /** Exported variables without the secret-looking ones (those stay in the build and in SSM). */
    static Map<String, String> safeOutputs(Map<String, String> exported) {
        Map<String, String> out = new LinkedHashMap<>();
        exported.forEach((k, v) -> {
            if (!BuildEnvironment.looksSecret(k) && !BuildEnvironment.looksLikePrivateKey(v) && !OWN_FIELDS.contains(k)) {
                out.put(k, v);
            }
        });
        return out;
    }

    static List<String> redacted(Map<String, String> exported) {
        return exported.entrySet().stream().filter(en -> BuildEnvironment.looksSecret(en.getKey())
                || BuildEnvironment.looksLikePrivateKey(en.getValue())).map(Map.Entry::getKey).sorted().toList();
    }

    private static void addArcSaasFields(ObjectNode detail, String tenant, Map<String, String> outputs, List<String> redacted) {
        if (tenant != null) {
            detail.put("tenant", tenant);
        }
        outputs.forEach((k, v) -> {
            if (!detail.has(k)) {
                detail.put(k, v);
            }
        });
        if (!redacted.isEmpty()) {
            ArrayNode r = detail.putArray("redacted");
            redacted.forEach(r::add);
        }
    }

    private static String attr(Map<String, AttributeValue> item, String name) {
        AttributeValue v = item.get(name);
        return v == null ? null : v.s();
    }

    /** A tenant workflow's start request: the tier's activities, the tenant and tier as metadata, the tier's window. */
    private static ObjectNode startRequest(String uid, String workflow, List<String> activities, String tenantId,
                                           String tierName, Map<String, JsonNode> tier) {
        ObjectNode start = Json.object();
        start.put("uid", uid);
        start.put("workflow", workflow);
        ArrayNode acts = start.putArray("activities");
        activities.forEach(acts::add);
        ObjectNode metadata = start.putObject("metadata");
        metadata.put("tenantId", tenantId);
        metadata.put("tier", tierName);
        if (tier.containsKey("pluginRegisterTimeout")) {
            start.put("pluginRegisterTimeout", tier.get("pluginRegisterTimeout").asInt());
        }
        return start;
    }
}
