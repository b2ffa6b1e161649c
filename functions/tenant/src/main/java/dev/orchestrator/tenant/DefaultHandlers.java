package dev.orchestrator.tenant;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.orchestrator.core.Json;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.services.codebuild.CodeBuildClient;
import software.amazon.awssdk.services.codebuild.model.EnvironmentVariable;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * The built-in handler of each tenant event type. The loop: PROVISIONING starts the tier's build ->
 * the build's state change -> PROVISIONING_SUCCESS -> DEPLOYMENT starts the tenant's workflow -> its
 * outcome -> DEPLOYMENT_SUCCESS. Failure events are recorded and emit nothing, so nothing can loop.
 */
public final class DefaultHandlers {

    static final String PROVISIONING = "PROVISIONING";
    static final String DEPROVISIONING = "DEPROVISIONING";
    static final String DEPLOYMENT_JOB = "DEPLOYMENT";

    private final TenantStore store;
    private final TenantEvents bus;
    private final CodeBuildClient codeBuild;
    private final String defaultWorkflow;
    private final List<String> defaultActivities;

    public DefaultHandlers(TenantStore store, TenantEvents bus, CodeBuildClient codeBuild, String defaultWorkflow,
                           List<String> defaultActivities) {
        this.store = store;
        this.bus = bus;
        this.codeBuild = codeBuild;
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
        return h;
    }

    void startBuild(TenantEvent e, String kind) {
        ProvisioningRequest req = ProvisioningRequest.parse(e.detail());
        Map<String, JsonNode> tier = store.tier(req.tier())
                .orElseThrow(() -> new InvalidTenantEventException("unknown tier '" + req.tier() + "': no item in the tier table"));
        String jobField = kind.equals(PROVISIONING) ? "jobName" : "deprovisioningJobName";
        JsonNode job = tier.get(jobField);
        if (job == null || !job.isTextual() || job.asText().isBlank()) {
            throw new InvalidTenantEventException("tier '" + req.tier() + "' has no " + jobField + " (the CodeBuild project to run)");
        }
        List<BuildEnvironment.Variable> env = BuildEnvironment.merge(tier, req.overrides(), req.tenantId(), req.tier());
        String buildId = codeBuild.startBuild(b -> b.projectName(job.asText()).environmentVariablesOverride(
                env.stream().map(v -> EnvironmentVariable.builder().name(v.name()).value(v.value()).type(v.type()).build()).toList()))
                .build().id();
        Map<String, AttributeValue> record = new LinkedHashMap<>();
        record.put("kind", AttributeValue.fromS(kind));
        record.put("tier", AttributeValue.fromS(req.tier()));
        record.put("project", AttributeValue.fromS(job.asText()));
        record.put("buildId", AttributeValue.fromS(buildId));
        record.put("status", AttributeValue.fromS("IN_PROGRESS"));
        record.put("eventId", AttributeValue.fromS(e.id()));
        // What the build was given, for audit; references are kept as references.
        record.put("environment", AttributeValue.fromL(env.stream().map(v -> AttributeValue.fromM(Map.of(
                "name", AttributeValue.fromS(v.name()), "type", AttributeValue.fromS(v.type()),
                "value", AttributeValue.fromS(v.value())))).toList()));
        store.putJob(req.tenantId(), kind + "#" + buildId, record);
        store.tenantState(req.tenantId(), kind, null);
    }

    void buildEnded(TenantEvent e) {
        BuildOutcome outcome = BuildOutcome.parse(e.detail());
        var job = store.jobByBuild(outcome.buildId());
        if (job.isEmpty() || !outcome.ended()) {
            return; // not a tenant build, or still running
        }
        String tenantId = job.get().get("tenantId").s();
        String kind = job.get().get("kind").s();
        Map<String, AttributeValue> update = new LinkedHashMap<>();
        update.put("status", AttributeValue.fromS(outcome.status()));
        if (outcome.cause() != null) {
            update.put("cause", AttributeValue.fromS(outcome.cause()));
        }
        store.updateJob(tenantId, job.get().get("jobId").s(), update);
        ObjectNode detail = Json.object();
        detail.put("tenantId", tenantId);
        detail.put("tier", job.get().get("tier").s());
        detail.put("buildId", outcome.buildId());
        if (!outcome.succeeded()) {
            detail.put("cause", outcome.cause());
        }
        boolean provisioning = kind.equals(PROVISIONING);
        bus.put(outcome.succeeded()
                ? (provisioning ? TenantEventTypes.PROVISIONING_SUCCESS : TenantEventTypes.DEPROVISIONING_SUCCESS)
                : (provisioning ? TenantEventTypes.PROVISIONING_FAILURE : TenantEventTypes.DEPROVISIONING_FAILURE), detail);
    }

