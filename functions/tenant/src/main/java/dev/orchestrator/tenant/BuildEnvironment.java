package dev.orchestrator.tenant;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The environment overrides of a tenant build: the tier item's variables (everything but its
 * reserved keys), overlaid by the event's overrides (the event wins), plus TENANT_ID and TIER. Pure.
 * A value is a string (PLAINTEXT) or a reference: {"parameterStore": "/path"} (PARAMETER_STORE) or
 * {"secretsManager": "arn-or-name"} (SECRETS_MANAGER). A name that looks secret must be a reference.
 */
public final class BuildEnvironment {

    /** Tier item attributes that configure the orchestrator rather than the build. */
    public static final Set<String> RESERVED = Set.of("tier", "jobName", "deprovisioningJobName", "workflow",
            "activities", "pluginRegisterTimeout");
    static final Pattern SECRET_NAME = Pattern.compile(".*(SECRET|PASSWORD|TOKEN|PRIVATE_KEY).*", Pattern.CASE_INSENSITIVE);

    private BuildEnvironment() {
    }

    /** One variable as CodeBuild takes it. */
    public record Variable(String name, String value, String type) {
    }

    public static List<Variable> merge(Map<String, JsonNode> tierItem, Map<String, JsonNode> eventOverrides,
                                       String tenantId, String tier) {
        Map<String, JsonNode> merged = new LinkedHashMap<>();
        tierItem.forEach((k, v) -> {
            if (!RESERVED.contains(k)) {
                merged.put(k, v);
            }
        });
        merged.putAll(eventOverrides);
        merged.put("TENANT_ID", com.fasterxml.jackson.databind.node.TextNode.valueOf(tenantId));
        merged.put("TIER", com.fasterxml.jackson.databind.node.TextNode.valueOf(tier));
        List<Variable> out = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        merged.forEach((name, v) -> {
            Variable var = variable(name, v, errors);
            if (var != null) {
                out.add(var);
            }
        });
        if (!errors.isEmpty()) {
            throw new InvalidTenantEventException("invalid build environment: " + String.join("; ", errors));
        }
        return out;
    }

    private static Variable variable(String name, JsonNode v, List<String> errors) {
        if (v.isObject()) {
            if (v.size() == 1 && v.hasNonNull("parameterStore") && v.get("parameterStore").isTextual()) {
                return new Variable(name, v.get("parameterStore").asText(), "PARAMETER_STORE");
            }
            if (v.size() == 1 && v.hasNonNull("secretsManager") && v.get("secretsManager").isTextual()) {
                return new Variable(name, v.get("secretsManager").asText(), "SECRETS_MANAGER");
            }
            errors.add(name + " must be a string or {\"parameterStore\": ...} or {\"secretsManager\": ...}");
            return null;
        }
        if (!v.isValueNode() || v.isNull()) {
            errors.add(name + " must be a string, number or boolean");
            return null;
        }
        if (SECRET_NAME.matcher(name).matches()) {
            errors.add(name + " looks like a secret: pass it as {\"parameterStore\": \"/path\"} or {\"secretsManager\": \"name\"},"
                    + " never as plain text");
            return null;
        }
        return new Variable(name, v.asText(), "PLAINTEXT");
    }
}
