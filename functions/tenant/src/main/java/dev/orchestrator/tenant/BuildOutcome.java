package dev.orchestrator.tenant;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a CodeBuild "Build State Change" detail: which build, did it end, why it failed (and its first
 * failed phase), what it exported. Pure.
 */
public record BuildOutcome(String buildId, String projectName, String status, String cause, Map<String, String> exported,
                           String failedPhase) {

    public BuildOutcome {
        exported = Map.copyOf(exported);
    }

    public static BuildOutcome parse(JsonNode detail) {
        String buildId = buildId(detail.path("build-id").asText(null));
        String status = detail.path("build-status").asText(null);
        if (buildId == null || status == null) {
            throw new InvalidTenantEventException("CodeBuild state change lacks detail.build-id or detail.build-status");
        }
        List<String> reasons = new ArrayList<>();
        String failedPhase = null;
        for (JsonNode phase : detail.path("additional-information").path("phases")) {
            String ps = phase.path("phase-status").asText("");
            if (!ps.isEmpty() && !ps.equals("SUCCEEDED")) {
                if (failedPhase == null) {
                    failedPhase = phase.path("phase-type").asText(null);
                }
                StringBuilder r = new StringBuilder(phase.path("phase-type").asText("?")).append(" ").append(ps);
                List<String> ctx = new ArrayList<>();
                phase.path("phase-context").forEach(c -> {
                    if (!c.asText().isBlank() && !c.asText().equals(": ")) {
                        ctx.add(c.asText());
                    }
                });
                if (!ctx.isEmpty()) {
                    r.append(": ").append(String.join("; ", ctx));
                }
                reasons.add(r.toString());
            }
        }
        String cause = reasons.isEmpty() ? (ended(status) && !succeeded(status) ? "build " + status : null) : String.join(" | ", reasons);
        // Variables the buildspec declares under exported-variables: what arc-saas's consumers read.
        Map<String, String> exported = new LinkedHashMap<>();
        for (JsonNode v : detail.path("additional-information").path("exported-environment-variables")) {
            if (v.path("name").isTextual() && !v.path("name").asText().isBlank()) {
                exported.put(v.get("name").asText(), v.path("value").asText(""));
            }
        }
        return new BuildOutcome(buildId, detail.path("project-name").asText(null), status, cause, exported, failedPhase);
    }

    /** Events carry the build ARN ({@code arn:...:build/project:uuid}); StartBuild returns {@code project:uuid}. */
    static String buildId(String idOrArn) {
        if (idOrArn == null) {
            return null;
        }
        int i = idOrArn.indexOf(":build/");
        return i >= 0 ? idOrArn.substring(i + ":build/".length()) : idOrArn;
    }

    public boolean ended() {
        return ended(status);
    }

    public boolean succeeded() {
        return succeeded(status);
    }

    static boolean ended(String s) {
        return !s.equals("IN_PROGRESS") && !s.equals("QUEUED");
    }

    static boolean succeeded(String s) {
        return s.equals("SUCCEEDED");
    }
}
