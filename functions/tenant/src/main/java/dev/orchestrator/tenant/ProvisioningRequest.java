package dev.orchestrator.tenant;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A validated TENANT_PROVISIONING / TENANT_DEPROVISIONING detail, in either shape:
 * <ul>
 *   <li>ours: {@code {"tenantId": "t-1", "tier": "premium", "builder": {"type": "CODE_BUILD", "overrides": {...}}}}
 *       ({@code planTier} is accepted for {@code tier});</li>
 *   <li>arc-saas's: {@code {"tenant": {"id", "key", ...}, "planConfig": {"tier", ...},
 *       "builderConfig": {"type": "CODE_BUILD", "config": {"environmentOverride": {...}}}}}.</li>
 * </ul>
 * Errors name the fields of the shape the event used. {@code tenant} is the arc-saas tenant object
 * (null in our shape), carried to the outcome events its consumers read.
 */
public record ProvisioningRequest(String tenantId, String tier, Map<String, JsonNode> overrides, JsonNode tenant) {

    public static final String CODE_BUILD = "CODE_BUILD";
    static final Pattern TENANT_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}");
    static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,254}");

    public ProvisioningRequest {
        overrides = Map.copyOf(overrides);
    }

    /** arc-saas's shape: any of its top-level names present and none of ours. */
    static boolean arcSaasShape(JsonNode detail) {
        return !detail.has("tenantId") && !detail.has("builder")
                && (detail.has("tenant") || detail.has("planConfig") || detail.has("builderConfig"));
    }

    public static ProvisioningRequest parse(JsonNode detail) {
        return arcSaasShape(detail) ? parseArcSaas(detail) : parseOwn(detail);
    }

    private static ProvisioningRequest parseOwn(JsonNode detail) {
        List<String> errors = new ArrayList<>();
        String tenantId = tenantId(detail.get("tenantId"), "detail.tenantId", errors);
        String tier = null;
        JsonNode tierNode = detail.hasNonNull("tier") ? detail.get("tier") : detail.get("planTier");
        if (tierNode == null || tierNode.isNull()) {
            errors.add("detail.tier (or planTier) is required");
        } else {
            tier = tier(tierNode, "detail.tier", errors);
        }
        Map<String, JsonNode> overrides = new LinkedHashMap<>();
        JsonNode builder = detail.get("builder");
        if (builder == null || !builder.isObject()) {
            errors.add("detail.builder is required: {\"type\": \"CODE_BUILD\", \"overrides\": {...}}");
        } else {
            builderType(builder.get("type"), "detail.builder.type", errors);
            overrides(builder.get("overrides"), "detail.builder.overrides", overrides, errors);
        }
        return result(errors, tenantId, tier, overrides, null);
    }

    private static ProvisioningRequest parseArcSaas(JsonNode detail) {
        List<String> errors = new ArrayList<>();
        JsonNode tenant = detail.get("tenant");
        String tenantId = null;
        if (tenant == null || !tenant.isObject()) {
            errors.add("detail.tenant is required: an object with id (or key)");
        } else {
            JsonNode id = tenant.hasNonNull("id") ? tenant.get("id") : tenant.get("key");
            tenantId = tenantId(id, tenant.hasNonNull("id") ? "detail.tenant.id" : "detail.tenant.id (or tenant.key)", errors);
        }
        String tier = null;
        JsonNode plan = detail.get("planConfig");
        if (plan == null || !plan.isObject()) {
            errors.add("detail.planConfig is required: an object with tier");
        } else if (!plan.hasNonNull("tier")) {
            errors.add("detail.planConfig.tier is required");
        } else {
            tier = tier(plan.get("tier"), "detail.planConfig.tier", errors);
        }
        Map<String, JsonNode> overrides = new LinkedHashMap<>();
        JsonNode builder = detail.get("builderConfig");
        if (builder == null || !builder.isObject()) {
            errors.add("detail.builderConfig is required: {\"type\": \"CODE_BUILD\", \"config\": {\"environmentOverride\": {...}}}");
        } else {
            builderType(builder.get("type"), "detail.builderConfig.type", errors);
            JsonNode config = builder.get("config");
            if (config != null && !config.isNull() && !config.isObject()) {
                errors.add("detail.builderConfig.config must be an object");
            } else if (config != null) {
                overrides(config.get("environmentOverride"), "detail.builderConfig.config.environmentOverride", overrides, errors);
            }
        }
        return result(errors, tenantId, tier, overrides, tenant);
    }

    private static ProvisioningRequest result(List<String> errors, String tenantId, String tier, Map<String, JsonNode> overrides,
                                              JsonNode tenant) {
        if (!errors.isEmpty()) {
            throw new InvalidTenantEventException("invalid tenant event detail: " + String.join("; ", errors));
        }
        return new ProvisioningRequest(tenantId, tier, overrides, tenant);
    }

    private static String tenantId(JsonNode t, String field, List<String> errors) {
        if (t == null || t.isNull()) {
            errors.add(field + " is required");
            return null;
        }
        if (!t.isTextual() || !TENANT_ID.matcher(t.asText()).matches()) {
            errors.add(field + " must be 1-128 letters, digits, '.', '_' or '-', got " + t);
            return null;
        }
        return t.asText();
    }

    private static String tier(JsonNode tierNode, String field, List<String> errors) {
        if (!tierNode.isTextual() || tierNode.asText().isBlank()) {
            errors.add(field + " must be a non-empty string");
            return null;
        }
        return tierNode.asText();
    }

    private static void builderType(JsonNode type, String field, List<String> errors) {
        if (type == null || !type.isTextual()) {
            errors.add(field + " is required (CODE_BUILD)");
        } else if (!CODE_BUILD.equals(type.asText())) {
            errors.add(field + " '" + type.asText() + "' is not supported; supported: CODE_BUILD");
        }
    }

    private static void overrides(JsonNode o, String field, Map<String, JsonNode> into, List<String> errors) {
        if (o == null || o.isNull()) {
            return;
        }
        if (!o.isObject()) {
            errors.add(field + " must be an object of environment variables");
            return;
        }
        o.fields().forEachRemaining(e -> {
            if (!ENV_NAME.matcher(e.getKey()).matches()) {
                errors.add(field + " key '" + e.getKey() + "' is not a valid environment variable name");
            } else {
                into.put(e.getKey(), e.getValue());
            }
        });
    }
}
