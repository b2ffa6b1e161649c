package dev.orchestrator.tenant;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A validated TENANT_PROVISIONING / TENANT_DEPROVISIONING detail:
 * {@code {"tenantId": "t-1", "tier": "premium", "builder": {"type": "CODE_BUILD", "overrides": {...}}}}
 * ({@code planTier} is accepted for {@code tier}).
 */
public record ProvisioningRequest(String tenantId, String tier, Map<String, JsonNode> overrides) {

    public static final String CODE_BUILD = "CODE_BUILD";
    static final Pattern TENANT_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}");
    static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,254}");

    public ProvisioningRequest {
        overrides = Map.copyOf(overrides);
    }

    public static ProvisioningRequest parse(JsonNode detail) {
        List<String> errors = new ArrayList<>();
        String tenantId = null;
        JsonNode t = detail.get("tenantId");
        if (t == null || t.isNull()) {
            errors.add("detail.tenantId is required");
        } else if (!t.isTextual() || !TENANT_ID.matcher(t.asText()).matches()) {
            errors.add("detail.tenantId must be 1-128 letters, digits, '.', '_' or '-', got " + t);
        } else {
            tenantId = t.asText();
        }
        String tier = null;
        JsonNode tierNode = detail.hasNonNull("tier") ? detail.get("tier") : detail.get("planTier");
        if (tierNode == null || tierNode.isNull()) {
            errors.add("detail.tier (or planTier) is required");
        } else if (!tierNode.isTextual() || tierNode.asText().isBlank()) {
            errors.add("detail.tier must be a non-empty string");
        } else {
            tier = tierNode.asText();
        }
        Map<String, JsonNode> overrides = new LinkedHashMap<>();
        JsonNode builder = detail.get("builder");
        if (builder == null || !builder.isObject()) {
            errors.add("detail.builder is required: {\"type\": \"CODE_BUILD\", \"overrides\": {...}}");
        } else {
            JsonNode type = builder.get("type");
            if (type == null || !type.isTextual()) {
                errors.add("detail.builder.type is required (CODE_BUILD)");
            } else if (!CODE_BUILD.equals(type.asText())) {
                errors.add("detail.builder.type '" + type.asText() + "' is not supported; supported: CODE_BUILD");
            }
            JsonNode o = builder.get("overrides");
            if (o != null && !o.isNull()) {
                if (!o.isObject()) {
                    errors.add("detail.builder.overrides must be an object of environment variables");
                } else {
                    o.fields().forEachRemaining(e -> {
                        if (!ENV_NAME.matcher(e.getKey()).matches()) {
                            errors.add("detail.builder.overrides key '" + e.getKey() + "' is not a valid environment variable name");
                        } else {
                            overrides.put(e.getKey(), e.getValue());
                        }
                    });
                }
            }
        }
        if (!errors.isEmpty()) {
            throw new InvalidTenantEventException("invalid tenant event detail: " + String.join("; ", errors));
        }
        return new ProvisioningRequest(tenantId, tier, overrides);
    }
}