    void provisioned(TenantEvent e) {
        String tenantId = tenantId(e);
        store.tenantState(tenantId, "PROVISIONED", null);
        ObjectNode detail = Json.object();
        detail.put("tenantId", tenantId);
        detail.set("tier", e.detail().get("tier"));
        if (e.detail().has("buildId")) {
            detail.set("buildId", e.detail().get("buildId"));
        }
        bus.put(TenantEventTypes.DEPLOYMENT, detail);
    }

    void deploy(TenantEvent e) {
        String tenantId = tenantId(e);
        String tierName = e.detail().path("tier").asText(null);
        if (tierName == null) {
            throw new InvalidTenantEventException("detail.tier is required");
        }
        Map<String, JsonNode> tier = store.tier(tierName)
                .orElseThrow(() -> new InvalidTenantEventException("unknown tier '" + tierName + "': no item in the tier table"));
        String workflow = tier.containsKey("workflow") ? tier.get("workflow").asText() : defaultWorkflow;
        List<String> activities = new ArrayList<>();
        if (tier.containsKey("activities") && tier.get("activities").isArray()) {
            tier.get("activities").forEach(a -> activities.add(a.asText()));
        } else {
            activities.addAll(defaultActivities);
        }
        ObjectNode start = Json.object();
        start.put("uid", tenantId);
        start.put("workflow", workflow);
        ArrayNode acts = start.putArray("activities");
        activities.forEach(acts::add);
        ObjectNode metadata = start.putObject("metadata");
        metadata.put("tenantId", tenantId);
        metadata.put("tier", tierName);
        if (tier.containsKey("pluginRegisterTimeout")) {
            start.put("pluginRegisterTimeout", tier.get("pluginRegisterTimeout").asInt());
        }
        bus.put("Start Workflow", start);
        store.putJob(tenantId, DEPLOYMENT_JOB, Map.of("workflow", AttributeValue.fromS(workflow),
                "tier", AttributeValue.fromS(tierName), "status", AttributeValue.fromS("IN_PROGRESS")));
        store.tenantState(tenantId, "DEPLOYING", null);
    }

    void workflowEnded(TenantEvent e) {
        String tenantId = e.detail().path("metadata").path("tenantId").asText(null);
        if (tenantId == null) {
            return; // a run that is not a tenant deployment
        }
        String status = e.detail().path("status").asText();
        boolean ok = TenantEventTypes.WORKFLOW_COMPLETED.equals(e.detailType());
        store.updateJob(tenantId, DEPLOYMENT_JOB, Map.of("status", AttributeValue.fromS(status)));
        ObjectNode detail = Json.object();
        detail.put("tenantId", tenantId);
        detail.set("tier", e.detail().path("metadata").path("tier"));
        detail.set("workflow", e.detail().get("workflow"));
        detail.put("status", status);
        if (!ok) {
            detail.put("cause", "workflow " + e.detail().path("workflow").asText() + " ended " + status);
        }
        bus.put(ok ? TenantEventTypes.DEPLOYMENT_SUCCESS : TenantEventTypes.DEPLOYMENT_FAILURE, detail);
    }

    void recordState(TenantEvent e, String state) {
        store.tenantState(tenantId(e), state, null);
    }

    void failed(TenantEvent e, String state) {
        store.tenantState(tenantId(e), state, e.detail().path("cause").asText("no cause given"));
    }

    static String tenantId(TenantEvent e) {
        JsonNode t = e.detail().get("tenantId");
        if (t == null || !t.isTextual() || t.asText().isBlank()) {
            throw new InvalidTenantEventException("detail.tenantId is required");
        }
        return t.asText();
    }
}
