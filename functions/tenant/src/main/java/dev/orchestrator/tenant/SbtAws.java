package dev.orchestrator.tenant;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.orchestrator.core.Json;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The AWS SaaS Builder Toolkit's (sbt-aws) side of the tenant lifecycle, as pure mapping: which of its
 * control-plane requests an event is, how a request becomes a build, and the answers its control plane
 * reads. Facts from sbt-aws's source (src/utils/event-manager.ts, core-app-plane/script-job.ts,
 * resources/functions/tenant-registrations): detail-types are its event names prefixed {@code sbt_aws_};
 * an onboardingRequest detail is flat (registration data, tenant data, {@code tenantId}, with
 * {@code tenantRegistrationId}); an offboardingRequest detail is the tenant item merged with the
 * registration item; an answer's detail is {@code {tenantRegistrationId, jobOutput}}, and the control
 * plane PATCHes the registration with {@code jobOutput} = {@code {tenantData, tenantRegistrationData}}.
 */
public record SbtAws(String prefix, Set<String> sources, String applicationSource, Set<String> registrationVariables) {

    public static final String DEFAULT_PREFIX = "sbt_aws_";
    public static final String DEFAULT_CONTROL_PLANE_SOURCE = "sbt.control.plane";
    public static final String DEFAULT_APPLICATION_SOURCE = "sbt.application.plane";
    public static final String DEFAULT_REGISTRATION_VARIABLES = "registrationStatus";
    /** The field sbt-aws's jobs use as the job identifier (ScriptJob's jobIdentifierKey). */
    public static final String REGISTRATION_ID = "tenantRegistrationId";

    /** The four control-plane requests the router serves, and what each one starts. */
    public enum Request {
        ONBOARDING("onboardingRequest", "provision", "Failed to provision tenant."),
        OFFBOARDING("offboardingRequest", "deprovision", "Failed to deprovision tenant."),
        ACTIVATE("activateRequest", "activate", "Failed to activate tenant."),
        DEACTIVATE("deactivateRequest", "deactivate", "Failed to deactivate tenant.");

        /** sbt-aws's event name (without the prefix). */
        public final String eventName;
        /** The answer's event name stem: {@code <stem>Success} / {@code <stem>Failure}. */
        public final String answer;
        /** sbt-aws's own failure text (ScriptJob's jobFailureStatus.tenantStatus), kept for its consumers. */
        public final String failureStatus;

        Request(String eventName, String answer, String failureStatus) {
            this.eventName = eventName;
            this.answer = answer;
            this.failureStatus = failureStatus;
        }

        /** The route name: sbt-aws's detail-type with its default prefix, whatever prefix is deployed. */
        public String route() {
            return DEFAULT_PREFIX + eventName;
        }

        public static Optional<Request> ofRoute(String route) {
            for (Request r : values()) {
                if (r.route().equals(route)) {
                    return Optional.of(r);
                }
            }
            return Optional.empty();
        }
    }

    public SbtAws {
        sources = Set.copyOf(sources);
        registrationVariables = Set.copyOf(registrationVariables);
        if (prefix == null || prefix.isBlank()) {
            throw new IllegalArgumentException("the sbt-aws detail-type prefix must not be empty");
        }
    }

    /** sbt-aws's defaults (what its EventManager uses when given no overrides). */
    public static SbtAws defaults() {
        return new SbtAws(DEFAULT_PREFIX, Set.of(DEFAULT_CONTROL_PLANE_SOURCE), DEFAULT_APPLICATION_SOURCE,
                Set.of(DEFAULT_REGISTRATION_VARIABLES));
    }

    /** The request a detail-type names under the deployed prefix, if any. */
    public Optional<Request> request(String detailType) {
        if (detailType == null || !detailType.startsWith(prefix)) {
            return Optional.empty();
        }
        String name = detailType.substring(prefix.length());
        for (Request r : Request.values()) {
            if (r.eventName.equals(name)) {
                return Optional.of(r);
            }
        }
        return Optional.empty();
    }

    /** The detail-type of an answer, with the deployed prefix. */
    public String answerType(Request request, boolean success) {
        return prefix + request.answer + (success ? "Success" : "Failure");
    }

    /** {@code detail.tenantRegistrationId}, which every answer must carry back. */
    public static String registrationId(JsonNode detail) {
        JsonNode id = detail.get(REGISTRATION_ID);
        if (id == null || !id.isTextual() || id.asText().isBlank()) {
            throw new InvalidTenantEventException("detail." + REGISTRATION_ID + " is required (sbt-aws's job identifier, sent back in the answer)");
        }
        return id.asText();
    }

    /** A build request from an onboarding or offboarding detail, and the detail fields that could not be build variables. */
    public record BuildRequest(ProvisioningRequest request, String registrationId, List<String> skipped) {
    }

