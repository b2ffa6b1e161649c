package dev.orchestrator.tenant;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The environment overrides of a tenant build: the tier item's variables (everything but its
 * reserved keys), overlaid by the event's overrides (the event wins), plus TENANT_ID and TIER. Pure.
 * A value is a string, number or boolean (PLAINTEXT) or a reference: {"parameterStore": "/path"}
 * (PARAMETER_STORE) or {"secretsManager": "arn-or-name"} (SECRETS_MANAGER). A plain value whose name
 * says it is a secret never goes to CodeBuild as PLAINTEXT: the plan lists it for storing as a
 * SecureString at {@code <secretsPath>/<tenantId>/<NAME>}, and the build gets that path as a
 * PARAMETER_STORE reference.
 */
public final class BuildEnvironment {

    /** Tier item attributes that configure the orchestrator rather than the build. */
    public static final Set<String> RESERVED = Set.of("tier", "jobName", "deprovisioningJobName", "workflow",
            "activities", "pluginRegisterTimeout", "activateWorkflow", "activateActivities", "deactivateWorkflow",
            "deactivateActivities");
    /** Last word of a secret's name (ACCESS_TOKEN is one; ACCESS_TOKEN_EXPIRATION is a number of seconds). */
    static final Set<String> SECRET_WORDS = Set.of("SECRET", "SECRETS", "PASSWORD", "PASSWORDS", "PASSWD", "PWD", "TOKEN",
            "TOKENS", "CREDENTIAL", "CREDENTIALS", "PASSPHRASE");
    /** Last two words of a secret key's name. */
    static final Set<String> SECRET_KEY_QUALIFIERS = Set.of("PRIVATE", "SECRET", "API", "ACCESS", "SIGNING", "ENCRYPTION");

    private BuildEnvironment() {
    }

    /** One variable as CodeBuild takes it. */
    public record Variable(String name, String value, String type) {
    }

    /** A plain secret to store as a SecureString before the build starts. Its value never leaves this record but to SSM. */
    public record Secret(String name, String parameter, String value) {
        @Override
        public String toString() {
            return "Secret[" + name + " -> " + parameter + "]"; // never the value
        }
    }

    /** What to give the build, and which secrets to store first. */
    public record Plan(List<Variable> variables, List<Secret> secrets) {
        public Plan {
            variables = List.copyOf(variables);
            secrets = List.copyOf(secrets);
        }
    }

    /**
     * Whether a variable name says it holds a secret: its last word is SECRET, PASSWORD, TOKEN, ...
     * or its last two are PRIVATE_KEY, API_KEY, SECRET_KEY, ... Words split on '_', '-', '.' and
     * camelCase, so {@code secret}, {@code clientSecret}, {@code GITHUB_TOKEN} and
     * {@code AWS_SECRET_ACCESS_KEY} are secrets; {@code ACCESS_TOKEN_EXPIRATION}, {@code TOKEN_URL}
     * and {@code PASSWORD_MIN_LENGTH} are not.
     */
    public static boolean looksSecret(String name) {
        List<String> words = words(name);
        if (words.isEmpty()) {
            return false;
        }
        String last = words.get(words.size() - 1);
        if (SECRET_WORDS.contains(last)) {
            return true;
        }
        return last.equals("KEY") && words.size() >= 2 && SECRET_KEY_QUALIFIERS.contains(words.get(words.size() - 2));
    }

    static List<String> words(String name) {
        String spaced = name.replaceAll("([a-z0-9])([A-Z])", "$1_$2");
        List<String> out = new ArrayList<>();
        for (String w : spaced.split("[_\\-.\\s]+")) {
            if (!w.isEmpty()) {
                out.add(w.toUpperCase(Locale.ROOT));
            }
        }
        return out;
    }

    /** A value that is a private key whatever its name. */
    static boolean looksLikePrivateKey(String value) {
        return value.contains("-----BEGIN") && value.contains("PRIVATE KEY-----");
    }

    public static Plan plan(Map<String, JsonNode> tierItem, Map<String, JsonNode> eventOverrides, String tenantId, String tier,
                            String secretsPath) {
        Map<String, JsonNode> merged = new LinkedHashMap<>();
        tierItem.forEach((k, v) -> {
            if (!RESERVED.contains(k)) {
                merged.put(k, v);
            }
        });
        merged.putAll(eventOverrides);
        merged.put("TENANT_ID", TextNode.valueOf(tenantId));
        merged.put("TIER", TextNode.valueOf(tier));
        List<Variable> out = new ArrayList<>();
        List<Secret> secrets = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        merged.forEach((name, v) -> {
            if (v.isObject()) {
                if (v.size() == 1 && v.hasNonNull("parameterStore") && v.get("parameterStore").isTextual()) {
                    out.add(new Variable(name, v.get("parameterStore").asText(), "PARAMETER_STORE"));
                } else if (v.size() == 1 && v.hasNonNull("secretsManager") && v.get("secretsManager").isTextual()) {
                    out.add(new Variable(name, v.get("secretsManager").asText(), "SECRETS_MANAGER"));
                } else {
                    errors.add(name + " must be a string, number, boolean or {\"parameterStore\": ...} or {\"secretsManager\": ...}");
                }
                return;
            }
            if (!v.isValueNode() || v.isNull()) {
                errors.add(name + " must be a string, number or boolean");
                return;
            }
            String value = v.asText(); // numbers and booleans as CodeBuild takes them: strings
            if (looksSecret(name) || looksLikePrivateKey(value)) {
                String parameter = parameterName(secretsPath, tenantId, name);
                secrets.add(new Secret(name, parameter, value));
                out.add(new Variable(name, parameter, "PARAMETER_STORE"));
            } else {
                out.add(new Variable(name, value, "PLAINTEXT"));
            }
        });
        if (!errors.isEmpty()) {
            throw new InvalidTenantEventException("invalid build environment: " + String.join("; ", errors));
        }
        return new Plan(out, secrets);
    }

    /** {@code <path>/<tenantId>/<name>}; SSM names allow letters, digits, '_', '.', '-' and '/'. */
    static String parameterName(String secretsPath, String tenantId, String name) {
        String base = secretsPath.endsWith("/") ? secretsPath.substring(0, secretsPath.length() - 1) : secretsPath;
        return base + "/" + tenantId + "/" + name;
    }
}