    /**
     * The build an sbt-aws request asks for. {@code tenantId} and {@code tier} are required
     * ({@code fallbackTier}, the tier the tenant's provisioning recorded, stands in for a missing tier).
     * Every top-level field of the detail becomes a build variable of the same name, as sbt-aws's
     * ScriptJob passes them ({@code $tenantId}, {@code $tier} in its scripts): strings, numbers and
     * booleans as they are, objects and arrays as JSON (its environmentJSONVariablesFromIncomingEvent).
     * Fields whose names CodeBuild cannot take are listed in {@code skipped}; null fields are not variables.
     */
    public static BuildRequest buildRequest(JsonNode detail, String fallbackTier) {
        List<String> errors = new ArrayList<>();
        String registrationId = null;
        try {
            registrationId = registrationId(detail);
        } catch (InvalidTenantEventException e) {
            errors.add(e.getMessage());
        }
        JsonNode t = detail.get("tenantId");
        String tenantId = null;
        if (t == null || t.isNull()) {
            errors.add("detail.tenantId is required");
        } else if (!t.isTextual() || !ProvisioningRequest.TENANT_ID.matcher(t.asText()).matches()) {
            errors.add("detail.tenantId must be 1-128 letters, digits, '.', '_' or '-', got " + t);
        } else {
            tenantId = t.asText();
        }
        JsonNode tierNode = detail.get("tier");
        String tier = null;
        if (tierNode != null && !tierNode.isNull()) {
            if (!tierNode.isTextual() || tierNode.asText().isBlank()) {
                errors.add("detail.tier must be a non-empty string");
            } else {
                tier = tierNode.asText();
            }
        } else if (fallbackTier != null) {
            tier = fallbackTier;
        } else {
            errors.add("detail.tier is required (the tenant's tier, a key of the tier table)");
        }
        if (!errors.isEmpty()) {
            throw new InvalidTenantEventException("invalid sbt-aws request detail: " + String.join("; ", errors));
        }
        Map<String, JsonNode> variables = new LinkedHashMap<>();
        List<String> skipped = new ArrayList<>();
        detail.fields().forEachRemaining(f -> {
            JsonNode v = f.getValue();
            if (v == null || v.isNull()) {
                return;
            }
            if (!ProvisioningRequest.ENV_NAME.matcher(f.getKey()).matches()) {
                skipped.add(f.getKey());
                return;
            }
            variables.put(f.getKey(), v.isContainerNode() ? TextNode.valueOf(Json.write(v)) : v);
        });
        return new BuildRequest(new ProvisioningRequest(tenantId, tier, variables, null), registrationId, skipped);
    }

    /**
     * {@code jobOutput} of a success: the build's exported variables (secrets already left out), those
     * named in {@link #registrationVariables} under {@code tenantRegistrationData}, all others under
     * {@code tenantData}, as sbt-aws's control plane patches them onto the registration and the tenant.
     */
    public ObjectNode successOutput(Map<String, String> exported) {
        ObjectNode out = Json.object();
        ObjectNode tenantData = out.putObject("tenantData");
        ObjectNode registrationData = out.putObject("tenantRegistrationData");
        exported.forEach((k, v) -> (registrationVariables.contains(k) ? registrationData : tenantData).put(k, v));
        return out;
    }

    /** Where a failure happened: a build phase or a workflow's plugin; null fields are unknown. */
    public record Failure(String cause, String buildId, String phase, String workflow, String activity, String plugin) {
    }

    /**
     * {@code jobOutput} of a failure: sbt-aws's own {@code tenantStatus} text, the real cause, where it
     * happened, and {@code tenantRegistrationData.failureCause}, so the control plane's PATCH records
     * the cause on the registration.
     */
    public static ObjectNode failureOutput(Request request, Failure f) {
        ObjectNode out = Json.object();
        out.put("tenantStatus", request.failureStatus);
        out.put("cause", f.cause());
        putIfSet(out, "buildId", f.buildId());
        putIfSet(out, "phase", f.phase());
        putIfSet(out, "workflow", f.workflow());
        putIfSet(out, "activity", f.activity());
        putIfSet(out, "plugin", f.plugin());
        out.putObject("tenantData");
        out.putObject("tenantRegistrationData").put("failureCause", request.failureStatus.replaceAll("\\.$", "") + ": " + f.cause());
        return out;
    }

    /** An answer's detail: {@code {tenantRegistrationId, jobOutput}}. */
    public static ObjectNode answer(String registrationId, ObjectNode jobOutput) {
        ObjectNode d = Json.object();
        d.put(REGISTRATION_ID, registrationId);
        d.set("jobOutput", jobOutput);
        return d;
    }

    /** "activity Onboard failed: parallel plugin charge-card: card declined" (the engine's run message). */
    static final Pattern RUN_FAILURE = Pattern.compile("activity (\\S+) failed: (?:\\S+ )?plugin (\\S+?):.*", Pattern.DOTALL);

    /** A failed run's cause, with the activity and plugin the engine's message names (when it names them). */
    public static Failure workflowFailure(String workflow, String status, String message) {
        String cause = "workflow " + workflow + " ended " + status + (message == null || message.isBlank() ? "" : ": " + message);
        String activity = null;
        String plugin = null;
        if (message != null) {
            Matcher m = RUN_FAILURE.matcher(message);
            if (m.matches()) {
                activity = m.group(1);
                plugin = m.group(2);
            }
        }
        return new Failure(cause, null, null, workflow, activity, plugin);
    }

    /** A failed build's cause: which build, its first failed phase. */
    public static Failure buildFailure(BuildOutcome outcome) {
        String cause = "build " + outcome.buildId() + " " + outcome.status() + (outcome.cause() == null ? "" : ": " + outcome.cause());
        return new Failure(cause, outcome.buildId(), outcome.failedPhase(), null, null, null);
    }

    /** Comma-separated list to a set, blanks dropped (parameters arrive joined). */
    public static Set<String> csv(String csv) {
        Set<String> out = new LinkedHashSet<>();
        for (String s : csv.split(",")) {
            if (!s.isBlank()) {
                out.add(s.trim());
            }
        }
        return out;
    }

    private static void putIfSet(ObjectNode o, String k, String v) {
        if (v != null) {
            o.put(k, v);
        }
    }
}
